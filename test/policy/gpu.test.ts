import { Case, checkPolicy } from "./cases";
import { main, Pod } from "./fixtures";

const check = (policy: string, cases: Case[]) => checkPolicy(policy, cases, "StatefulSet", "llm");

/** A compliant GPU pod: one GPU requested and limited, the taint tolerated, GPU nodes selected. */
function gpuPod(p: Pod, count = "1"): void {
    main(p).resources.requests["nvidia.com/gpu"] = count;
    main(p).resources.limits["nvidia.com/gpu"] = count;
    p.tolerations = [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }];
    p.nodeSelector = { "nvidia.com/gpu.present": "true" };
}

describe("policy pack: GPU workloads", () => {
    check("k8s-gpu-requests-equal-limits", [
        { title: "a GPU requested and limited alike", edit: (p) => gpuPod(p, "2"), expect: [] },
        { title: "a pod without GPUs", edit: () => undefined, expect: [] },
        {
            title: "a GPU request above the limit, naming resource, container and fix",
            edit: (p) => {
                gpuPod(p);
                main(p).resources.requests["nvidia.com/gpu"] = "2";
            },
            expect: [
                /^StatefulSet llm, container "app": spec\.template\.spec\.containers\[0\]\.resources\.requests\["nvidia\.com\/gpu"\] \(2\) differs from the limit \(1\); request exactly the GPUs you limit$/,
            ],
        },
        {
            title: "a GPU request without a limit (any vendor's gpu resource)",
            edit: (p) => {
                gpuPod(p);
                delete main(p).resources.limits["nvidia.com/gpu"];
                main(p).resources.requests["amd.com/gpu"] = "1";
            },
            expect: [/limits\["nvidia\.com\/gpu"\] is missing/, /limits\["amd\.com\/gpu"\] is missing/],
        },
        {
            title: "an init container's unlimited GPU",
            edit: (p) => (p.initContainers[0].resources.requests["nvidia.com/gpu"] = "1"),
            expect: [/init container "migrate".*limits\["nvidia\.com\/gpu"\] is missing/],
        },
    ]);

    check("k8s-gpu-scheduling", [
        { title: "a GPU pod that tolerates the taint and selects GPU nodes", edit: (p) => gpuPod(p), expect: [] },
        {
            title: "a GPU pod selecting GPU nodes by required node affinity",
            edit: (p) => {
                gpuPod(p);
                delete p.nodeSelector;
                p.affinity = {
                    nodeAffinity: {
                        requiredDuringSchedulingIgnoredDuringExecution: {
                            nodeSelectorTerms: [{ matchExpressions: [{ key: "nvidia.com/gpu.present", operator: "In", values: ["true"] }] }],
                        },
                    },
                };
            },
            expect: [],
        },
        { title: "a pod without GPUs and without tolerations", edit: () => undefined, expect: [] },
        {
            title: "a GPU pod without the toleration",
            edit: (p) => {
                gpuPod(p);
                delete p.tolerations;
            },
            expect: [
                /^StatefulSet llm: spec\.template\.spec\.tolerations do not tolerate the "nvidia\.com\/gpu" taint of GPU nodes; add \{ key: "nvidia\.com\/gpu"/,
            ],
        },
        {
            title: "a toleration of another taint only",
            edit: (p) => {
                gpuPod(p);
                p.tolerations = [{ key: "dedicated", operator: "Equal", value: "ml", effect: "NoSchedule" }];
            },
            expect: [/do not tolerate the "nvidia\.com\/gpu" taint/],
        },
        {
            title: "a GPU pod that selects no nodes",
            edit: (p) => {
                gpuPod(p);
                p.nodeSelector = {};
            },
            expect: [/spec\.template\.spec\.nodeSelector is missing on a GPU pod; select GPU nodes/],
        },
        {
            title: "a Job's GPU pod without either",
            kind: "Job",
            edit: (p) => {
                gpuPod(p);
                delete p.tolerations;
                delete p.nodeSelector;
            },
            expect: [/tolerations do not tolerate/, /nodeSelector is missing/],
        },
    ]);

    check("k8s-model-cache-sized", [
        {
            title: "a model cache on a claim and a sized memory /dev/shm",
            edit: (p) => {
                p.volumes.push({ name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "8Gi" } });
                p.volumes.push({ name: "model-cache", persistentVolumeClaim: { claimName: "cache" } });
                main(p).volumeMounts = [
                    { name: "model-cache", mountPath: "/models" },
                    { name: "dshm", mountPath: "/dev/shm" },
                ];
                main(p).env.push({ name: "HF_HOME", value: "/models/hf" });
            },
            expect: [],
        },
        {
            title: "a sized emptyDir model cache",
            edit: (p) => {
                p.volumes.push({ name: "cache", emptyDir: { sizeLimit: "20Gi" } });
                main(p).volumeMounts = [{ name: "cache", mountPath: "/models" }];
            },
            expect: [],
        },
        {
            title: "an unsized emptyDir that is not a model cache (/tmp)",
            edit: (p) => (main(p).volumeMounts = [{ name: "tmp", mountPath: "/tmp" }]),
            expect: [],
        },
        {
            title: "an unsized emptyDir where HF_HOME points",
            edit: (p) => {
                main(p).volumeMounts = [{ name: "tmp", mountPath: "/cache" }];
                main(p).env.push({ name: "HF_HOME", value: "/cache/hf" });
            },
            expect: [
                /^StatefulSet llm: spec\.template\.spec\.volumes\[0\]\.emptyDir\.sizeLimit is missing on volume "tmp", the model cache at \/cache \(container "app"\); use a PersistentVolumeClaim/,
            ],
        },
        {
            title: "an unsized emptyDir mounted at /models",
            edit: (p) => {
                p.volumes.push({ name: "weights", emptyDir: {} });
                main(p).volumeMounts = [{ name: "weights", mountPath: "/models" }];
            },
            expect: [/volumes\[1\]\.emptyDir\.sizeLimit is missing on volume "weights", the model cache at \/models/],
        },
        {
            title: "an unsized memory-backed emptyDir",
            edit: (p) => p.volumes.push({ name: "dshm", emptyDir: { medium: "Memory" } }),
            expect: [/volumes\[1\]\.emptyDir\.sizeLimit is missing on memory-backed volume "dshm"/],
        },
    ]);
});
