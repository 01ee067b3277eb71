// The scale simulation's two reports (e2e/scale/checks.ts runs them): the capacity report against the pods
// the scheduler placed, and the pods it could not place with its reasons.
import {
    addTo,
    componentOf,
    containerRequests,
    countBy,
    effectiveRequests,
    fail,
    fmtCpu,
    fmtGi,
    GPU,
    isGpuNode,
    isGpuPod,
    list,
    live,
    ok,
    q,
    Requests,
    scheduled,
    unschedulable,
} from "./kube";

/** A capacity report row's component label ("vector-store (qdrant)" -> "vector-store"). */
export const rowComponent = (row: { component: string }) => row.component.split(" (")[0];

export function capacity(report: any, ns: string): boolean {
    const pods = list("pods", [ns]).filter((p) => live(p) && scheduled(p));
    const placed: Record<string, Requests> = {};
    const count: Record<string, number> = {};
    const total: Requests = {};
    const effective: Requests = {};
    // A sidecar with a report row of its own (the datastores' exporters: row and container "postgres-exporter" in a
    // pod of component "postgres") is counted there, one per pod; every other container counts for its pod's component.
    const rows = new Set<string>(report.rows.map(rowComponent));
    for (const p of pods) {
        const c = componentOf(p);
        const parts: Record<string, Requests> = {};
        for (const k of p.spec.containers) {
            addTo((parts[k.name !== c && rows.has(k.name) ? k.name : c] ??= {}), containerRequests({ spec: { containers: [k] } }));
        }
        for (const [part, requests] of Object.entries(parts)) {
            addTo((placed[part] ??= {}), requests);
            count[part] = (count[part] ?? 0) + 1;
        }
        addTo(total, containerRequests(p));
        addTo(effective, effectiveRequests(p));
    }
    const mismatches: string[] = [];
    const eq = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
    console.log(`       ${"component".padEnd(22)} ${"report: max x request (cpu, memory, gpu)".padEnd(44)} placed pods: n, sum of requests`);
    for (const row of report.rows) {
        const c = rowComponent(row);
        const want = {
            cpu: row.maxReplicas * q(row.resources.requests.cpu),
            memory: row.maxReplicas * q(row.resources.requests.memory),
            gpu: row.maxReplicas * (row.gpus ?? 0),
        };
        const got = placed[c] ?? {};
        const have = { cpu: got.cpu ?? 0, memory: got.memory ?? 0, gpu: got[GPU] ?? 0 };
        console.log(
            `       ${c.padEnd(22)} ${`${row.maxReplicas} x -> ${fmtCpu(want.cpu)}, ${fmtGi(want.memory)}, ${want.gpu}`.padEnd(44)} ${count[c] ?? 0} -> ${fmtCpu(have.cpu)}, ${fmtGi(have.memory)}, ${have.gpu}`,
        );
        if (!eq(want.cpu, have.cpu) || !eq(want.memory, have.memory) || want.gpu !== have.gpu || (count[c] ?? 0) !== row.maxReplicas) mismatches.push(c);
    }
    const unreported = Object.keys(placed).filter((c) => !report.rows.some((r: any) => rowComponent(r) === c));
    const t = report.atMaximum.requests;
    const sums = `report at HPA maximum: cpu ${fmtCpu(q(t.cpu))} (${t.cpu}), memory ${fmtGi(q(t.memory))} (${t.memory}), nvidia.com/gpu ${report.gpus.atMaximum}; placed pods (${pods.length}): cpu ${fmtCpu(total.cpu ?? 0)}, memory ${fmtGi(total.memory ?? 0)}, nvidia.com/gpu ${total[GPU] ?? 0}`;
    const agree =
        mismatches.length === 0 &&
        unreported.length === 0 &&
        eq(q(t.cpu), total.cpu ?? 0) &&
        eq(q(t.memory), total.memory ?? 0) &&
        report.gpus.atMaximum === (total[GPU] ?? 0);
    console.log(`       with init containers (what the scheduler reserves): cpu ${fmtCpu(effective.cpu ?? 0)}, memory ${fmtGi(effective.memory ?? 0)}`);
    (agree ? ok : fail)(
        `npm run capacity agrees with the placed pods' requests: ${sums}${agree ? "" : `; differ: ${[...mismatches, ...unreported.map((c) => `${c} (not in the report)`)].join(", ")}`}`,
    );
    return agree;
}

export function pending(namespaces: string[]): boolean {
    const nodes = list("nodes");
    const pods = list("pods", namespaces).filter(live);
    const unplaced = pods.filter((p) => !scheduled(p));
    const reasons = countBy(unplaced, (p) => `${unschedulable(p)?.reason ?? "no PodScheduled=False"}: ${unschedulable(p)?.message ?? ""}`);
    for (const [msg, n] of Object.entries(reasons).sort((a, b) => b[1] - a[1])) console.log(`       ${n} pod(s): ${msg}`);
    // FailedScheduling events of the unplaced pods; the latest one per pod is the scheduler's current verdict (an
    // earlier one may be a retried conflict, e.g. VolumeBinding's PreBind racing the PV controller on the claim)
    const stamp = (e: any) => e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? "";
    const events = list("events", namespaces).filter((e) => e.reason === "FailedScheduling" && unplaced.some((p) => p.metadata.uid === e.involvedObject.uid));
    const latest = new Map<string, any>();
    for (const e of events) if (!latest.has(e.involvedObject.uid) || stamp(e) > stamp(latest.get(e.involvedObject.uid))) latest.set(e.involvedObject.uid, e);
    const first = [...latest.values()][0];
    if (first) console.log(`       latest FailedScheduling event, e.g. ${first.involvedObject.namespace}/${first.involvedObject.name}: ${first.message}`);
    const retried = events.filter((e) => !/^0\/\d+ nodes are available/.test(e.message ?? ""));
    if (retried.length)
        console.log(`       ${retried.length} earlier FailedScheduling event(s) of another kind (the scheduler retried them), e.g. ${retried[0].message}`);
    const pool = nodes.filter(isGpuNode).reduce((a, n) => a + q(n.status?.allocatable?.[GPU]), 0);
    const placedGpus = list("pods")
        .filter((p) => live(p) && scheduled(p) && p.status?.phase !== "Succeeded")
        .reduce((a, p) => a + (containerRequests(p)[GPU] ?? 0), 0);
    const wanted = unplaced.reduce((a, p) => a + (containerRequests(p)[GPU] ?? 0), 0);
    const nonGpu = unplaced.filter((p) => !isGpuPod(p));
    const unexplained = unplaced.filter((p) => unschedulable(p)?.reason !== "Unschedulable" || !unschedulable(p)?.message);
    const good = unplaced.length > 0 && nonGpu.length === 0 && unexplained.length === 0 && latest.size === unplaced.length;
    (good ? ok : fail)(
        `GPU pool too small: ${unplaced.length} pod(s) unplaced (${Object.entries(countBy(unplaced, componentOf))
            .map(([c, n]) => `${c} ${n}`)
            .join(
                ", ",
            )}), asking ${wanted} more nvidia.com/gpu; ${placedGpus} of the pool's ${pool} GPUs in use; every other pod placed (${pods.length - unplaced.length}); ` +
            `each marked PodScheduled=False/Unschedulable with the scheduler's message (${unexplained.length} without), ${latest.size} with a FailedScheduling event` +
            (nonGpu.length ? `; NOT GPU pods: ${nonGpu.map((p) => p.metadata.name).join(" ")}` : ""),
    );
    return good;
}
