// Validator of `workloads` (per-workload scheduling, annotations, extra env) and of `ingress.extraAnnotations`,
// with the API server's rules (k8s.io/kubernetes pkg/apis/core/validation: validateTolerations,
// ValidateAnnotations, validateEnv with IsEnvVarName, ValidatePriorityClassName) and the platform's own:
// nothing here may override a value the platform manages or weaken a security setting.
import type { Checker } from "../checker";
import { isPlainObject } from "../defaults";
import { isDns1123Subdomain, isQualifiedName, isValidLabelValue } from "../k8s-validation";
import { SECRET_KEY_KEYS, TAINT_EFFECTS, TOLERATION_OPERATORS, type IngressConfig, type PlatformConfig } from "../types";
import {
    EXTRA_ENV_KEYS,
    POD_TOLERATION_KEYS,
    SPREAD_WORKLOADS,
    TOPOLOGY_SPREAD_MODES,
    WORKLOAD_OPTIONS_KEYS,
    WORKLOADS_KEYS,
    type WorkloadName,
    type WorkloadOptions,
} from "../workload-options-types";
import { checkAffinity } from "./affinity";

/** TotalAnnotationSizeLimitB (apimachinery ValidateAnnotationsSize): keys and values of one object together. */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;
/** Left for the annotations the platform adds to the same object (scrape annotations, the Ingress's nginx settings). */
export const PLATFORM_ANNOTATIONS_RESERVE = 4 * 1024;
/** IsEnvVarName (envVarNameFmt) as the API server applies it to env names. */
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
/** IsConfigMapKey: the form of a Secret's key. */
const SECRET_DATA_KEY = /^[-._a-zA-Z0-9]+$/;

/** The platform ConfigMap's keys (platform-settings.ts settingsData; a test keeps this list equal to it). */
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
    "DB_NAME",
    "DB_USER",
    "REDIS_HOST",
    "REDIS_PORT",
    "VECTOR_DB_ENGINE",
    "VECTOR_DB_HOST",
    "VECTOR_DB_PORT",
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
/** The app containers' env from the platform Secret and the URLs assembled from it (api.ts, app-env.ts). */
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
    postgres: { names: [], prefixes: ["POSTGRES_", "PG"] },
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
/** The Ingress annotations the platform sets (ingress.ts ingressAnnotations; a test keeps them refused). */
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

/** An annotation map: qualified-name keys, string values, at most 256 KiB, each key passing `refusal`. */
export function checkAnnotations(
    check: Checker,
    key: string,
    value: unknown,
    refusal: (k: string) => string | undefined = () => undefined,
    maxBytes = ANNOTATIONS_MAX_BYTES,
): void {
    if (!isPlainObject(value) || Object.values(value).some((v) => typeof v !== "string")) {
        check.fail(key, value, "must be a map of string to string (annotation keys to values)");
        return;
    }
    let size = 0;
    for (const [k, v] of Object.entries(value as Record<string, string>)) {
        size += k.length + v.length;
        const refused = isQualifiedName(k)
            ? refusal(k)
            : "is not a valid annotation key: [prefix/]name, the prefix a DNS subdomain, the name at most 63 characters";
        if (refused) {
            check.fail(`${key}.${k}`, v, refused);
        }
    }
    if (size > maxBytes) {
        const reserve = maxBytes < ANNOTATIONS_MAX_BYTES ? `, less ${ANNOTATIONS_MAX_BYTES - maxBytes} for the platform's own annotations on the object` : "";
        check.fail(key, `(${size} bytes)`, `annotations may total at most ${maxBytes} bytes, keys and values (the API server's 256 KiB${reserve})`);
    }
}

function checkToleration(check: Checker, key: string, t: Record<string, unknown>): void {
    check.unknownKeys(key, t, POD_TOLERATION_KEYS);
    if (!isPlainObject(t)) {
        return;
    }
    const operator = t.operator ?? "Equal";
    check.oneOf(`${key}.operator`, operator, TOLERATION_OPERATORS);
    if (t.key !== undefined && t.key !== "" && !isQualifiedName(t.key)) {
        check.fail(`${key}.key`, t.key, "must be a taint key: [prefix/]name, the prefix a DNS subdomain, the name at most 63 characters");
    }
    if ((t.key === undefined || t.key === "") && operator !== "Exists") {
        check.fail(`${key}.operator`, t.operator, `must be "Exists" when the key is empty (a toleration of every taint)`);
    }
    if (operator === "Exists" && t.value !== undefined && t.value !== "") {
        check.fail(`${key}.value`, t.value, `must be empty with operator "Exists"`);
    } else if (operator === "Equal" && t.value !== undefined && !isValidLabelValue(t.value)) {
        check.fail(`${key}.value`, t.value, "must be a label value: at most 63 letters, digits, '-', '_', '.', starting and ending alphanumeric");
    }
    if (t.effect !== undefined) {
        check.oneOf(`${key}.effect`, t.effect, TAINT_EFFECTS);
    }
    if (t.tolerationSeconds !== undefined) {
        check.int(`${key}.tolerationSeconds`, t.tolerationSeconds, 0);
        if (t.effect !== "NoExecute") {
            check.fail(`${key}.tolerationSeconds`, t.tolerationSeconds, `is only allowed with effect "NoExecute"`);
        }
    }
}

function checkEnv(check: Checker, key: string, workload: WorkloadName, env: unknown): void {
    if (!Array.isArray(env)) {
        check.fail(key, env, "must be a list of { name, value } or { name, secretKeyRef: { name, key } }");
        return;
    }
    const seen = new Set<string>();
    const managed = MANAGED_ENV[workload];
    env.forEach((e: Record<string, unknown>, i) => {
        const k = `${key}[${i}]`;
        check.unknownKeys(k, e, EXTRA_ENV_KEYS);
        const name = e?.name;
        if (typeof name !== "string" || !ENV_VAR_NAME.test(name)) {
            check.fail(`${k}.name`, name, "must be an env var name: letters, digits, '_', '-', '.', not starting with a digit");
            return;
        }
        if (managed.names.includes(name) || managed.prefixes.some((p) => name.startsWith(p))) {
            const by = managed.prefixes.find((p) => name.startsWith(p));
            check.fail(`${k}.name`, name, `is set by the platform for ${workload}${by ? ` (names starting with ${by})` : ""} and may not be overridden`);
        }
        if (seen.has(name)) {
            check.fail(`${k}.name`, name, `appears twice in ${key}`);
        }
        seen.add(name);
        const hasValue = e.value !== undefined;
        const ref = e.secretKeyRef;
        if (hasValue === (ref !== undefined)) {
            check.fail(k, e, "must have exactly one of value (a literal) and secretKeyRef ({ name, key } of a Secret)");
        } else if (hasValue) {
            if (typeof e.value !== "string") {
                check.fail(`${k}.value`, e.value, "must be a string (quote numbers and booleans)");
            } else if (SECRET_NAME_PATTERNS.some((p) => name.toUpperCase().includes(p))) {
                check.fail(`${k}.value`, "(redacted)", `must not be a literal: ${name} looks secret; use secretKeyRef: { name, key } of a Secret`);
            }
        } else {
            check.unknownKeys(`${k}.secretKeyRef`, ref, SECRET_KEY_KEYS);
            const r = ref as Record<string, unknown>;
            check.dnsSubdomain(`${k}.secretKeyRef.name`, r?.name, "a Secret name");
            check.string(`${k}.secretKeyRef.key`, r?.key, SECRET_DATA_KEY, "must be a Secret key: letters, digits, '-', '_', '.'");
        }
    });
}

function checkWorkload(check: Checker, workload: WorkloadName, o: WorkloadOptions): void {
    const key = `workloads.${workload}`;
    check.unknownKeys(key, o, WORKLOAD_OPTIONS_KEYS);
    if (!isPlainObject(o)) {
        return;
    }
    check.labelMap(`${key}.nodeSelector`, o.nodeSelector);
    if (!Array.isArray(o.tolerations)) {
        check.fail(`${key}.tolerations`, o.tolerations, "must be a list of tolerations { key, operator, value, effect, tolerationSeconds }");
    } else {
        o.tolerations.forEach((t, i) => checkToleration(check, `${key}.tolerations[${i}]`, t as Record<string, unknown>));
    }
    if (o.affinity !== undefined) {
        checkAffinity(check, `${key}.affinity`, o.affinity);
    }
    if (o.priorityClassName !== undefined) {
        if (!isDns1123Subdomain(o.priorityClassName)) {
            check.dnsSubdomain(`${key}.priorityClassName`, o.priorityClassName, "a PriorityClass name");
        } else if (o.priorityClassName.startsWith("system-")) {
            check.fail(
                `${key}.priorityClassName`,
                o.priorityClassName,
                `must not be a "system-" class: those are for cluster-critical pods outside this namespace`,
            );
        }
    }
    if (SPREAD_WORKLOADS.includes(workload)) {
        check.oneOf(`${key}.topologySpread`, o.topologySpread, TOPOLOGY_SPREAD_MODES);
    } else if (o.topologySpread !== undefined) {
        const why = ["llm", "embedding", "reranker"].includes(workload)
            ? "model servers spread by modelServing.llm.antiAffinity"
            : `${workload} runs a single pod`;
        check.fail(`${key}.topologySpread`, o.topologySpread, `is only for ${SPREAD_WORKLOADS.join(" and ")}: ${why}`);
    }
    checkAnnotations(check, `${key}.podAnnotations`, o.podAnnotations, podAnnotationRefusal, ANNOTATIONS_MAX_BYTES - PLATFORM_ANNOTATIONS_RESERVE);
    checkAnnotations(check, `${key}.serviceAccountAnnotations`, o.serviceAccountAnnotations);
    checkEnv(check, `${key}.extraEnv`, workload, o.extraEnv);
}

export function validateWorkloads(check: Checker, cfg: PlatformConfig): void {
    check.unknownKeys("workloads", cfg.workloads, WORKLOADS_KEYS);
    for (const w of WORKLOADS_KEYS) {
        checkWorkload(check, w, cfg.workloads?.[w]);
    }
}

export function validateIngressAnnotations(check: Checker, ingress: IngressConfig): void {
    checkAnnotations(
        check,
        "ingress.extraAnnotations",
        ingress.extraAnnotations,
        ingressAnnotationRefusal,
        ANNOTATIONS_MAX_BYTES - PLATFORM_ANNOTATIONS_RESERVE,
    );
}
