// What the platform manages and so refuses from workloads.<name> and ingress.extraAnnotations: the env names
// it sets per workload, the secret-looking names never given as literals, the security-relevant pod annotations
// and the Ingress annotations it sets (tests keep each list in step with what the program renders).
import type { WorkloadName } from "../workload-options-types";

/** The platform ConfigMap's keys (platform/platform-settings.ts settingsData; a test keeps this list equal to it). */
export const PLATFORM_SETTINGS_KEYS = [
    "APP_ENV",
    "LOG_LEVEL",
    "MAX_TOKENS",
    "CHUNK_SIZE",
    "CHUNK_OVERLAP",
    "EMBEDDING_DIMENSIONS",
    "TOP_K",
    "CACHE_TTL_SECONDS",
    "MAX_DOCUMENT_BYTES",
    "DB_HOST",
    "DB_PORT",
    "DB_TLS",
    "DB_NAME",
    "DB_USER",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_TLS",
    "VECTOR_DB_ENGINE",
    "VECTOR_DB_HOST",
    "VECTOR_DB_PORT",
    "VECTOR_DB_TLS",
    "VECTOR_DB_AUTH_REQUIRED",
    "API_PORT",
    "API_BASE_PATH",
    "WORKERS",
    "LLM_BASE_URL",
    "LLM_MODEL",
    "EMBEDDING_BASE_URL",
    "EMBEDDING_MODEL",
    "RERANKER_BASE_URL",
    "RERANKER_MODEL",
] as const;
/** The app containers' env from the platform Secret and the URLs assembled from it (workloads/api.ts, workloads/app-env.ts). */
const APP_SECRET_ENV = [
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "VECTOR_STORE_API_KEY",
    "API_SIGNING_KEY",
    "LLM_API_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "GPU_ENABLED",
];
const APP_MANAGED = { names: [...PLATFORM_SETTINGS_KEYS, ...APP_SECRET_ENV], prefixes: [] as string[] };
/** The model servers' cache and home directories and the Hugging Face token (modelServing.<role>.hfTokenSecret). */
const MODEL_MANAGED = {
    names: [
        "HOME",
        "USER",
        "HF_HOME",
        "HUGGINGFACE_HUB_CACHE",
        "VLLM_CACHE_ROOT",
        "TRITON_CACHE_DIR",
        "XDG_CACHE_HOME",
        "XDG_CONFIG_HOME",
        "VLLM_NO_USAGE_STATS",
        "DO_NOT_TRACK",
    ],
    prefixes: ["HF_TOKEN", "HF_API_TOKEN", "HUGGING_FACE_HUB_TOKEN"],
};

/**
 * Env names each workload may not set: the names the platform sets (ConfigMap and Secret keys, the engine
 * settings) and, by prefix, the image's own security settings (the postgres image's POSTGRES_HOST_AUTH_METHOD
 * would turn password authentication off; libpq's PG* variables; Qdrant's service API keys; Chroma's auth).
 */
export const MANAGED_ENV: Record<WorkloadName, { names: readonly string[]; prefixes: readonly string[] }> = {
    api: APP_MANAGED,
    frontend: APP_MANAGED,
    indexer: APP_MANAGED,
    // DATA_SOURCE_*: postgres_exporter's connection (its sidecar gets the workload's extra env too); PG* covers PG_EXPORTER_*;
    // PATRONI_*: mode ha's members (their scope, roles, passwords and Kubernetes access are the platform's).
    postgres: { names: [], prefixes: ["POSTGRES_", "PG", "DATA_SOURCE_", "PATRONI_"] },
    redis: { names: ["REDIS_PASSWORD", "REDISCLI_AUTH"], prefixes: ["REDIS"] },
    vectorStore: {
        names: [
            "IS_PERSISTENT",
            "PERSIST_DIRECTORY",
            "ANONYMIZED_TELEMETRY",
            "DEPLOY_MODE",
            "ETCD_USE_EMBED",
            "ETCD_DATA_DIR",
            "ETCD_CONFIG_PATH",
            "COMMON_STORAGETYPE",
        ],
        prefixes: ["QDRANT__SERVICE__", "QDRANT__TELEMETRY", "QDRANT__STORAGE__", "CHROMA_SERVER_AUTH", "CHROMA_AUTH", "COMMON_SECURITY"],
    },
    llm: MODEL_MANAGED,
    embedding: MODEL_MANAGED,
    reranker: MODEL_MANAGED,
};

/** Names the policy pack's env rule treats as secret (policy/rules/env.ts DEFAULT_SECRET_PATTERNS): never a literal. */
export const SECRET_NAME_PATTERNS = ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "CREDENTIAL", "ACCESS_KEY"];

/**
 * Pod annotation keys refused: AppArmor and seccomp (their legacy annotations still apply on some nodes and
 * would override the RuntimeDefault the platform sets), anything under a *.security.{alpha,beta}.kubernetes.io
 * prefix, the PodSecurityPolicy annotation, the scrape annotations the platform sets, and Pulumi's own.
 */
export function podAnnotationRefusal(key: string): string | undefined {
    const prefix = key.includes("/") ? key.slice(0, key.indexOf("/")) : "";
    if (/(^|\.)security\.(alpha|beta)\.kubernetes\.io$/.test(prefix) || /apparmor|seccomp/i.test(key) || key === "kubernetes.io/psp") {
        return "is security-relevant (AppArmor, seccomp, Pod Security): the platform sets the pods' security contexts and no annotation may override them";
    }
    if (/^io\.(kubernetes\.cri|containerd|katacontainers)/.test(key)) {
        return "is a container-runtime annotation (CRI-O, containerd, Kata: devices, user namespaces, cgroups): it acts below the pod's security context and is refused";
    }
    if (prefix === "prometheus.io" || prefix === "pulumi.com") {
        return `is managed by the platform (${prefix}/*)`;
    }
    return undefined;
}

const NGINX = "nginx.ingress.kubernetes.io/";
/** The Ingress annotations the platform sets (network/ingress.ts ingressAnnotations; a test keeps them refused). */
const MANAGED_INGRESS = [/^limit-/, /^proxy-body-size$/, /^proxy-(connect|read|send)-timeout$/, /^(force-)?ssl-redirect$/, /^enable-cors$/, /^cors-/];

/** Why an Ingress annotation is refused, or undefined. */
export function ingressAnnotationRefusal(key: string): string | undefined {
    const name = key.startsWith(NGINX) ? key.slice(NGINX.length) : undefined;
    if (name !== undefined && /snippet/.test(name)) {
        return "is an nginx snippet: raw nginx configuration can read the controller's secrets (CVE-2021-25742) and is refused";
    }
    if (name !== undefined && /^(mirror-|ssl-passthrough$)/.test(name)) {
        return "would bypass the platform's Ingress: mirror-* copies every request (credentials included) to another backend, ssl-passthrough skips TLS termination and the rate limit";
    }
    if (name !== undefined && MANAGED_INGRESS.some((re) => re.test(name))) {
        return "is set by the platform (rate limit, body size, timeouts, TLS redirect, CORS): use the ingress.* keys";
    }
    if (key.startsWith("cert-manager.io/")) {
        return "is set by the platform: use ingress.tls.clusterIssuer";
    }
    return undefined;
}
