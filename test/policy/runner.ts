// Calls the pack's policies the way the analyzer does (validateResource per resource, validateStack over
// all, getConfig returning the pack config for the policy, enforcement level from config or the policy),
// without starting the analyzer's gRPC server.
import type { EnforcementLevel, Policies, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../../policy/rules";

export interface TestResource {
    type: string;
    name: string;
    props: Record<string, any>;
    urn?: string;
}

export interface Violation {
    policy: string;
    level: EnforcementLevel;
    message: string;
    urn?: string;
}

/** Pack config as `pulumi preview --policy-pack-config` takes it: per policy, a level and properties. */
export type PackConfig = Record<string, { enforcementLevel?: EnforcementLevel; [key: string]: unknown }>;

const urnOf = (r: TestResource) => r.urn ?? `urn:pulumi:test::rag-platform::${r.type}::${r.name}`;

function levelOf(policy: ResourceValidationPolicy | StackValidationPolicy, config: PackConfig): EnforcementLevel {
    return config[policy.name]?.enforcementLevel ?? policy.enforcementLevel ?? "advisory";
}

function getConfigFor(policy: { name: string }, config: PackConfig) {
    return <T extends object>(): T => {
        const { enforcementLevel: _level, ...props } = config[policy.name] ?? {};
        return props as T;
    };
}

function toPolicyResource(r: TestResource): PolicyResource {
    return {
        type: r.type,
        name: r.name,
        urn: urnOf(r),
        props: r.props,
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
        },
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
    } as unknown as PolicyResource;
}

const notApplicable = (reason?: string): never => {
    throw new Error(`notApplicable: ${reason}`);
};

/** Runs every policy of `policies` over the resources; returns the violations with their levels. */
export function runPack(resources: TestResource[], config: PackConfig = {}, policies: Policies = allPolicies): Violation[] {
    const violations: Violation[] = [];
    const stackTags = new Map<string, string>();
    for (const policy of policies) {
        const level = levelOf(policy, config);
        if (level === "disabled") {
            continue;
        }
        const report = (message: string, urn?: string) => violations.push({ policy: policy.name, level, message, urn });
        if ("validateResource" in policy && policy.validateResource) {
            const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
            for (const r of resources) {
                const pr = toPolicyResource(r);
                for (const validate of validations) {
                    validate({ ...pr, stackTags, getConfig: getConfigFor(policy, config), notApplicable } as any, report);
                }
            }
        }
        if ("validateStack" in policy && policy.validateStack) {
            policy.validateStack(
                { resources: resources.map(toPolicyResource), stackTags, getConfig: getConfigFor(policy, config), notApplicable } as any,
                report,
            );
        }
    }
    return violations;
}

/** Runs one policy (by name) over the resources. */
export function runPolicy(name: string, resources: TestResource[], config: PackConfig = {}): Violation[] {
    const policy = allPolicies.find((p) => p.name === name);
    if (!policy) {
        throw new Error(`no policy ${name}`);
    }
    return runPack(resources, config, [policy]);
}

export const mandatory = (violations: Violation[]) => violations.filter((v) => v.level === "mandatory");
