// Differential test: the policy pack's Pod Security verdict against the real kube-apiserver's Pod Security
// admission, over the generated corpus of test/policy/pss-corpus.ts (every control × every workload kind ×
// violating and compliant variants). Run by e2e/run.sh once the cluster is up ($KUBECONFIG set):
//
//   node -r ts-node/register/transpile-only e2e/pss-differential.ts
//
// How the API server's verdict is read: every object is created with a server-side dry run
// (POST ...?dryRun=All: admission and validation run, nothing is stored) in a namespace labelled
// pod-security.kubernetes.io/enforce=restricted (and warn/audit=restricted, version latest).
//   - Pods: admission enforces. Verdict "denied" = 403 Forbidden 'violates PodSecurity "restricted:latest"'.
//   - Controllers (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob): admission never refuses
//     them, it only warns. Verdict "denied" = a `Warning: would violate PodSecurity "restricted:latest"`
//     response header. This uses the API server's own extraction of each kind's pod template (metadata
//     included), which is what the pack has to match. Each controller's template is ALSO dry-run created
//     as a bare Pod, where admission enforces, and that verdict must agree too: the warnings are not
//     trusted on their own.
// Objects the API server refuses before admission (422 from validation) have no admission verdict. The e2e
// cluster runs with --allow-privileged=false, so the variants with privileged: true or a Windows
// hostProcess pod are refused by validation ("disallowed by cluster policy"); the corpus marks them, the
// driver checks they were refused for that reason and that the pack flags them, and counts them apart. Any
// other 422 is a corpus bug and fails.
//
// Output: one `ok   - ` line when pack and API server agree on every object, else one `FAIL - ` line per
// disagreement with the object and both verdicts. Exit status 1 on any FAIL.
import * as fs from "fs";
import * as https from "https";
import * as yaml from "js-yaml";
import { corpus, CorpusCase, podOfTemplate, PSS_POLICIES } from "../test/policy/pss-corpus";
import { runPack } from "../test/policy/runner";

// A fresh namespace per run: a deleted one stays Terminating until the namespace controller finishes it.
const NAMESPACE = process.env.PSS_NAMESPACE ?? `pss-differential-${Date.now().toString(36)}`;
const CONCURRENCY = Number(process.env.PSS_CONCURRENCY ?? 4);
// PSS_ALLOW_PRIVILEGED=1: the API server runs with --allow-privileged=true (kind, most clusters), so the
// privileged/hostProcess variants reach admission too and are judged like the others.
const ALLOW_PRIVILEGED = process.env.PSS_ALLOW_PRIVILEGED === "1";

interface Cluster {
    server: URL;
    agent: https.Agent;
}

function cluster(): Cluster {
    const path = process.env.KUBECONFIG;
    if (!path) {
        throw new Error("KUBECONFIG is not set (run me after the cluster is up)");
    }
    const config: any = yaml.load(fs.readFileSync(path, "utf8"));
    const contextName = config["current-context"];
    const context = config.contexts.find((c: any) => c.name === contextName).context;
    const c = config.clusters.find((x: any) => x.name === context.cluster).cluster;
    const u = config.users.find((x: any) => x.name === context.user).user;
    const b64 = (s: string) => Buffer.from(s, "base64");
    return {
        server: new URL(c.server),
        agent: new https.Agent({
            keepAlive: true,
            maxSockets: CONCURRENCY,
            ca: b64(c["certificate-authority-data"]),
            cert: b64(u["client-certificate-data"]),
            key: b64(u["client-key-data"]),
        }),
    };
}

interface Response {
    status: number;
    body: any;
    warnings: string[];
}

function request(k: Cluster, method: string, path: string, body?: unknown): Promise<Response> {
    return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = https.request(
            new URL(path, k.server),
            {
                method,
                agent: k.agent,
                headers: { "Content-Type": "application/json", Accept: "application/json", ...(data ? { "Content-Length": Buffer.byteLength(data) } : {}) },
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (d: Buffer) => chunks.push(d));
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString("utf8");
                    const raw = res.headers.warning;
                    const warnings = (Array.isArray(raw) ? raw : raw ? [raw] : []).map((w) =>
                        w
                            .replace(/^\d{3} - "?/, "")
                            .replace(/"$/, "")
                            .replace(/\\"/g, '"'),
                    );
                    let parsed: any = text;
                    try {
                        parsed = JSON.parse(text);
                    } catch {
                        // not JSON: keep the text
                    }
                    resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
                });
            },
        );
        req.on("error", reject);
        if (data) {
            req.write(data);
        }
        req.end();
    });
}

const COLLECTION: Record<string, string> = {
    Pod: "/api/v1/namespaces/NS/pods",
    Deployment: "/apis/apps/v1/namespaces/NS/deployments",
    StatefulSet: "/apis/apps/v1/namespaces/NS/statefulsets",
    DaemonSet: "/apis/apps/v1/namespaces/NS/daemonsets",
    ReplicaSet: "/apis/apps/v1/namespaces/NS/replicasets",
    Job: "/apis/batch/v1/namespaces/NS/jobs",
    CronJob: "/apis/batch/v1/namespaces/NS/cronjobs",
};

type Verdict = "allowed" | "denied" | "refused-by-validation" | "error";

interface ServerVerdict {
    verdict: Verdict;
    detail: string;
}

/** Dry-run create; the admission verdict from the status (Pods) or the warnings (controllers). */
async function dryRun(k: Cluster, manifest: Record<string, any>): Promise<ServerVerdict> {
    const path = `${COLLECTION[manifest.kind].replace("NS", NAMESPACE)}?dryRun=All&fieldManager=pss-differential`;
    const res = await request(k, "POST", path, manifest);
    const message = typeof res.body === "object" ? String(res.body?.message ?? "") : String(res.body);
    if (res.status === 201 || res.status === 200) {
        const pss = res.warnings.filter((w) => w.includes("would violate PodSecurity"));
        return pss.length > 0 ? { verdict: "denied", detail: `warning: ${pss.join("; ")}` } : { verdict: "allowed", detail: `${res.status}` };
    }
    if (res.status === 403 && message.includes("violates PodSecurity")) {
        return { verdict: "denied", detail: message };
    }
    if (res.status === 422) {
        return { verdict: "refused-by-validation", detail: message };
    }
    return { verdict: "error", detail: `HTTP ${res.status}: ${message}` };
}

interface Outcome {
    c: CorpusCase;
    pack: "allowed" | "denied";
    packDetail: string;
    server: ServerVerdict;
    /** For controllers: the template created as a bare Pod (enforced). */
    templatePod?: ServerVerdict;
    problems: string[];
}

async function judge(k: Cluster, c: CorpusCase): Promise<Outcome> {
    const violations = runPack([c.resource]);
    const pss = violations.filter((v) => PSS_POLICIES.includes(v.policy));
    const other = violations.filter((v) => !PSS_POLICIES.includes(v.policy));
    const pack = pss.length > 0 ? "denied" : "allowed";
    const packDetail = pss.length > 0 ? pss.map((v) => `${v.policy}: ${v.message}`).join(" | ") : "no Pod Security violation";
    const server = await dryRun(k, c.manifest);
    const templatePod = c.kind === "Pod" ? undefined : await dryRun(k, podOfTemplate(c));
    const problems: string[] = [];
    if (other.length > 0) {
        problems.push(`not isolated: the pack's other rules fire: ${other.map((v) => v.message).join(" | ")}`);
    }
    for (const [label, s] of [
        ["API server", server],
        ["template as a bare Pod", templatePod],
    ] as const) {
        if (!s) {
            continue;
        }
        if (c.refusedByValidation && !ALLOW_PRIVILEGED) {
            if (s.verdict !== "refused-by-validation" || !/disallowed by cluster policy/.test(s.detail)) {
                problems.push(`${label}: expected refusal by validation (--allow-privileged=false), got ${s.verdict}: ${s.detail}`);
            }
            continue;
        }
        if (s.verdict === "refused-by-validation" || s.verdict === "error") {
            problems.push(`${label}: ${s.verdict} (corpus object not valid for the API server): ${s.detail}`);
        } else if (s.verdict !== pack) {
            problems.push(`disagreement: pack ${pack} (${packDetail}), ${label} ${s.verdict} (${s.detail})`);
        }
    }
    if (c.refusedByValidation && !ALLOW_PRIVILEGED && pack !== "denied") {
        problems.push(`pack allows an object the API server refuses (privileged): ${packDetail}`);
    }
    return { c, pack, packDetail, server, templatePod, problems };
}

async function setUp(k: Cluster): Promise<void> {
    const labels = {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
    };
    const ns = await request(k, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE, labels } });
    if (ns.status !== 201 && ns.status !== 409) {
        throw new Error(`creating namespace ${NAMESPACE}: HTTP ${ns.status} ${JSON.stringify(ns.body)}`);
    }
    // Pods need their ServiceAccount to exist (ServiceAccount admission runs before Pod Security); without
    // kube-controller-manager nobody creates "default".
    const sa = await request(k, "POST", `/api/v1/namespaces/${NAMESPACE}/serviceaccounts`, {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "default" },
    });
    if (sa.status !== 201 && sa.status !== 409) {
        throw new Error(`creating serviceaccount default: HTTP ${sa.status} ${JSON.stringify(sa.body)}`);
    }
}

async function main(): Promise<number> {
    const k = cluster();
    const started = Date.now();
    await setUp(k);
    const cases = corpus(NAMESPACE);
    const outcomes: Outcome[] = new Array(cases.length);
    let next = 0;
    await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
            while (next < cases.length) {
                const i = next++;
                outcomes[i] = await judge(k, cases[i]);
            }
        }),
    );
    await request(k, "DELETE", `/api/v1/namespaces/${NAMESPACE}`);
    k.agent.destroy();

    const requests = cases.length + cases.filter((c) => c.kind !== "Pod").length;
    const judged = outcomes.filter((o) => ALLOW_PRIVILEGED || !o.c.refusedByValidation);
    const refused = outcomes.filter((o) => !ALLOW_PRIVILEGED && o.c.refusedByValidation);
    const denied = judged.filter((o) => o.server.verdict === "denied").length;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    // Per control: objects, server-denied, agreements (for the log).
    const controls = [...new Set(cases.map((c) => c.control))];
    console.log(`# ${cases.length} objects (${requests} dry-run requests) in ${seconds}s; namespace ${NAMESPACE} (enforce=restricted, latest)`);
    for (const control of controls) {
        const os = outcomes.filter((o) => o.c.control === control);
        const agree = os.filter((o) => o.problems.length === 0).length;
        console.log(
            `#   ${control.padEnd(30)} ${String(os.length).padStart(4)} objects, ${String(os.filter((o) => o.pack === "denied").length).padStart(4)} flagged by the pack, ${agree} agree`,
        );
    }
    const failures = outcomes.filter((o) => o.problems.length > 0);
    for (const o of failures) {
        console.log(`FAIL - Pod Security differential: ${o.c.id} (${o.c.manifest.kind} ${o.c.manifest.metadata.name}): ${o.problems.join("; ")}`);
        console.log(`       object: ${JSON.stringify(o.c.manifest)}`);
    }
    if (failures.length === 0) {
        console.log(
            `ok   - Pod Security differential: the pack's verdict equals kube-apiserver's Pod Security admission (restricted, latest) on all ${judged.length} admitted-or-denied objects ` +
                `(${denied} denied, ${judged.length - denied} allowed; controllers by warning and by their template as a bare Pod, ${requests} dry runs, ${seconds}s)` +
                (refused.length
                    ? `; ${refused.length} privileged/hostProcess objects refused by validation (--allow-privileged=false) and flagged by the pack`
                    : ""),
        );
    }
    return failures.length === 0 ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        console.log(`FAIL - Pod Security differential could not run: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
    },
);
