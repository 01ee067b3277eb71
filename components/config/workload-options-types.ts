// Per-workload production options (config key `workloads`): where a component's pods run (node selector,
// tolerations, affinity, priority class, topology spread), what they carry beyond the platform's own
// (pod and ServiceAccount annotations, extra env vars). None of them reaches a security context; the
// validator (validate/workload-options.ts) refuses what would override a platform-managed value.
import type { SecretKeyConfig, TAINT_EFFECTS, TOLERATION_OPERATORS } from "./model-serving-types";

export const TOPOLOGY_SPREAD_MODES = ["preferred", "required"] as const;
export type TopologySpreadMode = (typeof TOPOLOGY_SPREAD_MODES)[number];
/** A core/v1 Toleration (k8s 1.34: operator Exists or Equal, omitted means Equal; an omitted effect matches every effect). */
export interface PodTolerationConfig {
    key?: string;
    operator?: (typeof TOLERATION_OPERATORS)[number];
    value?: string;
    effect?: (typeof TAINT_EFFECTS)[number];
    /** Only with effect NoExecute: how long the pod stays on a node after the taint appears. */
    tolerationSeconds?: number;
}
export const POD_TOLERATION_KEYS = ["key", "operator", "value", "effect", "tolerationSeconds"] as const satisfies readonly (keyof PodTolerationConfig)[];

/** An env var added to a workload's containers: a literal value or a key of a Secret the operator manages. */
export interface ExtraEnvVar {
    name: string;
    value?: string;
    secretKeyRef?: SecretKeyConfig;
}
export const EXTRA_ENV_KEYS = ["name", "value", "secretKeyRef"] as const satisfies readonly (keyof ExtraEnvVar)[];

/** A core/v1 Affinity as the stack writes it (validated structurally, passed through as it is). */
export type AffinityConfig = Record<string, unknown>;

export interface WorkloadOptions {
    /** Node labels the pods require (merged over the platform's, e.g. the GPU node selector). */
    nodeSelector: Record<string, string>;
    /** Taints the pods tolerate (added to the platform's). */
    tolerations: PodTolerationConfig[];
    /** Node affinity, pod affinity and anti-affinity terms, added to the platform's spread terms. */
    affinity?: AffinityConfig;
    /** A PriorityClass the cluster defines. @default unset: the cluster's default priority */
    priorityClassName?: string;
    /**
     * Spread of replicas over nodes (the API and the frontend only: the datastores and the indexer run one pod,
     * the model servers spread by modelServing.llm.antiAffinity). "preferred":
     * ScheduleAnyway; "required": DoNotSchedule over nodes (zones stay ScheduleAnyway: a cluster without zone
     * labels must still schedule). @default "preferred", the API "required" in prod
     */
    topologySpread?: TopologySpreadMode;
    /** Added to the pod template (security-relevant and platform-managed keys refused). */
    podAnnotations: Record<string, string>;
    /** Added to the workload's ServiceAccount: IRSA (eks.amazonaws.com/role-arn), GKE workload identity. */
    serviceAccountAnnotations: Record<string, string>;
    /** Added to the workload's containers (names the platform sets refused). */
    extraEnv: ExtraEnvVar[];
}
export const WORKLOAD_OPTIONS_KEYS = [
    "nodeSelector",
    "tolerations",
    "affinity",
    "priorityClassName",
    "topologySpread",
    "podAnnotations",
    "serviceAccountAnnotations",
    "extraEnv",
] as const satisfies readonly (keyof WorkloadOptions)[];

export interface WorkloadsConfig {
    api: WorkloadOptions;
    frontend: WorkloadOptions;
    indexer: WorkloadOptions;
    postgres: WorkloadOptions;
    redis: WorkloadOptions;
    vectorStore: WorkloadOptions;
    /** The model servers (applied when modelServing.<role>.mode is "in-cluster"). */
    llm: WorkloadOptions;
    embedding: WorkloadOptions;
    reranker: WorkloadOptions;
}
export const WORKLOADS_KEYS = [
    "api",
    "frontend",
    "indexer",
    "postgres",
    "redis",
    "vectorStore",
    "llm",
    "embedding",
    "reranker",
] as const satisfies readonly (keyof WorkloadsConfig)[];
export type WorkloadName = (typeof WORKLOADS_KEYS)[number];
/** The workloads that run several replicas and so spread them. */
export const SPREAD_WORKLOADS: readonly WorkloadName[] = ["api", "frontend"];

const noOptions = (): WorkloadOptions => ({ nodeSelector: {}, tolerations: [], podAnnotations: {}, serviceAccountAnnotations: {}, extraEnv: [] });

/** Defaults: nothing added; the API and the frontend spread "preferred" (the platform's spread before these options). */
export function workloadsDefaults(): WorkloadsConfig {
    return {
        api: { ...noOptions(), topologySpread: "preferred" },
        frontend: { ...noOptions(), topologySpread: "preferred" },
        indexer: noOptions(),
        postgres: noOptions(),
        redis: noOptions(),
        vectorStore: noOptions(),
        llm: noOptions(),
        embedding: noOptions(),
        reranker: noOptions(),
    };
}
