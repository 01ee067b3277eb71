// Per-environment defaults: `baseDefaults` for every environment, `ENV_DEFAULTS` over it per environment,
// the stack's own config over both (`deepMerge`).
import type { AutoscalingConfig, Environment, PlatformConfig, ResourceSpec } from "./types";

/** Every part optional, recursively; lists stay whole (a stack's list replaces the default). */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** The part of the config that has defaults (the rest comes from the stack's name and raw values). */
export type DefaultedConfig = Omit<PlatformConfig, "stack" | "environment" | "skipAwait" | "renderYamlToDirectory">;

const resources = (reqCpu: string, reqMem: string, limCpu: string, limMem: string): ResourceSpec => ({
    requests: { cpu: reqCpu, memory: reqMem },
    limits: { cpu: limCpu, memory: limMem },
});

const noAutoscaling = (replicas: number): AutoscalingConfig => ({
    enabled: false,
    minReplicas: replicas,
    maxReplicas: replicas,
    cpuUtilization: 70,
    memoryUtilization: 80,
});

export const IMAGES = {
    api: "ghcr.io/rag-platform/rag-api:1.0.0",
    frontend: "ghcr.io/rag-platform/rag-frontend:1.0.0",
    indexer: "ghcr.io/rag-platform/rag-indexer:1.0.0",
    postgres: "postgres:16.4-alpine",
    redis: "redis:7.4.1-alpine",
    qdrant: "qdrant/qdrant:v1.12.4-unprivileged",
    chroma: "chromadb/chroma:1.0.12",
    milvus: "milvusdb/milvus:v2.4.15",
} as const;

/** Defaults shared by every environment; `ENV_DEFAULTS` overrides them per environment. */
export function baseDefaults(stack: string): DefaultedConfig {
    return {
        namespace: `rag-${stack}`,
        app: { logLevel: "info", maxTokens: 2048, chunkSize: 1000, chunkOverlap: 200, embeddingModel: "text-embedding-3-small" },
        api: {
            image: IMAGES.api,
            replicas: 1,
            workers: 2,
            resources: resources("250m", "512Mi", "1", "1Gi"),
            autoscaling: noAutoscaling(1),
            gpu: { enabled: false, resourceName: "nvidia.com/gpu", count: 1, nodeSelector: {} },
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
        },
        redis: { image: IMAGES.redis, resources: resources("50m", "64Mi", "250m", "256Mi"), storage: "1Gi" },
        vectorStore: { engine: "qdrant", image: IMAGES.qdrant, resources: resources("250m", "512Mi", "1", "1Gi"), storage: "5Gi" },
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
        },
        networkPolicy: { ingressControllerNamespace: "ingress-nginx", allowExternalHttps: true },
        monitoring: {
            enabled: false,
            prometheusNamespace: "monitoring",
            selectorLabels: { release: "kube-prometheus-stack" },
            scrapeInterval: "30s",
            dashboard: true,
            alerts: { cpuLimitRatio: 0.9, restartsIn5m: 3, hpaAtMaxMinutes: 10, p99LatencySeconds: 2, errorRatio: 0.05, pvcUsageRatio: 0.8 },
        },
        verticalAutoscaling: { enabled: false, updateMode: "Off" },
        localAccess: { enabled: false, apiNodePort: 30080, frontendNodePort: 30081 },
        imagePullSecrets: [],
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
        postgres: { resources: resources("500m", "1Gi", "2", "2Gi"), storage: "10Gi" },
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
