// Calls the pack's policies the way the analyzer does (validateResource per resource, validateStack over
// all, getConfig returning the pack config for the policy, enforcement level from config or the policy),
// without starting the analyzer's gRPC server.
import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
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

function toPolicyResource(r: TestResource, preview: boolean): PolicyResource {
    return {
        type: r.type,
        name: r.name,
        urn: urnOf(r),
        // As the analyzer does: during a preview, reading a value that is not known yet throws UnknownValueError.
        props: preview ? unknownCheckingProxy(r.props) : r.props,
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

export interface RunOptions {
    /**
     * Run as the analyzer does during `pulumi preview`: props wrapped by @pulumi/policy's unknownCheckingProxy,
     * and a policy that throws UnknownValueError reported as the analyzer reports it ("can't run policy ...
     * during preview", advisory). Any other exception propagates (a crash).
     */
    preview?: boolean;
}

/** The analyzer's message when a policy read an unknown value (server.js: `can't run ${policyFrom} during preview`). */
export const CANT_RUN = "can't run policy";

/** Runs every policy of `policies` over the resources; returns the violations with their levels. */
export function runPack(resources: TestResource[], config: PackConfig = {}, policies: Policies = allPolicies, options: RunOptions = {}): Violation[] {
    const preview = options.preview ?? false;
    const violations: Violation[] = [];
    const stackTags = new Map<string, string>();
    // The engine calls Remediate (every remediating policy, in order) before Analyze.
    for (const policy of policies) {
        if (levelOf(policy, config) === "remediate" && "remediateResource" in policy && policy.remediateResource) {
            resources = resources.map((r) => ({ ...r, props: remediate(policy.name, r, config) ?? r.props }));
        }
    }
    for (const policy of policies) {
        let level = levelOf(policy, config);
        if (level === "disabled") {
            continue;
        }
        if (level === "remediate") {
            // Remediated above; what still violates afterwards is reported as mandatory (as the analyzer does).
            level = "mandatory";
        }
        const report = (message: string, urn?: string) => violations.push({ policy: policy.name, level, message, urn });
        if ("validateResource" in policy && policy.validateResource) {
            const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
            for (const r of resources) {
                const pr = toPolicyResource(r, preview);
                for (const validate of validations) {
                    guarded(policy.name, urnOf(r), violations, () =>
                        validate({ ...pr, stackTags, getConfig: getConfigFor(policy, config), notApplicable } as any, report),
                    );
                }
            }
        }
        if ("validateStack" in policy && policy.validateStack) {
            const validateStack = policy.validateStack;
            guarded(policy.name, undefined, violations, () =>
                validateStack(
                    { resources: resources.map((r) => toPolicyResource(r, preview)), stackTags, getConfig: getConfigFor(policy, config), notApplicable } as any,
                    report,
                ),
            );
        }
    }
    return violations;
}

/** What the analyzer does with an UnknownValueError: an advisory "can't run" diagnostic instead of the policy's verdict. */
function guarded(policy: string, urn: string | undefined, violations: Violation[], validate: () => void): void {
    try {
        validate();
    } catch (e) {
        if (!(e instanceof UnknownValueError)) {
            throw e;
        }
        violations.push({ policy, level: "advisory", message: `${CANT_RUN} '${policy}' during preview: ${(e as Error).message}`, urn });
    }
}

/** Runs one policy (by name) over the resources. */
export function runPolicy(name: string, resources: TestResource[], config: PackConfig = {}, options: RunOptions = {}): Violation[] {
    const policy = allPolicies.find((p) => p.name === name);
    if (!policy) {
        throw new Error(`no policy ${name}`);
    }
    return runPack(resources, config, [policy], options);
}

export const mandatory = (violations: Violation[]) => violations.filter((v) => v.level === "mandatory");

/**
 * Runs a policy's remediateResource on a copy of the resource, as the analyzer's Remediate call does (props
 * behind unknownCheckingProxy, edited in place and returned); the remediated props, or undefined when the
 * policy left the resource alone.
 */
export function remediate(name: string, r: TestResource, config: PackConfig = {}): Record<string, any> | undefined {
    const policy = allPolicies.find((p) => p.name === name);
    if (!policy || !("remediateResource" in policy) || !policy.remediateResource) {
        throw new Error(`no remediation in policy ${name}`);
    }
    const props = JSON.parse(JSON.stringify(r.props));
    const result = policy.remediateResource({
        type: r.type,
        name: r.name,
        urn: urnOf(r),
        props: unknownCheckingProxy(props),
        getConfig: getConfigFor(policy, config),
        notApplicable,
    } as any);
    // The proxy wrote through to `props`: return the plain object.
    return result ? props : undefined;
}
