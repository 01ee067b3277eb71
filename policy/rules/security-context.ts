// Rules 3-6: the container-hardening parts of Pod Security "restricted": non-root, no privilege
// escalation or privileged mode, capabilities dropped, read-only root filesystem, seccomp.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BaseConfig, ContainerView, containerMessage, get, PodView, podMessage, workloadPolicy } from "./common";

/** The container's security setting, falling back to the pod's where Kubernetes does. */
function effective(pod: PodView, c: ContainerView, field: string): unknown {
    const own = get(c.container, ["securityContext", field]);
    return own !== undefined ? own : get(pod.spec, ["securityContext", field]);
}

export const ALLOWED_CAPABILITIES = ["NET_BIND_SERVICE"];

export const securityContextPolicies: ResourceValidationPolicy[] = [
    workloadPolicy<BaseConfig>({
        name: "k8s-run-as-non-root",
        description: "Containers run as non-root: runAsNonRoot true (pod or container), never runAsUser 0.",
        defaults: {},
        pod: (r, pod, _config, report) => {
            if (get(pod.spec, ["securityContext", "runAsUser"]) === 0) {
                report(podMessage(r, pod, "securityContext.runAsUser", "is 0 (root)", "run as the image's non-root UID, e.g. 10001"));
            }
        },
        container: (r, pod, c, _config, report) => {
            if (get(c.container, ["securityContext", "runAsUser"]) === 0) {
                report(containerMessage(r, c, "securityContext.runAsUser", "is 0 (root)", "run as a non-root UID"));
            }
            const own = get(c.container, ["securityContext", "runAsNonRoot"]);
            if (own === false) {
                report(containerMessage(r, c, "securityContext.runAsNonRoot", "is false, overriding the pod", "remove it or set it to true"));
            } else if (effective(pod, c, "runAsNonRoot") !== true) {
                report(
                    containerMessage(r, c, "securityContext.runAsNonRoot", "is not set (nor on the pod)", "set runAsNonRoot: true on the pod or the container"),
                );
            }
        },
    }),
    workloadPolicy<BaseConfig>({
        name: "k8s-no-privilege-escalation",
        description: "Containers set allowPrivilegeEscalation false, are not privileged, drop ALL capabilities and add none beyond NET_BIND_SERVICE.",
        defaults: {},
        container: (r, _pod, c, _config, report) => {
            const sc = c.container.securityContext ?? {};
            if (sc.allowPrivilegeEscalation !== false) {
                report(
                    containerMessage(
                        r,
                        c,
                        "securityContext.allowPrivilegeEscalation",
                        sc.allowPrivilegeEscalation === true ? "is true" : "is not set",
                        "set allowPrivilegeEscalation: false",
                    ),
                );
            }
            if (sc.privileged === true) {
                report(containerMessage(r, c, "securityContext.privileged", "is true", "remove privileged mode"));
            }
            const drop: unknown[] = Array.isArray(sc.capabilities?.drop) ? sc.capabilities.drop : [];
            if (!drop.includes("ALL")) {
                report(containerMessage(r, c, "securityContext.capabilities.drop", "does not include ALL", 'set capabilities.drop: ["ALL"]'));
            }
            const add: unknown[] = Array.isArray(sc.capabilities?.add) ? sc.capabilities.add : [];
            for (const cap of add.filter((a) => !ALLOWED_CAPABILITIES.includes(String(a)))) {
                report(containerMessage(r, c, "securityContext.capabilities.add", `adds ${cap}`, `add nothing beyond ${ALLOWED_CAPABILITIES.join(", ")}`));
            }
        },
    }),
    workloadPolicy<BaseConfig>({
        name: "k8s-read-only-root-filesystem",
        description: "Containers mount their root filesystem read-only (writable paths are volumes).",
        defaults: {},
        container: (r, _pod, c, _config, report) => {
            if (get(c.container, ["securityContext", "readOnlyRootFilesystem"]) !== true) {
                report(
                    containerMessage(
                        r,
                        c,
                        "securityContext.readOnlyRootFilesystem",
                        "is not true",
                        "set readOnlyRootFilesystem: true and mount an emptyDir where the image writes",
                    ),
                );
            }
        },
    }),
    workloadPolicy<BaseConfig>({
        name: "k8s-seccomp-profile",
        description: "Containers run under the RuntimeDefault (or a Localhost) seccomp profile, set on the pod or the container.",
        defaults: {},
        container: (r, pod, c, _config, report) => {
            const profile = get(effective(pod, c, "seccompProfile"), ["type"]);
            if (profile !== "RuntimeDefault" && profile !== "Localhost") {
                report(
                    containerMessage(
                        r,
                        c,
                        "securityContext.seccompProfile.type",
                        profile === undefined ? "is not set (nor on the pod)" : `is ${profile}`,
                        'set seccompProfile: { type: "RuntimeDefault" } on the pod',
                    ),
                );
            }
        },
    }),
];
