// Rule 1: every container and init container sets CPU and memory requests and limits, limits are not below
// requests, and (optionally) limits stay under a per-container ceiling.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BaseConfig, containerMessage, schema, workloadPolicy } from "./common";
import { parseQuantity } from "./quantity";

export interface ResourcesConfig extends BaseConfig {
    /** Largest CPU limit a container may set (e.g. "4"); unset means no ceiling. */
    maxCpuLimit?: string;
    /** Largest memory limit a container may set (e.g. "8Gi"); unset means no ceiling. */
    maxMemoryLimit?: string;
}

const EXAMPLE = { cpu: '"500m"', memory: '"512Mi"' } as const;

export const resourcePolicies: ResourceValidationPolicy[] = [
    workloadPolicy<ResourcesConfig>({
        name: "k8s-container-resources",
        displayName: "Container requests and limits",
        severity: "high",
        remediationSteps:
            "Set resources.requests and resources.limits for cpu and memory on every container and init container, limits at least the requests (in this repository: the component's resources config key).",
        url: "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
        tags: ["kubernetes", "reliability", "cost"],
        description: "Every container and init container sets CPU and memory requests and limits, with limits not below requests.",
        defaults: {},
        configSchema: schema({
            maxCpuLimit: { type: "string", description: 'Largest CPU limit per container, e.g. "4".' },
            maxMemoryLimit: { type: "string", description: 'Largest memory limit per container, e.g. "8Gi".' },
        }),
        container: (r, _pod, c, config, report) => {
            if (c.ephemeral) {
                return; // the API server forbids resources on ephemeral containers
            }
            const resources = c.container.resources ?? {};
            for (const res of ["cpu", "memory"] as const) {
                const values: Partial<Record<"requests" | "limits", number>> = {};
                for (const kind of ["requests", "limits"] as const) {
                    const raw = resources[kind]?.[res];
                    const field = `resources.${kind}.${res}`;
                    if (raw === undefined || raw === null || raw === "") {
                        report(containerMessage(r, c, field, "is missing", `set a ${res} ${kind === "requests" ? "request" : "limit"} (e.g. ${EXAMPLE[res]})`));
                        continue;
                    }
                    const parsed = parseQuantity(raw);
                    if (parsed === undefined) {
                        report(
                            containerMessage(
                                r,
                                c,
                                field,
                                `is not a valid quantity (${JSON.stringify(raw)})`,
                                `use a Kubernetes quantity such as ${EXAMPLE[res]}`,
                            ),
                        );
                        continue;
                    }
                    values[kind] = parsed;
                }
                if (values.requests !== undefined && values.limits !== undefined && values.limits < values.requests) {
                    report(
                        containerMessage(
                            r,
                            c,
                            `resources.limits.${res}`,
                            `(${resources.limits[res]}) is below the request (${resources.requests[res]})`,
                            `raise the limit to at least the request`,
                        ),
                    );
                }
                const ceiling = res === "cpu" ? config.maxCpuLimit : config.maxMemoryLimit;
                const max = ceiling !== undefined ? parseQuantity(ceiling) : undefined;
                if (max !== undefined && values.limits !== undefined && values.limits > max) {
                    report(
                        containerMessage(
                            r,
                            c,
                            `resources.limits.${res}`,
                            `(${resources.limits[res]}) exceeds the allowed maximum ${ceiling}`,
                            `lower the limit or scale out`,
                        ),
                    );
                }
            }
        },
    }),
];
