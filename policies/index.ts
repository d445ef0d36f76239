import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./rules";

new PolicyPack("vault-pg-guardrails", { policies: allPolicies });
