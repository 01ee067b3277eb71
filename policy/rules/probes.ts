// Rule 2: long-running containers (not Jobs/CronJobs, not init containers; native sidecars count as
// long-running) have liveness and readiness probes.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BaseConfig, containerMessage, workloadPolicy } from "./common";

export const probePolicies: ResourceValidationPolicy[] = [
    workloadPolicy<BaseConfig>({
        name: "k8s-container-probes",
        displayName: "Liveness and readiness probes",
        severity: "medium",
        remediationSteps: "Add livenessProbe and readinessProbe (httpGet, tcpSocket, grpc or exec) to every long-running container and native sidecar.",
        url: "https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/",
        tags: ["kubernetes", "reliability"],
        description: "Long-running containers have liveness and readiness probes.",
        defaults: {},
        container: (r, pod, c, _config, report) => {
            if (!pod.kind.longRunning || c.ephemeral || (c.init && !c.sidecar)) {
                return;
            }
            if (!c.container.livenessProbe) {
                report(
                    containerMessage(
                        r,
                        c,
                        "livenessProbe",
                        "is missing",
                        "add a liveness probe (httpGet, tcpSocket, grpc or exec) so a hung process is restarted",
                    ),
                );
            }
            if (!c.container.readinessProbe) {
                report(containerMessage(r, c, "readinessProbe", "is missing", "add a readiness probe so traffic only reaches ready pods"));
            }
        },
    }),
];
