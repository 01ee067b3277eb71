// Structural check of a raw core/v1 Affinity (workloads.<name>.affinity), with the API server's rules
// (k8s.io/kubernetes pkg/apis/core/validation: validateAffinity, ValidateNodeSelectorTerm,
// validatePodAffinityTerm, ValidateLabelSelector): known fields only, weights 1-100, operators and their
// values, label keys as qualified names, a topologyKey on every pod affinity term.
import type { Checker } from "../checker";
import { isPlainObject } from "../defaults";
import { isQualifiedName } from "../k8s-validation";

const NODE_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"] as const;
const LABEL_SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;
const REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution";
const PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution";
const POD_AFFINITY_TERM_KEYS = ["labelSelector", "namespaceSelector", "namespaces", "topologyKey", "matchLabelKeys", "mismatchLabelKeys"];

function list(check: Checker, key: string, value: unknown, each: (k: string, v: unknown) => void): void {
    if (!Array.isArray(value)) {
        check.fail(key, value, "must be a list");
        return;
    }
    value.forEach((v, i) => each(`${key}[${i}]`, v));
}

function object(check: Checker, key: string, value: unknown, known: readonly string[]): value is Record<string, unknown> {
    check.unknownKeys(key, value, known);
    return isPlainObject(value);
}

function weight(check: Checker, key: string, value: unknown): void {
    check.int(key, value, 1, 100);
}

/** A match expression of a node selector term (Gt/Lt: one integer value) or of a label selector. */
function expression(check: Checker, key: string, value: unknown, operators: readonly string[], node: boolean): void {
    if (!object(check, key, value, ["key", "operator", "values"])) {
        return;
    }
    const what = node ? "node label key" : "label key";
    if (!isQualifiedName(value.key)) {
        check.fail(`${key}.key`, value.key, `must be a ${what}: [prefix/]name, the prefix a DNS subdomain, the name at most 63 characters`);
    }
    check.oneOf(`${key}.operator`, value.operator, operators);
    const values = value.values;
    if (values !== undefined && (!Array.isArray(values) || values.some((v) => typeof v !== "string"))) {
        check.fail(`${key}.values`, values, "must be a list of strings");
        return;
    }
    const n = (values as string[] | undefined)?.length ?? 0;
    if ((value.operator === "In" || value.operator === "NotIn") && n === 0) {
        check.fail(`${key}.values`, values, `must be a non-empty list with operator ${value.operator}`);
    } else if ((value.operator === "Exists" || value.operator === "DoesNotExist") && n > 0) {
        check.fail(`${key}.values`, values, `must be empty with operator ${value.operator}`);
    } else if ((value.operator === "Gt" || value.operator === "Lt") && (n !== 1 || !/^-?\d+$/.test((values as string[])[0]))) {
        check.fail(`${key}.values`, values, `must be one integer with operator ${value.operator}`);
    }
}

function nodeSelectorTerm(check: Checker, key: string, value: unknown): void {
    if (!object(check, key, value, ["matchExpressions", "matchFields"])) {
        return;
    }
    if (value.matchExpressions !== undefined) {
        list(check, `${key}.matchExpressions`, value.matchExpressions, (k, v) => expression(check, k, v, NODE_OPERATORS, true));
    }
    if (value.matchFields !== undefined) {
        list(check, `${key}.matchFields`, value.matchFields, (k, v) => {
            expression(check, k, v, ["In", "NotIn"], true);
            if (isPlainObject(v) && v.key !== "metadata.name") {
                check.fail(`${k}.key`, v.key, `must be "metadata.name" (the only node field a selector matches)`);
            }
        });
    }
}

export function labelSelector(check: Checker, key: string, value: unknown): void {
    if (!object(check, key, value, ["matchLabels", "matchExpressions"])) {
        return;
    }
    if (value.matchLabels !== undefined) {
        check.labelMap(`${key}.matchLabels`, value.matchLabels);
    }
    if (value.matchExpressions !== undefined) {
        list(check, `${key}.matchExpressions`, value.matchExpressions, (k, v) => expression(check, k, v, LABEL_SELECTOR_OPERATORS, false));
    }
}

function podAffinityTerm(check: Checker, key: string, value: unknown): void {
    if (!object(check, key, value, POD_AFFINITY_TERM_KEYS)) {
        return;
    }
    if (!isQualifiedName(value.topologyKey)) {
        check.fail(`${key}.topologyKey`, value.topologyKey, `must be a node label key such as "kubernetes.io/hostname" or "topology.kubernetes.io/zone"`);
    }
    for (const sel of ["labelSelector", "namespaceSelector"]) {
        if (value[sel] !== undefined) {
            labelSelector(check, `${key}.${sel}`, value[sel]);
        }
    }
    for (const names of ["namespaces", "matchLabelKeys", "mismatchLabelKeys"]) {
        if (value[names] !== undefined && (!Array.isArray(value[names]) || (value[names] as unknown[]).some((n) => typeof n !== "string"))) {
            check.fail(`${key}.${names}`, value[names], "must be a list of strings");
        }
    }
}

function podAffinity(check: Checker, key: string, value: unknown): void {
    if (!object(check, key, value, [REQUIRED, PREFERRED])) {
        return;
    }
    if (value[REQUIRED] !== undefined) {
        list(check, `${key}.${REQUIRED}`, value[REQUIRED], (k, v) => podAffinityTerm(check, k, v));
    }
    if (value[PREFERRED] !== undefined) {
        list(check, `${key}.${PREFERRED}`, value[PREFERRED], (k, v) => {
            if (object(check, k, v, ["weight", "podAffinityTerm"])) {
                weight(check, `${k}.weight`, v.weight);
                podAffinityTerm(check, `${k}.podAffinityTerm`, v.podAffinityTerm);
            }
        });
    }
}

/** A core/v1 Affinity: nodeAffinity, podAffinity, podAntiAffinity. */
export function checkAffinity(check: Checker, key: string, value: unknown): void {
    if (!object(check, key, value, ["nodeAffinity", "podAffinity", "podAntiAffinity"])) {
        return;
    }
    const node = value.nodeAffinity;
    if (node !== undefined && object(check, `${key}.nodeAffinity`, node, [REQUIRED, PREFERRED])) {
        const req = node[REQUIRED];
        if (req !== undefined && object(check, `${key}.nodeAffinity.${REQUIRED}`, req, ["nodeSelectorTerms"])) {
            const terms = req.nodeSelectorTerms;
            if (!Array.isArray(terms) || terms.length === 0) {
                check.fail(`${key}.nodeAffinity.${REQUIRED}.nodeSelectorTerms`, terms, "must be a non-empty list of node selector terms");
            } else {
                list(check, `${key}.nodeAffinity.${REQUIRED}.nodeSelectorTerms`, terms, (k, v) => nodeSelectorTerm(check, k, v));
            }
        }
        if (node[PREFERRED] !== undefined) {
            list(check, `${key}.nodeAffinity.${PREFERRED}`, node[PREFERRED], (k, v) => {
                if (object(check, k, v, ["weight", "preference"])) {
                    weight(check, `${k}.weight`, v.weight);
                    nodeSelectorTerm(check, `${k}.preference`, v.preference);
                }
            });
        }
    }
    for (const kind of ["podAffinity", "podAntiAffinity"]) {
        if (value[kind] !== undefined) {
            podAffinity(check, `${key}.${kind}`, value[kind]);
        }
    }
}
