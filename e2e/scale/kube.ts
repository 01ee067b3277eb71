// kubectl and the arithmetic the scale simulation's checks share (e2e/scale.sh): the cluster is the one of
// e2e/lib/cluster.sh ($KUBECONFIG), the nodes are KWOK's (e2e/scale/nodes.ts).
import { spawnSync } from "child_process";
import { parseQuantity } from "../../lib/quantity";

export const GPU = "nvidia.com/gpu";
export const GPU_LABEL = "nvidia.com/gpu.present";
export const ZONE = "topology.kubernetes.io/zone";
export const COMPONENT = "app.kubernetes.io/component";

/** Runs kubectl; throws with its stderr when it fails. */
export function kubectl(args: string[], input?: string): string {
    const r = spawnSync("kubectl", args, { input, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
    if (r.status !== 0) {
        throw new Error(`kubectl ${args.join(" ")}: ${(r.stderr || r.error?.message || "").trim()}`);
    }
    return r.stdout;
}

/** `kubectl get KIND -o json` across the given namespaces (all when none): the items. */
export function list(kind: string, namespaces: string[] = []): any[] {
    if (namespaces.length === 0) {
        return JSON.parse(kubectl(["get", kind, "-A", "-o", "json"])).items;
    }
    return namespaces.flatMap((ns) => JSON.parse(kubectl(["get", kind, "-n", ns, "-o", "json"])).items);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A quantity as a number (CPU in cores, memory in bytes); 0 when absent. */
export function q(v: unknown): number {
    return typeof v === "string" || typeof v === "number" ? (parseQuantity(String(v)) ?? 0) : 0;
}

export type Requests = Record<string, number>;

export function addTo(acc: Requests, add: Requests, times = 1): Requests {
    for (const [k, v] of Object.entries(add)) {
        acc[k] = (acc[k] ?? 0) + v * times;
    }
    return acc;
}

/** The sum of a pod's app containers' requests (what the capacity report models per replica). */
export function containerRequests(pod: any): Requests {
    const out: Requests = {};
    for (const c of pod.spec.containers) {
        for (const [k, v] of Object.entries(c.resources?.requests ?? {})) {
            out[k] = (out[k] ?? 0) + q(v);
        }
    }
    return out;
}

/** What the scheduler reserves for a pod: max(each init container, the sum of the app containers). */
export function effectiveRequests(pod: any): Requests {
    const out = containerRequests(pod);
    for (const c of pod.spec.initContainers ?? []) {
        for (const [k, v] of Object.entries(c.resources?.requests ?? {})) {
            out[k] = Math.max(out[k] ?? 0, q(v));
        }
    }
    return out;
}

export const isGpuPod = (pod: any) => (containerRequests(pod)[GPU] ?? 0) > 0;
export const isGpuNode = (node: any) => node.metadata.labels?.[GPU_LABEL] === "true";
export const componentOf = (pod: any): string => pod.metadata.labels?.[COMPONENT] ?? "?";
export const scheduled = (pod: any) => Boolean(pod.spec.nodeName);
export const live = (pod: any) => !pod.metadata.deletionTimestamp;

/** The scheduler's word on a pod it could not place: PodScheduled=False's reason and message. */
export function unschedulable(pod: any): { reason: string; message: string } | undefined {
    const c = (pod.status?.conditions ?? []).find((x: any) => x.type === "PodScheduled" && x.status === "False");
    return c ? { reason: c.reason ?? "", message: c.message ?? "" } : undefined;
}

/** Replicas per topology value (zone or node) of the given pods. */
export function countBy(pods: any[], key: (pod: any) => string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of pods) {
        out[key(p)] = (out[key(p)] ?? 0) + 1;
    }
    return out;
}

/** max - min over every listed domain (a domain with no replica counts as 0). */
export function skew(counts: Record<string, number>, domains: string[]): number {
    const values = domains.map((d) => counts[d] ?? 0);
    return Math.max(...values) - Math.min(...values);
}

export const fmtCpu = (cores: number) => `${Math.round(cores * 1000) / 1000}`;
export const fmtGi = (bytes: number) => `${Math.round((bytes / 2 ** 30) * 1000) / 1000}Gi`;
export const fmtSecs = (ms: number) => (ms / 1000).toFixed(1);

/** ok/FAIL lines as e2e/scale.sh counts them; `time<TAB>label<TAB>seconds` lines go to its timing table. */
export const ok = (msg: string) => console.log(`ok   - ${msg}`);
export const fail = (msg: string) => console.log(`FAIL - ${msg}`);
export const time = (label: string, ms: number) => console.log(`time\t${label}\t${fmtSecs(ms)}`);
