// The scale simulation's checks (e2e/scale.sh runs them; each prints `ok   - `/`FAIL - ` lines with its
// figures, `time` lines for the timing table, and plain lines for detail):
//   checks.ts settle [--pending] [--timeout S] NS...   wait until every workload's pods exist (HPA minimums
//                                                     applied) and every pod is placed; with --pending, until
//                                                     the unplaced ones are stable, each marked by the scheduler
//   checks.ts placement NS...                          GPU pods on GPU nodes only, one LLM replica per node,
//                                                     the API's and PostgreSQL members' spread over zones
//   checks.ts scale-to-max NS...                       every HPA's target scaled to the HPA's maxReplicas
//   checks.ts run-cronjobs CAPACITY_JSON NS            one Job from each CronJob the capacity report counts
//                                                     and that has no pod yet (the backups)
//   checks.ts capacity CAPACITY_JSON NS                the report's "at HPA maximum" against the placed pods
//   checks.ts pending NS...                            the unplaced pods with the scheduler's reasons
import * as fs from "fs";
import { capacity, pending, rowComponent } from "./verdicts";
import {
    addTo,
    COMPONENT,
    componentOf,
    containerRequests,
    countBy,
    fail,
    fmtSecs,
    GPU,
    isGpuNode,
    isGpuPod,
    kubectl,
    list,
    live,
    ok,
    q,
    Requests,
    scheduled,
    skew,
    sleep,
    time,
    unschedulable,
    ZONE,
} from "./kube";

const workloadKinds = ["deployments", "statefulsets"];
/** The label Patroni's members carry (components/datastores/postgres-ha.ts SCOPE_LABEL). */
const PATRONI_SCOPE = "rag-platform/patroni-cluster";

/** What is still missing before the pods of these namespaces are all there; "" when nothing is. */
function notYetCreated(namespaces: string[]): string {
    const missing: string[] = [];
    const workloads = workloadKinds.flatMap((k) => list(k, namespaces));
    for (const w of workloads) {
        const want = w.spec.replicas ?? 1;
        if ((w.status?.replicas ?? 0) !== want || (w.status?.observedGeneration ?? 0) < w.metadata.generation) {
            missing.push(`${w.metadata.namespace}/${w.kind}/${w.metadata.name} ${w.status?.replicas ?? 0}/${want}`);
        }
    }
    for (const h of list("horizontalpodautoscalers", namespaces)) {
        const ref = h.spec.scaleTargetRef;
        const w = workloads.find((x) => x.kind === ref.kind && x.metadata.name === ref.name && x.metadata.namespace === h.metadata.namespace);
        if (!w || (w.spec.replicas ?? 1) < h.spec.minReplicas) {
            missing.push(`${h.metadata.namespace}/${ref.name} below HPA minimum ${h.spec.minReplicas}`);
        }
    }
    for (const j of list("jobs", namespaces)) {
        if ((j.status?.active ?? 0) + (j.status?.succeeded ?? 0) + (j.status?.failed ?? 0) === 0) {
            missing.push(`${j.metadata.namespace}/Job/${j.metadata.name} no pod`);
        }
    }
    return missing.join(", ");
}

async function settle(args: string[]): Promise<boolean> {
    const pendingMode = args.includes("--pending");
    const opt = (name: string) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
    const timeoutMs = Number(opt("--timeout") ?? 600) * 1000;
    const after = opt("--after") ?? "the check started";
    const namespaces = args.filter((a, i) => !a.startsWith("--") && !["--timeout", "--after"].includes(args[i - 1]));
    const t0 = Date.now();
    let lastUnplaced = "";
    let stableSince = Date.now();
    let status = "";
    while (Date.now() - t0 < timeoutMs) {
        const missing = notYetCreated(namespaces);
        const pods = list("pods", namespaces).filter(live);
        const unplaced = pods.filter((p) => !scheduled(p));
        const key = unplaced
            .map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
            .sort()
            .join(" ");
        if (key !== lastUnplaced) {
            lastUnplaced = key;
            stableSince = Date.now();
        }
        status = `${pods.length} pods, ${unplaced.length} not placed${missing ? `; not created yet: ${missing.slice(0, 300)}` : ""}`;
        if (!missing && unplaced.length === 0 && !pendingMode) {
            time(`all pods placed (${namespaces.length} namespace(s), after ${after})`, Date.now() - t0);
            ok(
                `every pod placed: ${pods.length} pods in ${namespaces.length} namespace(s) on ${new Set(pods.map((p) => p.spec.nodeName)).size} nodes, ${fmtSecs(Date.now() - t0)}s after ${after}`,
            );
            return true;
        }
        const marked = unplaced.every((p) => unschedulable(p)?.reason === "Unschedulable");
        if (!missing && pendingMode && unplaced.length > 0 && marked && Date.now() - stableSince >= 15000) {
            time(`scheduler settled with pods unplaced (${namespaces.length} namespace(s), after ${after})`, stableSince - t0);
            ok(
                `the scheduler settled ${fmtSecs(stableSince - t0)}s after ${after}: ${status}, each marked Unschedulable, unchanged for ${fmtSecs(Date.now() - stableSince)}s`,
            );
            return true;
        }
        await sleep(1000);
    }
    fail(`pods not settled after ${fmtSecs(timeoutMs)}s: ${status}`);
    for (const p of list("pods", namespaces)
        .filter((x) => !scheduled(x))
        .slice(0, 5)) {
        console.log(`       ${p.metadata.namespace}/${p.metadata.name}: ${JSON.stringify(unschedulable(p) ?? p.status?.conditions ?? {})}`);
    }
    return false;
}

function placement(namespaces: string[]): boolean {
    const nodes = new Map(list("nodes").map((n) => [n.metadata.name, n]));
    const zones = [...new Set([...nodes.values()].map((n) => n.metadata.labels?.[ZONE]))].filter(Boolean).sort() as string[];
    const zoneOf = (p: any) => nodes.get(p.spec.nodeName)?.metadata.labels?.[ZONE] ?? "?";
    const pods = list("pods", namespaces).filter((p) => live(p) && scheduled(p));
    const bad: string[] = [];
    const gpuPods = pods.filter(isGpuPod);
    for (const p of pods) {
        const onGpu = isGpuNode(nodes.get(p.spec.nodeName));
        if (isGpuPod(p) !== onGpu) bad.push(`${p.metadata.namespace}/${p.metadata.name} (${isGpuPod(p) ? "GPU" : "no GPU"}) on ${p.spec.nodeName}`);
    }
    const used: Requests = {};
    for (const p of list("pods").filter((x) => live(x) && scheduled(x) && x.status?.phase !== "Succeeded"))
        addTo(used, { [p.spec.nodeName]: containerRequests(p)[GPU] ?? 0 });
    const over = [...nodes.values()].filter((n) => (used[n.metadata.name] ?? 0) > q(n.status?.allocatable?.[GPU]));
    const gpuNodesUsed = new Set(gpuPods.map((p) => p.spec.nodeName)).size;
    if (bad.length === 0 && over.length === 0 && gpuPods.length > 0) {
        ok(
            `GPU pods only on GPU nodes: ${gpuPods.length} GPU pod(s) on ${gpuNodesUsed} GPU node(s), ${pods.length - gpuPods.length} other pods on none (the taint), no node over its nvidia.com/gpu`,
        );
    } else {
        fail(
            `GPU placement: ${gpuPods.length} GPU pod(s); misplaced: ${bad.slice(0, 5).join("; ") || "none"}; over GPU capacity: ${over.map((n) => n.metadata.name).join(" ") || "none"}`,
        );
    }
    let shared = 0;
    let apiSkew = 0;
    const apiDetail: string[] = [];
    let pgMembers = 0;
    let pgShared = 0;
    let pgSkew = 0;
    for (const ns of namespaces) {
        const inNs = pods.filter((p) => p.metadata.namespace === ns);
        const perNode = countBy(
            inNs.filter((p) => componentOf(p) === "llm"),
            (p) => p.spec.nodeName,
        );
        shared += Object.values(perNode).filter((n) => n > 1).length;
        const api = inNs.filter((p) => componentOf(p) === "api" && p.status?.phase !== "Succeeded");
        const byZone = countBy(api, zoneOf);
        const s = skew(byZone, zones);
        apiSkew = Math.max(apiSkew, s);
        const maxPerNode = Math.max(0, ...Object.values(countBy(api, (p) => p.spec.nodeName)));
        // PostgreSQL in mode ha (prod's default): Patroni's members, never two of one cluster on one node, over the zones
        const members = inNs.filter((p) => p.metadata.labels?.[PATRONI_SCOPE] !== undefined);
        pgMembers += members.length;
        pgShared += Object.values(countBy(members, (p) => p.spec.nodeName)).filter((n) => n > 1).length;
        pgSkew = Math.max(pgSkew, skew(countBy(members, zoneOf), zones));
        if (namespaces.length <= 2)
            apiDetail.push(`${ns}: ${api.length} API pods, zones ${zones.map((z) => `${z}=${byZone[z] ?? 0}`).join(" ")}, at most ${maxPerNode} per node`);
    }
    const llm = pods.filter((p) => componentOf(p) === "llm").length;
    (shared === 0 && llm > 0 ? ok : fail)(
        `never two LLM replicas of one instance on one node: ${llm} LLM pod(s) in ${namespaces.length} namespace(s), ${shared} node(s) with two of one instance`,
    );
    (apiSkew <= 1 ? ok : fail)(
        `API spread across zones ${zones.join("/")}: skew ${apiSkew} (<= 1)${apiDetail.length ? `; ${apiDetail.join("; ")}` : ` (largest of ${namespaces.length} instances)`}`,
    );
    const pgOk = pgMembers >= 2 * namespaces.length && pgShared === 0 && pgSkew <= 1;
    (pgOk ? ok : fail)(
        `PostgreSQL members (mode ha) on distinct nodes across zones: ${pgMembers} member(s) in ${namespaces.length} namespace(s), ${pgShared} node(s) with two of one cluster, zone skew ${pgSkew} (<= 1)`,
    );
    return bad.length === 0 && over.length === 0 && shared === 0 && apiSkew <= 1 && pgOk;
}

function scaleToMax(namespaces: string[]): boolean {
    const hpas = list("horizontalpodautoscalers", namespaces);
    // by the workload's component, so that N instances read as one line each
    const scaled = countBy(
        hpas,
        (h) => `${h.spec.scaleTargetRef.kind} ${h.metadata.labels?.[COMPONENT] ?? h.spec.scaleTargetRef.name} -> ${h.spec.maxReplicas}`,
    );
    for (const h of hpas) {
        const ref = h.spec.scaleTargetRef;
        kubectl(["-n", h.metadata.namespace, "scale", `${ref.kind.toLowerCase()}/${ref.name}`, `--replicas=${h.spec.maxReplicas}`]);
    }
    (hpas.length ? ok : fail)(
        `every HPA's target scaled with kubectl to the HPA's maxReplicas (${hpas.length} HPA(s) in ${namespaces.length} namespace(s)): ` +
            Object.entries(scaled)
                .map(([k, n]) => `${k}${n > 1 ? ` (x${n})` : ""}`)
                .join(", "),
    );
    return hpas.length > 0;
}

function runCronJobs(report: any, ns: string): boolean {
    const pods = list("pods", [ns]);
    const ran: string[] = [];
    for (const cj of list("cronjobs", [ns])) {
        const component = cj.spec.jobTemplate.spec.template.metadata?.labels?.[COMPONENT];
        if (!report.rows.some((r: any) => rowComponent(r) === component) || pods.some((p) => componentOf(p) === component)) continue;
        kubectl(["-n", ns, "create", "job", `${cj.metadata.name}-now`, `--from=cronjob/${cj.metadata.name}`]);
        ran.push(`${cj.metadata.name} (${component})`);
    }
    ok(`ran once each CronJob whose component is a row of the capacity report and has no pod yet: ${ran.join(", ") || "none"}`);
    return true;
}

async function main([command, ...args]: string[]): Promise<boolean> {
    switch (command) {
        case "settle":
            return settle(args);
        case "placement":
            return placement(args);
        case "scale-to-max":
            return scaleToMax(args);
        case "run-cronjobs":
            return runCronJobs(JSON.parse(fs.readFileSync(args[0], "utf8")), args[1]);
        case "capacity":
            return capacity(JSON.parse(fs.readFileSync(args[0], "utf8")), args[1]);
        case "pending":
            return pending(args);
        default:
            throw new Error("usage: checks.ts settle|placement|scale-to-max|run-cronjobs|capacity|pending ...");
    }
}

main(process.argv.slice(2)).then(
    (good) => process.exit(good ? 0 : 1),
    (err: Error) => {
        fail(`e2e/scale/checks.ts ${process.argv[2]}: ${err.message.slice(0, 600)}`);
        process.exit(1);
    },
);
