// Rule 7: no sharing of the node's namespaces, filesystem or ports.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BaseConfig, containerMessage, podMessage, workloadPolicy } from "./common";

export const hostPolicies: ResourceValidationPolicy[] = [
    workloadPolicy<BaseConfig>({
        name: "k8s-no-host-access",
        description: "Pods use no host network, PID or IPC namespace, no hostPath volume and no host port.",
        defaults: {},
        pod: (r, pod, _config, report) => {
            for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
                if (pod.spec[field] === true) {
                    report(podMessage(r, pod, field, "is true", `remove ${field}; use a Service for networking`));
                }
            }
            const volumes: any[] = Array.isArray(pod.spec.volumes) ? pod.spec.volumes : [];
            volumes.forEach((v, i) => {
                if (v?.hostPath) {
                    report(
                        podMessage(
                            r,
                            pod,
                            `volumes[${i}].hostPath`,
                            `mounts ${v.hostPath.path ?? "a node path"} (volume "${v.name}")`,
                            "use an emptyDir, a ConfigMap or a PersistentVolumeClaim",
                        ),
                    );
                }
            });
        },
        container: (r, _pod, c, _config, report) => {
            const ports: any[] = Array.isArray(c.container.ports) ? c.container.ports : [];
            ports.forEach((p, i) => {
                if (p?.hostPort !== undefined && p?.hostPort !== 0) {
                    report(containerMessage(r, c, `ports[${i}].hostPort`, `is ${p.hostPort}`, "remove hostPort; expose the port through a Service"));
                }
            });
        },
    }),
];
