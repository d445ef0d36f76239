/**
 * The example HTTP service: `GET /users` answers from the application database, `GET /healthz` reports the current
 * credential's remaining lease time (never the password).
 */
import * as http from "http";
import { DynamicCredentialPool } from "./dynamic-pool";

function send(response: http.ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
}

export function createServer(database: DynamicCredentialPool): http.Server {
    return http.createServer((request, response) => {
        const route = `${request.method} ${request.url?.split("?")[0]}`;
        if (route === "GET /users") {
            database
                .query<{ id: number; name: string }>("SELECT id, name FROM users ORDER BY id")
                .then((result) => send(response, 200, result.rows))
                .catch((error: Error) => send(response, 503, { error: `database: ${error.message}` }));
            return;
        }
        if (route === "GET /healthz") {
            const status = database.status();
            send(response, 200, {
                status: "ok",
                username: status.username,
                leaseRemainingSeconds: status.leaseRemainingSeconds,
                rotations: status.rotations,
                lastError: status.lastError ?? null,
            });
            return;
        }
        send(response, 404, { error: `no route ${route}` });
    });
}
