// Checks for the shapes several sections share: resources, autoscaling, a scaled service, a datastore.
import { parseQuantity } from "../../../lib/quantity";
import type { Checker } from "../checker";
import { SCALING_BEHAVIOR_KEYS, SCALING_POLICY_KEYS, SCALING_POLICY_TYPES, SCALING_RULES_KEYS, ScalingRules, SELECT_POLICIES } from "../scaling";
import {
    AUTOSCALING_KEYS,
    AutoscalingConfig,
    DatastoreConfig,
    PODS_METRIC_KEYS,
    RESOURCE_AMOUNT_KEYS,
    RESOURCE_SPEC_KEYS,
    ResourceSpec,
    ServiceConfig,
} from "../types";

export function checkResources(check: Checker, key: string, value: ResourceSpec): void {
    check.unknownKeys(key, value, RESOURCE_SPEC_KEYS);
    for (const part of RESOURCE_SPEC_KEYS) {
        check.unknownKeys(`${key}.${part}`, value?.[part], RESOURCE_AMOUNT_KEYS);
    }
    for (const r of RESOURCE_AMOUNT_KEYS) {
        const req = check.quantity(`${key}.requests.${r}`, value?.requests?.[r], r);
        const lim = check.quantity(`${key}.limits.${r}`, value?.limits?.[r], r);
        if (req !== undefined && lim !== undefined && lim < req) {
            check.fail(`${key}.limits.${r}`, value.limits[r], `must not be below ${key}.requests.${r} (${value.requests[r]})`);
        }
    }
}

/** More replicas than this is a typo (a stray digit), not a plan: no RAG service here runs a thousand pods. */
export const MAX_REPLICAS = 1000;

export function checkAutoscaling(check: Checker, key: string, value: AutoscalingConfig, replicas: number): void {
    check.unknownKeys(key, value, AUTOSCALING_KEYS);
    check.bool(`${key}.enabled`, value.enabled);
    check.int(`${key}.minReplicas`, value.minReplicas, 1, MAX_REPLICAS);
    check.int(`${key}.maxReplicas`, value.maxReplicas, 1, MAX_REPLICAS);
    check.int(`${key}.cpuUtilization`, value.cpuUtilization, 1, 100);
    check.int(`${key}.memoryUtilization`, value.memoryUtilization, 1, 100);
    if (value.minReplicas > value.maxReplicas) {
        check.fail(`${key}.minReplicas`, value.minReplicas, `must not exceed ${key}.maxReplicas (${value.maxReplicas})`);
    }
    if (value.enabled && (replicas < value.minReplicas || replicas > value.maxReplicas)) {
        check.fail(
            `${key.replace(/\.autoscaling$/, "")}.replicas`,
            replicas,
            `must lie within ${key}.minReplicas..maxReplicas (${value.minReplicas}..${value.maxReplicas})`,
        );
    }
    check.unknownKeys(`${key}.behavior`, value.behavior, SCALING_BEHAVIOR_KEYS);
    checkScalingRules(check, `${key}.behavior.scaleUp`, value.behavior?.scaleUp);
    checkScalingRules(check, `${key}.behavior.scaleDown`, value.behavior?.scaleDown);
    if (value.podsMetric !== undefined) {
        check.unknownKeys(`${key}.podsMetric`, value.podsMetric, PODS_METRIC_KEYS);
        check.string(`${key}.podsMetric.name`, value.podsMetric.name, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name");
        if (typeof value.podsMetric.targetAverageValue !== "string" || parseQuantity(value.podsMetric.targetAverageValue) === undefined) {
            check.fail(`${key}.podsMetric.targetAverageValue`, value.podsMetric.targetAverageValue, `must be a quantity string such as "10" or "500m"`);
        }
    }
}

/**
 * One direction of an HPA's behavior, with the API server's limits (k8s.io/kubernetes
 * pkg/apis/autoscaling/validation: validateScalingRules / validateScalingPolicy): stabilizationWindowSeconds
 * 0–3600, selectPolicy Max/Min/Disabled, at least one policy, type Pods or Percent, value > 0,
 * periodSeconds 1–1800 (MaxPeriodSeconds).
 */
function checkScalingRules(check: Checker, key: string, value: ScalingRules): void {
    check.unknownKeys(key, value, SCALING_RULES_KEYS);
    check.int(`${key}.stabilizationWindowSeconds`, value?.stabilizationWindowSeconds, 0, 3600);
    check.oneOf(`${key}.selectPolicy`, value?.selectPolicy, SELECT_POLICIES);
    const policies: unknown = value?.policies;
    if (!Array.isArray(policies) || policies.length === 0) {
        check.fail(`${key}.policies`, policies, "must be a non-empty list of { type: Pods | Percent, value, periodSeconds }");
        return;
    }
    policies.forEach((p: ScalingRules["policies"][number], i) => {
        const k = `${key}.policies[${i}]`;
        check.unknownKeys(k, p, SCALING_POLICY_KEYS);
        check.oneOf(`${k}.type`, p?.type, SCALING_POLICY_TYPES);
        // The API server wants value > 0; above 1000 (pods, or percent) is a typo.
        check.int(`${k}.value`, p?.value, 1, 1000);
        check.int(`${k}.periodSeconds`, p?.periodSeconds, 1, 1800);
    });
}

/** A scaled service (API, frontend); `known` is its key list (the service's keys plus its own). */
export function checkService(check: Checker, key: string, value: ServiceConfig, known: readonly string[]): void {
    check.unknownKeys(key, value, known);
    check.image(`${key}.image`, value.image);
    check.int(`${key}.replicas`, value.replicas, 0, MAX_REPLICAS);
    checkResources(check, `${key}.resources`, value.resources);
    checkAutoscaling(check, `${key}.autoscaling`, value.autoscaling, value.replicas);
}

/** A datastore (PostgreSQL, Redis, vector store); `known` is its key list. */
export function checkDatastore(check: Checker, key: string, value: DatastoreConfig, known: readonly string[]): void {
    check.unknownKeys(key, value, known);
    check.image(`${key}.image`, value.image);
    checkResources(check, `${key}.resources`, value.resources);
    check.quantity(`${key}.storage`, value.storage, "storage");
}
