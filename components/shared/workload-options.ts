// The ONE place the per-workload options (config `workloads.<name>`, see config/workload-options-types.ts)
// reach a pod template: node selector, tolerations, affinity, priority class and extra env on the pod spec
// (`pod()` in workload.ts calls `withWorkloadOptions`), pod annotations on the template's metadata, and
// ServiceAccount annotations. What the platform sets wins: the validator refuses overrides at config time,
// and the merge here keeps the platform's values and refuses a colliding env name outright.
import type * as k8s from "@pulumi/kubernetes";
import type { WorkloadOptions } from "../config";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type Affinity = k8s.types.input.core.v1.Affinity;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type Terms = { requiredDuringSchedulingIgnoredDuringExecution?: unknown; preferredDuringSchedulingIgnoredDuringExecution?: unknown };

const REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution";
const PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution";

/** Pod (anti-)affinity: the platform's terms first, the stack's added (a stack cannot drop the platform's spread). */
function mergeTerms(platform: Terms | undefined, extra: Terms | undefined): Terms | undefined {
    if (!extra) {
        return platform;
    }
    const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
    const out: Terms = {};
    for (const k of [REQUIRED, PREFERRED] as const) {
        const terms = [...list(platform?.[k]), ...list(extra[k])];
        if (terms.length) {
            out[k] = terms;
        }
    }
    return out;
}

/** The platform's affinity (its spread) with the stack's node affinity and pod (anti-)affinity terms added. */
export function mergeAffinity(platform: Affinity | undefined, extra: Record<string, unknown> | undefined): Affinity | undefined {
    if (!extra) {
        return platform;
    }
    const p = (platform ?? {}) as Record<string, Terms | undefined>;
    const out: Record<string, unknown> = {};
    for (const kind of ["nodeAffinity", "podAffinity", "podAntiAffinity"]) {
        const merged =
            kind === "nodeAffinity" && p[kind] === undefined ? (extra[kind] as Terms | undefined) : mergeTerms(p[kind], extra[kind] as Terms | undefined);
        if (merged) {
            out[kind] = merged;
        }
    }
    return out as Affinity;
}

function envName(e: unknown): string | undefined {
    return typeof e === "object" && e !== null && typeof (e as { name?: unknown }).name === "string" ? (e as { name: string }).name : undefined;
}

/** The stack's extra env as Kubernetes env vars: a literal, or a key of a Secret (never a secret literal). */
export function extraEnv(options: WorkloadOptions | undefined): EnvVar[] {
    return (options?.extraEnv ?? []).map((e) =>
        e.secretKeyRef
            ? { name: e.name, valueFrom: { secretKeyRef: { name: e.secretKeyRef.name, key: e.secretKeyRef.key } } }
            : { name: e.name, value: e.value ?? "" },
    );
}

/** Applies a workload's options to its hardened pod spec; throws when an extra env var would replace one the container sets. */
export function withWorkloadOptions(spec: PodSpec, options: WorkloadOptions | undefined): PodSpec {
    if (!options) {
        return spec;
    }
    const nodeSelector = { ...options.nodeSelector, ...((spec.nodeSelector as Record<string, string> | undefined) ?? {}) };
    const tolerations = [...((spec.tolerations as unknown[] | undefined) ?? []), ...options.tolerations];
    const affinity = mergeAffinity(spec.affinity as Affinity | undefined, options.affinity);
    const env = extraEnv(options);
    const containers = (spec.containers as k8s.types.input.core.v1.Container[]).map((c) => {
        if (env.length === 0) {
            return c;
        }
        const own = ((c.env as unknown[] | undefined) ?? []).map(envName);
        const clash = env.find((e) => own.includes(e.name as string));
        if (clash) {
            throw new Error(`workloads: extra env ${clash.name as string} would replace the value the platform sets in container ${c.name as string}`);
        }
        return { ...c, env: [...((c.env as EnvVar[] | undefined) ?? []), ...env] };
    });
    return {
        ...spec,
        ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
        ...(tolerations.length ? { tolerations: tolerations as k8s.types.input.core.v1.Toleration[] } : {}),
        ...(affinity ? { affinity } : {}),
        ...(options.priorityClassName ? { priorityClassName: options.priorityClassName } : {}),
        containers,
    };
}

/** A pod template's annotations: the stack's, then the platform's (which win); undefined when there are none. */
export function podAnnotations(platform: Record<string, string> | undefined, options: WorkloadOptions | undefined): Record<string, string> | undefined {
    const merged = { ...(options?.podAnnotations ?? {}), ...(platform ?? {}) };
    return Object.keys(merged).length ? merged : undefined;
}

/** A ServiceAccount's annotations (IRSA, GKE workload identity); undefined when there are none. */
export function serviceAccountAnnotations(options: WorkloadOptions | undefined): Record<string, string> | undefined {
    const a = options?.serviceAccountAnnotations ?? {};
    return Object.keys(a).length ? a : undefined;
}

/**
 * Prefer one replica per node and balance across zones; never blocks scheduling on a one-node cluster.
 * With `requireSeparateNodes`, two replicas never share a node (GPU servers: one node failure, one replica).
 * With `requireNodeSpread`, the node spread is DoNotSchedule over nodes the pods tolerate (zones stay preferred).
 * The skew is counted among the pods of one revision (`matchLabelKeys: pod-template-hash`, the Deployment
 * controller's label): during a rolling update the old pods would otherwise count, and the new ones could end
 * up two on a node once the old ones are gone (the HA e2e's upgrade found the API on two nodes of three). A
 * StatefulSet's pods (model servers) carry no such label: the scheduler then ignores the key.
 */
export function spread(
    selector: Record<string, string>,
    requireSeparateNodes: boolean,
    requireNodeSpread = false,
): Pick<PodSpec, "topologySpreadConstraints" | "affinity"> {
    const onePerNode = { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selector } };
    return {
        topologySpreadConstraints: ["kubernetes.io/hostname", "topology.kubernetes.io/zone"].map((topologyKey) => ({
            maxSkew: 1,
            topologyKey,
            labelSelector: { matchLabels: selector },
            matchLabelKeys: ["pod-template-hash"],
            ...(requireNodeSpread && topologyKey === "kubernetes.io/hostname"
                ? { whenUnsatisfiable: "DoNotSchedule", nodeTaintsPolicy: "Honor" }
                : { whenUnsatisfiable: "ScheduleAnyway" }),
        })),
        affinity: {
            podAntiAffinity: requireSeparateNodes
                ? { requiredDuringSchedulingIgnoredDuringExecution: [onePerNode] }
                : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: onePerNode }] },
        },
    };
}
