/** The pack entry point (`pulumi preview --policy-pack policies` runs it); the policies are built in rules.ts. */
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./rules";

new PolicyPack("vault-pg-guardrails", { policies: allPolicies });
