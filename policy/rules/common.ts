// Shared machinery of the policy pack: which resource types carry pods, where their pod spec is, walking
// containers, the exclusion list every rule honours, and violation messages that name resource,
// container, field path and fix. Rules match on type tokens and raw props, so the pack works for any
// Pulumi program that uses @pulumi/kubernetes, not only this repository's.
import type { PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

/** Where a workload type keeps its pod template, and whether its pods run until stopped. */
interface WorkloadKind {
    kind: string;
    /** Path from the resource's props to the pod spec. */
    podSpecPath: string[];
    longRunning: boolean;
}

const TEMPLATE = ["spec", "template", "spec"];

const KINDS: Record<string, WorkloadKind> = {
    "kubernetes:apps/v1:Deployment": { kind: "Deployment", podSpecPath: TEMPLATE, longRunning: true },
    "kubernetes:apps/v1:StatefulSet": { kind: "StatefulSet", podSpecPath: TEMPLATE, longRunning: true },
    "kubernetes:apps/v1:DaemonSet": { kind: "DaemonSet", podSpecPath: TEMPLATE, longRunning: true },
    "kubernetes:apps/v1:ReplicaSet": { kind: "ReplicaSet", podSpecPath: TEMPLATE, longRunning: true },
    "kubernetes:core/v1:ReplicationController": { kind: "ReplicationController", podSpecPath: TEMPLATE, longRunning: true },
    "kubernetes:batch/v1:Job": { kind: "Job", podSpecPath: TEMPLATE, longRunning: false },
    "kubernetes:batch/v1:CronJob": { kind: "CronJob", podSpecPath: ["spec", "jobTemplate", "spec", "template", "spec"], longRunning: false },
    "kubernetes:core/v1:Pod": { kind: "Pod", podSpecPath: ["spec"], longRunning: true },
};

/** The workload kind of a resource type, Patch variants included; undefined for other types. */
export function workloadKind(type: string): WorkloadKind | undefined {
    return KINDS[type.replace(/Patch$/, "")];
}

/** A resource as rules see it (what the analyzer passes, or what tests build). */
export interface ResourceView {
    type: string;
    name: string;
    props: Record<string, any>;
}

/** Reads a property; props may be a proxy that throws on unknown values during preview. */
export function get(obj: unknown, path: string[]): any {
    let cur: any = obj;
    for (const key of path) {
        if (cur === undefined || cur === null || typeof cur !== "object") {
            return undefined;
        }
        cur = cur[key];
    }
    return cur;
}

export function kindOf(r: ResourceView): string {
    return workloadKind(r.type)?.kind ?? (r.type.split(":").pop() ?? r.type).replace(/Patch$/, "");
}

/** "Deployment rag-api": the object's name, or the Pulumi name when the provider auto-names it. */
export function describe(r: ResourceView): string {
    return `${kindOf(r)} ${get(r.props, ["metadata", "name"]) ?? r.name}`;
}

export interface ContainerView {
    container: Record<string, any>;
    /** "spec.template.spec.containers[0]" */
    path: string;
    name: string;
    init: boolean;
    /** A native sidecar: an init container with restartPolicy Always runs for the pod's whole life. */
    sidecar: boolean;
}

export interface PodView {
    spec: Record<string, any>;
    /** "spec.template.spec" */
    path: string;
    kind: WorkloadKind;
    containers: ContainerView[];
}

/** The pod spec of a workload and its containers (init, regular and ephemeral); undefined for other types. */
export function podOf(r: ResourceView): PodView | undefined {
    const kind = workloadKind(r.type);
    const spec = kind ? get(r.props, kind.podSpecPath) : undefined;
    if (!kind || !spec || typeof spec !== "object") {
        return undefined;
    }
    const path = kind.podSpecPath.join(".");
    const list = (field: string, init: boolean): ContainerView[] =>
        (Array.isArray(spec[field]) ? spec[field] : []).map((container: Record<string, any>, i: number) => ({
            container: container ?? {},
            path: `${path}.${field}[${i}]`,
            name: container?.name ?? `#${i}`,
            init,
            sidecar: init && container?.restartPolicy === "Always",
        }));
    return { spec, path, kind, containers: [...list("initContainers", true), ...list("containers", false)] };
}

/** Config every rule accepts: names or namespaces the rule does not apply to. */
export interface BaseConfig {
    exclude?: string[];
}

export const EXCLUDE_SCHEMA = {
    exclude: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Namespaces or resource names (metadata.name or Pulumi name) this rule does not apply to.",
    },
} as const;

/** A rule's config schema: the exclusion list plus the rule's own properties. */
export function schema(properties: Record<string, object> = {}): PolicyConfigSchema {
    return { properties: { ...EXCLUDE_SCHEMA, ...properties } } as PolicyConfigSchema;
}

/** The rule's config: its defaults overlaid by what the pack's config sets. */
export function configOf<T extends BaseConfig>(args: { getConfig<U extends object>(): U }, defaults: T): T {
    return { ...defaults, ...(args.getConfig<Partial<T>>() ?? {}) };
}

export function isExcluded(r: ResourceView, config: BaseConfig): boolean {
    const exclude = config.exclude ?? [];
    if (exclude.length === 0) {
        return false;
    }
    const candidates = [get(r.props, ["metadata", "namespace"]), get(r.props, ["metadata", "name"]), r.name];
    // A Namespace is excluded by its own name.
    return candidates.some((c) => typeof c === "string" && exclude.includes(c));
}

/** `Deployment rag-api, container "api": <path> <problem>; <fix>` */
export function containerMessage(r: ResourceView, c: ContainerView, field: string, problem: string, fix: string): string {
    const which = c.init ? "init container" : "container";
    return `${describe(r)}, ${which} "${c.name}": ${c.path}${field ? `.${field}` : ""} ${problem}; ${fix}`;
}

export function podMessage(r: ResourceView, pod: PodView, field: string, problem: string, fix: string): string {
    return `${describe(r)}: ${pod.path}.${field} ${problem}; ${fix}`;
}

export type ContainerCheck<C extends BaseConfig> = (r: ResourceView, pod: PodView, c: ContainerView, config: C, report: ReportViolation) => void;
export type PodCheck<C extends BaseConfig> = (r: ResourceView, pod: PodView, config: C, report: ReportViolation) => void;

export interface WorkloadPolicyArgs<C extends BaseConfig> {
    name: string;
    description: string;
    defaults: C;
    configSchema?: PolicyConfigSchema;
    pod?: PodCheck<C>;
    container?: ContainerCheck<C>;
}

/** A mandatory policy over every workload type's pod spec and containers. */
export function workloadPolicy<C extends BaseConfig>(p: WorkloadPolicyArgs<C>): ResourceValidationPolicy {
    return {
        name: p.name,
        description: p.description,
        enforcementLevel: "mandatory",
        configSchema: p.configSchema ?? schema(),
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            if (!workloadKind(args.type)) {
                return;
            }
            const config = configOf(args, p.defaults);
            const r: ResourceView = { type: args.type, name: args.name, props: args.props };
            const pod = podOf(r);
            if (!pod || isExcluded(r, config)) {
                return;
            }
            p.pod?.(r, pod, config, report);
            for (const c of pod.containers) {
                p.container?.(r, pod, c, config, report);
            }
        },
    };
}

export interface ObjectPolicyArgs {
    name: string;
    description: string;
    /** Type tokens the policy applies to (Patch variants included by the caller). */
    types: string[];
    check: (r: ResourceView, report: ReportViolation) => void;
}

/** A mandatory policy over non-workload objects of the given types, honouring the exclusion list. */
export function objectPolicy(p: ObjectPolicyArgs): ResourceValidationPolicy {
    return {
        name: p.name,
        description: p.description,
        enforcementLevel: "mandatory",
        configSchema: schema(),
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            const r: ResourceView = { type: args.type, name: args.name, props: args.props };
            if (p.types.includes(args.type) && !isExcluded(r, configOf<BaseConfig>(args, {}))) {
                p.check(r, report);
            }
        },
    };
}
