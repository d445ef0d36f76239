/**
 * A steady issue → connect → query → revoke loop, as an application under failover sees it: every step's outcome is
 * recorded with its time, nothing is retried inside the loop, and a lease whose revocation failed is kept so that
 * the test can retry it once the cluster has recovered.
 */
import { DatabaseCreds } from "./live-stack";

export interface LoadOperations {
    issue(): Promise<DatabaseCreds>;
    /** Logs in with the credential and runs a query. */
    use(creds: DatabaseCreds): Promise<void>;
    revoke(creds: DatabaseCreds): Promise<void>;
}

export interface LoadEvent {
    step: "issue" | "use" | "revoke";
    /** When the step finished (Date.now()). */
    at: number;
    ok: boolean;
    error?: string;
}

export interface CredentialLoad {
    events: LoadEvent[];
    /** Issued leases whose revocation failed, in order. */
    failedRevocations: DatabaseCreds[];
    /** When the first issue that succeeded after `since` finished; undefined if none has yet. */
    firstIssueAfter(since: number): number | undefined;
    /** Failed steps that finished in [from, to). */
    failuresBetween(from: number, to: number): LoadEvent[];
    /** Stops after the current cycle. */
    stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolveTimer) => setTimeout(resolveTimer, ms));

export function startCredentialLoad(operations: LoadOperations, pauseMs = 20): CredentialLoad {
    const events: LoadEvent[] = [];
    const failedRevocations: DatabaseCreds[] = [];
    let stopping = false;
    const record = async <T>(step: LoadEvent["step"], run: () => Promise<T>): Promise<T | undefined> => {
        try {
            const value = await run();
            events.push({ step, at: Date.now(), ok: true });
            return value;
        } catch (error) {
            events.push({ step, at: Date.now(), ok: false, error: (error as Error).message });
            return undefined;
        }
    };
    const loop = (async () => {
        while (!stopping) {
            const creds = await record("issue", operations.issue);
            if (creds) {
                await record("use", () => operations.use(creds));
                const revoked = await record("revoke", async () => {
                    await operations.revoke(creds);
                    return true;
                });
                if (!revoked) failedRevocations.push(creds);
            }
            await sleep(pauseMs);
        }
    })();
    return {
        events,
        failedRevocations,
        firstIssueAfter: (since) => events.find((event) => event.step === "issue" && event.ok && event.at > since)?.at,
        failuresBetween: (from, to) => events.filter((event) => !event.ok && event.at >= from && event.at < to),
        async stop() {
            stopping = true;
            await loop;
        },
    };
}
