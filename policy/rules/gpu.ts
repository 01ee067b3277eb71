// Rules 14-16, GPU workloads: a GPU (an extended resource whose name ends in "gpu", e.g. nvidia.com/gpu,
// amd.com/gpu) is requested and limited alike; a pod that asks for one tolerates the GPU nodes' taint and
// selects GPU nodes; a model cache (or a memory-backed /dev/shm) never sits on an emptyDir without a size limit.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BaseConfig, containerMessage, PodView, podMessage, schema, workloadPolicy } from "./common";
import { parseQuantity } from "./quantity";

const GPU_RESOURCE = /(^|\/)gpu$/i;

/** The GPU resource names a container asks for, in its requests or its limits. */
function gpuResources(container: Record<string, any>): string[] {
    const names = [...Object.keys(container.resources?.requests ?? {}), ...Object.keys(container.resources?.limits ?? {})];
    return [...new Set(names.filter((n) => GPU_RESOURCE.test(n)))];
}

/** The GPU resources of a pod's containers. */
function podGpus(pod: PodView): string[] {
    return [...new Set(pod.containers.flatMap((c) => gpuResources(c.container)))];
}

/** Environment variables that name where a model server caches weights. */
const CACHE_ENV = ["HF_HOME", "HUGGINGFACE_HUB_CACHE", "HF_HUB_CACHE", "TRANSFORMERS_CACHE", "VLLM_CACHE_ROOT", "SENTENCE_TRANSFORMERS_HOME"];
const CACHE_PATH = /(^|\/)(models?|huggingface|hf|model-cache)(\/|$)/i;

const within = (path: string, mount: string) => path === mount || path.startsWith(`${mount.replace(/\/+$/, "")}/`);

export const gpuPolicies: ResourceValidationPolicy[] = [
    workloadPolicy<BaseConfig>({
        name: "k8s-gpu-requests-equal-limits",
        displayName: "GPU requests equal limits",
        severity: "high",
        remediationSteps:
            'Set resources.limits["nvidia.com/gpu"] (or your GPU resource) on every container that uses a GPU, and a request equal to it or none; GPUs cannot be overcommitted.',
        url: "https://kubernetes.io/docs/tasks/manage-gpus/scheduling-gpus/",
        tags: ["kubernetes", "gpu", "reliability"],
        description: "A container that asks for a GPU sets the GPU limit, and its GPU request (if any) equals the limit.",
        defaults: {},
        container: (r, _pod, c, _config, report) => {
            for (const name of gpuResources(c.container)) {
                const request = c.container.resources?.requests?.[name];
                const limit = c.container.resources?.limits?.[name];
                if (limit === undefined) {
                    report(
                        containerMessage(
                            r,
                            c,
                            `resources.limits["${name}"]`,
                            "is missing",
                            `set the limit to the number of GPUs (${request ?? 1}); GPUs are never overcommitted`,
                        ),
                    );
                } else if (request !== undefined && parseQuantity(request) !== parseQuantity(limit)) {
                    report(
                        containerMessage(
                            r,
                            c,
                            `resources.requests["${name}"]`,
                            `(${request}) differs from the limit (${limit})`,
                            "request exactly the GPUs you limit",
                        ),
                    );
                }
            }
        },
    }),
    workloadPolicy<BaseConfig & { requireNodeSelection?: boolean }>({
        name: "k8s-gpu-scheduling",
        displayName: "GPU pods tolerate and select GPU nodes",
        severity: "medium",
        remediationSteps:
            'Add a toleration { key: "<gpu resource>", operator: "Exists", effect: "NoSchedule" } and a nodeSelector such as { "nvidia.com/gpu.present": "true" } (or a required node affinity) to every pod that asks for a GPU.',
        url: "https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/",
        tags: ["kubernetes", "gpu", "scheduling"],
        description:
            "A pod that asks for a GPU tolerates the GPU taint (key = the resource name) and selects GPU nodes (nodeSelector or required node affinity).",
        defaults: { requireNodeSelection: true },
        configSchema: schema({
            requireNodeSelection: { type: "boolean", default: true, description: "Require a nodeSelector or required node affinity on GPU pods." },
        }),
        pod: (r, pod, config, report) => {
            const tolerations: any[] = Array.isArray(pod.spec.tolerations) ? pod.spec.tolerations : [];
            for (const name of podGpus(pod)) {
                const tolerated = tolerations.some(
                    (t) => (t?.key === name || (t?.key === undefined && t?.operator === "Exists")) && (t?.effect === undefined || t?.effect === "NoSchedule"),
                );
                if (!tolerated) {
                    report(
                        podMessage(
                            r,
                            pod,
                            "tolerations",
                            `do not tolerate the "${name}" taint of GPU nodes`,
                            `add { key: "${name}", operator: "Exists", effect: "NoSchedule" }`,
                        ),
                    );
                }
            }
            if (config.requireNodeSelection !== false && podGpus(pod).length > 0) {
                const selector = pod.spec.nodeSelector && Object.keys(pod.spec.nodeSelector).length > 0;
                const affinity = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.length > 0;
                if (!selector && !affinity) {
                    report(
                        podMessage(
                            r,
                            pod,
                            "nodeSelector",
                            "is missing on a GPU pod",
                            `select GPU nodes, e.g. nodeSelector { "nvidia.com/gpu.present": "true" }, or a required node affinity`,
                        ),
                    );
                }
            }
        },
    }),
    workloadPolicy<BaseConfig>({
        name: "k8s-model-cache-sized",
        displayName: "Model caches are sized",
        severity: "medium",
        remediationSteps:
            "Put model weights on a PersistentVolumeClaim (a StatefulSet claim template), or give the emptyDir (and every memory-backed emptyDir such as /dev/shm) a sizeLimit.",
        url: "https://kubernetes.io/docs/concepts/storage/volumes/#emptydir",
        tags: ["kubernetes", "gpu", "reliability", "storage"],
        description:
            "A model cache (where HF_HOME and friends point, or a models/huggingface path) or a memory-backed emptyDir is never an emptyDir without a sizeLimit.",
        defaults: {},
        pod: (r, pod, _config, report) => {
            const volumes: any[] = Array.isArray(pod.spec.volumes) ? pod.spec.volumes : [];
            volumes.forEach((v, i) => {
                if (!v?.emptyDir || v.emptyDir.sizeLimit !== undefined) {
                    return;
                }
                if (v.emptyDir.medium === "Memory") {
                    report(
                        podMessage(
                            r,
                            pod,
                            `volumes[${i}].emptyDir.sizeLimit`,
                            `is missing on memory-backed volume "${v.name}"`,
                            "size it (it counts against the pod's memory)",
                        ),
                    );
                    return;
                }
                for (const c of pod.containers) {
                    const mounts: any[] = Array.isArray(c.container.volumeMounts) ? c.container.volumeMounts : [];
                    const env: any[] = Array.isArray(c.container.env) ? c.container.env : [];
                    const cacheDirs = env.filter((e) => CACHE_ENV.includes(e?.name) && typeof e?.value === "string").map((e) => e.value as string);
                    const mount = mounts.find(
                        (m) =>
                            m?.name === v.name &&
                            typeof m.mountPath === "string" &&
                            (CACHE_PATH.test(m.mountPath) || cacheDirs.some((d) => within(d, m.mountPath))),
                    );
                    if (mount) {
                        report(
                            podMessage(
                                r,
                                pod,
                                `volumes[${i}].emptyDir.sizeLimit`,
                                `is missing on volume "${v.name}", the model cache at ${mount.mountPath} (container "${c.name}")`,
                                "use a PersistentVolumeClaim (a StatefulSet volumeClaimTemplate) or set a sizeLimit so weights cannot fill the node's disk",
                            ),
                        );
                        return;
                    }
                }
            });
        },
    }),
];
