// Rule 12 (whole stack): replicated or autoscaled Deployments/StatefulSets have a PodDisruptionBudget that
// selects their pods, and no HPA lets a workload scale below a floor.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { BaseConfig, configOf, describe, get, isExcluded, ResourceView, schema, UnknownGuard } from "./common";

const SCALABLE = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"];
const PDB = ["kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:policy/v1beta1:PodDisruptionBudget"];
const HPA = ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler"];

const nameOf = (r: PolicyResource): string => get(r.props, ["metadata", "name"]) ?? r.name;
const namespaceOf = (r: PolicyResource): string => get(r.props, ["metadata", "namespace"]) ?? "default";
const view = (r: PolicyResource): ResourceView => ({ type: r.type, name: r.name, props: r.props });

/** HPAs of the stack that target this workload. */
function hpasOf(workload: PolicyResource, resources: PolicyResource[]): PolicyResource[] {
    const kind = workload.type.split(":").pop();
    return resources.filter(
        (h) =>
            HPA.includes(h.type) &&
            namespaceOf(h) === namespaceOf(workload) &&
            get(h.props, ["spec", "scaleTargetRef", "kind"]) === kind &&
            get(h.props, ["spec", "scaleTargetRef", "name"]) === nameOf(workload),
    );
}

/** Whether a PDB's selector selects pods with these labels (matchLabels subset; matchExpressions In/NotIn/Exists/DoesNotExist). */
export function selects(pdb: PolicyResource, podLabels: Record<string, string>): boolean {
    const selector = get(pdb.props, ["spec", "selector"]);
    if (!selector) {
        return false;
    }
    const matchLabels: Record<string, string> = selector.matchLabels ?? {};
    const expressions: any[] = selector.matchExpressions ?? [];
    if (Object.keys(matchLabels).length === 0 && expressions.length === 0) {
        return true;
    }
    return (
        Object.entries(matchLabels).every(([k, v]) => podLabels[k] === v) &&
        expressions.every((e) => {
            const has = e.key in podLabels;
            switch (e.operator) {
                case "In":
                    return has && (e.values ?? []).includes(podLabels[e.key]);
                case "NotIn":
                    return !has || !(e.values ?? []).includes(podLabels[e.key]);
                case "Exists":
                    return has;
                case "DoesNotExist":
                    return !has;
                default:
                    return false;
            }
        })
    );
}

export interface HpaFloorConfig extends BaseConfig {
    minReplicasFloor: number;
}

export const stackPolicies: StackValidationPolicy[] = [
    {
        name: "k8s-pdb-for-replicated-workloads",
        displayName: "PodDisruptionBudget for replicated workloads",
        severity: "medium",
        remediationSteps:
            "Add a PodDisruptionBudget (e.g. maxUnavailable: 1) in the workload's namespace whose selector matches spec.template.metadata.labels.",
        url: "https://kubernetes.io/docs/tasks/run-application/configure-pdb/",
        tags: ["kubernetes", "reliability", "availability"],
        description: "Every Deployment or StatefulSet with more than one replica, or scaled by an HPA, has a PodDisruptionBudget selecting its pods.",
        enforcementLevel: "mandatory",
        configSchema: schema(),
        validateStack: (args, report) => {
            const config = configOf<BaseConfig>(args, {});
            const pdbs = args.resources.filter((r) => PDB.includes(r.type));
            // One workload's unknown value (during preview) must not hide another workload's violation.
            const guard = new UnknownGuard();
            for (const w of args.resources.filter((r) => SCALABLE.includes(r.type))) {
                guard.run(() => {
                    if (isExcluded(view(w), config)) {
                        return;
                    }
                    const replicas = get(w.props, ["spec", "replicas"]) ?? 1;
                    const hpas = hpasOf(w, args.resources);
                    if (replicas <= 1 && hpas.length === 0) {
                        return;
                    }
                    const podLabels = (get(w.props, ["spec", "template", "metadata", "labels"]) ?? {}) as Record<string, string>;
                    const covered = pdbs.some((p) => namespaceOf(p) === namespaceOf(w) && selects(p, podLabels));
                    if (!covered) {
                        const why = hpas.length > 0 ? `is scaled by HPA ${nameOf(hpas[0])}` : `runs ${replicas} replicas`;
                        report(
                            `${describe(view(w))} ${why} but no PodDisruptionBudget in namespace ${namespaceOf(w)} selects its pods; add one (e.g. maxUnavailable: 1) whose selector matches spec.template.metadata.labels`,
                            w.urn,
                        );
                    }
                });
            }
            guard.finish();
        },
    },
    {
        name: "k8s-hpa-min-replicas",
        displayName: "HPA replica floor",
        severity: "low",
        remediationSteps: "Raise spec.minReplicas of the HorizontalPodAutoscaler to at least the configured minReplicasFloor.",
        url: "https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/",
        tags: ["kubernetes", "reliability", "availability"],
        description: "HorizontalPodAutoscalers keep at least `minReplicasFloor` replicas (default 1).",
        enforcementLevel: "mandatory",
        configSchema: schema({ minReplicasFloor: { type: "integer", minimum: 1, default: 1, description: "Smallest minReplicas an HPA may set." } }),
        validateStack: (args, report) => {
            const config = configOf<HpaFloorConfig>(args, { minReplicasFloor: 1 });
            const guard = new UnknownGuard();
            for (const h of args.resources.filter((r) => HPA.includes(r.type))) {
                guard.run(() => {
                    if (isExcluded(view(h), config)) {
                        return;
                    }
                    const min = get(h.props, ["spec", "minReplicas"]) ?? 1;
                    if (min < config.minReplicasFloor) {
                        report(`${describe(view(h))}: spec.minReplicas is ${min}, below the floor of ${config.minReplicasFloor}; raise minReplicas`, h.urn);
                    }
                });
            }
            guard.finish();
        },
    },
];
