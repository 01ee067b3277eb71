// The simulated nodes of e2e/scale.sh, as a v1 List for `kubectl create -f -`: KWOK (annotation
// kwok.x-k8s.io/node=fake) keeps them Ready and runs their pods. Three zones (topology.kubernetes.io/zone
// a, b, c, round robin), a CPU pool and a GPU pool laid out as NVIDIA's GPU operator labels and taints one:
// `nvidia.com/gpu.present=true`, the taint `nvidia.com/gpu=present:NoSchedule`, and `nvidia.com/gpu` in
// capacity (what the device plugin advertises).
//   nodes.ts CPU_NODES GPU_NODES GPUS_PER_NODE [PREFIX]
// Sizes: CPU nodes as an m5.4xlarge (16 vCPU, 64 GiB), GPU nodes as a p4d.24xlarge (96 vCPU, 1152 GiB,
// 8 GPUs), allocatable a little under capacity as a kubelet's reservations leave it.
import { GPU, GPU_LABEL, ZONE } from "./kube";

export const ZONES = ["a", "b", "c"];

interface Shape {
    instanceType: string;
    capacity: Record<string, string>;
    allocatable: Record<string, string>;
}

const CPU_SHAPE: Shape = {
    instanceType: "m5.4xlarge",
    capacity: { cpu: "16", memory: "64Gi", pods: "110", "ephemeral-storage": "200Gi" },
    allocatable: { cpu: "15800m", memory: "61Gi", pods: "110", "ephemeral-storage": "180Gi" },
};

const gpuShape = (gpus: number): Shape => ({
    instanceType: "p4d.24xlarge",
    capacity: { cpu: "96", memory: "1152Gi", pods: "110", "ephemeral-storage": "800Gi", [GPU]: `${gpus}` },
    allocatable: { cpu: "95", memory: "1100Gi", pods: "110", "ephemeral-storage": "750Gi", [GPU]: `${gpus}` },
});

function node(name: string, zone: string, shape: Shape, gpu: boolean): object {
    return {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name,
            annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
            labels: {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": shape.instanceType,
                [ZONE]: zone,
                "topology.kubernetes.io/region": "sim",
                type: "kwok",
                ...(gpu ? { [GPU_LABEL]: "true" } : {}),
            },
        },
        spec: gpu ? { taints: [{ key: GPU, value: "present", effect: "NoSchedule" }] } : {},
        status: { capacity: shape.capacity, allocatable: shape.allocatable, phase: "Running" },
    };
}

export function nodeList(cpuNodes: number, gpuNodes: number, gpusPerNode: number, prefix = "sim"): object {
    const pad = (i: number) => String(i + 1).padStart(3, "0");
    const items = [
        ...Array.from({ length: cpuNodes }, (_, i) => node(`${prefix}-cpu-${pad(i)}`, ZONES[i % ZONES.length], CPU_SHAPE, false)),
        ...Array.from({ length: gpuNodes }, (_, i) => node(`${prefix}-gpu-${pad(i)}`, ZONES[i % ZONES.length], gpuShape(gpusPerNode), true)),
    ];
    return { apiVersion: "v1", kind: "List", items };
}

if (require.main === module) {
    const [cpu, gpu, perNode, prefix] = process.argv.slice(2);
    const n = [cpu, gpu, perNode].map(Number);
    if (n.some((x) => !Number.isInteger(x) || x < 0)) {
        console.error("usage: nodes.ts CPU_NODES GPU_NODES GPUS_PER_NODE [PREFIX]");
        process.exit(2);
    }
    process.stdout.write(JSON.stringify(nodeList(n[0], n[1], n[2], prefix)));
}
