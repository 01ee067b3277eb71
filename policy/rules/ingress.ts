// Rule 10: every Ingress host is served over TLS.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, get, objectPolicy } from "./common";

export const INGRESS_TYPES = ["kubernetes:networking.k8s.io/v1:Ingress", "kubernetes:networking.k8s.io/v1:IngressPatch"];

export const ingressPolicies: ResourceValidationPolicy[] = [
    objectPolicy({
        name: "k8s-ingress-tls",
        displayName: "Ingress TLS",
        severity: "high",
        remediationSteps: "Add a spec.tls entry listing every host (e.g. with a cert-manager.io/cluster-issuer annotation for the certificate).",
        url: "https://kubernetes.io/docs/concepts/services-networking/ingress/#tls",
        tags: ["kubernetes", "security", "network"],
        description: "Every Ingress host is covered by spec.tls (set this policy advisory for development stacks through the pack config).",
        types: INGRESS_TYPES,
        check: (r, report) => {
            const rules: any[] = Array.isArray(get(r.props, ["spec", "rules"])) ? r.props.spec.rules : [];
            const tls: any[] = Array.isArray(get(r.props, ["spec", "tls"])) ? r.props.spec.tls : [];
            const covered = new Set(tls.flatMap((t) => (Array.isArray(t?.hosts) ? t.hosts : [])));
            const hosts = rules.map((rule) => rule?.host).filter((h): h is string => typeof h === "string");
            if (tls.length === 0) {
                report(
                    `${describe(r)}: spec.tls is missing; add a tls entry for ${hosts.length ? hosts.join(", ") : "its hosts"} (e.g. with a cert-manager.io/cluster-issuer annotation)`,
                );
                return;
            }
            hosts.forEach((host) => {
                if (!covered.has(host)) {
                    report(`${describe(r)}: spec.rules host "${host}" is not listed in spec.tls[].hosts; add it to a tls entry`);
                }
            });
        },
    }),
];
