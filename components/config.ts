// The platform's typed configuration: read from the stack, merged over per-environment defaults, and
// validated completely before a single resource is registered. Every error names the stack, the key, the
// bad value and what is allowed; all errors of a stack are reported together.
import * as pulumi from "@pulumi/pulumi";
import { parseQuantity } from "./quantity";

export const PROJECT = "rag-platform";

export type Environment = "dev" | "prod";
export const ENVIRONMENTS: readonly Environment[] = ["dev", "prod"];
export type VectorEngine = "qdrant" | "chroma" | "milvus";
export const VECTOR_ENGINES: readonly VectorEngine[] = ["qdrant", "chroma", "milvus"];
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;

export interface ResourceSpec {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

export interface AutoscalingConfig {
    enabled: boolean;
    minReplicas: number;
    maxReplicas: number;
    /** Target average CPU utilisation, percent of requests. */
    cpuUtilization: number;
    /** Target average memory utilisation, percent of requests. */
    memoryUtilization: number;
    /** Optional Pods metric (served by Prometheus Adapter): scale on its average value per pod. */
    podsMetric?: { name: string; targetAverageValue: string };
}

export interface GpuConfig {
    enabled: boolean;
    /** Extended resource name, e.g. nvidia.com/gpu. */
    resourceName: string;
    count: number;
    nodeSelector: Record<string, string>;
}

export interface ServiceConfig {
    image: string;
    replicas: number;
    resources: ResourceSpec;
    autoscaling: AutoscalingConfig;
}

export interface ApiConfig extends ServiceConfig {
    workers: number;
    gpu: GpuConfig;
}

export interface DatastoreConfig {
    image: string;
    resources: ResourceSpec;
    /** Size of the data volume. */
    storage: string;
}

export interface PostgresConfig extends DatastoreConfig {
    database: string;
    user: string;
}

export interface VectorStoreConfig extends DatastoreConfig {
    engine: VectorEngine;
}

export interface IndexerConfig {
    image: string;
    resources: ResourceSpec;
    backoffLimit: number;
    ttlSecondsAfterFinished: number;
    activeDeadlineSeconds: number;
    /** Cron schedule for re-indexing; no CronJob when unset. */
    schedule?: string;
}

export interface StorageConfig {
    /** Create a StorageClass for the platform; otherwise volumes use the cluster's default class. */
    createClass: boolean;
    provisioner: string;
    parameters: Record<string, string>;
    reclaimPolicy: "Retain" | "Delete";
    allowVolumeExpansion: boolean;
    appData: {
        size: string;
        accessMode: "ReadWriteOnce" | "ReadWriteMany" | "ReadWriteOncePod";
        /** Storage class of the shared app-data volume; the platform class when unset. */
        storageClassName?: string;
    };
}

export interface IngressConfig {
    enabled: boolean;
    className: string;
    host: string;
    tls: {
        enabled: boolean;
        /** cert-manager ClusterIssuer that issues the certificate. */
        clusterIssuer?: string;
        secretName: string;
    };
    rateLimitRps: number;
    proxyBodySize: string;
    proxyTimeoutSeconds: number;
    corsOrigins: string[];
}

export interface NetworkPolicyConfig {
    /** Namespace of the ingress controller, allowed to reach the API and the frontend. */
    ingressControllerNamespace: string;
    /** Allow the API and the indexer to open HTTPS connections outside the cluster (LLM and embedding APIs). */
    allowExternalHttps: boolean;
}

export interface AlertThresholds {
    /** CPU usage as a fraction of the limit that raises RagHighCpuAgainstLimit. */
    cpuLimitRatio: number;
    /** Container restarts within 5 minutes that raise RagPodRestarting. */
    restartsIn5m: number;
    /** Minutes an HPA may sit at its maximum before RagHpaAtMaximum. */
    hpaAtMaxMinutes: number;
    /** p99 API latency, seconds. */
    p99LatencySeconds: number;
    /** Fraction of API responses that are 5xx. */
    errorRatio: number;
    /** Fraction of a volume in use. */
    pvcUsageRatio: number;
}

export interface MonitoringConfig {
    enabled: boolean;
    /** Namespace Prometheus runs in: allowed through the NetworkPolicies to scrape metrics ports. */
    prometheusNamespace: string;
    /** Labels Prometheus' serviceMonitorSelector and ruleSelector match (kube-prometheus-stack: release=<release>). */
    selectorLabels: Record<string, string>;
    scrapeInterval: string;
    /** Ship the Grafana dashboard ConfigMap (label grafana_dashboard: "1"). */
    dashboard: boolean;
    alerts: AlertThresholds;
}

export const VPA_UPDATE_MODES = ["Off", "Initial", "Recreate", "Auto"] as const;

export interface VerticalAutoscalingConfig {
    enabled: boolean;
    /** "Off" only recommends; any other mode lets the VPA change requests. */
    updateMode: (typeof VPA_UPDATE_MODES)[number];
}

export interface LocalAccessConfig {
    /** NodePort Services for the API and frontend (kind/minikube without an ingress controller). Never in prod. */
    enabled: boolean;
    apiNodePort: number;
    frontendNodePort: number;
}

export interface AppConfig {
    logLevel: (typeof LOG_LEVELS)[number];
    maxTokens: number;
    chunkSize: number;
    chunkOverlap: number;
    embeddingModel: string;
}

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
    imagePullSecrets: string[];
    /** Changing this value rotates every generated secret. */
    secretsRotation: string;
    /** Protect stateful resources from deletion and retain their volumes. */
    protectStateful: boolean;
    /** Test-only: annotate every Kubernetes object with pulumi.com/skipAwait. */
    skipAwait: boolean;
    /** Render manifests to this directory instead of applying them to a cluster. */
    renderYamlToDirectory?: string;
}

/** The stack's raw values, keyed without the project prefix: strings as Pulumi hands them to the program. */
export type RawConfig = Record<string, string | undefined>;

export class ConfigError extends Error {
    constructor(
        readonly stack: string,
        readonly problems: string[],
    ) {
        super(
            `Invalid configuration for stack "${stack}" (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

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
function baseDefaults(stack: string): Omit<PlatformConfig, "stack" | "environment" | "skipAwait" | "renderYamlToDirectory"> {
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
const ENV_DEFAULTS: Record<Environment, Record<string, unknown>> = {
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
            // No default host in prod: the operator must name it.
            host: undefined,
            tls: { enabled: true, clusterIssuer: "letsencrypt-prod" },
            rateLimitRps: 50,
        },
        monitoring: { enabled: true },
        protectStateful: true,
    },
};

/** Top-level keys and whether their value is a structured (object or array) value. */
const KEYS: Record<string, "object" | "array" | "scalar"> = {
    environment: "scalar",
    namespace: "scalar",
    app: "object",
    api: "object",
    frontend: "object",
    postgres: "object",
    redis: "object",
    vectorStore: "object",
    indexer: "object",
    storage: "object",
    ingress: "object",
    networkPolicy: "object",
    monitoring: "object",
    verticalAutoscaling: "object",
    localAccess: "object",
    imagePullSecrets: "array",
    secretsRotation: "scalar",
    protectStateful: "scalar",
    skipAwait: "scalar",
    renderYamlToDirectory: "scalar",
    llmApiKey: "scalar",
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
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

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IMAGE = /^(?:[a-z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;
const PROVISIONER = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$/;
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

/** Collects problems while reading values out of the merged config, each with its full key. */
class Checker {
    readonly problems: string[] = [];

    constructor(private readonly stack: string) {}

    fail(key: string, value: unknown, allowed: string): void {
        const shown = value === undefined ? "(missing)" : JSON.stringify(value);
        this.problems.push(`${PROJECT}:${key} = ${shown}: ${allowed} (stack "${this.stack}")`);
    }

    int(key: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
            this.fail(key, value, `must be ${range}`);
        }
    }

    number(key: string, value: unknown, min: number, max: number): void {
        if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
            this.fail(key, value, `must be a number from ${min} to ${max}`);
        }
    }

    bool(key: string, value: unknown): void {
        if (typeof value !== "boolean") {
            this.fail(key, value, "must be true or false");
        }
    }

    string(key: string, value: unknown, pattern: RegExp, allowed: string): void {
        if (typeof value !== "string" || !pattern.test(value)) {
            this.fail(key, value, allowed);
        }
    }

    oneOf(key: string, value: unknown, allowed: readonly string[]): void {
        if (typeof value !== "string" || !allowed.includes(value)) {
            this.fail(key, value, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
        }
    }

    quantity(key: string, value: unknown, what: "cpu" | "memory" | "storage"): number | undefined {
        const parsed = typeof value === "string" || typeof value === "number" ? parseQuantity(value) : undefined;
        if (parsed === undefined || parsed <= 0) {
            const example = what === "cpu" ? `"500m" or "2"` : `"512Mi" or "10Gi"`;
            this.fail(key, value, `must be a positive Kubernetes ${what} quantity such as ${example}`);
            return undefined;
        }
        return parsed;
    }

    image(key: string, value: unknown): void {
        const match = typeof value === "string" ? IMAGE.exec(value) : null;
        if (!match) {
            this.fail(key, value, `must be an image reference "repository:tag" or "repository@sha256:<digest>"`);
        } else if (!match[1] && !match[2]) {
            this.fail(key, value, "must pin a tag or a digest; an untagged image means `latest`");
        } else if (match[1] === "latest") {
            this.fail(key, value, "must pin a version tag or a digest, not `latest`");
        }
    }

    stringMap(key: string, value: unknown): void {
        if (!isPlainObject(value) || Object.values(value).some((v) => typeof v !== "string")) {
            this.fail(key, value, "must be a map of string to string");
        }
    }

    stringList(key: string, value: unknown, pattern: RegExp, allowed: string): void {
        if (!Array.isArray(value)) {
            this.fail(key, value, "must be a list");
            return;
        }
        value.forEach((v, i) => this.string(`${key}[${i}]`, v, pattern, allowed));
    }

    unknownKeys(key: string, value: unknown, known: readonly string[]): void {
        if (!isPlainObject(value)) {
            this.fail(key, value, "must be an object");
            return;
        }
        for (const k of Object.keys(value)) {
            if (!known.includes(k)) {
                this.fail(`${key}.${k}`, value[k], `is not a known key; known keys of ${key}: ${known.join(", ")}`);
            }
        }
    }

    resources(key: string, value: ResourceSpec): void {
        this.unknownKeys(key, value, ["requests", "limits"]);
        for (const part of ["requests", "limits"] as const) {
            this.unknownKeys(`${key}.${part}`, value?.[part], ["cpu", "memory"]);
        }
        for (const r of ["cpu", "memory"] as const) {
            const req = this.quantity(`${key}.requests.${r}`, value?.requests?.[r], r);
            const lim = this.quantity(`${key}.limits.${r}`, value?.limits?.[r], r);
            if (req !== undefined && lim !== undefined && lim < req) {
                this.fail(`${key}.limits.${r}`, value.limits[r], `must not be below ${key}.requests.${r} (${value.requests[r]})`);
            }
        }
    }

    autoscaling(key: string, value: AutoscalingConfig, replicas: number): void {
        this.unknownKeys(key, value, ["enabled", "minReplicas", "maxReplicas", "cpuUtilization", "memoryUtilization", "podsMetric"]);
        this.bool(`${key}.enabled`, value.enabled);
        this.int(`${key}.minReplicas`, value.minReplicas, 1);
        this.int(`${key}.maxReplicas`, value.maxReplicas, 1);
        this.int(`${key}.cpuUtilization`, value.cpuUtilization, 1, 100);
        this.int(`${key}.memoryUtilization`, value.memoryUtilization, 1, 100);
        if (value.minReplicas > value.maxReplicas) {
            this.fail(`${key}.minReplicas`, value.minReplicas, `must not exceed ${key}.maxReplicas (${value.maxReplicas})`);
        }
        if (value.enabled && (replicas < value.minReplicas || replicas > value.maxReplicas)) {
            this.fail(
                `${key.replace(/\.autoscaling$/, "")}.replicas`,
                replicas,
                `must lie within ${key}.minReplicas..maxReplicas (${value.minReplicas}..${value.maxReplicas})`,
            );
        }
        if (value.podsMetric !== undefined) {
            this.unknownKeys(`${key}.podsMetric`, value.podsMetric, ["name", "targetAverageValue"]);
            this.string(`${key}.podsMetric.name`, value.podsMetric.name, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name");
            if (typeof value.podsMetric.targetAverageValue !== "string" || parseQuantity(value.podsMetric.targetAverageValue) === undefined) {
                this.fail(`${key}.podsMetric.targetAverageValue`, value.podsMetric.targetAverageValue, `must be a quantity string such as "10" or "500m"`);
            }
        }
    }

    service(key: string, value: ServiceConfig, extraKeys: string[] = []): void {
        this.unknownKeys(key, value, ["image", "replicas", "resources", "autoscaling", ...extraKeys]);
        this.image(`${key}.image`, value.image);
        this.int(`${key}.replicas`, value.replicas, 0);
        this.resources(`${key}.resources`, value.resources);
        this.autoscaling(`${key}.autoscaling`, value.autoscaling, value.replicas);
    }

    datastore(key: string, value: DatastoreConfig, extraKeys: string[] = []): void {
        this.unknownKeys(key, value, ["image", "resources", "storage", ...extraKeys]);
        this.image(`${key}.image`, value.image);
        this.resources(`${key}.resources`, value.resources);
        this.quantity(`${key}.storage`, value.storage, "storage");
    }

    cron(key: string, value: unknown): void {
        const fields = typeof value === "string" ? value.trim().split(/\s+/) : [];
        if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) {
            this.fail(key, value, `must be a 5-field cron schedule such as "0 2 * * *"`);
        }
    }
}

/** Parses a raw value as Pulumi hands it over: JSON for structured keys, booleans and numbers as text. */
function decode(check: Checker, key: string, raw: string, kind: "object" | "array" | "scalar"): unknown {
    if (kind === "scalar") {
        return raw;
    }
    try {
        const value: unknown = JSON.parse(raw);
        if (kind === "object" ? !isPlainObject(value) : !Array.isArray(value)) {
            check.fail(key, value, `must be ${kind === "object" ? "an object" : "a list"}`);
            return undefined;
        }
        return value;
    } catch {
        check.fail(key, raw, `must be valid structured YAML/JSON (${kind})`);
        return undefined;
    }
}

function decodeBool(check: Checker, key: string, raw: string | undefined, fallback: boolean): boolean {
    if (raw === undefined) {
        return fallback;
    }
    if (raw !== "true" && raw !== "false") {
        check.fail(key, raw, "must be true or false");
        return fallback;
    }
    return raw === "true";
}

/**
 * Builds and validates the platform config of `stack` from its raw values. Pure: no Pulumi runtime needed.
 * Throws a ConfigError listing every problem.
 */
export function parseConfig(stack: string, raw: RawConfig): PlatformConfig {
    const check = new Checker(stack);
    for (const key of Object.keys(raw)) {
        if (raw[key] !== undefined && !(key in KEYS)) {
            check.fail(key, raw[key], `is not a known key; known keys: ${Object.keys(KEYS).join(", ")}`);
        }
    }

    const envRaw = raw.environment ?? (ENVIRONMENTS.includes(stack as Environment) ? stack : undefined);
    if (envRaw === undefined || !ENVIRONMENTS.includes(envRaw as Environment)) {
        check.fail("environment", envRaw, `must be one of ${ENVIRONMENTS.map((e) => `"${e}"`).join(", ")} (required for stacks not named dev or prod)`);
        throw new ConfigError(stack, check.problems);
    }
    const environment = envRaw as Environment;

    const user: Record<string, unknown> = {};
    for (const [key, kind] of Object.entries(KEYS)) {
        const value = raw[key];
        if (value !== undefined && key !== "environment" && key !== "llmApiKey") {
            const decoded = decode(check, key, value, kind);
            if (decoded !== undefined) {
                user[key] = decoded;
            }
        }
    }
    const merged = deepMerge(deepMerge(baseDefaults(stack) as Record<string, unknown>, ENV_DEFAULTS[environment]), user);
    // The vector store's default image follows its engine unless the stack pins one.
    const vs = merged.vectorStore as VectorStoreConfig;
    if (VECTOR_ENGINES.includes(vs.engine) && !(user.vectorStore as Partial<VectorStoreConfig> | undefined)?.image) {
        vs.image = IMAGES[vs.engine];
    }

    const cfg = {
        ...merged,
        stack,
        environment,
        protectStateful: decodeBool(check, "protectStateful", raw.protectStateful, merged.protectStateful as boolean),
        skipAwait: decodeBool(check, "skipAwait", raw.skipAwait, false),
        renderYamlToDirectory: raw.renderYamlToDirectory || undefined,
    } as PlatformConfig;

    validate(check, cfg);
    if (check.problems.length > 0) {
        throw new ConfigError(stack, check.problems);
    }
    return cfg;
}

function validate(check: Checker, cfg: PlatformConfig): void {
    check.string("namespace", cfg.namespace, DNS_LABEL, "must be a DNS label: lower-case letters, digits and '-', at most 63 characters");
    if (typeof cfg.namespace === "string" && cfg.namespace.length > 63) {
        check.fail("namespace", cfg.namespace, "must be at most 63 characters");
    }

    check.unknownKeys("app", cfg.app, ["logLevel", "maxTokens", "chunkSize", "chunkOverlap", "embeddingModel"]);
    check.oneOf("app.logLevel", cfg.app.logLevel, LOG_LEVELS);
    check.int("app.maxTokens", cfg.app.maxTokens, 1, 1_000_000);
    check.int("app.chunkSize", cfg.app.chunkSize, 1);
    check.int("app.chunkOverlap", cfg.app.chunkOverlap, 0);
    if (cfg.app.chunkOverlap >= cfg.app.chunkSize) {
        check.fail("app.chunkOverlap", cfg.app.chunkOverlap, `must be smaller than app.chunkSize (${cfg.app.chunkSize})`);
    }
    check.string("app.embeddingModel", cfg.app.embeddingModel, /^\S+$/, "must be a non-empty model name");

    check.service("api", cfg.api, ["workers", "gpu"]);
    check.int("api.workers", cfg.api.workers, 1, 64);
    check.unknownKeys("api.gpu", cfg.api.gpu, ["enabled", "resourceName", "count", "nodeSelector"]);
    check.bool("api.gpu.enabled", cfg.api.gpu?.enabled);
    check.string("api.gpu.resourceName", cfg.api.gpu?.resourceName, /^[a-z0-9.-]+\/[a-z0-9.-]+$/, "must be an extended resource name such as nvidia.com/gpu");
    check.int("api.gpu.count", cfg.api.gpu?.count, 1, 16);
    check.stringMap("api.gpu.nodeSelector", cfg.api.gpu?.nodeSelector);
    check.service("frontend", cfg.frontend);

    check.datastore("postgres", cfg.postgres, ["database", "user"]);
    check.string("postgres.database", cfg.postgres.database, /^[a-z_][a-z0-9_]{0,62}$/, "must be a PostgreSQL identifier (lower-case letters, digits, '_')");
    check.string("postgres.user", cfg.postgres.user, /^[a-z_][a-z0-9_]{0,62}$/, "must be a PostgreSQL identifier (lower-case letters, digits, '_')");
    check.datastore("redis", cfg.redis);
    check.datastore("vectorStore", cfg.vectorStore, ["engine"]);
    check.oneOf("vectorStore.engine", cfg.vectorStore.engine, VECTOR_ENGINES);

    check.unknownKeys("indexer", cfg.indexer, ["image", "resources", "backoffLimit", "ttlSecondsAfterFinished", "activeDeadlineSeconds", "schedule"]);
    check.image("indexer.image", cfg.indexer.image);
    check.resources("indexer.resources", cfg.indexer.resources);
    check.int("indexer.backoffLimit", cfg.indexer.backoffLimit, 0, 100);
    check.int("indexer.ttlSecondsAfterFinished", cfg.indexer.ttlSecondsAfterFinished, 0);
    check.int("indexer.activeDeadlineSeconds", cfg.indexer.activeDeadlineSeconds, 1);
    if (cfg.indexer.schedule !== undefined) {
        check.cron("indexer.schedule", cfg.indexer.schedule);
    }

    check.unknownKeys("storage", cfg.storage, ["createClass", "provisioner", "parameters", "reclaimPolicy", "allowVolumeExpansion", "appData"]);
    check.bool("storage.createClass", cfg.storage.createClass);
    check.string("storage.provisioner", cfg.storage.provisioner, PROVISIONER, "must be a provisioner name such as ebs.csi.aws.com or rancher.io/local-path");
    check.stringMap("storage.parameters", cfg.storage.parameters);
    check.oneOf("storage.reclaimPolicy", cfg.storage.reclaimPolicy, ["Retain", "Delete"]);
    check.bool("storage.allowVolumeExpansion", cfg.storage.allowVolumeExpansion);
    check.unknownKeys("storage.appData", cfg.storage.appData, ["size", "accessMode", "storageClassName"]);
    check.quantity("storage.appData.size", cfg.storage.appData?.size, "storage");
    check.oneOf("storage.appData.accessMode", cfg.storage.appData?.accessMode, ["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"]);
    if (cfg.storage.appData?.storageClassName !== undefined) {
        check.string("storage.appData.storageClassName", cfg.storage.appData.storageClassName, DNS_SUBDOMAIN, "must be a StorageClass name (DNS subdomain)");
    }
    if (cfg.environment === "prod" && cfg.storage.reclaimPolicy !== "Retain") {
        check.fail("storage.reclaimPolicy", cfg.storage.reclaimPolicy, `must be "Retain" in prod, so that deleting a claim keeps the data`);
    }

    check.unknownKeys("ingress", cfg.ingress, ["enabled", "className", "host", "tls", "rateLimitRps", "proxyBodySize", "proxyTimeoutSeconds", "corsOrigins"]);
    check.bool("ingress.enabled", cfg.ingress.enabled);
    check.string("ingress.className", cfg.ingress.className, DNS_SUBDOMAIN, "must be an IngressClass name");
    if (cfg.ingress.host === undefined && cfg.environment === "prod") {
        check.fail("ingress.host", undefined, "is required in prod: the public host name of the platform, e.g. rag.example.com");
    } else {
        check.string("ingress.host", cfg.ingress.host, DNS_SUBDOMAIN, "must be a lower-case DNS host name such as rag.example.com (no scheme, port or path)");
    }
    check.unknownKeys("ingress.tls", cfg.ingress.tls, ["enabled", "clusterIssuer", "secretName"]);
    check.bool("ingress.tls.enabled", cfg.ingress.tls?.enabled);
    check.string("ingress.tls.secretName", cfg.ingress.tls?.secretName, DNS_SUBDOMAIN, "must be a Secret name");
    if (cfg.ingress.tls?.clusterIssuer !== undefined) {
        check.string("ingress.tls.clusterIssuer", cfg.ingress.tls?.clusterIssuer, DNS_SUBDOMAIN, "must be a cert-manager ClusterIssuer name");
    }
    if (cfg.environment === "prod") {
        if (cfg.ingress.tls?.enabled !== true) {
            check.fail("ingress.tls.enabled", cfg.ingress.tls?.enabled, "must be true in prod");
        }
        if (cfg.ingress.tls?.clusterIssuer === undefined) {
            check.fail("ingress.tls.clusterIssuer", undefined, "is required in prod: the cert-manager ClusterIssuer that issues the certificate");
        }
    }
    check.int("ingress.rateLimitRps", cfg.ingress.rateLimitRps, 1, 100_000);
    if (typeof cfg.ingress.proxyBodySize !== "string" || !/^\d+[kKmMgG]?$/.test(cfg.ingress.proxyBodySize)) {
        check.fail("ingress.proxyBodySize", cfg.ingress.proxyBodySize, `must be an nginx size such as "50m" or "1g"`);
    }
    check.int("ingress.proxyTimeoutSeconds", cfg.ingress.proxyTimeoutSeconds, 1, 3600);
    check.stringList(
        "ingress.corsOrigins",
        cfg.ingress.corsOrigins,
        /^(https?:\/\/[a-z0-9.-]+(:\d+)?|\*)$/,
        `must be an origin such as "https://app.example.com"`,
    );

    check.unknownKeys("networkPolicy", cfg.networkPolicy, ["ingressControllerNamespace", "allowExternalHttps"]);
    check.string("networkPolicy.ingressControllerNamespace", cfg.networkPolicy.ingressControllerNamespace, DNS_LABEL, "must be a namespace name");
    check.bool("networkPolicy.allowExternalHttps", cfg.networkPolicy.allowExternalHttps);
    validateObservability(check, cfg);
    check.stringList("imagePullSecrets", cfg.imagePullSecrets, DNS_SUBDOMAIN, "must be a Secret name");
    check.string(
        "secretsRotation",
        cfg.secretsRotation,
        /^\S{1,64}$/,
        "must be a non-empty token of at most 64 characters; change it to rotate every generated secret",
    );
    if (cfg.environment === "prod" && !cfg.protectStateful) {
        check.fail("protectStateful", cfg.protectStateful, "must be true in prod");
    }
}

function validateObservability(check: Checker, cfg: PlatformConfig): void {
    const m = cfg.monitoring;
    check.unknownKeys("monitoring", m, ["enabled", "prometheusNamespace", "selectorLabels", "scrapeInterval", "dashboard", "alerts"]);
    check.bool("monitoring.enabled", m.enabled);
    check.string("monitoring.prometheusNamespace", m.prometheusNamespace, DNS_LABEL, "must be a namespace name");
    check.stringMap("monitoring.selectorLabels", m.selectorLabels);
    check.string("monitoring.scrapeInterval", m.scrapeInterval, /^[1-9]\d*(s|m)$/, `must be a Prometheus duration such as "30s" or "1m"`);
    check.bool("monitoring.dashboard", m.dashboard);
    const a = m.alerts;
    check.unknownKeys("monitoring.alerts", a, ["cpuLimitRatio", "restartsIn5m", "hpaAtMaxMinutes", "p99LatencySeconds", "errorRatio", "pvcUsageRatio"]);
    check.number("monitoring.alerts.cpuLimitRatio", a?.cpuLimitRatio, 0.01, 1);
    check.int("monitoring.alerts.restartsIn5m", a?.restartsIn5m, 1, 1000);
    check.int("monitoring.alerts.hpaAtMaxMinutes", a?.hpaAtMaxMinutes, 1, 1440);
    check.number("monitoring.alerts.p99LatencySeconds", a?.p99LatencySeconds, 0.001, 600);
    check.number("monitoring.alerts.errorRatio", a?.errorRatio, 0.0001, 1);
    check.number("monitoring.alerts.pvcUsageRatio", a?.pvcUsageRatio, 0.01, 1);

    const v = cfg.verticalAutoscaling;
    check.unknownKeys("verticalAutoscaling", v, ["enabled", "updateMode"]);
    check.bool("verticalAutoscaling.enabled", v.enabled);
    check.oneOf("verticalAutoscaling.updateMode", v.updateMode, VPA_UPDATE_MODES);
    // A VPA that changes CPU/memory requests fights an HPA that scales on CPU/memory utilisation of those requests.
    for (const svc of ["api", "frontend"] as const) {
        if (v.enabled === true && v.updateMode !== "Off" && cfg[svc].autoscaling.enabled === true) {
            check.fail(
                "verticalAutoscaling.updateMode",
                v.updateMode,
                `must be "Off" (recommendations only) while ${svc}.autoscaling is enabled: the HPA scales on CPU and memory, the metrics a VPA would change`,
            );
        }
    }

    const l = cfg.localAccess;
    check.unknownKeys("localAccess", l, ["enabled", "apiNodePort", "frontendNodePort"]);
    check.bool("localAccess.enabled", l.enabled);
    check.int("localAccess.apiNodePort", l.apiNodePort, 30000, 32767);
    check.int("localAccess.frontendNodePort", l.frontendNodePort, 30000, 32767);
    if (l.apiNodePort === l.frontendNodePort) {
        check.fail("localAccess.frontendNodePort", l.frontendNodePort, "must differ from localAccess.apiNodePort");
    }
    if (cfg.environment === "prod" && l.enabled === true) {
        check.fail("localAccess.enabled", l.enabled, "must be false in prod: NodePorts bypass the ingress, its TLS and its rate limits");
    }
}

/** Reads the current stack's config through the Pulumi runtime and validates it. */
export function loadConfig(): { config: PlatformConfig; llmApiKey?: pulumi.Output<string> } {
    const raw: RawConfig = {};
    for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
        const [project, key] = fullKey.split(":", 2);
        if (project === PROJECT && key !== "llmApiKey") {
            raw[key] = value;
        }
    }
    const config = parseConfig(pulumi.getStack(), raw);
    return { config, llmApiKey: new pulumi.Config(PROJECT).getSecret("llmApiKey") };
}
