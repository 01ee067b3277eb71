// The connection matrix (issue 23): every cell of intent.ts's table probed for real, on a cluster that enforces
// NetworkPolicies (scripts/cluster CL_NETPOL=1), against a deployed platform. One probe pod per source, carrying
// the labels of the live workload it stands for (read from its Deployment/StatefulSet/Job/CronJob template,
// without the controllers' own labels, so no controller adopts it) or placed in another namespace; it opens a
// TCP connection to each target's Service (ClusterIP and port; DNS: kube-system/kube-dns TCP 53) and reports
// how each ended. Prints the table with counts and one `ok   - ` / `FAIL - ` line; exit 1 when a cell
// contradicts the intent.
//
//   node -r ts-node/register/transpile-only e2e/netpol/matrix.ts --namespace rag-dev --image IMG \
//     [--ingress-namespace ingress-nginx] [--stranger-namespace e2e-stranger] [--ingress-enabled true|false]
//     --outside IP:PORT [--external-datastore redis --external IP:PORT --external-port IP:PORT --external-host IP:PORT]
//
// --outside: a listener outside the cluster that no policy names (the caller runs it): every pod of the namespace
// must be refused there. It is also each probe's gate (probe.ts): refused cells are probed once it has shut.
//
// With --external-datastore the stack runs that datastore outside the cluster (mode external, host an IP literal):
// its in-cluster columns go, and three columns come: the datastore's address (--external), the same host on
// another port and another address on the same port (servers the caller runs, all listening).
//
// Bounded waits: an allowed cell is retried (2 s per attempt) for up to 20 s, since the engine learns of a new
// pod a moment after it starts (until then other pods' ingress rules refuse it, while its own egress is not yet
// restricted); a refused cell is probed once, after the pod's allowed cells opened and its gate (the outside
// address) shut, with a 3 s timeout. kubectl comes from PATH (KUBECONFIG).
import { execFileSync } from "node:child_process";
import { Cell, columns, ExternalTarget, intended, Outcome, renderTable, Source, SOURCE_NOTES, SOURCES, Target, TARGETS, verdict, Via } from "./intent";
import { Options, parseArgs } from "./options";
import { PodSummary, podTarget, ServicePort } from "./pod-target";
import { Labels, probePod } from "./probe";

function kubectl(args: string[], input?: string): string {
    return execFileSync("kubectl", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"], timeout: 60_000 });
}

interface K8sList<T> {
    items: T[];
}
interface PodTemplate {
    metadata?: { labels?: Labels };
}
interface Workload {
    kind: string;
    metadata: { name: string };
    spec: { template?: PodTemplate; jobTemplate?: { spec: { template: PodTemplate } } };
}
interface Service {
    metadata: { name: string };
    spec: { clusterIP?: string; selector?: Labels; ports?: ServicePort[] };
}

/** Labels a controller sets on its own pods (a probe pod carrying them could be adopted). */
const CONTROLLER_LABEL = /(^|\/)(controller-uid|job-name|pod-template-hash|controller-revision-hash|pod-index|statefulset\.kubernetes\.io\/pod-name)$/;
const NAME = "app.kubernetes.io/name";

/** The component names each source and target may carry (the vector store's component is named by the engine). */
const COMPONENTS: Record<Exclude<Source, "ingress" | "stranger" | "unlabelled"> | Exclude<Target, "dns">, string[]> = {
    api: ["api"],
    indexer: ["indexer"],
    frontend: ["frontend"],
    "postgres-backup": ["postgres-backup"],
    postgres: ["postgres"],
    redis: ["redis"],
    "vector-store": ["vector-store", "qdrant", "chroma", "milvus"],
};

function workloadLabels(ns: string): Map<string, Labels> {
    const list = JSON.parse(kubectl(["-n", ns, "get", "deployments,statefulsets,cronjobs,jobs", "-o", "json"])) as K8sList<Workload>;
    const out = new Map<string, Labels>();
    for (const w of list.items) {
        const tpl = w.spec.template ?? w.spec.jobTemplate?.spec.template;
        const labels = Object.fromEntries(Object.entries(tpl?.metadata?.labels ?? {}).filter(([k]) => !CONTROLLER_LABEL.test(k)));
        const name = labels[NAME];
        if (name && !out.has(name)) out.set(name, labels);
    }
    return out;
}

interface Endpoint {
    ip: string;
    port: number;
    service: string;
    /** a serving pod behind the Service and the port it listens on for the Service's port (pod-target.ts) */
    podIp?: string;
    podPort?: number;
    pod?: string;
}

function podOf(ns: string, svc: Service, port: ServicePort): { podIp?: string; podPort?: number; pod?: string } {
    const selector = Object.entries(svc.spec.selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
    if (!selector) return {};
    const pods = (JSON.parse(kubectl(["-n", ns, "get", "pods", "-l", selector, "-o", "json"])) as K8sList<PodSummary>).items;
    return podTarget(port, pods) ?? {};
}

function targetEndpoints(ns: string, o: Options): Map<Target | ExternalTarget, Endpoint> {
    const svcs = (JSON.parse(kubectl(["-n", ns, "get", "services", "-o", "json"])) as K8sList<Service>).items;
    const out = new Map<Target | ExternalTarget, Endpoint>();
    for (const [t, a] of Object.entries(o.external)) out.set(t as ExternalTarget, { ...a, service: `a listener outside the cluster (${t})` });
    for (const t of TARGETS) {
        if (t === "dns" || t === o.setup.external) continue;
        const svc = svcs.find((s) => s.spec.clusterIP && s.spec.clusterIP !== "None" && COMPONENTS[t].includes(s.spec.selector?.[NAME] ?? ""));
        const port = svc?.spec.ports?.find((p) => (p.protocol ?? "TCP") === "TCP");
        if (svc && port) out.set(t, { ip: svc.spec.clusterIP as string, port: port.port, service: `${ns}/${svc.metadata.name}`, ...podOf(ns, svc, port) });
    }
    const dns = JSON.parse(kubectl(["-n", "kube-system", "get", "service", "kube-dns", "-o", "json"])) as Service;
    if (dns.spec.clusterIP) out.set("dns", { ip: dns.spec.clusterIP, port: 53, service: "kube-system/kube-dns" });
    return out;
}

/** Whether a ClusterIP Service of the namespace selects that component's pods. */
function svcsFor(ns: string, t: Target): boolean {
    const svcs = (JSON.parse(kubectl(["-n", ns, "get", "services", "-o", "json"])) as K8sList<Service>).items;
    return svcs.some((s) => COMPONENTS[t as Exclude<Target, "dns">]?.includes(s.spec.selector?.[NAME] ?? ""));
}

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

async function main(): Promise<number> {
    const o = parseArgs(process.argv.slice(2));
    const t0 = Date.now();
    const labels = workloadLabels(o.namespace);
    const endpoints = targetEndpoints(o.namespace, o);
    const cols = columns(o.setup);
    const targets = [...new Set(cols.map((c) => c.target))];
    const problems: string[] = [];
    for (const t of targets) if (!endpoints.has(t)) problems.push(`no Service for target ${t}`);
    for (const c of cols)
        if (c.via === "pod" && endpoints.has(c.target) && !endpoints.get(c.target)?.podIp)
            problems.push(`no serving pod behind ${endpoints.get(c.target)?.service}`);
    // the external datastore's Service must be gone (mode external renders none)
    if (o.setup.external && svcsFor(o.namespace, o.setup.external))
        problems.push(`${o.setup.external} runs outside, yet a Service in ${o.namespace} selects it`);
    const sourceNs = (s: Source): string => (s === "ingress" ? o.ingressNamespace : s === "stranger" ? o.strangerNamespace : o.namespace);
    const sourceLabels = (s: Source): Labels | undefined => {
        if (s === "ingress" || s === "stranger" || s === "unlabelled") return { "app.kubernetes.io/name": `netpol-${s}` };
        return COMPONENTS[s].map((c) => labels.get(c)).find((l) => l !== undefined);
    };
    for (const s of SOURCES) if (!sourceLabels(s)) problems.push(`no workload for source ${s} (found: ${[...labels.keys()].join(", ")})`);
    if (problems.length) {
        console.log(`FAIL - connection matrix: ${problems.join("; ")}`);
        return 1;
    }
    for (const ns of [o.ingressNamespace, o.strangerNamespace]) {
        try {
            kubectl(["get", "namespace", ns]);
        } catch {
            kubectl(["create", "namespace", ns]);
        }
    }
    const run = Date.now().toString(36);
    const pods = SOURCES.map((s) => {
        const cells = cols.flatMap(({ target, via }) => {
            const allowed = intended(s, target, o.setup);
            const ep = endpoints.get(target) as Endpoint;
            const [ip, port] = via === "pod" ? [ep.podIp, ep.podPort] : [ep.ip, ep.port];
            // the gate: the outside address, for the namespace's own pods (another namespace's egress is not the platform's)
            const gate = target === "outside";
            return allowed === undefined ? [] : [{ key: `${target}@${via}`, target, via, allowed, ip, port, gate }];
        });
        return { source: s, ns: sourceNs(s), name: `netpol-${s}-${run}`, cells };
    });
    for (const p of pods) kubectl(["-n", p.ns, "apply", "-f", "-"], JSON.stringify(probePod(p.name, sourceLabels(p.source) as Labels, o.image, p.cells)));

    // one query for every probe pod's phase (namespace/name phase), every 2 s
    const phases = (): Map<string, string> => {
        try {
            const out = kubectl([
                "get",
                "pods",
                "-A",
                "-l",
                "rag-e2e/netpol-probe=true",
                "-o",
                'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.status.phase}{"\\n"}{end}',
            ]);
            return new Map(
                out
                    .split("\n")
                    .filter(Boolean)
                    .map((l) => l.split(" ") as [string, string]),
            );
        } catch {
            return new Map();
        }
    };
    const phase = (p: (typeof pods)[number]): string => phases().get(`${p.ns}/${p.name}`) ?? "";
    const deadline = Date.now() + 150_000;
    for (;;) {
        const now = phases();
        if (pods.every((p) => ["Succeeded", "Failed"].includes(now.get(`${p.ns}/${p.name}`) ?? "")) || Date.now() > deadline) break;
        await sleep(2000);
    }

    const cells: Cell[] = [];
    const gates: number[] = [];
    for (const p of pods) {
        let results: { key: string; outcome: string; ms: number; tries: number; gateMs: number }[] = [];
        try {
            results = JSON.parse(kubectl(["-n", p.ns, "logs", p.name]).trim().split("\n").pop() ?? "[]");
        } catch (e) {
            // how the probe's container ended (reason, exit code), when the pod says
            let ended = "";
            try {
                ended = kubectl(["-n", p.ns, "get", "pod", p.name, "-o", "jsonpath={.status.containerStatuses[0].state.terminated}"]).slice(0, 200);
            } catch {
                // the pod is gone: its phase above says so
            }
            problems.push(`${p.source}: no result (${phase(p) || "no pod"}: ${String(e).slice(0, 120)}${ended ? `; container ${ended}` : ""})`);
        }
        for (const c of p.cells) {
            const r = results.find((x) => x.key === c.key);
            const outcome = (r ? (r.outcome.startsWith("error") ? "error" : r.outcome) : "not-run") as Outcome;
            cells.push({ source: p.source, target: c.target, via: c.via as Via, allowed: c.allowed, outcome, ms: r?.ms ?? 0 });
        }
        if (p.cells.some((c) => c.gate) && results.length) gates.push(results[0].gateMs);
        kubectl(["-n", p.ns, "delete", "pod", p.name, "--wait=false", "--ignore-not-found"]);
    }

    const v = verdict(cells);
    console.log(
        `# connection matrix (${o.namespace}; ingress ${o.setup.ingressEnabled ? "enabled" : "disabled"}${o.setup.external ? `; ${o.setup.external} outside the cluster` : ""}): intended:measured`,
    );
    for (const t of targets) {
        const ep = endpoints.get(t) as Endpoint;
        console.log(`#   ${t.padEnd(12)} ${ep.service} ${ep.ip}:${ep.port}${ep.podIp ? `, pod ${ep.pod} ${ep.podIp}:${ep.podPort}` : ""}`);
    }
    for (const s of SOURCES) console.log(`#   ${s.padEnd(15)} ${sourceNs(s)}: ${SOURCE_NOTES[s]}`);
    for (const line of renderTable(cells, cols).split("\n")) console.log(`#   ${line}`);
    const slowest = cells.filter((c) => c.allowed).reduce((m, c) => Math.max(m, c.ms), 0);
    const counts =
        `${cells.length} cells: allowed ${v.allowedOpen}/${v.allowedTotal} open, refused ${v.refusedShut}/${v.refusedTotal} shut ` +
        `(${cells.filter((c) => !c.allowed && c.outcome === "timeout").length} timed out, ${cells.filter((c) => !c.allowed && c.outcome === "refused").length} refused, ${cells.filter((c) => !c.allowed && c.outcome === "unreachable").length} unreachable); ` +
        `slowest allowed cell ${slowest} ms; the engine shut the outside address for a new probe within ${Math.max(0, ...gates)} ms; ${((Date.now() - t0) / 1000).toFixed(1)} s`;
    if (v.wrong.length === 0 && problems.length === 0) {
        console.log(`ok   - connection matrix, NetworkPolicies enforced: ${counts}`);
        return 0;
    }
    const wrong = v.wrong.map((c) => `${c.source}->${c.target}${c.via === "pod" ? "@pod" : ""} ${c.allowed ? "allowed" : "refused"} but ${c.outcome}`);
    // a pod column gone wrong: was its pod replaced while the probes ran? (the pod and port now, against the start)
    const podTargets = new Set(v.wrong.filter((c) => c.via === "pod").map((c) => c.target));
    let after = new Map<Target | ExternalTarget, Endpoint>();
    try {
        if (podTargets.size) after = targetEndpoints(o.namespace, o);
    } catch (e) {
        problems.push(`the pods serving after the probes could not be read: ${String(e).slice(0, 120)}`);
    }
    for (const t of podTargets) {
        const [was, now] = [endpoints.get(t), after.get(t)];
        problems.push(
            `${t}@pod probed ${was?.pod} ${was?.podIp}:${was?.podPort}, serving now: ${now?.pod ? `${now.pod} ${now.podIp}:${now.podPort}` : "none"}`,
        );
    }
    console.log(`FAIL - connection matrix: ${counts}; contrary to the intent: ${[...wrong, ...problems].join("; ")}`);
    return 1;
}

main().then(
    (rc) => process.exit(rc),
    (err: Error) => {
        console.log(`FAIL - connection matrix: ${err.message.split("\n")[0]}`);
        process.exit(1);
    },
);
