#!/usr/bin/env node
// @ts-check
/**
 * An application that knows nothing about Vault: it reads PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD (and
 * PGSSLMODE, PGSSLROOTCERT where the stack speaks TLS) from the env file Vault Agent renders, and reads it again on
 * SIGHUP (the agent's template command sends it after each render).
 * Any language works the same way; this one is plain Node with `pg` so the live test can run it.
 *
 *   node examples/app/env-file-app.js <env file> <pid file> [interval ms]
 *
 * It writes its pid to <pid file>, runs `SELECT current_user` every [interval] ms (default 5) on one connection,
 * and after a SIGHUP, between two queries, connects with the new credentials, switches, and closes the old
 * connection before the agent's old lease runs out; each switch is logged on stderr as
 *   switched credentials: <old user> -> <new user>
 * On SIGTERM it prints a JSON summary on stdout and exits:
 *   { "queries": n, "failures": [...], "users": [...], "switches": [{ "at": ms, "from": user, "to": user }] }
 */
const fs = require("fs");
const { Client } = require("pg");

const [envFile, pidFile, intervalArg] = process.argv.slice(2);
if (!envFile || !pidFile) {
    console.error("usage: env-file-app.js <env file> <pid file> [interval ms]");
    process.exit(2);
}
const intervalMs = Number(intervalArg ?? 5);

/** @param {string} file */
function readEnvFile(file) {
    /** @type {Record<string, string>} */
    const values = {};
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        const match = /^([A-Z_]+)=(.*)$/.exec(line);
        if (match) values[match[1]] = match[2];
    }
    return values;
}

/**
 * node-postgres's `ssl` for the rendered PGSSLMODE and PGSSLROOTCERT: verify-full checks the chain and the host
 * name, verify-ca the chain, require encrypts (verifying the chain when a CA is given, as libpq does); without a
 * mode, or with disable, allow or prefer, plain text (this small app has no fallback: use require or verify-*).
 * @param {Record<string, string>} env
 */
function sslOptions(env) {
    const ca = env.PGSSLROOTCERT ? fs.readFileSync(env.PGSSLROOTCERT, "utf8") : undefined;
    switch (env.PGSSLMODE) {
        case "verify-full":
            return { ca, rejectUnauthorized: true };
        case "verify-ca":
            return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
        case "require":
            return ca ? { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
        default:
            return false;
    }
}

/** @param {string} file */
async function connect(file) {
    const env = readEnvFile(file);
    const client = new Client({ host: env.PGHOST, port: Number(env.PGPORT), database: env.PGDATABASE, user: env.PGUSER, password: env.PGPASSWORD, ssl: sslOptions(env) });
    client.on("error", () => undefined); // a terminated idle connection; the next query reports it
    await client.connect();
    return { client, user: env.PGUSER };
}

async function main() {
    let current = await connect(envFile);
    const summary = { queries: 0, failures: /** @type {string[]} */ ([]), users: [current.user], switches: /** @type {object[]} */ ([]) };
    // The query loop switches between two queries, so no query ever runs on a connection being closed.
    let reloadRequested = false;
    process.on("SIGHUP", () => {
        reloadRequested = true;
    });
    let stopping = false;
    process.on("SIGTERM", () => {
        stopping = true;
    });
    fs.writeFileSync(pidFile, `${process.pid}\n`);
    while (!stopping) {
        if (reloadRequested) {
            reloadRequested = false;
            try {
                const next = await connect(envFile);
                if (next.user === current.user) {
                    await next.client.end();
                } else {
                    const previous = current;
                    current = next;
                    summary.users.push(next.user);
                    summary.switches.push({ at: Date.now(), from: previous.user, to: next.user });
                    process.stderr.write(`switched credentials: ${previous.user} -> ${next.user}\n`);
                    await previous.client.end().catch(() => undefined);
                }
            } catch (error) {
                summary.failures.push(`reload: ${/** @type {Error} */ (error).message}`);
            }
        }
        summary.queries += 1;
        try {
            const result = await current.client.query("SELECT current_user AS user");
            if (result.rows[0].user !== current.user) summary.failures.push(`ran as ${result.rows[0].user}, expected ${current.user}`);
        } catch (error) {
            summary.failures.push(`${new Date().toISOString()} as ${current.user}: ${/** @type {Error} */ (error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    await current.client.end().catch(() => undefined);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error) => {
    console.error(error.message);
    process.exit(1);
});
