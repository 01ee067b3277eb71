// Shared machinery of the policy pack: which resource types carry pods, where their pod spec is, walking
// containers, the exclusion list every rule honours, and violation messages that name resource,
// container, field path and fix. Rules match on type tokens and raw props, so the pack works for any
// Pulumi program that uses @pulumi/kubernetes, not only this repository's.
import { UnknownValueError } from "@pulumi/policy";
import type { Policy, PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

/** Where a workload type keeps its pod template, and whether its pods run until stopped. */
interface WorkloadKind {
    kind: string;
    /** Path from the resource's props to the pod spec. */
    podSpecPath: string[];
    /** Path from the resource's props to the pod (template) metadata: its annotations are part of Pod Security. */
    podMetaPath: string[];
    longRunning: boolean;
}

const TEMPLATE = ["spec", "template", "spec"];
const TEMPLATE_META = ["spec", "template", "metadata"];
const CRON = ["spec", "jobTemplate", "spec", "template"];

const KINDS: Record<string, WorkloadKind> = {
    "kubernetes:apps/v1:Deployment": { kind: "Deployment", podSpecPath: TEMPLATE, podMetaPath: TEMPLATE_META, longRunning: true },
    "kubernetes:apps/v1:StatefulSet": { kind: "StatefulSet", podSpecPath: TEMPLATE, podMetaPath: TEMPLATE_META, longRunning: true },
    "kubernetes:apps/v1:DaemonSet": { kind: "DaemonSet", podSpecPath: TEMPLATE, podMetaPath: TEMPLATE_META, longRunning: true },
    "kubernetes:apps/v1:ReplicaSet": { kind: "ReplicaSet", podSpecPath: TEMPLATE, podMetaPath: TEMPLATE_META, longRunning: true },
    "kubernetes:core/v1:ReplicationController": { kind: "ReplicationController", podSpecPath: TEMPLATE, podMetaPath: TEMPLATE_META, longRunning: true },
    "kubernetes:batch/v1:Job": { kind: "Job", podSpecPath: TEMPLATE, podMetaPath: TEMPLATE_META, longRunning: false },
    "kubernetes:batch/v1:CronJob": { kind: "CronJob", podSpecPath: [...CRON, "spec"], podMetaPath: [...CRON, "metadata"], longRunning: false },
    "kubernetes:core/v1:Pod": { kind: "Pod", podSpecPath: ["spec"], podMetaPath: ["metadata"], longRunning: true },
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
    let name: unknown;
    try {
        name = get(r.props, ["metadata", "name"]);
    } catch (e) {
        // An auto-named or computed name is unknown during preview: the Pulumi name identifies it as well.
        if (!(e instanceof UnknownValueError)) {
            throw e;
        }
    }
    return `${kindOf(r)} ${typeof name === "string" ? name : r.name}`;
}

export interface ContainerView {
    container: Record<string, any>;
    /** "spec.template.spec.containers[0]" */
    path: string;
    name: string;
    init: boolean;
    /** An ephemeral (debug) container: Pod Security covers it; it has no resources or probes. */
    ephemeral: boolean;
    /** A native sidecar: an init container with restartPolicy Always runs for the pod's whole life. */
    sidecar: boolean;
}

export interface PodView {
    spec: Record<string, any>;
    /** "spec.template.spec" */
    path: string;
    /** The pod (template) metadata, {} when absent. */
    meta: Record<string, any>;
    /** "spec.template.metadata" */
    metaPath: string;
    kind: WorkloadKind;
    containers: ContainerView[];
    /** Parts of the pod that were unknown (preview) and left out; the policy rethrows at the end. */
    unknowns: UnknownGuard;
}

/** A container's name for messages; its index when the name is missing or not known yet (preview). */
function nameOrIndex(container: any, i: number): string {
    try {
        return typeof container?.name === "string" ? container.name : `#${i}`;
    } catch (e) {
        if (e instanceof UnknownValueError) {
            return `#${i}`;
        }
        throw e;
    }
}

/** The pod spec of a workload and its containers (init, regular and ephemeral); undefined for other types. */
export function podOf(r: ResourceView): PodView | undefined {
    const kind = workloadKind(r.type);
    const spec = kind ? get(r.props, kind.podSpecPath) : undefined;
    if (!kind || !spec || typeof spec !== "object") {
        return undefined;
    }
    const path = kind.podSpecPath.join(".");
    const unknowns = new UnknownGuard();
    let meta: unknown;
    unknowns.run(() => (meta = get(r.props, kind.podMetaPath)));
    const list = (field: string): ContainerView[] => {
        const items: unknown = spec[field];
        if (!Array.isArray(items)) {
            return [];
        }
        const views: ContainerView[] = [];
        for (let i = 0; i < items.length; i++) {
            // A container (or its restartPolicy) not known yet is left out, and the policy reports that it
            // could not fully run; the other containers are still checked.
            unknowns.run(() => {
                const container = items[i];
                const init = field === "initContainers";
                views.push({
                    container: container ?? {},
                    path: `${path}.${field}[${i}]`,
                    name: nameOrIndex(container, i),
                    init,
                    ephemeral: field === "ephemeralContainers",
                    sidecar: init && container?.restartPolicy === "Always",
                });
            });
        }
        return views;
    };
    // The order Pod Security admission visits them in: init (sidecars included), regular, ephemeral.
    const containers: ContainerView[] = [];
    for (const field of ["initContainers", "containers", "ephemeralContainers"]) {
        unknowns.run(() => containers.push(...list(field)));
    }
    return {
        spec,
        path,
        meta: meta && typeof meta === "object" ? (meta as Record<string, any>) : {},
        metaPath: kind.podMetaPath.join("."),
        kind,
        containers,
        unknowns,
    };
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

/** The Pulumi-native metadata every policy of the pack carries (shown by `pulumi preview` and Pulumi Cloud). */
export interface PolicyMetadata {
    /** Short human title. */
    displayName: string;
    severity: NonNullable<Policy["severity"]>;
    /** How to fix a violation, in one or two sentences. */
    remediationSteps: string;
    /** Where the rule is documented. */
    url: string;
    tags: string[];
    framework?: Policy["framework"];
}

/**
 * Runs the checks of one resource so that an unknown value (during a preview, a value computed by another
 * resource) stops only the check that reads it: every other check still reports what it can decide from
 * known values, and the first UnknownValueError is rethrown at the end so that the analyzer reports that
 * the policy could not fully run for this resource ("can't run policy ... during preview", advisory). A
 * violation is therefore never lost because some other field is unknown, and an unknown field never
 * counts as compliant.
 */
export class UnknownGuard {
    private first?: UnknownValueError;

    run(check: () => void): void {
        try {
            check();
        } catch (e) {
            if (!(e instanceof UnknownValueError)) {
                throw e;
            }
            this.first ??= e;
        }
    }

    finish(): void {
        if (this.first) {
            throw this.first;
        }
    }
}

export interface WorkloadPolicyArgs<C extends BaseConfig> extends PolicyMetadata {
    name: string;
    description: string;
    defaults: C;
    configSchema?: PolicyConfigSchema;
    /** Pod-level checks; each runs on its own, so an unknown value stops only the check that reads it. */
    pod?: PodCheck<C> | PodCheck<C>[];
    /** Container-level checks, run for every container; each on its own, as for `pod`. */
    container?: ContainerCheck<C> | ContainerCheck<C>[];
    /**
     * For enforcement level `remediate`: fixes the pod spec in place (args.props, as @pulumi/policy documents),
     * before validation. Only for fixes that are safe without knowing the image.
     */
    remediatePod?: (pod: PodView) => void;
}

const asList = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** Runs fn for each item; an unknown item (or value read by fn) skips only that item, and is rethrown after the loop. */
export function eachKnown(items: any, fn: (item: any, i: number) => void): void {
    if (!Array.isArray(items)) {
        return;
    }
    const guard = new UnknownGuard();
    for (let i = 0; i < items.length; i++) {
        guard.run(() => fn(items[i], i));
    }
    guard.finish();
}

function metadataOf(p: PolicyMetadata): PolicyMetadata {
    const { displayName, severity, remediationSteps, url, tags, framework } = p;
    return { displayName, severity, remediationSteps, url, tags, ...(framework ? { framework } : {}) };
}

/** A mandatory policy over every workload type's pod spec and containers. */
export function workloadPolicy<C extends BaseConfig>(p: WorkloadPolicyArgs<C>): ResourceValidationPolicy {
    return {
        name: p.name,
        description: p.description,
        ...metadataOf(p),
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
            const guard = new UnknownGuard();
            for (const check of asList(p.pod)) {
                guard.run(() => check(r, pod, config, report));
            }
            for (const check of asList(p.container)) {
                for (const c of pod.containers) {
                    guard.run(() => check(r, pod, c, config, report));
                }
            }
            guard.run(() => pod.unknowns.finish());
            guard.finish();
        },
        ...(p.remediatePod ? { remediateResource: remediation(p.remediatePod) } : {}),
    };
}

/** A remediateResource that edits the pod spec of workloads (not excluded ones) in place and returns the props. */
function remediation(fix: (pod: PodView) => void): NonNullable<ResourceValidationPolicy["remediateResource"]> {
    return (args) => {
        if (!workloadKind(args.type)) {
            return undefined;
        }
        const r: ResourceView = { type: args.type, name: args.name, props: args.props };
        const pod = podOf(r);
        if (!pod || isExcluded(r, configOf<BaseConfig>(args, {}))) {
            return undefined;
        }
        fix(pod);
        return args.props;
    };
}

export interface ObjectPolicyArgs extends PolicyMetadata {
    name: string;
    description: string;
    /** Type tokens the policy applies to (Patch variants included by the caller). */
    types: string[];
    check: (r: ResourceView, report: ReportViolation) => void;
    /** For enforcement level `remediate`: fixes the object's props in place, before validation. */
    remediate?: (props: Record<string, any>) => void;
}

/** A mandatory policy over non-workload objects of the given types, honouring the exclusion list. */
export function objectPolicy(p: ObjectPolicyArgs): ResourceValidationPolicy {
    return {
        name: p.name,
        description: p.description,
        ...metadataOf(p),
        enforcementLevel: "mandatory",
        configSchema: schema(),
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            const r: ResourceView = { type: args.type, name: args.name, props: args.props };
            if (p.types.includes(args.type) && !isExcluded(r, configOf<BaseConfig>(args, {}))) {
                p.check(r, report);
            }
        },
        ...(p.remediate
            ? {
                  remediateResource: (args: ResourceValidationArgs) => {
                      const r: ResourceView = { type: args.type, name: args.name, props: args.props };
                      if (!p.types.includes(args.type) || isExcluded(r, configOf<BaseConfig>(args, {}))) {
                          return undefined;
                      }
                      p.remediate!(args.props);
                      return args.props;
                  },
              }
            : {}),
    };
}
