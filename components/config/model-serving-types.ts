// Model-serving config types (issue 11): in-cluster LLM inference (vLLM), embeddings and reranking (TEI).
// Split from types.ts, which re-exports everything here.
import type { ResourceSpec } from "./types";
/** Where a model endpoint lives: served in the cluster, an external OpenAI-compatible URL, or the app's built-in local mode. */
export const MODEL_MODES = ["in-cluster", "external", "local"] as const;
export type ModelMode = (typeof MODEL_MODES)[number];
export const LLM_DTYPES = ["auto", "half", "float16", "bfloat16", "float32"] as const;
export const ANTI_AFFINITY_MODES = ["required", "preferred"] as const;
export const TOLERATION_OPERATORS = ["Exists", "Equal"] as const;
export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

export interface TolerationConfig {
    key: string;
    operator: (typeof TOLERATION_OPERATORS)[number];
    value?: string;
    effect: (typeof TAINT_EFFECTS)[number];
}

/** How a model server's pods land on GPU nodes and what they ask of them. */
export interface GpuSchedulingConfig {
    /** Extended resource name, requested and limited alike. */
    resourceName: string;
    count: number;
    nodeSelector: Record<string, string>;
    tolerations: TolerationConfig[];
}
export const GPU_SCHEDULING_KEYS = ["resourceName", "count", "nodeSelector", "tolerations"] as const satisfies readonly (keyof GpuSchedulingConfig)[];

export interface OptionalGpuConfig extends GpuSchedulingConfig {
    enabled: boolean;
}
export const OPTIONAL_GPU_KEYS = ["enabled", ...GPU_SCHEDULING_KEYS] as const satisfies readonly (keyof OptionalGpuConfig)[];

/** An existing Secret's key (the platform never holds the value). */
export interface SecretKeyConfig {
    name: string;
    key: string;
}
export const SECRET_KEY_KEYS = ["name", "key"] as const satisfies readonly (keyof SecretKeyConfig)[];

/** HPA on the Pods metric of queued requests (served by Prometheus Adapter). */
export interface ModelAutoscalingConfig {
    enabled: boolean;
    minReplicas: number;
    maxReplicas: number;
    /** Pods metric name as Prometheus Adapter serves it. */
    metricName: string;
    /** Target average value of the metric per pod, a quantity string. */
    targetAverageValue: string;
    /** Seconds of lower recommendations before the HPA removes a (slow-to-start) replica. */
    scaleDownStabilizationSeconds: number;
}
export const MODEL_AUTOSCALING_KEYS = [
    "enabled",
    "minReplicas",
    "maxReplicas",
    "metricName",
    "targetAverageValue",
    "scaleDownStabilizationSeconds",
] as const satisfies readonly (keyof ModelAutoscalingConfig)[];

/** What every model server shares. */
export interface ModelServerBaseConfig {
    mode: ModelMode;
    /** OpenAI-compatible base URL (…/v1) when mode is "external". */
    baseUrl: string;
    image: string;
    /** Hugging Face model id, "org/name". */
    model: string;
    /** Model revision: a branch, tag or commit (pin a commit in prod). */
    revision: string;
    replicas: number;
    resources: ResourceSpec;
    /** Size of each replica's model cache claim. */
    cacheSize: string;
    /** Seconds the startup probe allows for downloading and loading the model. */
    startupProbeSeconds: number;
    /** Hugging Face token for gated models, from an existing Secret. */
    hfTokenSecret?: SecretKeyConfig;
}
const MODEL_SERVER_BASE_KEYS = [
    "mode",
    "baseUrl",
    "image",
    "model",
    "revision",
    "replicas",
    "resources",
    "cacheSize",
    "startupProbeSeconds",
    "hfTokenSecret",
] as const satisfies readonly (keyof ModelServerBaseConfig)[];

/** vLLM's OpenAI-compatible server. */
export interface LlmServerConfig extends ModelServerBaseConfig {
    dtype: (typeof LLM_DTYPES)[number];
    maxModelLen: number;
    tensorParallelSize: number;
    gpu: GpuSchedulingConfig;
    autoscaling: ModelAutoscalingConfig;
    antiAffinity: (typeof ANTI_AFFINITY_MODES)[number];
    /** Memory-backed /dev/shm (PyTorch and NCCL share tensors through it). */
    shmSize: string;
    /** Seconds a terminating pod keeps finishing in-flight generations. */
    drainSeconds: number;
}
export const LLM_SERVER_KEYS = [
    ...MODEL_SERVER_BASE_KEYS,
    "dtype",
    "maxModelLen",
    "tensorParallelSize",
    "gpu",
    "autoscaling",
    "antiAffinity",
    "shmSize",
    "drainSeconds",
] as const satisfies readonly (keyof LlmServerConfig)[];

/** Hugging Face text-embeddings-inference (embeddings, or reranking with a reranker model). */
export interface TeiServerConfig extends ModelServerBaseConfig {
    /** The image used when gpu.enabled (TEI publishes CPU and GPU builds). */
    gpuImage: string;
    gpu: OptionalGpuConfig;
}
export const TEI_SERVER_KEYS = [...MODEL_SERVER_BASE_KEYS, "gpuImage", "gpu"] as const satisfies readonly (keyof TeiServerConfig)[];

export interface ModelServingAlertThresholds {
    /** p99 time to first token, seconds. */
    timeToFirstTokenP99Seconds: number;
    /** Requests waiting per vLLM pod. */
    requestsWaiting: number;
    /** KV-cache usage fraction. */
    kvCacheUsageRatio: number;
    /** GPU framebuffer memory in use, fraction (DCGM exporter). */
    gpuMemoryUsageRatio: number;
}
export const MODEL_SERVING_ALERT_KEYS = [
    "timeToFirstTokenP99Seconds",
    "requestsWaiting",
    "kvCacheUsageRatio",
    "gpuMemoryUsageRatio",
] as const satisfies readonly (keyof ModelServingAlertThresholds)[];

export interface ModelServingConfig {
    llm: LlmServerConfig;
    embedding: TeiServerConfig;
    /** Optional: the same server as embedding, with a reranker model (TEI serves /rerank). */
    reranker: TeiServerConfig;
    alerts: ModelServingAlertThresholds;
}
export const MODEL_SERVING_KEYS = ["llm", "embedding", "reranker", "alerts"] as const satisfies readonly (keyof ModelServingConfig)[];
