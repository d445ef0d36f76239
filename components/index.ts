/** The public surface: every component, its Args type, and the pure renderers they use. */
export * from "./access-model";
export * from "./app-access";
export * from "./approle-auth";
export * from "./connection-layout";
export * from "./database-role";
export * from "./deployer-policy";
export * from "./hcl";
export * from "./postgres-server";
export * from "./secrets-engine";
export * from "./server-config";
export * from "./sql";
export * from "./validate";
export * from "./vault-init";
export * from "./vault-postgres";
export * from "./vault-server";
export * from "./static-role";
export * from "./agent-config";
