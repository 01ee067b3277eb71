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
import { ingressAnnotationRefusal, MANAGED_ENV, podAnnotationRefusal, SECRET_NAME_PATTERNS } from "./managed-keys";

/** TotalAnnotationSizeLimitB (apimachinery ValidateAnnotationsSize): keys and values of one object together. */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;
/** Left for the annotations the platform adds to the same object (scrape annotations, the Ingress's nginx settings). */
export const PLATFORM_ANNOTATIONS_RESERVE = 4 * 1024;
/** IsEnvVarName (envVarNameFmt) as the API server applies it to env names. */
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
/** IsConfigMapKey: the form of a Secret's key. */
const SECRET_DATA_KEY = /^[-._a-zA-Z0-9]+$/;

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
