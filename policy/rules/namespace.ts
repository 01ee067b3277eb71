// Rule 11: namespaces enforce Pod Security Admission "restricted" and audit and warn at the same level.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, get, objectPolicy } from "./common";

export const NAMESPACE_TYPES = ["kubernetes:core/v1:Namespace", "kubernetes:core/v1:NamespacePatch"];
const PREFIX = "pod-security.kubernetes.io";

export const namespacePolicies: ResourceValidationPolicy[] = [
    objectPolicy({
        name: "k8s-namespace-pod-security",
        displayName: "Namespace Pod Security labels",
        severity: "high",
        remediationSteps: "Label the Namespace pod-security.kubernetes.io/enforce=restricted, audit=restricted and warn=restricted.",
        url: "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
        tags: ["kubernetes", "security", "pod-security-standards"],
        description: 'Namespaces carry Pod Security Admission labels: enforce "restricted", plus audit and warn.',
        types: NAMESPACE_TYPES,
        remediate: (props) => {
            props.metadata ??= {};
            props.metadata.labels ??= {};
            const labels = props.metadata.labels;
            labels[`${PREFIX}/enforce`] = "restricted";
            for (const mode of ["audit", "warn"]) {
                labels[`${PREFIX}/${mode}`] ??= "restricted";
            }
        },
        check: (r, report) => {
            const labels = (get(r.props, ["metadata", "labels"]) ?? {}) as Record<string, string>;
            const enforce = labels[`${PREFIX}/enforce`];
            if (enforce !== "restricted") {
                report(
                    `${describe(r)}: metadata.labels["${PREFIX}/enforce"] ${enforce === undefined ? "is missing" : `is "${enforce}"`}; set it to "restricted" so the API server rejects pods that break the restricted profile`,
                );
            }
            for (const mode of ["audit", "warn"]) {
                if (labels[`${PREFIX}/${mode}`] === undefined) {
                    report(`${describe(r)}: metadata.labels["${PREFIX}/${mode}"] is missing; set it to "restricted"`);
                }
            }
        },
    }),
];
