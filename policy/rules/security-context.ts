// Rule: read-only root filesystem. Stricter than Pod Security restricted (which does not require it); the
// Pod Security controls themselves are in pod-security.ts.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BaseConfig, containerMessage, get, workloadPolicy } from "./common";

export const securityContextPolicies: ResourceValidationPolicy[] = [
    workloadPolicy<BaseConfig>({
        name: "k8s-read-only-root-filesystem",
        displayName: "Read-only root filesystem",
        severity: "medium",
        remediationSteps: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir on each path the image writes (e.g. /tmp).",
        url: "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
        tags: ["kubernetes", "security", "hardening"],
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
];
