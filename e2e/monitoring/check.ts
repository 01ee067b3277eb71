// Live monitoring checks (issue 21; e2e/node/monitoring.sh runs them against the Prometheus the Prometheus Operator
// runs on the node, configured only by the platform's ServiceMonitors and PrometheusRule). Each command prints one
// `ok   - ` or `FAIL - ` line with its figures and exits 1 on FAIL. kubectl comes from PATH (KUBECONFIG).
//
//   check.ts targets --url URL --namespace NS [--also NS2] [--deadline S]
//                                                              every endpoint of every ServiceMonitor in NS (and
//                                                              NS2: the monitoring stack's own) has a target, and
//                                                              every target is up (waits up to S)
//   check.ts rules   --url URL --namespace NS                  every rule of NS's PrometheusRule loaded and evaluated
//                                                              without error
//   check.ts panels  --url URL --namespace NS                  every dashboard query of the parts that run here
//                                                              returns a series; the rest are listed with the reason
//   check.ts alert   --url URL --namespace NS --alert NAME --state pending|firing|inactive [--deadline S]
//                    [--match LABEL=VALUE] [--since EPOCH --after WHAT]
//                                                              waits until NAME (only its alerts with that label,
//                                                              with --match) is in that state (inactive: absent);
//                                                              the seconds printed count from --since (the Unix
//                                                              time of WHAT: the fault, or its removal)
import { execFileSync } from "node:child_process";

interface Opts {
    url: string;
    namespace: string;
    deadline: number;
    alert?: string;
    match?: [string, string];
    state?: string;
    also?: string;
    since?: number;
    after?: string;
}
interface Target {
    scrapePool: string;
    health: string;
    lastError: string;
    lastScrapeDuration: number;
    labels: Record<string, string>;
}
interface Rule {
    name: string;
    type: string;
    health: string;
    lastError?: string;
    lastEvaluation: string;
    state?: string;
}
interface Alert {
    labels: Record<string, string>;
    state: string;
    activeAt: string;
    /** the expression's value at the last evaluation */
    value: string;
}

function parse(argv: string[]): [string, Opts] {
    const [command, ...rest] = argv;
    const get = (name: string) => {
        const i = rest.indexOf(`--${name}`);
        return i >= 0 ? rest[i + 1] : undefined;
    };
    const url = get("url");
    const namespace = get("namespace");
    if (!command || !url || !namespace) throw new Error("usage: check.ts targets|rules|panels|alert --url URL --namespace NS [...]");
    return [
        command,
        {
            url,
            namespace,
            deadline: Number(get("deadline") ?? 120),
            alert: get("alert"),
            match: matcher(get("match")),
            state: get("state"),
            also: get("also"),
            since: get("since") === undefined ? undefined : Number(get("since")),
            after: get("after"),
        },
    ];
}

function matcher(m: string | undefined): [string, string] | undefined {
    if (m === undefined) return undefined;
    const i = m.indexOf("=");
    if (i <= 0) throw new Error(`--match needs LABEL=VALUE, not ${m}`);
    return [m.slice(0, i), m.slice(i + 1)];
}

async function api<T>(url: string, path: string): Promise<T> {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== "success") throw new Error(`${path}: ${body.error ?? res.status}`);
    return body.data;
}

const kubectlJson = <T>(args: string[]): T => JSON.parse(execFileSync("kubectl", [...args, "-o", "json"], { encoding: "utf8", timeout: 60_000 })) as T;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secondsSince = (t0: number) => ((Date.now() - t0) / 1000).toFixed(1);

/** Polls `probe` until it returns a verdict with done, or the deadline passes; returns the last verdict. */
async function until<T extends { done: boolean }>(deadlineS: number, probe: () => Promise<T>): Promise<T> {
    const end = Date.now() + deadlineS * 1000;
    for (;;) {
        const v = await probe().catch((e: Error) => ({ done: false, error: e.message }) as unknown as T);
        if (v.done || Date.now() > end) return v;
        await sleep(2000);
    }
}

/** The operator's scrape pool of a ServiceMonitor endpoint: serviceMonitor/<namespace>/<name>/<index>. */
async function targets(o: Opts): Promise<string> {
    const t0 = Date.now();
    type SM = { metadata: { name: string }; spec: { endpoints: { port?: string; interval?: string }[] } };
    const pools = [o.namespace, ...(o.also ? [o.also] : [])].flatMap((ns) => {
        const monitors = kubectlJson<{ items: SM[] }>(["-n", ns, "get", "servicemonitors"]).items;
        if (monitors.length === 0) throw new Error(`no ServiceMonitor in ${ns}`);
        return monitors.flatMap((m) => m.spec.endpoints.map((e, i) => ({ pool: `serviceMonitor/${ns}/${m.metadata.name}/${i}`, interval: e.interval ?? "?" })));
    });
    const v = await until(o.deadline, async () => {
        const active = (await api<{ activeTargets: Target[] }>(o.url, "/api/v1/targets?state=active")).activeTargets;
        const rows = pools.map((p) => ({ ...p, targets: active.filter((t) => t.scrapePool === p.pool) }));
        const bad = rows.filter((r) => r.targets.length === 0 || r.targets.some((t) => t.health !== "up"));
        return { done: bad.length === 0, rows, bad };
    });
    const describe = (r: (typeof v.rows)[number]) =>
        `${r.pool.split("/").slice(2).join("/")}:${r.targets.length === 0 ? "no target" : r.targets.map((t) => `${t.health}${t.lastError ? ` (${t.lastError})` : ""} ${(t.lastScrapeDuration * 1000).toFixed(0)}ms`).join(",")}`;
    if (!v.done) throw new Error(`targets not all up after ${o.deadline}s: ${(v.bad ?? []).map(describe).join("; ")}`);
    return `every ServiceMonitor target in ${o.namespace}${o.also ? ` and ${o.also}` : ""} is up, ${secondsSince(t0)}s after the check began (interval ${pools[0]?.interval}): ${v.rows.map(describe).join("; ")}`;
}

async function rules(o: Opts): Promise<string> {
    const t0 = Date.now();
    type Group = { name: string; file: string; rules: Rule[]; interval: number };
    const v = await until(o.deadline, async () => {
        const groups = (await api<{ groups: Group[] }>(o.url, "/api/v1/rules")).groups.filter((g) => g.file.includes(`/${o.namespace}-`));
        const all = groups.flatMap((g) => g.rules);
        const unevaluated = all.filter((r) => r.lastEvaluation.startsWith("0001"));
        const bad = all.filter((r) => r.health !== "ok");
        return { done: groups.length > 0 && unevaluated.length === 0, groups, all, bad, unevaluated };
    });
    if (!v.groups || v.groups.length === 0) throw new Error(`no rule group of ${o.namespace} loaded after ${o.deadline}s`);
    if (v.unevaluated.length > 0) throw new Error(`${v.unevaluated.length} rule(s) never evaluated: ${v.unevaluated.map((r) => r.name).join(" ")}`);
    if (v.bad.length > 0) throw new Error(`rules with errors: ${v.bad.map((r) => `${r.name}: ${r.health} ${r.lastError ?? ""}`).join("; ")}`);
    const alerts = v.all.filter((r) => r.type === "alerting").length;
    return `every rule of ${o.namespace}'s PrometheusRule loaded and evaluated with no error (${secondsSince(t0)}s): ${v.groups.length} group(s), ${alerts} alerts, ${v.all.length - alerts} recording rules (${v.groups.map((g) => `${g.name} every ${g.interval}s`).join(", ")})`;
}

/** Why a panel's query cannot return data on this cluster (hpas: the stack's HPAs), or undefined when it must. */
function notHere(expr: string, hpas: number): string | undefined {
    if (/\bkube_horizontalpodautoscaler_/.test(expr) && hpas === 0) return "an HPA (this stack has autoscaling off)";
    if (/\b(vllm|tei|DCGM)_/i.test(expr)) return "model serving (GPU; not run here)";
    return undefined;
}

async function panels(o: Opts): Promise<string> {
    type CM = { items: { data: Record<string, string> }[] };
    const cms = kubectlJson<CM>(["-n", o.namespace, "get", "configmaps", "-l", "grafana_dashboard=1"]).items;
    type Panel = { title: string; targets?: { expr: string }[] };
    const dash = cms.flatMap((c) => Object.values(c.data).map((s) => JSON.parse(s) as { panels: Panel[] }));
    if (dash.length === 0) throw new Error(`no dashboard ConfigMap (grafana_dashboard=1) in ${o.namespace}`);
    const queries = dash.flatMap((d) => d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr }))));
    const hpas = kubectlJson<{ items: unknown[] }>(["-n", o.namespace, "get", "horizontalpodautoscalers"]).items.length;
    const why = (expr: string) => notHere(expr, hpas);
    const runnable = queries.filter((q) => !why(q.expr));
    const skipped = queries.filter((q) => why(q.expr));
    const empty: string[] = [];
    let series = 0;
    for (const q of runnable) {
        const r = await api<{ result: unknown[] }>(o.url, `/api/v1/query?query=${encodeURIComponent(q.expr)}`);
        if (r.result.length === 0) empty.push(`${q.panel}: ${q.expr}`);
        series += r.result.length;
    }
    if (empty.length > 0) throw new Error(`${empty.length} of ${runnable.length} dashboard queries returned nothing: ${empty.join(" | ")}`);
    const reasons = [...new Set(skipped.map((q) => why(q.expr)))].map((w) => `${skipped.filter((q) => why(q.expr) === w).length} need ${w}`);
    return `every dashboard query of the parts that run here returns data: ${runnable.length} queries of ${new Set(runnable.map((q) => q.panel)).size} panels, ${series} series; not runnable here: ${reasons.join("; ") || "none"}`;
}

async function alert(o: Opts): Promise<string> {
    if (!o.alert || !o.state) throw new Error("alert needs --alert NAME --state pending|firing|inactive");
    const t0 = o.since === undefined ? Date.now() : o.since * 1000;
    const v = await until(o.deadline, async () => {
        const mine = (await api<{ alerts: Alert[] }>(o.url, "/api/v1/alerts")).alerts.filter(
            (a) => a.labels.alertname === o.alert && a.labels.namespace === o.namespace && (o.match === undefined || a.labels[o.match[0]] === o.match[1]),
        );
        // a state not left is printed with the expression's value, e.g. the p99 that still holds an alert
        const states = mine.map((a) => `${a.state} (value ${Number(a.value).toPrecision(3)})`);
        // when its expression first held (the alert's activeAt: pending from then, firing once its for: passed)
        const active = Math.min(...mine.filter((a) => a.state === o.state).map((a) => Date.parse(a.activeAt)));
        return { done: o.state === "inactive" ? mine.length === 0 : mine.some((a) => a.state === o.state), states, active };
    });
    if (!v.done) throw new Error(`${o.alert} not ${o.state} after ${o.deadline}s (states: ${(v.states ?? []).join(",") || "inactive"})`);
    // its `for:` (the rule's duration) and the evaluation interval, from the loaded rule itself
    type Group = { interval: number; rules: (Rule & { duration?: number })[] };
    const groups = (await api<{ groups: Group[] }>(o.url, "/api/v1/rules?type=alert")).groups;
    const g = groups.find((x) => x.rules.some((r) => r.name === o.alert));
    const rule = g?.rules.find((r) => r.name === o.alert);
    // seen late (the check came after other work), the alert's own activeAt says when it began: both are printed
    const held = Number.isFinite(v.active) ? `; its expression held from ${((v.active - t0) / 1000).toFixed(1)}s` : "";
    return `${o.alert}${o.match === undefined ? "" : ` (${o.match.join("=")})`} ${o.state} ${secondsSince(t0)}s after ${o.since === undefined ? "the check began" : (o.after ?? "the fault")} (for: ${rule?.duration ?? "?"}s, evaluated every ${g?.interval ?? "?"}s${held})`;
}

async function main(): Promise<void> {
    const [command, o] = parse(process.argv.slice(2));
    const run = { targets, rules, panels, alert }[command];
    if (!run) throw new Error(`unknown command ${command}`);
    console.log(`ok   - ${await run(o)}`);
}

main().catch((e: Error) => {
    console.log(`FAIL - ${e.message}`);
    process.exit(1);
});
