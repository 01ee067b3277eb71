// Per-environment defaults: `baseDefaults` for every environment, `ENV_DEFAULTS` over it per environment,
// the stack's own config over both (`deepMerge`).
import type { ScalingBehavior } from "./scaling";
import type { AutoscalingConfig, Environment, GpuSchedulingConfig, PlatformConfig, ResourceSpec, TeiServerConfig } from "./types";
import { monitoringDefaults } from "./observability-types";
import { workloadsDefaults } from "./workload-options-types";
import { IMAGES } from "./images";

/** Every part optional, recursively; lists stay whole (a stack's list replaces the default). */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** The part of the config that has defaults (the rest comes from the stack's name and raw values). */
export type DefaultedConfig = Omit<PlatformConfig, "stack" | "environment" | "skipAwait" | "renderYamlToDirectory">;

const resources = (reqCpu: string, reqMem: string, limCpu: string, limMem: string): ResourceSpec => ({
    requests: { cpu: reqCpu, memory: reqMem },
    limits: { cpu: limCpu, memory: limMem },
});

/**
 * HPA behavior. Scale up: the Kubernetes default (HorizontalPodAutoscalerBehavior, "Default Behavior" in
 * kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale): no stabilization, the larger of +100%
 * and +4 pods per 15 s, so a burst of RAG queries gets pods within one or two HPA syncs. Scale down: the
 * default's 300 s stabilization window (the highest recommendation of the last 5 minutes wins) and, instead
 * of the default's -100% per 15 s, at most 10% of the pods per minute (the controller truncates, so always
 * at least one pod): a dip in traffic does not drop capacity that warm caches and loaded models took
 * minutes to build.
 */
export const SCALE_UP_FAST: ScalingBehavior["scaleUp"] = {
    stabilizationWindowSeconds: 0,
    selectPolicy: "Max",
    policies: [
        { type: "Percent", value: 100, periodSeconds: 15 },
        { type: "Pods", value: 4, periodSeconds: 15 },
    ],
};
export const SCALE_DOWN_SLOW: ScalingBehavior["scaleDown"] = {
    stabilizationWindowSeconds: 300,
    selectPolicy: "Max",
    policies: [{ type: "Percent", value: 10, periodSeconds: 60 }],
};

const noAutoscaling = (replicas: number): AutoscalingConfig => ({
    enabled: false,
    minReplicas: replicas,
    maxReplicas: replicas,
    cpuUtilization: 70,
    memoryUtilization: 80,
    behavior: { scaleUp: SCALE_UP_FAST, scaleDown: SCALE_DOWN_SLOW },
});

/** Fits the common GPU node pools: the GPU operator's node label and the `nvidia.com/gpu` taint. */
const gpuScheduling = (count: number): GpuSchedulingConfig => ({
    resourceName: "nvidia.com/gpu",
    count,
    nodeSelector: { "nvidia.com/gpu.present": "true" },
    tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
});

const teiServer = (model: string): TeiServerConfig => ({
    mode: "local",
    baseUrl: "",
    image: IMAGES.teiCpu,
    gpuImage: IMAGES.teiGpu,
    model,
    revision: "main",
    replicas: 1,
    resources: resources("500m", "1Gi", "2", "2Gi"),
    cacheSize: "5Gi",
    startupProbeSeconds: 600,
    gpu: { enabled: false, ...gpuScheduling(1) },
});

/** Every datastore runs in the cluster unless the stack says `mode: external`. */
const IN_CLUSTER = { mode: "in-cluster", tls: false } as const;

/** Defaults shared by every environment; `ENV_DEFAULTS` overrides them per environment. */
export function baseDefaults(stack: string): DefaultedConfig {
    return {
        namespace: `rag-${stack}`,
        app: {
            logLevel: "info",
            maxTokens: 2048,
            chunkSize: 1000,
            chunkOverlap: 200,
            embeddingModel: "text-embedding-3-small",
            embeddingDimensions: 384,
            topK: 4,
            cacheTtlSeconds: 300,
            maxDocumentBytes: 1048576,
        },
        api: {
            image: IMAGES.api,
            replicas: 1,
            workers: 2,
            resources: resources("250m", "512Mi", "1", "1Gi"),
            autoscaling: noAutoscaling(1),
            gpu: { enabled: false, resourceName: "nvidia.com/gpu", count: 1, nodeSelector: { "nvidia.com/gpu.present": "true" } },
        },
        frontend: {
            image: IMAGES.frontend,
            replicas: 1,
            resources: resources("50m", "64Mi", "200m", "128Mi"),
            autoscaling: noAutoscaling(1),
        },
        postgres: {
            image: IMAGES.postgres,
            resources: resources("250m", "256Mi", "1", "1Gi"),
            storage: "2Gi",
            database: "rag",
            user: "rag",
            instances: 3,
            patroniImage: IMAGES.patroni,
            ...IN_CLUSTER,
        },
        redis: { image: IMAGES.redis, resources: resources("50m", "64Mi", "250m", "256Mi"), storage: "1Gi", ...IN_CLUSTER },
        vectorStore: { engine: "qdrant", image: IMAGES.qdrant, resources: resources("250m", "512Mi", "1", "1Gi"), storage: "5Gi", ...IN_CLUSTER },
        indexer: {
            image: IMAGES.indexer,
            resources: resources("250m", "512Mi", "1", "1Gi"),
            backoffLimit: 3,
            ttlSecondsAfterFinished: 3600,
            activeDeadlineSeconds: 3600,
        },
        storage: {
            createClass: true,
            provisioner: "rancher.io/local-path",
            parameters: {},
            reclaimPolicy: "Delete",
            allowVolumeExpansion: false,
            appData: { size: "1Gi", accessMode: "ReadWriteOnce" },
        },
        ingress: {
            enabled: true,
            className: "nginx",
            host: `rag.${stack}.localhost`,
            tls: { enabled: false, secretName: "rag-platform-tls" },
            rateLimitRps: 20,
            proxyBodySize: "50m",
            proxyTimeoutSeconds: 120,
            corsOrigins: [],
            extraAnnotations: {},
        },
        networkPolicy: { ingressControllerNamespace: "ingress-nginx", allowExternalHttps: true },
        monitoring: monitoringDefaults({ postgresImage: IMAGES.postgresExporter, redisImage: IMAGES.redisExporter }),
        verticalAutoscaling: { enabled: false, updateMode: "Off" },
        localAccess: { enabled: false, apiNodePort: 30080, frontendNodePort: 30081 },
        // Dev: every model endpoint in the app's local mode, so a laptop cluster fits (no GPU object).
        modelServing: {
            llm: {
                mode: "local",
                baseUrl: "",
                image: IMAGES.vllm,
                model: "Qwen/Qwen2.5-7B-Instruct",
                revision: "main",
                dtype: "bfloat16",
                maxModelLen: 8192,
                tensorParallelSize: 1,
                replicas: 1,
                resources: resources("4", "24Gi", "8", "32Gi"),
                gpu: gpuScheduling(1),
                autoscaling: {
                    enabled: false,
                    minReplicas: 1,
                    maxReplicas: 1,
                    metricName: "vllm:num_requests_waiting",
                    targetAverageValue: "5",
                    scaleDownStabilizationSeconds: 600,
                },
                antiAffinity: "preferred",
                cacheSize: "50Gi",
                shmSize: "8Gi",
                startupProbeSeconds: 1800,
                drainSeconds: 300,
            },
            embedding: teiServer("BAAI/bge-small-en-v1.5"),
            reranker: teiServer("BAAI/bge-reranker-base"),
            alerts: { timeToFirstTokenP99Seconds: 2, requestsWaiting: 10, kvCacheUsageRatio: 0.9, gpuMemoryUsageRatio: 0.95 },
        },
        workloads: workloadsDefaults(),
        // Dumps in dev too: a developer's documents are worth a nightly dump, and the node e2e exercises the
        // real defaults (backup, restore) without stack config. The claims are sized from what they hold
        // ("auto", backup-sizing.ts); 3 Qdrant snapshots: the index is rebuilt from PostgreSQL anyway.
        backup: {
            enabled: true,
            schedule: "30 1 * * *",
            retention: 3,
            storage: "auto",
            dumpSizeRatio: 0.25,
            resources: resources("100m", "128Mi", "500m", "512Mi"),
            backoffLimit: 2,
            activeDeadlineSeconds: 3600,
            s3: {
                enabled: false,
                endpoint: "",
                bucket: "",
                prefix: "",
                region: "us-east-1",
                secretName: "",
                accessKeyIdKey: "AWS_ACCESS_KEY_ID",
                secretAccessKeyKey: "AWS_SECRET_ACCESS_KEY",
                image: IMAGES.awsCli,
            },
            vectorSnapshotStorage: "auto",
            vectorSnapshotRetention: 3,
            vectorSnapshotSizeRatio: 1,
        },
        imagePullSecrets: [],
        secrets: {},
        secretsRotation: "initial",
        protectStateful: false,
    };
}

/** Per-environment defaults, applied over `baseDefaults`. The stack's own config applies over these. */
export const ENV_DEFAULTS: Record<Environment, DeepPartial<DefaultedConfig>> = {
    dev: {},
    prod: {
        app: { logLevel: "warning" },
        api: {
            replicas: 3,
            workers: 4,
            resources: resources("1", "2Gi", "2", "4Gi"),
            autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 10, cpuUtilization: 70, memoryUtilization: 80 },
        },
        frontend: {
            replicas: 2,
            resources: resources("100m", "128Mi", "500m", "256Mi"),
            autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5, cpuUtilization: 70, memoryUtilization: 80 },
        },
        // PostgreSQL fails over in prod: Patroni, 3 members on 3 nodes, synchronous replication
        postgres: { mode: "ha", resources: resources("500m", "1Gi", "2", "2Gi"), storage: "10Gi" },
        redis: { resources: resources("100m", "256Mi", "500m", "512Mi"), storage: "2Gi" },
        vectorStore: { resources: resources("1", "2Gi", "2", "4Gi"), storage: "20Gi" },
        indexer: { resources: resources("500m", "1Gi", "2", "2Gi"), schedule: "0 2 * * *" },
        storage: {
            provisioner: "ebs.csi.aws.com",
            parameters: { type: "gp3", iops: "3000", throughput: "125", encrypted: "true", fsType: "ext4" },
            reclaimPolicy: "Retain",
            allowVolumeExpansion: true,
            appData: { size: "10Gi", accessMode: "ReadWriteMany", storageClassName: "efs-sc" },
        },
        ingress: {
            // No default host in prod: the operator must name it (deepMerge removes a key set to undefined).
            host: undefined,
            tls: { enabled: true, clusterIssuer: "letsencrypt-prod" },
            rateLimitRps: 50,
        },
        monitoring: { enabled: true },
        // Prod serves the LLM (2-4 GPU replicas, one per node) and the embeddings in the cluster.
        modelServing: {
            llm: {
                mode: "in-cluster",
                replicas: 2,
                autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 },
                antiAffinity: "required",
            },
            embedding: { mode: "in-cluster", replicas: 2 },
        },
        // Prod: never two API replicas more than one apart across nodes (DoNotSchedule over kubernetes.io/hostname).
        workloads: { api: { topologySpread: "required" } },
        // Nightly at 01:30 (before the 02:00 re-indexing), two weeks of dumps; both claims "auto" (sized from them).
        backup: { retention: 14, resources: resources("250m", "256Mi", "1", "1Gi") },
        protectStateful: true,
    },
};

export function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Deep-merges `over` onto `base`: objects merge key by key, everything else (arrays included) replaces,
 * and a key explicitly set to undefined removes the default (prod uses this to require a value).
 */
export function deepMerge<T>(base: T, over: unknown): T {
    if (!isPlainObject(base) || !isPlainObject(over)) {
        return over as T;
    }
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
        out[k] = deepMerge(out[k], v);
    }
    return out as T;
}
