/**
 * A 3-node Raft cluster of the real Vault-API binary, the stack's Vault resources applied once through its leader.
 * Under a steady issue → connect → revoke load the leader is SIGKILLed: a new leader takes over, issuing resumes
 * within 10 s of the kill and fails no more after those 10 s, leases issued before the kill are renewed and revoked
 * through the new leader, and no engine user is left in PostgreSQL. It also measures what a lease costs in Raft storage (README "High availability").
 *
 * It runs once per PostgreSQL major like every live file; PostgreSQL only serves the credentials here.
 */
import { gunzipSync } from "zlib";
import { Client } from "pg";
import { dropExpiredUsers } from "../../scripts/drop-expired-users";
import { startCredentialLoad } from "./credential-load";
import { RaftCluster, RaftNode, startRaftCluster } from "./cluster";
import { describeLive, findVaultBinary, vaultFlavor, vaultRequest } from "./harness";
import { DatabaseCreds, LiveStack, startLiveStack } from "./live-stack";

const sleep = (ms: number): Promise<void> => new Promise((resolveTimer) => setTimeout(resolveTimer, ms));

/** The load's role: short leases, so that whatever the kill leaves behind expires within the test. */
const BURST_ROLE = { name: "burst", access: "readonly", defaultTtl: 10, maxTtl: 10 };

/** Sizes of the files in a Raft snapshot (a gzipped tar: meta.json, state.bin with every key, SHA256SUMS). */
async function snapshotSizes(leader: RaftNode, rootToken: string): Promise<Record<string, number>> {
    const response = await fetch(`${leader.address}/v1/sys/storage/raft/snapshot`, { headers: { "x-vault-token": rootToken } });
    if (!response.ok) throw new Error(`GET sys/storage/raft/snapshot -> ${response.status}`);
    const tar = gunzipSync(Buffer.from(await response.arrayBuffer()));
    const sizes: Record<string, number> = {};
    for (let offset = 0; offset + 512 <= tar.length; ) {
        const name = tar.subarray(offset, offset + 100).toString("utf8").replace(/\0.*$/s, "");
        if (!name) break;
        const size = parseInt(tar.subarray(offset + 124, offset + 136).toString("utf8").replace(/\0.*$/s, "").trim(), 8);
        sizes[name] = size;
        offset += 512 + Math.ceil(size / 512) * 512;
    }
    return sizes;
}

describeLive("vault raft cluster failover", () => {
    let cluster: RaftCluster;
    let stack: LiveStack;
    let token: string;

    beforeAll(async () => {
        cluster = await startRaftCluster(3);
        const leader = await cluster.leader();
        if (!leader) throw new Error("the raft cluster has no leader after start");
        const binary = findVaultBinary() ?? "";
        const clusterAsServer = { address: leader.address, rootToken: cluster.rootToken, binary, flavor: vaultFlavor(binary), logFile: "", stop: () => cluster.stop() };
        stack = await startLiveStack({
            vault: clusterAsServer,
            config: (config) => {
                const apps = (JSON.parse(config.apps) as { name: string; roles: string[] }[]).map((app) => (app.name === "web" ? { ...app, roles: [...app.roles, BURST_ROLE.name] } : app));
                return { ...config, roles: JSON.stringify([...JSON.parse(config.roles), BURST_ROLE]), apps: JSON.stringify(apps) };
            },
        });
        token = await stack.login("web");
    }, 150_000);

    afterAll(async () => {
        await stack?.stop();
        await cluster?.stop();
    });

    const issue = async (credsPath = stack.credsPaths.readonly): Promise<DatabaseCreds> => {
        const response = await cluster.request<{ data: { username: string; password: string }; lease_id: string; lease_duration: number; renewable: boolean }>(
            token, "GET", credsPath);
        return { username: response.data.username, password: response.data.password, leaseId: response.lease_id, leaseDuration: response.lease_duration, renewable: response.renewable };
    };
    /** A request to one given node, with the app's token. */
    const fetchAs = (address: string, method: string, apiPath: string, body: Record<string, unknown> = {}): Promise<Record<string, unknown>> =>
        vaultRequest<Record<string, unknown>>(address, token, method, apiPath, body);

    it("stores a lease in a few hundred bytes of Raft state", async () => {
        const leader = (await cluster.leader())!;
        const leases = 200;
        const before = await snapshotSizes(leader, cluster.rootToken);
        const issued: DatabaseCreds[] = [];
        for (let index = 0; index < leases; index++) issued.push(await issue());
        const held = await snapshotSizes(leader, cluster.rootToken);
        const listed = await stack.root<{ data: { keys: string[] } }>("LIST", `sys/leases/lookup/${stack.credsPaths.readonly}`);
        for (const creds of issued) await cluster.request(token, "PUT", `sys/leases/revoke/${creds.leaseId}`, {});
        const after = await snapshotSizes(leader, cluster.rootToken);

        // An application instance also holds its own login: a secret id and a token, each stored too.
        const logins = 50;
        for (let index = 0; index < logins; index++) await stack.login("web");
        const withLogins = await snapshotSizes(leader, cluster.rootToken);

        const perLease = (held["state.bin"] - before["state.bin"]) / leases;
        const perLogin = (withLogins["state.bin"] - after["state.bin"]) / logins;
        console.log(
            `raft storage: state.bin ${before["state.bin"]} B before, ${held["state.bin"]} B with ${leases} more leases ` +
                `(${listed.data.keys.length} listed), ${after["state.bin"]} B after revoking them: ${perLease.toFixed(0)} B per lease; ` +
                `${withLogins["state.bin"]} B after ${logins} app logins: ${perLogin.toFixed(0)} B per login (secret id and token)`,
        );
        expect(perLogin).toBeGreaterThan(0);
        expect(listed.data.keys.length).toBe(leases);
        expect(perLease).toBeGreaterThan(0);
        expect(after["state.bin"]).toBeLessThan(held["state.bin"]);
        expect(await stack.dynamicUsers()).toEqual([]);
    }, 120_000);

    it("revokes a lease whose user an interrupted earlier run already dropped", async () => {
        // What a leader that dies between the revocation's commit in PostgreSQL and the lease's deletion leaves behind.
        const creds = await issue();
        await stack.postgres.query(`DROP ROLE "${creds.username}"`);
        await cluster.request(token, "PUT", `sys/leases/revoke/${creds.leaseId}`, {});
        const lookup = cluster.request(cluster.rootToken, "PUT", "sys/leases/lookup", { lease_id: creds.leaseId });
        await expect(lookup).rejects.toMatchObject({ status: 400 });
        expect(await stack.dynamicUsers()).toEqual([]);
    });

    it("keeps issuing through a leader SIGKILL: a new leader within 10 s, old leases renewed and revoked there, nobody left", async () => {
        const heldBeforeKill: DatabaseCreds[] = [];
        for (let index = 0; index < 5; index++) heldBeforeKill.push(await issue());

        const load = startCredentialLoad({
            issue: () => issue(stack.credsPaths[BURST_ROLE.name]),
            async use(creds) {
                const client = await stack.connect(creds);
                try {
                    await client.query("SELECT 1");
                } finally {
                    await client.end();
                }
            },
            revoke: async (creds) => {
                await cluster.request(token, "PUT", `sys/leases/revoke/${creds.leaseId}`, {});
            },
        });
        await sleep(1_500);
        const oldLeader = await cluster.leader();
        if (!oldLeader) throw new Error("no leader before the kill");
        const killedAt = Date.now();
        await oldLeader.kill();

        // Measure, not retry: poll the load's own record until an issue succeeded after the kill (or 20 s passed).
        while (load.firstIssueAfter(killedAt) === undefined && Date.now() - killedAt < 20_000) await sleep(50);
        const resumedAt = load.firstIssueAfter(killedAt);
        // Keep the load on past the 10 s mark, to see that it stays up.
        await sleep(Math.max(1_000, killedAt + 12_000 - Date.now()));
        await load.stop();
        const newLeader = await cluster.leader();

        const beforeKill = load.failuresBetween(0, killedAt);
        const gapFailures = load.failuresBetween(killedAt, resumedAt ?? Infinity);
        // A standby that has not yet learned the new leader still fails a request now and then after the first success.
        const lastFailure = load.failuresBetween(killedAt, Infinity).at(-1)?.at;
        const cycles = load.events.filter((event) => event.step === "issue" && event.ok).length;
        console.log(
            `raft leader ${oldLeader.nodeId} (pid ${oldLeader.pid}) SIGKILLed: issuing resumed after ${resumedAt === undefined ? "never" : `${resumedAt - killedAt} ms`} ` +
                `on new leader ${newLeader?.nodeId}, last failure ${lastFailure === undefined ? "none" : `${lastFailure - killedAt} ms`} after the kill; ${gapFailures.length} failed steps in the gap, ${load.failedRevocations.length} revocations to retry, ${cycles} credentials issued under load` +
                `; errors seen: ${[...new Set(gapFailures.map((event) => `${event.step}: ${event.error?.replace(/\s+/g, " ")}`))].slice(0, 4).join(" | ")}`,
        );
        expect(beforeKill).toEqual([]);
        expect(resumedAt).toBeDefined();
        expect(resumedAt! - killedAt).toBeLessThan(10_000);
        expect(load.failuresBetween(killedAt + 10_000, Infinity)).toEqual([]);
        expect(newLeader).toBeDefined();
        expect(newLeader!.nodeId).not.toBe(oldLeader.nodeId);

        // Leases the old leader issued live in the replicated state: the new leader renews and revokes them.
        for (const creds of heldBeforeKill) {
            const renewed = await fetchAs(newLeader!.address, "PUT", `sys/leases/renew/${creds.leaseId}`);
            expect(renewed.lease_id).toBe(creds.leaseId);
            expect(renewed.lease_duration).toBeGreaterThan(0);
        }
        for (const creds of heldBeforeKill) await fetchAs(newLeader!.address, "PUT", `sys/leases/revoke/${creds.leaseId}`);
        // A revocation that failed while there was no leader is retried, as the client's own next call.
        for (const creds of load.failedRevocations) await cluster.request(token, "PUT", `sys/leases/revoke/${creds.leaseId}`, {});

        // An issue in flight at the kill can leave a user the client never heard of: its lease was stored and Vault
        // revokes it at expiry, or it was not (the database engine keeps no write-ahead record for dynamic
        // credentials), and only VALID UNTIL disables it. Wait for the role's own expiry; drop-expired-users removes
        // what no lease covers.
        const leftAfterRetries = await stack.dynamicUsers();
        const expiries = await stack.postgres.query("SELECT max(rolvaliduntil) AS last FROM pg_roles WHERE rolname = ANY($1)", [leftAfterRetries]);
        const lastExpiry = (expiries.rows[0].last as Date | null)?.getTime() ?? Date.now();
        await sleep(Math.max(0, lastExpiry - Date.now()) + 1_000);
        const leftAfterExpiry = await stack.dynamicUsers();
        const admin = new Client({ host: stack.postgres.host, port: stack.postgres.port, user: stack.postgres.superuser, password: stack.postgres.superuserPassword, database: stack.database });
        await admin.connect();
        const dropped = await dropExpiredUsers(admin, stack.groupRoles.owner).finally(() => admin.end());
        console.log(
            `raft leader kill left ${leftAfterRetries.length} user(s) the client never got a lease for: ` +
                `${leftAfterRetries.length - leftAfterExpiry.length} revoked by Vault at lease expiry, ${dropped.length} without a lease, dropped by drop-expired-users`,
        );
        // At most the one issue that was in flight when the leader died.
        expect(leftAfterRetries.length).toBeLessThanOrEqual(1);
        expect(leftAfterRetries.every((name) => name.startsWith(`v-${BURST_ROLE.name}-`))).toBe(true);
        expect(await stack.dynamicUsers()).toEqual([]);
    }, 120_000);
});
