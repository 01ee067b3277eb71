// Every rule of the pack as plain arrays: importable by tests and by other packs without starting the
// analyzer (only ../index.ts constructs the PolicyPack).
import type { Policies } from "@pulumi/policy";
import { envPolicies } from "./env";
import { gpuPolicies } from "./gpu";
import { imagePolicies } from "./images";
import { ingressPolicies } from "./ingress";
import { namespacePolicies } from "./namespace";
import { podSecurityPolicies } from "./pod-security";
import { probePolicies } from "./probes";
import { resourcePolicies } from "./resources";
import { securityContextPolicies } from "./security-context";
import { stackPolicies } from "./stack";

export const allPolicies: Policies = [
    ...resourcePolicies,
    ...probePolicies,
    ...podSecurityPolicies,
    ...securityContextPolicies,
    ...imagePolicies,
    ...envPolicies,
    ...ingressPolicies,
    ...namespacePolicies,
    ...stackPolicies,
    ...gpuPolicies,
];
