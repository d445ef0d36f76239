/**
 * A stand-in for the Pulumi engine's two gRPC services, so a test can run the program with the Node runner exactly as
 * `pulumi preview`/`up` starts it (`@pulumi/pulumi/cmd/run`, with `--monitor` and `--engine`): the ResourceMonitor
 * records every registration, the Engine records every log message. What the CLI prints for a program error is the
 * runner's ERROR log message, prefixed `error: ` (the runner's handler is in `@pulumi/pulumi/cmd/run/run.js`).
 */
import { execFile } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { REPO_ROOT } from "./pulumi-mocks";

/* eslint-disable @typescript-eslint/no-require-imports */
const resourceGrpc = require("@pulumi/pulumi/proto/resource_grpc_pb");
const resourcePb = require("@pulumi/pulumi/proto/resource_pb");
const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const enginePb = require("@pulumi/pulumi/proto/engine_pb");
const emptyPb = require("google-protobuf/google/protobuf/empty_pb");
const structPb = require("google-protobuf/google/protobuf/struct_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

export interface ProgramRun {
    /** Exit code of the runner process. */
    code: number | null;
    /** ERROR messages the program sent the engine: what the CLI shows as `error: <message>`. */
    errors: string[];
    /** Type tokens of every resource registered, the root stack included. */
    registered: string[];
    /** The runner's own stderr (anything printed outside the engine's log). */
    stderr: string;
}

type Callback = (error: grpc.ServiceError | null, response?: unknown) => void;
type Call = { request: { [getter: string]: () => unknown } };

/** Runs index.ts through the Node runner against the fake engine, with the given `vault-pg:` config. */
export async function runProgramLikeTheCli(config: Record<string, string>, secretKeys: string[] = []): Promise<ProgramRun> {
    const errors: string[] = [];
    const registered: string[] = [];
    const server = new grpc.Server();
    server.addService(resourceGrpc.ResourceMonitorService, {
        supportsFeature: (_call: Call, callback: Callback) => callback(null, new resourcePb.SupportsFeatureResponse().setHassupport(true)),
        registerResource: (call: Call, callback: Callback) => {
            const type = String(call.request.getType());
            const name = String(call.request.getName());
            registered.push(type);
            const response = new resourcePb.RegisterResourceResponse();
            response.setUrn(`urn:pulumi:dev::vault-pg::${type}::${name}`);
            if (call.request.getCustom()) response.setId(`${name}-id`);
            response.setObject(structPb.Struct.fromJavaScript({}));
            callback(null, response);
        },
        registerResourceOutputs: (_call: Call, callback: Callback) => callback(null, new emptyPb.Empty()),
        invoke: (call: Call, callback: Callback) =>
            callback({ code: grpc.status.UNIMPLEMENTED, details: `invoke ${String(call.request.getTok())}` } as grpc.ServiceError),
    });
    server.addService(engineGrpc.EngineService, {
        log: (call: Call, callback: Callback) => {
            if (call.request.getSeverity() === enginePb.LogSeverity.ERROR) errors.push(String(call.request.getMessage()));
            callback(null, new emptyPb.Empty());
        },
        getRootResource: (_call: Call, callback: Callback) => callback(null, new enginePb.GetRootResourceResponse()),
        setRootResource: (_call: Call, callback: Callback) => callback(null, new enginePb.SetRootResourceResponse()),
    });
    const port = await new Promise<number>((resolvePort, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolvePort(bound))),
    );
    const address = `127.0.0.1:${port}`;
    const runner = path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run", "index.js");
    // The program reads VAULT_TOKEN where the stack sets no vaultToken: a developer's own must not change the outcome.
    const { VAULT_TOKEN: _developersToken, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = {
        ...inherited,
        PULUMI_NODEJS_TYPESCRIPT: "true",
        PULUMI_CONFIG: JSON.stringify(Object.fromEntries(Object.entries(config).map(([key, value]) => [`vault-pg:${key}`, value]))),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(secretKeys.map((key) => `vault-pg:${key}`)),
    };
    try {
        return await new Promise<ProgramRun>((resolveRun) => {
            execFile(
                process.execPath,
                [runner, `--monitor=${address}`, `--engine=${address}`, "--project=vault-pg", "--stack=dev", "--dry-run", `--pwd=${REPO_ROOT}`, "./index.ts"],
                { cwd: REPO_ROOT, env, timeout: 120_000 },
                (error, _stdout, stderr) => {
                    const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
                    resolveRun({ code, errors, registered, stderr });
                },
            );
        });
    } finally {
        server.forceShutdown();
    }
}
