// The Pulumi-driving checks of the end-to-end test, on the Automation API (@pulumi/pulumi/automation).
// e2e/run.sh starts the control plane (etcd, kube-apiserver, kube-controller-manager: e2e/lib/cluster.sh),
// installs the CRDs, then runs this file; kubectl is used only for cluster facts.
//
// Output protocol (read by e2e/run.sh): `ok   - ...` / `FAIL - ...` lines (one per check), `time\t<label>\t<seconds>`
// lines for the timing table, anything else is printed as it is. The floor, breakdown and ratios section is
// written to $E2E_WORK/ratios.txt and printed by run.sh after the timing table.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CommandError, EngineEvent, LocalWorkspace, PolicyEvent, PulumiCommand, Stack, UpdateSummary } from "@pulumi/pulumi/automation";

// ------------------------------------------------------------------------------------------------------
// inputs (exported by e2e/run.sh)
function env(name: string, fallback?: string): string {
    const v = process.env[name] ?? fallback;
    if (v === undefined) {
        throw new Error(`e2e/automation.ts: ${name} is not set (run it through e2e/run.sh)`);
    }
    return v;
}
const WORK = env("E2E_WORK");
const LOGS = path.join(WORK, "logs");
const PROG = env("E2E_PROG");
const POLICY = env("E2E_POLICY");
const VIOLATION = env("E2E_VIOLATION");
const PROJECT = env("E2E_PROJECT");
const MODE = env("E2E_MODE");
const DEV_PASS = env("E2E_DEV_PASS");
const PROD_PASS = env("E2E_PROD_PASS");
const TOOLCHAIN_BIN = env("TOOLCHAIN_BIN");
const CONTROLLER_MANAGER = env("E2E_CONTROLLER_MANAGER", "1") === "1";
const CRDS = env("E2E_CRDS", "0") === "1";
const STEP_TIMEOUT = Number(env("E2E_STEP_TIMEOUT", "900"));
const NS_WAIT = Number(env("E2E_NS_WAIT", "90"));
const SETTLE = Number(env("E2E_CONTROLLER_SETTLE", "8"));

// What every Pulumi command gets (as scripts/pulumi.sh sets it up): the toolchain's CLI first on PATH, a
// private PULUMI_HOME whose plugins are the toolchain's, the file backend, no plugin download.
const PULUMI_ENV: Record<string, string> = {
    PATH: `${TOOLCHAIN_BIN}:${process.env.PATH ?? ""}`,
    PULUMI_HOME: env("PULUMI_HOME"),
    PULUMI_BACKEND_URL: env("PULUMI_BACKEND_URL"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: env("PULUMI_NODEJS_TRANSPILE_ONLY", "true"),
    NO_COLOR: "1",
    FORCE_COLOR: "0",
};

// ------------------------------------------------------------------------------------------------------
// reporting
let passed = 0;
let failed = 0;
const times = new Map<string, number>();
function pass(msg: string): void {
    passed++;
    console.log(`ok   - ${msg}`);
}
function fail(msg: string, logFile?: string, lines = 40): void {
    failed++;
    console.log(`FAIL - ${msg}`);
    if (logFile && fs.existsSync(logFile)) {
        console.log(`----- last lines of ${logFile}`);
        console.log(fs.readFileSync(logFile, "utf8").split("\n").slice(-lines).join("\n"));
        console.log("-----");
    }
}
function recordTime(label: string, secs: number): void {
    times.set(label, secs);
    console.log(`time\t${label}\t${secs.toFixed(1)}`);
}
const fmt = (s: number): string => s.toFixed(1);

// ------------------------------------------------------------------------------------------------------
// one Pulumi operation: its output and engine events, its log file, its duration, its error
interface Step {
    ok: boolean;
    secs: number;
    /** what the CLI printed (stdout and stderr) */
    text: string;
    /** stderr alone (the engine log when logToStdErr is on) */
    stderr: string;
    events: EngineEvent[];
    logFile: string;
    started: number;
    ended: number;
    result?: unknown;
}
interface Handlers {
    onOutput: (s: string) => void;
    onError: (s: string) => void;
    onEvent: (e: EngineEvent) => void;
    signal: AbortSignal;
    color: "never";
}
async function step(name: string, run: (h: Handlers) => Promise<unknown>, keepStderr = false): Promise<Step> {
    const logFile = path.join(LOGS, `${name}.log`);
    const out = fs.createWriteStream(logFile);
    let text = "";
    let stderr = "";
    const events: EngineEvent[] = [];
    const handlers: Handlers = {
        onOutput: (s) => {
            text += s;
            out.write(s);
        },
        onError: (s) => {
            if (keepStderr) {
                stderr += s; // engine log lines: kept in memory, not in the step's log
            } else {
                text += s;
                out.write(s);
            }
        },
        onEvent: (e) => events.push(e),
        signal: AbortSignal.timeout(STEP_TIMEOUT * 1000),
        color: "never",
    };
    const started = Date.now();
    let ok = true;
    let result: unknown;
    try {
        result = await run(handlers);
    } catch (err) {
        ok = false;
        const msg = err instanceof CommandError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
        // CommandError's message repeats stdout and stderr; keep it whole for the checks that read it
        text += `\n${msg}`;
        out.write(`\n[error] ${msg}\n`);
    }
    const ended = Date.now();
    const secs = (ended - started) / 1000;
    out.write(`\n[${ok ? "ok" : "failed"} after ${fmt(secs)}s]\n`);
    await new Promise<void>((resolve) => out.end(resolve));
    return { ok, secs, text, stderr, events, logFile, started, ended, result };
}

const policyEvents = (s: Step): PolicyEvent[] => s.events.flatMap((e) => (e.policyEvent ? [e.policyEvent] : []));
const mandatory = (s: Step): PolicyEvent[] => policyEvents(s).filter((p) => p.enforcementLevel === "mandatory");
const created = (s: Step): string => {
    const summary = (s.result as { summary?: UpdateSummary } | undefined)?.summary;
    return `+ ${summary?.resourceChanges?.create ?? 0} created`;
};

function policyOpts(stack: string): { policyPacks: string[]; policyPackConfigs?: string[] } {
    const config = path.join(POLICY, "config", `${stack}.json`);
    return fs.existsSync(config) ? { policyPacks: [POLICY], policyPackConfigs: [config] } : { policyPacks: [POLICY] };
}

let pulumiCommand: PulumiCommand | undefined;
/** A stack in DIR with the passphrase secrets provider (created unless `select`). */
async function openStack(name: string, dir: string, passphrase: string, select = false): Promise<Stack> {
    pulumiCommand ??= await PulumiCommand.get({ root: path.dirname(TOOLCHAIN_BIN) });
    const ws = await LocalWorkspace.create({
        workDir: dir,
        pulumiCommand,
        pulumiHome: PULUMI_ENV.PULUMI_HOME,
        envVars: { ...PULUMI_ENV, PULUMI_CONFIG_PASSPHRASE: passphrase },
        secretsProvider: "passphrase",
    });
    return select ? Stack.select(name, ws) : Stack.create(name, ws);
}
async function initStack(name: string, dir: string, passphrase: string, logName: string): Promise<Stack | undefined> {
    let stack: Stack | undefined;
    const s = await step(logName, async () => {
        stack = await openStack(name, dir, passphrase);
    });
    if (!s.ok) {
        fail(`stack init ${name}${dir === PROG ? "" : ` (${path.relative(WORK, dir)})`}`, s.logFile);
        return undefined;
    }
    return stack;
}

// ------------------------------------------------------------------------------------------------------
// kubectl, for cluster facts
function kubectl(args: string[], input?: string): { ok: boolean; out: string } {
    const r = spawnSync("kubectl", args, { encoding: "utf8", input, timeout: 120_000 });
    return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}
const sleep = (secs: number) => new Promise((r) => setTimeout(r, secs * 1000));

function platformNamespaces(): string[] {
    const r = kubectl(["get", "ns", "-l", "pod-security.kubernetes.io/enforce=restricted", "-o", "jsonpath={.items[*].metadata.name}"]);
    return r.ok ? r.out.split(/\s+/).filter(Boolean) : [];
}

async function waitNamespacesGone(namespaces: string[]): Promise<void> {
    for (const ns of namespaces) {
        let gone = false;
        for (let i = 0; i < NS_WAIT; i++) {
            if (!kubectl(["get", "ns", ns]).ok) {
                gone = true;
                break;
            }
            if (!CONTROLLER_MANAGER) break;
            await sleep(1);
        }
        if (gone) {
            pass(`namespace ${ns} removed (namespace controller finished)`);
            continue;
        }
        const deleting = kubectl(["get", "ns", ns, "-o", "jsonpath={.metadata.deletionTimestamp}"]).out;
        if (deleting) {
            if (CONTROLLER_MANAGER) {
                const cond = kubectl(["get", "ns", ns, "-o", "jsonpath={.status.conditions}"]).out.slice(0, 300);
                fail(`namespace ${ns} still Terminating after ${NS_WAIT}s: ${cond}`);
            } else {
                pass(`namespace ${ns} is Terminating (deletionTimestamp set; no namespace controller without kube-controller-manager)`);
            }
        } else {
            fail(`namespace ${ns} still exists and is not being deleted`);
        }
    }
}

// ------------------------------------------------------------------------------------------------------
// the floors: empty programs, same CLI, same backend kind, same machine, same run. The project runs as
// JavaScript (Pulumi.yaml main: main.js, the bundle `npm run build:js` compiled), so its floor is an empty
// JavaScript program run the same way; the empty TypeScript program (ts-node in the language host: what any
// TypeScript program pays at least) is measured too, for comparison with the figures before the build step.
type FloorKind = "js" | "ts";
function writeEmptyProgram(kind: FloorKind): string {
    const dir = path.join(WORK, `empty-program-${kind}`);
    const name = `e2e-empty-${kind}`;
    fs.mkdirSync(dir, { recursive: true });
    const comment = "// The floor of the timing table: a program that declares nothing.\n";
    if (kind === "js") {
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nmain: index.js\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n`);
        fs.writeFileSync(path.join(dir, "index.js"), comment);
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, main: "index.js" }));
    } else {
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`);
        fs.writeFileSync(path.join(dir, "index.ts"), `${comment}export {};\n`);
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, main: "index.ts" }));
        if (fs.existsSync(path.join(PROG, "tsconfig.json"))) fs.copyFileSync(path.join(PROG, "tsconfig.json"), path.join(dir, "tsconfig.json"));
    }
    fs.symlinkSync(fs.realpathSync(path.join(__dirname, "..", "node_modules")), path.join(dir, "node_modules"));
    return dir;
}

// ------------------------------------------------------------------------------------------------------
// where a preview's time goes, from the engine's own log (-v=9 --logflow --logtostderr: one JSON line per
// entry with an RFC 3339 timestamp in nanoseconds) between our own clock's start and end of the command
interface Phase {
    label: string;
    secs: number;
}
function breakdown(s: Step): Phase[] | string {
    const entries: { t: number; msg: string }[] = [];
    for (const line of s.stderr.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
            const j = JSON.parse(line) as { time?: string; msg?: string };
            const m = j.time ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(j.time) : null;
            if (m && j.msg !== undefined) entries.push({ t: Date.parse(`${m[1]}Z`) + Number(`0.${m[2] ?? "0"}`) * 1000, msg: j.msg });
        } catch {
            // a line of a plugin's own output: not an engine entry
        }
    }
    if (entries.length === 0) return "no engine log entries were captured";
    const first = (re: RegExp, after = 0) => entries.find((e) => e.t >= after && re.test(e.msg))?.t;
    const last = (re: RegExp) => [...entries].reverse().find((e) => re.test(e.msg))?.t;
    const analyzer = first(/Launching plugin '.*\(analyzer\)'/);
    const run = first(/^langhost\[nodejs\]\.Run\(/);
    const stackReg = first(/RegisterResource received: t=pulumi:pulumi:Stack/);
    const firstRes = first(/ResourceMonitor\.RegisterResource received: t=(?!pulumi:pulumi:Stack)/);
    const lastRes = last(/ResourceMonitor\.RegisterResource received: t=/);
    const complete = first(/\*\*\* Update\(preview=true\) complete \*\*\*/);
    const missing = Object.entries({ analyzer, run, stackReg, firstRes, lastRes, complete })
        .filter(([, v]) => v === undefined)
        .map(([k]) => k);
    if (missing.length > 0) return `engine log markers not found: ${missing.join(", ")}`;
    const t = (ms: number) => ms / 1000;
    // resource plugins: launch -> handshake (they start while the program runs, so they overlap evaluation)
    const plugins: string[] = [];
    for (const e of entries) {
        const m = /newPlugin\(\): Launching plugin '(\S+) \(resource\)'/.exec(e.msg);
        if (!m) continue;
        const hs = first(new RegExp(`Handshake: .*resource-${m[1]}`), e.t);
        if (hs !== undefined) plugins.push(`${m[1]} ${fmt(t(hs - e.t))}s`);
    }
    const startedWall = s.started;
    return [
        { label: "CLI start, backend, language host, required plugins", secs: t(analyzer! - startedWall) },
        { label: "policy pack start (node, run-policy-pack and its ts-node, policy/pack.js, the compiled pack)", secs: t(run! - analyzer!) },
        { label: "program start (node, @pulumi/pulumi's run script, Stack registered)", secs: t(stackReg! - run!) },
        { label: "program load (main.js: build check, bin/index.js, the SDKs it imports)", secs: t(firstRes! - stackReg!) },
        { label: `evaluation + provider calls (registrations; plugin starts: ${plugins.join(", ") || "none"})`, secs: t(lastRes! - firstRes!) },
        { label: "last provider calls, stack policies, preview done", secs: t(complete! - lastRes!) },
        { label: "CLI exit and Automation API event tail", secs: t(s.ended - complete!) },
    ];
}

// ------------------------------------------------------------------------------------------------------
async function main(): Promise<void> {
    fs.mkdirSync(LOGS, { recursive: true });
    const report: string[] = [];
    const stacks: Record<string, Stack | undefined> = {};

    // the floors first (so that neither a floor nor dev runs on a colder disk cache than the other): the empty
    // JavaScript program's preview and up (the floor of the ratios), the empty TypeScript program's preview
    let floorPreview: number | undefined;
    let floorUp: number | undefined;
    let floorPreviewTs: number | undefined;
    const emptyJs = await initStack("dev", writeEmptyProgram("js"), DEV_PASS, "init-empty-js");
    if (emptyJs) {
        const pv = await step("preview-empty-js", (h) => emptyJs.preview({ ...h, diff: false }));
        const up = pv.ok ? await step("up-empty-js", (h) => emptyJs.up({ ...h, diff: false })) : undefined;
        if (pv.ok && up?.ok) {
            floorPreview = pv.secs;
            floorUp = up.secs;
            recordTime("floor: pulumi preview of an empty JavaScript program", pv.secs);
            recordTime("floor: pulumi up of an empty JavaScript program (create)", up.secs);
            pass(`floor measured: an empty JavaScript program's preview ${fmt(pv.secs)}s and up ${fmt(up.secs)}s (same CLI, file backend)`);
        } else {
            fail("preview/up of the empty JavaScript program (the floor of the timing table)", (up ?? pv).logFile);
        }
    }
    const emptyTs = await initStack("dev", writeEmptyProgram("ts"), DEV_PASS, "init-empty-ts");
    if (emptyTs) {
        const pv = await step("preview-empty-ts", (h) => emptyTs.preview({ ...h, diff: false }));
        if (pv.ok) {
            floorPreviewTs = pv.secs;
            recordTime("floor: pulumi preview of an empty TypeScript program", pv.secs);
            pass(`an empty TypeScript program's preview: ${fmt(pv.secs)}s (ts-node in the language host; for comparison)`);
        } else {
            fail("preview of the empty TypeScript program", pv.logFile);
        }
    }

    // c. previews with the policy pack
    let devPreview: number | undefined;
    for (const s of ["dev", "prod"]) {
        const stack = await initStack(s, PROG, s === "prod" ? PROD_PASS : DEV_PASS, `init-${s}`);
        if (!stack) continue;
        stacks[s] = stack;
        await stack.setConfig(`${PROJECT}:skipAwait`, { value: "true" });
        await stack.setConfig(`${PROJECT}:kubeContext`, { value: "e2e" }); // the e2e kubeconfig's context
        const pv = await step(`preview-${s}`, (h) => stack.preview({ ...h, ...policyOpts(s), diff: false }));
        if (!pv.ok) {
            fail(`preview ${s} with the policy pack`, pv.logFile, 80);
            continue;
        }
        recordTime(`pulumi preview ${s} (policy pack)`, pv.secs);
        if (s === "dev") devPreview = pv.secs;
        const bad = mandatory(pv);
        if (bad.length > 0) {
            fail(`preview ${s}: ${bad.length} mandatory violation(s) reported (PolicyEvents)`);
            for (const p of bad.slice(0, 10)) console.log(`       [mandatory] ${p.policyName}: ${p.resourceUrn ?? "(stack)"}: ${p.message.split("\n")[0]}`);
        } else if (pv.text.includes("server-side dry run of")) {
            const line = pv.text.split("\n").find((l) => l.includes("server-side dry run of")) ?? "";
            fail(`preview ${s}: the API server's dry run rejected objects: ${line.trim().slice(0, 300)}`);
        } else {
            pass(`preview ${s} with the policy pack: no mandatory violation (${fmt(pv.secs)}s, ${policyEvents(pv).length} advisory policy event(s))`);
        }
    }

    // where the dev preview's time goes: the same preview without the pack, then again with the engine's log
    let devPreviewNoPack: number | undefined;
    if (stacks.dev) {
        const dev = stacks.dev;
        const np = await step("preview-dev-no-pack", (h) => dev.preview({ ...h, diff: false }));
        if (np.ok) {
            devPreviewNoPack = np.secs;
            recordTime("pulumi preview dev (no policy pack)", np.secs);
        } else {
            fail("preview dev without the policy pack", np.logFile, 40);
        }
        const pv = await step(
            "preview-dev-verbose",
            (h) => dev.preview({ ...h, ...policyOpts("dev"), diff: false, logVerbosity: 9, logFlow: true, logToStdErr: true }),
            true,
        );
        const phases = pv.ok ? breakdown(pv) : "the verbose preview failed";
        if (typeof phases === "string") {
            fail(`breakdown of a dev preview: ${phases}`, pv.logFile);
        } else {
            recordTime("pulumi preview dev, verbose (-v=9, for the breakdown)", pv.secs);
            const sum = phases.reduce((a, p) => a + p.secs, 0);
            pass(`breakdown of a dev preview from the engine's log timestamps: ${phases.length} phases sum to ${fmt(sum)}s of ${fmt(pv.secs)}s`);
            report.push(
                `Where a dev preview's time goes (one preview with -v=9 --logflow --logtostderr, ${fmt(pv.secs)}s; phases between engine log timestamps):`,
            );
            for (const p of phases) report.push(`  ${p.label.padEnd(96)} ${fmt(p.secs).padStart(6)}`);
        }
    }

    // issue 12: a bad value in the real CLI reads as the headline, not as an object dump or a stack trace
    if (MODE === "project") {
        const bad = await initStack("badconfig", PROG, DEV_PASS, "init-badconfig");
        if (bad) {
            await bad.setConfig(`${PROJECT}:environment`, { value: "dev" });
            await bad.setConfig(`${PROJECT}:api.replicas`, { value: "-1" }, true);
            const pv = await step("preview-badconfig", (h) => bad.preview({ ...h, diff: false }));
            const want = [`Invalid configuration for stack "badconfig"`, `${PROJECT}:api.replicas = -1`, "must be an integer"];
            const missing = want.filter((w) => !pv.text.includes(w));
            const trace = /^\s+at .+:\d+:\d+\)?$/m.exec(pv.text);
            if (pv.ok) {
                fail("preview with api.replicas = -1 must fail (it passed)", pv.logFile);
            } else if (missing.length > 0) {
                fail(`preview with api.replicas = -1: the CLI's output lacks ${missing.map((m) => JSON.stringify(m)).join(", ")}`, pv.logFile);
            } else if (pv.text.includes("{ problems:") || trace) {
                fail(
                    `preview with api.replicas = -1 prints ${trace ? `a stack trace (${trace[0].trim()})` : "the error object ({ problems: ...)"}`,
                    pv.logFile,
                );
            } else {
                const headline = pv.text.split("\n").find((l) => l.includes(`${PROJECT}:api.replicas = -1`)) ?? "";
                pass(`a bad config value fails the real CLI's preview with the headline only: ${headline.trim()}`);
            }
            await bad.workspace.removeStack("badconfig").catch(() => undefined);
        }
    }

    // issue 12: external datastores are admitted, and the namespace holds no StatefulSet, Service or claim of theirs
    if (MODE === "project") {
        await externalDatastores();
    }

    // the deliberately broken program must be rejected by the same pack
    const violation = await initStack("dev", VIOLATION, DEV_PASS, "init-violation");
    if (violation) {
        const pv = await step("preview-violation", (h) => violation.preview({ ...h, ...policyOpts("dev"), diff: false }));
        const bad = mandatory(pv);
        if (pv.ok) {
            fail("preview of e2e/fixtures/policy-violation must fail (it passed)", pv.logFile, 60);
        } else if (bad.some((p) => /memory/i.test(`${p.policyName} ${p.message}`))) {
            pass("preview of a Deployment without a memory limit fails with the pack's mandatory violation (PolicyEvent):");
            for (const p of bad) console.log(`       [mandatory] ${p.policyPackName}/${p.policyName}: ${p.message.split("\n")[0].slice(0, 160)}`);
        } else {
            fail(`preview of e2e/fixtures/policy-violation failed, but without a mandatory memory-limit PolicyEvent (${bad.length} mandatory)`, pv.logFile, 60);
        }
    }

    // d. up dev
    let upOk = false;
    let devUp: number | undefined;
    let psaNs: string[] = [];
    const dev = stacks.dev;
    if (dev) {
        const up = await step("up-dev", (h) => dev.up({ ...h, ...policyOpts("dev"), diff: false }));
        if (up.ok) {
            upOk = true;
            devUp = up.secs;
            recordTime("pulumi up dev (create)", up.secs);
            pass(`pulumi up dev: every object accepted by the API server (${fmt(up.secs)}s, ${created(up)})`);
        } else {
            fail("pulumi up dev", up.logFile, 80);
        }
        const warned =
            up.events.some((e) => /violates? PodSecurity/i.test(e.diagnosticEvent?.message ?? "")) ||
            /would violate PodSecurity|violates PodSecurity/i.test(up.text);
        if (warned) {
            fail("pulumi up dev: the API server warned about Pod Security", up.logFile, 60);
        } else if (upOk) {
            pass("no Pod Security warnings from the API server during up");
        }

        psaNs = platformNamespaces();
        if (upOk) {
            if (psaNs.length === 0) {
                fail("no namespace with pod-security.kubernetes.io/enforce=restricted after up");
            } else {
                for (const ns of psaNs) {
                    // without kube-controller-manager nobody creates the default ServiceAccount the probe needs
                    if (!CONTROLLER_MANAGER) kubectl(["-n", ns, "create", "serviceaccount", "default"]);
                    const r = kubectl([
                        "-n",
                        ns,
                        "run",
                        "e2e-root-probe",
                        "--image=busybox:1.36",
                        "--restart=Never",
                        `--overrides={"spec":{"securityContext":{"runAsUser":0}}}`,
                        "--",
                        "sleep",
                        "1",
                    ]);
                    if (!r.ok && r.out.includes('violates PodSecurity "restricted')) {
                        pass(`API server rejects a root pod in namespace ${ns} (Pod Security restricted enforced)`);
                    } else {
                        kubectl(["-n", ns, "delete", "pod", "e2e-root-probe", "--ignore-not-found"]);
                        fail(`a root pod was not rejected in namespace ${ns}: ${r.out}`);
                    }
                }
                // workload controllers create Pods from the program's templates: none may be refused
                await sleep(SETTLE);
                for (const ns of psaNs) {
                    const refused = kubectl([
                        "-n",
                        ns,
                        "get",
                        "events",
                        "--field-selector",
                        "reason=FailedCreate",
                        "-o",
                        'jsonpath={range .items[*]}{.involvedObject.kind}/{.involvedObject.name}: {.message}{"\\n"}{end}',
                    ]).out;
                    const pods = kubectl(["-n", ns, "get", "pods", "--no-headers"]).out.split("\n").filter(Boolean).length;
                    if (refused) {
                        fail(`controllers could not create Pods in ${ns}: ${refused}`);
                    } else if (CONTROLLER_MANAGER) {
                        pass(`controllers created ${pods} Pod(s) in ${ns} from the workload templates, none refused by admission`);
                    }
                }
            }
        }
    }

    // e. idempotence, drift, destroy
    if (dev && upOk) {
        const up2 = await step("up-dev-2", (h) => dev.up({ ...h, expectNoChanges: true, diff: false }));
        if (up2.ok) {
            recordTime("pulumi up dev (no changes)", up2.secs);
            pass(`second pulumi up reports no changes (expectNoChanges, ${fmt(up2.secs)}s)`);
        } else {
            fail("second pulumi up with expectNoChanges", up2.logFile, 80);
        }
        const rf = await step("refresh-dev", (h) => dev.refresh({ ...h, expectNoChanges: true }));
        if (rf.ok) {
            recordTime("pulumi refresh dev", rf.secs);
            pass(`pulumi refresh with expectNoChanges: no drift (${fmt(rf.secs)}s)`);
        } else {
            fail("pulumi refresh with expectNoChanges", rf.logFile, 80);
        }
        // drift must be seen: change a label the program sets, refresh must report it, up must restore it
        const ns1 = psaNs[0];
        if (ns1 && kubectl(["label", "ns", ns1, "pod-security.kubernetes.io/enforce=baseline", "--overwrite"]).ok) {
            const drift = await step("refresh-drift", (h) => dev.refresh({ ...h, expectNoChanges: true }));
            if (drift.ok) {
                fail("pulumi refresh did not report a label changed with kubectl", drift.logFile, 40);
            } else if (!drift.text.includes("no changes were expected")) {
                fail("pulumi refresh after a kubectl change failed for another reason", drift.logFile, 40);
            } else {
                const fix = await step("up-drift", (h) => dev.up({ ...h, diff: false }));
                const label = kubectl(["get", "ns", ns1, "-o", "jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}"]).out;
                if (fix.ok && label === "restricted") {
                    pass("drift is detected: refresh reports a label changed with kubectl, pulumi up restores it");
                } else {
                    fail(`pulumi up after drift did not restore the label (now ${label || "unset"})`, fix.logFile, 40);
                }
            }
        }
        const ds = await step("destroy-dev", (h) => dev.destroy(h));
        if (ds.ok) {
            recordTime("pulumi destroy dev", ds.secs);
            pass(`pulumi destroy dev (${fmt(ds.secs)}s)`);
            await waitNamespacesGone(psaNs);
        } else {
            fail("pulumi destroy dev", ds.logFile, 80);
        }
    }

    // prod: protect must block destroy until unprotected
    const prod = stacks.prod;
    if (prod) {
        // prod keeps its monitoring on (ServiceMonitors, PrometheusRule) when the CRDs are installed
        if (!CRDS) await prod.setConfig(`${PROJECT}:monitoring.enabled`, { value: "false" }, true);
        const up = await step("up-prod", (h) => prod.up({ ...h, ...policyOpts("prod"), diff: false }));
        if (!up.ok) {
            fail("pulumi up prod", up.logFile, 80);
        } else {
            recordTime("pulumi up prod (create)", up.secs);
            pass(`pulumi up prod (${fmt(up.secs)}s, ${created(up)})`);
            const prodNs = platformNamespaces().filter((n) => !psaNs.includes(n));
            // the smoke fixture has no monitoring objects
            if (CRDS && MODE === "project") {
                const count = (kind: string) =>
                    prodNs.reduce((a, ns) => a + kubectl(["get", kind, "-n", ns, "-o", "name"]).out.split("\n").filter(Boolean).length, 0);
                const sm = count("servicemonitors.monitoring.coreos.com");
                const pr = count("prometheusrules.monitoring.coreos.com");
                if (sm >= 1 && pr >= 1) {
                    pass(`prod monitoring admitted by the API server against the upstream CRD schemas: ${sm} ServiceMonitor(s), ${pr} PrometheusRule(s)`);
                } else {
                    fail(`prod monitoring objects missing after up: ${sm} ServiceMonitor(s), ${pr} PrometheusRule(s)`);
                }
            }
            // the state says which resources are protected; destroy must refuse because of them
            const deployment = await prod.exportStack();
            const resources = (deployment.deployment?.resources ?? []) as { urn: string; protect?: boolean }[];
            const protectedUrns = resources.filter((r) => r.protect).map((r) => r.urn);
            const short = (urn: string) => {
                const parts = urn.split("::");
                return `${(parts[2] ?? "").split("$").pop()} ${parts[3] ?? ""}`;
            };
            const ds = await step("destroy-prod-protected", (h) => prod.destroy(h));
            if (protectedUrns.length === 0) {
                fail("exportStack: no resource of prod is protected");
            } else if (ds.ok) {
                fail("pulumi destroy prod succeeded although resources are protected");
            } else if (!/protect/i.test(ds.text) || !protectedUrns.some((u) => ds.text.includes(u))) {
                fail("pulumi destroy prod failed, but not because of protect", ds.logFile, 40);
            } else {
                const names = [...new Set(protectedUrns.map(short))].sort();
                pass(`pulumi destroy prod refused by protect: ${names.length} protected resource(s) in exportStack: ${names.join(",").slice(0, 200)}`);
            }
            // unprotect every resource through the state (what `pulumi state unprotect --all` does), then destroy
            const un = await step("unprotect-prod", async () => {
                const d = await prod.exportStack();
                for (const r of (d.deployment?.resources ?? []) as { protect?: boolean }[]) delete r.protect;
                await prod.importStack(d);
                const after = await prod.exportStack();
                const still = ((after.deployment?.resources ?? []) as { protect?: boolean }[]).filter((r) => r.protect).length;
                if (still > 0) throw new Error(`${still} resource(s) still protected after importStack`);
            });
            const ds2 = un.ok ? await step("destroy-prod", (h) => prod.destroy(h)) : un;
            if (un.ok && ds2.ok) {
                recordTime("pulumi destroy prod (after unprotect)", ds2.secs);
                pass(`unprotected every resource (exportStack/importStack), then destroy prod (${fmt(ds2.secs)}s)`);
                await waitNamespacesGone(prodNs);
            } else {
                fail("unprotect + destroy prod", ds2.logFile, 60);
            }
        }
    }

    // f. the same objects with kubectl apply --server-side, for comparison
    const RENDER = path.join(WORK, "rendered");
    let kubectlApply: number | undefined;
    const render = await initStack("render", PROG, DEV_PASS, "init-render");
    if (render && stacks.dev) {
        // dev's config, as `pulumi stack init --copy-config-from dev` (the same passphrase, so its salt too)
        await render.workspace.saveStackSettings("render", await stacks.dev.workspace.stackSettings("dev"));
        await render.setConfig(`${PROJECT}:renderYamlToDirectory`, { value: RENDER });
        const up = await step("up-render", (h) => render.up({ ...h, diff: false }));
        if (up.ok && fs.existsSync(path.join(RENDER, "1-manifest"))) {
            recordTime("pulumi up (renderYamlToDirectory, no cluster)", up.secs);
            const files = fs
                .readdirSync(RENDER, { recursive: true })
                .map(String)
                .filter((f) => f.endsWith(".yaml"));
            pass(`rendered ${files.length} manifests with renderYamlToDirectory (${fmt(up.secs)}s)`);
            const manifestDir = path.join(RENDER, "1-manifest");
            const nsFiles = fs
                .readdirSync(manifestDir)
                .filter((f) => f.endsWith(".yaml") && /^kind: Namespace$/m.test(fs.readFileSync(path.join(manifestDir, f), "utf8")))
                .map((f) => path.join(manifestDir, f));
            const applyLog = path.join(LOGS, "kubectl-apply.log");
            let t0 = Date.now();
            const a1 = nsFiles.length
                ? kubectl(["apply", "--server-side", "--field-manager", "e2e", ...nsFiles.flatMap((f) => ["-f", f])])
                : { ok: true, out: "" };
            const a2 = a1.ok ? kubectl(["apply", "--server-side", "--field-manager", "e2e", "-R", "-f", RENDER]) : { ok: false, out: "" };
            fs.writeFileSync(applyLog, `${a1.out}\n${a2.out}\n`);
            if (a1.ok && a2.ok) {
                kubectlApply = (Date.now() - t0) / 1000;
                recordTime("kubectl apply --server-side (create)", kubectlApply);
                pass(`kubectl apply --server-side of the same ${files.length} objects (${fmt(kubectlApply)}s)`);
                t0 = Date.now();
                const again = kubectl(["apply", "--server-side", "--field-manager", "e2e", "-R", "-f", RENDER]);
                fs.writeFileSync(path.join(LOGS, "kubectl-apply-2.log"), again.out);
                if (again.ok) {
                    recordTime("kubectl apply --server-side (no changes)", (Date.now() - t0) / 1000);
                    pass("re-applying the rendered manifests with kubectl apply --server-side is idempotent");
                } else {
                    const why = again.out
                        .split("\n")
                        .filter((l) => !/serverside-applied|unchanged/.test(l))
                        .slice(0, 3)
                        .join(" ");
                    fail(`re-applying the rendered manifests (GitOps) fails: ${why.slice(0, 300)}`);
                }
                t0 = Date.now();
                const del = kubectl(["delete", "-R", "-f", RENDER, "--wait=true", "--timeout=120s"]);
                fs.writeFileSync(path.join(LOGS, "kubectl-delete.log"), del.out);
                if (del.ok) recordTime("kubectl delete (wait)", (Date.now() - t0) / 1000);
            } else {
                fail("kubectl apply --server-side of the rendered manifests", applyLog, 40);
            }
        } else {
            fail("pulumi up with renderYamlToDirectory", up.logFile, 60);
        }
    }

    // the ratios: what a user waits for against what any Pulumi program costs here
    report.unshift(
        ...(floorPreview !== undefined && devPreview !== undefined
            ? [
                  ...ratioLines("preview dev (policy pack) / preview of the empty JavaScript program", devPreview, floorPreview, 1.5),
                  ...(devPreviewNoPack !== undefined
                      ? [`  (without the policy pack: ${fmt(devPreviewNoPack)}s / ${fmt(floorPreview)}s = ${(devPreviewNoPack / floorPreview).toFixed(2)}x)`]
                      : []),
                  ...(floorPreviewTs !== undefined
                      ? [
                            `  (against the empty TypeScript program's preview, ${fmt(floorPreviewTs)}s: ${(devPreview / floorPreviewTs).toFixed(2)}x with the pack` +
                                `${devPreviewNoPack !== undefined ? `, ${(devPreviewNoPack / floorPreviewTs).toFixed(2)}x without` : ""})`,
                        ]
                      : []),
              ]
            : ["  preview ratio: not measured (a preview failed)"]),
        ...(floorUp !== undefined && devUp !== undefined && kubectlApply !== undefined
            ? upLines(devUp, floorUp, kubectlApply)
            : ["  up ratio: not measured (an up or the kubectl apply failed)"]),
        "",
    );
    report.unshift("Floor and ratios (a goal missed is reported here, it does not fail the run):");
    fs.writeFileSync(path.join(WORK, "ratios.txt"), `${report.join("\n")}\n`);
    console.log(`summary\t${passed}\t${failed}`);
}

/** A dev copy with PostgreSQL (by IP), Redis and the vector store (by DNS name, TLS) external, up and destroyed. */
async function externalDatastores(): Promise<void> {
    const ns = "rag-external";
    const ext = await initStack("external", PROG, DEV_PASS, "init-external");
    if (!ext) return;
    const settings: [string, string][] = [
        ["environment", "dev"],
        ["namespace", ns],
        ["skipAwait", "true"],
        ["kubeContext", "e2e"],
        ["postgres.mode", "external"],
        ["postgres.host", "10.1.2.3"],
        ["postgres.existingSecret.name", "pg"],
        ["postgres.existingSecret.key", "password"],
        ["redis.mode", "external"],
        ["redis.host", "redis.example.internal"],
        ["redis.existingSecret.name", "redis"],
        ["redis.existingSecret.key", "password"],
        ["vectorStore.mode", "external"],
        ["vectorStore.host", "vectors.example.internal"],
        ["vectorStore.port", "443"],
        ["vectorStore.tls", "true"],
        ["vectorStore.existingSecret.name", "qdrant"],
        ["vectorStore.existingSecret.key", "api-key"],
        // With the CRD installed, the platform's own key comes through an ExternalSecret, checked against its schema.
        ...(CRDS
            ? ([
                  ["secrets.externalSecret.storeName", "vault"],
                  ["secrets.externalSecret.storeKind", "ClusterSecretStore"],
                  ["secrets.externalSecret.remoteKeys.API_SIGNING_KEY", "rag/signing"],
              ] as [string, string][])
            : []),
    ];
    for (const [key, value] of settings) await ext.setConfig(`${PROJECT}:${key}`, { value }, true);
    const up = await step("up-external", (h) => ext.up({ ...h, ...policyOpts("dev"), diff: false }));
    if (!up.ok) {
        fail("pulumi up of dev with external datastores (with the policy pack)", up.logFile, 80);
    } else {
        const names = (kinds: string) => kubectl(["-n", ns, "get", kinds, "-o", "name"]).out.split("\n").filter(Boolean);
        const datastoreObjects = names("statefulsets,services,persistentvolumeclaims").filter((n) => /postgres|redis|vector/.test(n));
        const egress = names("networkpolicies").filter((n) => n.includes("allow-clients-to-external-"));
        const refs = kubectl([
            "-n",
            ns,
            "get",
            "deployments",
            "-o",
            'jsonpath={range .items[*].spec.template.spec}{range .initContainers[*]}{.env[*].valueFrom.secretKeyRef.name}{" "}{end}{range .containers[*]}{.env[*].valueFrom.secretKeyRef.name}{" "}{end}{end}',
        ]).out.split(/\s+/);
        const missingRefs = ["pg", "redis", "qdrant"].filter((secret) => !refs.includes(secret));
        const externalSecrets = CRDS ? names("externalsecrets.external-secrets.io") : [];
        if (datastoreObjects.length > 0) {
            fail(`external datastores: their in-cluster objects were still created: ${datastoreObjects.join(", ")}`);
        } else if (egress.length !== 3) {
            fail(`external datastores: expected 3 egress NetworkPolicies to them, found ${egress.length}: ${egress.join(", ")}`);
        } else if (missingRefs.length > 0) {
            fail(`external datastores: no container reads the operator's Secret(s) ${missingRefs.join(", ")}`);
        } else if (CRDS && externalSecrets.length !== 1) {
            fail(`secrets.externalSecret: expected 1 ExternalSecret admitted against the upstream CRD schema, found ${externalSecrets.length}`);
        } else {
            pass(
                `external datastores admitted (${fmt(up.secs)}s, ${created(up)}): no StatefulSet, Service or claim of theirs, ${egress.length} egress NetworkPolicies, credentials from the operator's Secrets${CRDS ? `, the platform key from an ExternalSecret admitted against the upstream CRD schema (${externalSecrets.join(", ")})` : ""}`,
            );
        }
        const ds = await step("destroy-external", (h) => ext.destroy(h));
        if (ds.ok) {
            await waitNamespacesGone([ns]);
        } else {
            fail("pulumi destroy of the external-datastore stack", ds.logFile, 40);
        }
    }
    await ext.workspace.removeStack("external").catch(() => undefined);
}

function ratioLines(label: string, value: number, floor: number, goal: number): string[] {
    const r = value / floor;
    return [`  ${label}: ${fmt(value)}s / ${fmt(floor)}s = ${r.toFixed(2)}x (goal <= ${goal}x: ${r <= goal ? "met" : "MISSED"})`];
}
function upLines(up: number, floorUp: number, apply: number): string[] {
    const budget = floorUp + 3 * apply;
    return [
        `  up dev (create, skipAwait) vs empty JavaScript program up + 3 x kubectl apply --server-side: ${fmt(up)}s vs ${fmt(floorUp)}s + 3 x ${fmt(apply)}s = ${fmt(budget)}s ` +
            `(${(up / budget).toFixed(2)}x; goal <= 1x: ${up <= budget ? "met" : "MISSED"})`,
    ];
}

main().catch((err: unknown) => {
    fail(`e2e/automation.ts stopped: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    console.log(`summary\t${passed}\t${failed}`);
    process.exitCode = 1;
});
