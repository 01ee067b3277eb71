// The platform's config shapes. Each interface is followed by the list of its keys (what `unknownKeys`
// accepts and what docs/config.md must list), checked against the interface at compile time both ways:
// `satisfies` rejects a key the interface lacks, `KeyListsAreComplete` (keys.ts) names a key the list forgets.

import { DATASTORE_CONNECTION_KEYS, type DatastoreConnectionConfig } from "./datastore-types";
import type { BackupConfig } from "./backup-types";
import type { ModelServingConfig } from "./model-serving-types";
import type { LocalAccessConfig, MonitoringConfig, VerticalAutoscalingConfig } from "./observability-types";
import type { ScalingBehavior } from "./scaling";
import type { WorkloadsConfig } from "./workload-options-types";
import type { SecretsConfig } from "./secret-types";

export * from "./datastore-types";
export * from "./backup-types";
export * from "./model-serving-types";
export * from "./secret-types";
export * from "./observability-types";
export * from "./workload-options-types";

export const PROJECT = "rag-platform";

export type Environment = "dev" | "prod";
export const ENVIRONMENTS: readonly Environment[] = ["dev", "prod"];
export type VectorEngine = "qdrant" | "chroma" | "milvus";
export const VECTOR_ENGINES: readonly VectorEngine[] = ["qdrant", "chroma", "milvus"];
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;
export const VPA_UPDATE_MODES = ["Off", "Initial", "Recreate", "Auto"] as const;

export interface ResourceAmounts {
    cpu: string;
    memory: string;
}
export const RESOURCE_AMOUNT_KEYS = ["cpu", "memory"] as const satisfies readonly (keyof ResourceAmounts)[];

export interface ResourceSpec {
    requests: ResourceAmounts;
    limits: ResourceAmounts;
}
export const RESOURCE_SPEC_KEYS = ["requests", "limits"] as const satisfies readonly (keyof ResourceSpec)[];

/** Optional Pods metric (served by Prometheus Adapter): scale on its average value per pod. */
export interface PodsMetric {
    name: string;
    targetAverageValue: string;
}
export const PODS_METRIC_KEYS = ["name", "targetAverageValue"] as const satisfies readonly (keyof PodsMetric)[];

export interface AutoscalingConfig {
    enabled: boolean;
    minReplicas: number;
    maxReplicas: number;
    /** Target average CPU utilisation, percent of requests. */
    cpuUtilization: number;
    /** Target average memory utilisation, percent of requests. */
    memoryUtilization: number;
    podsMetric?: PodsMetric;
    /** How fast the HPA adds and removes pods (see scaling.ts). */
    behavior: ScalingBehavior;
}
export const AUTOSCALING_KEYS = [
    "enabled",
    "minReplicas",
    "maxReplicas",
    "cpuUtilization",
    "memoryUtilization",
    "podsMetric",
    "behavior",
] as const satisfies readonly (keyof AutoscalingConfig)[];

export interface GpuConfig {
    enabled: boolean;
    /** Extended resource name, e.g. nvidia.com/gpu. */
    resourceName: string;
    count: number;
    nodeSelector: Record<string, string>;
}
export const GPU_KEYS = ["enabled", "resourceName", "count", "nodeSelector"] as const satisfies readonly (keyof GpuConfig)[];

export interface ServiceConfig {
    image: string;
    replicas: number;
    resources: ResourceSpec;
    autoscaling: AutoscalingConfig;
}
export const SERVICE_KEYS = ["image", "replicas", "resources", "autoscaling"] as const satisfies readonly (keyof ServiceConfig)[];

export interface ApiConfig extends ServiceConfig {
    workers: number;
    gpu: GpuConfig;
}
export const API_KEYS = [...SERVICE_KEYS, "workers", "gpu"] as const satisfies readonly (keyof ApiConfig)[];

export interface DatastoreConfig extends DatastoreConnectionConfig {
    image: string;
    resources: ResourceSpec;
    /** Size of the data volume. */
    storage: string;
}
export const DATASTORE_KEYS = ["image", "resources", "storage", ...DATASTORE_CONNECTION_KEYS] as const satisfies readonly (keyof DatastoreConfig)[];

export interface PostgresConfig extends DatastoreConfig {
    database: string;
    user: string;
    /** Mode `ha`: PostgreSQL servers in the Patroni cluster (one primary, one synchronous standby, the rest asynchronous). */
    instances: number;
    /** Mode `ha`: the Patroni image (images/patroni: Patroni and the PostgreSQL server binaries on PATH). */
    patroniImage: string;
}
export const POSTGRES_KEYS = [...DATASTORE_KEYS, "database", "user", "instances", "patroniImage"] as const satisfies readonly (keyof PostgresConfig)[];

export interface VectorStoreConfig extends DatastoreConfig {
    engine: VectorEngine;
}
export const VECTOR_STORE_KEYS = [...DATASTORE_KEYS, "engine"] as const satisfies readonly (keyof VectorStoreConfig)[];

export interface IndexerConfig {
    image: string;
    resources: ResourceSpec;
    backoffLimit: number;
    ttlSecondsAfterFinished: number;
    activeDeadlineSeconds: number;
    /** Cron schedule for re-indexing; no CronJob when unset. */
    schedule?: string;
}
export const INDEXER_KEYS = [
    "image",
    "resources",
    "backoffLimit",
    "ttlSecondsAfterFinished",
    "activeDeadlineSeconds",
    "schedule",
] as const satisfies readonly (keyof IndexerConfig)[];

export interface AppDataConfig {
    size: string;
    accessMode: "ReadWriteOnce" | "ReadWriteMany" | "ReadWriteOncePod";
    /** Storage class of the shared app-data volume; the platform class when unset. */
    storageClassName?: string;
}
export const APP_DATA_KEYS = ["size", "accessMode", "storageClassName"] as const satisfies readonly (keyof AppDataConfig)[];

export interface StorageConfig {
    /** Create a StorageClass for the platform; otherwise volumes use the cluster's default class. */
    createClass: boolean;
    provisioner: string;
    parameters: Record<string, string>;
    reclaimPolicy: "Retain" | "Delete";
    allowVolumeExpansion: boolean;
    appData: AppDataConfig;
}
export const STORAGE_KEYS = [
    "createClass",
    "provisioner",
    "parameters",
    "reclaimPolicy",
    "allowVolumeExpansion",
    "appData",
] as const satisfies readonly (keyof StorageConfig)[];

export interface IngressTlsConfig {
    enabled: boolean;
    /** cert-manager ClusterIssuer that issues the certificate. */
    clusterIssuer?: string;
    secretName: string;
}
export const INGRESS_TLS_KEYS = ["enabled", "clusterIssuer", "secretName"] as const satisfies readonly (keyof IngressTlsConfig)[];

export interface IngressConfig {
    enabled: boolean;
    className: string;
    host: string;
    tls: IngressTlsConfig;
    rateLimitRps: number;
    proxyBodySize: string;
    proxyTimeoutSeconds: number;
    corsOrigins: string[];
    /** Added to the Ingress (annotations the platform sets, and nginx snippets, refused). */
    extraAnnotations: Record<string, string>;
}
export const INGRESS_KEYS = [
    "enabled",
    "className",
    "host",
    "tls",
    "rateLimitRps",
    "proxyBodySize",
    "proxyTimeoutSeconds",
    "corsOrigins",
    "extraAnnotations",
] as const satisfies readonly (keyof IngressConfig)[];

export interface NetworkPolicyConfig {
    /** Namespace of the ingress controller, allowed to reach the API and the frontend. */
    ingressControllerNamespace: string;
    /** Allow the API and the indexer to open HTTPS connections outside the cluster (LLM and embedding APIs). */
    allowExternalHttps: boolean;
}
export const NETWORK_POLICY_KEYS = ["ingressControllerNamespace", "allowExternalHttps"] as const satisfies readonly (keyof NetworkPolicyConfig)[];

export interface AppConfig {
    logLevel: (typeof LOG_LEVELS)[number];
    maxTokens: number;
    chunkSize: number;
    chunkOverlap: number;
    /** The embedding model the app reports in local mode (modelServing.embedding.mode "local"). */
    embeddingModel: string;
    /** Vector dimension of the embedding (the local embedding's, or the endpoint model's). */
    embeddingDimensions: number;
    /** Chunks retrieved per question. */
    topK: number;
    /** Lifetime of a cached answer in Redis; 0 disables the cache. */
    cacheTtlSeconds: number;
    /** Largest document the API and the indexer accept, in bytes. */
    maxDocumentBytes: number;
}
export const APP_KEYS = [
    "logLevel",
    "maxTokens",
    "chunkSize",
    "chunkOverlap",
    "embeddingModel",
    "embeddingDimensions",
    "topK",
    "cacheTtlSeconds",
    "maxDocumentBytes",
] as const satisfies readonly (keyof AppConfig)[];

export interface PlatformConfig {
    stack: string;
    environment: Environment;
    namespace: string;
    app: AppConfig;
    api: ApiConfig;
    frontend: ServiceConfig;
    postgres: PostgresConfig;
    redis: DatastoreConfig;
    vectorStore: VectorStoreConfig;
    indexer: IndexerConfig;
    storage: StorageConfig;
    ingress: IngressConfig;
    networkPolicy: NetworkPolicyConfig;
    monitoring: MonitoringConfig;
    verticalAutoscaling: VerticalAutoscalingConfig;
    localAccess: LocalAccessConfig;
    /** LLM inference, embeddings and reranking: in the cluster, external, or the app's local mode. */
    modelServing: ModelServingConfig;
    /** Per-workload scheduling, annotations and extra env (workload-options-types.ts). */
    workloads: WorkloadsConfig;
    /** PostgreSQL dumps on a claim (and optionally S3); Qdrant's snapshot claim. */
    backup: BackupConfig;
    imagePullSecrets: string[];
    /** Where the credentials come from: generated (default), an existing Secret, or External Secrets Operator. */
    secrets: SecretsConfig;
    /** Changing this value rotates every generated secret. */
    secretsRotation: string;
    /** Protect stateful resources from deletion and retain their volumes. */
    protectStateful: boolean;
    /** Test-only: annotate every Kubernetes object with pulumi.com/skipAwait. */
    skipAwait: boolean;
    /** The kubeconfig context the stack deploys to (required in prod); the current context when unset. */
    kubeContext?: string;
    /** Render manifests to this directory instead of applying them to a cluster. */
    renderYamlToDirectory?: string;
}

/** The stack's raw values, keyed without the project prefix: strings as Pulumi hands them to the program. */
export type RawConfig = Record<string, string | undefined>;
