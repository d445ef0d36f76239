/**
 * Validation, by concept: errors (errors.ts), defaults, choices and limits (settings.ts), single values (scalars.ts),
 * names (names.ts), role/app/static-role specs (specs.ts), servers the stack does not run (endpoints.ts), and stack
 * config (config-keys.ts: the keys; stack-config.ts: reading them). Components import what they check from here.
 */
export * from "./config-keys";
export * from "./endpoints";
export * from "./errors";
export * from "./names";
export * from "./scalars";
export * from "./settings";
export * from "./specs";
export * from "./stack-config";
export * from "./tls";
export * from "./databases";
export * from "./jwt";
export * from "./ci";
