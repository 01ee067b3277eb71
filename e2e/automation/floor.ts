// The floor of the timing table (an empty JavaScript program, same CLI, same backend kind, same machine, same
// run), where a dev preview's time goes (from the engine's own log), and the ratios against the floor, written
// to $E2E_WORK/ratios.txt (run.sh prints it after the timing table).
import * as fs from "fs";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { DEV_PASS, PROG, WORK } from "./env";
import { fail, fmt, pass, recordTime } from "./report";
import { initStack, policyOpts, Step, step } from "./steps";

// The project runs as JavaScript (Pulumi.yaml main: main.js, the bundle `npm run build:js` compiled), so its
// floor is an empty JavaScript program run the same way; the empty TypeScript program (ts-node in the language
// host: what any TypeScript program pays at least) is measured too, for comparison.
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
    fs.symlinkSync(fs.realpathSync(path.join(__dirname, "..", "..", "node_modules")), path.join(dir, "node_modules"));
    return dir;
}

/** The floor: the empty JavaScript program's preview and up, the empty TypeScript program's preview (undefined when one failed). */
export interface Floor {
    preview?: number;
    up?: number;
    previewTs?: number;
}

/** Measured first, so that neither the floor nor dev runs on a colder disk cache than the other. */
export async function measureFloor(): Promise<Floor> {
    const floor: Floor = {};
    const emptyJs = await initStack("dev", writeEmptyProgram("js"), DEV_PASS, "init-empty-js");
    if (emptyJs) {
        const pv = await step("preview-empty-js", (h) => emptyJs.preview({ ...h, diff: false }));
        const up = pv.ok ? await step("up-empty-js", (h) => emptyJs.up({ ...h, diff: false })) : undefined;
        if (pv.ok && up?.ok) {
            floor.preview = pv.secs;
            floor.up = up.secs;
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
            floor.previewTs = pv.secs;
            recordTime("floor: pulumi preview of an empty TypeScript program", pv.secs);
            pass(`an empty TypeScript program's preview: ${fmt(pv.secs)}s (ts-node in the language host; for comparison)`);
        } else {
            fail("preview of the empty TypeScript program", pv.logFile);
        }
    }
    return floor;
}

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

/**
 * The dev preview again without the pack (returns its time), then with the engine's log: its phases go to `report`.
 */
export async function previewBreakdown(dev: Stack, report: string[]): Promise<number | undefined> {
    let devPreviewNoPack: number | undefined;
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
        report.push(`Where a dev preview's time goes (one preview with -v=9 --logflow --logtostderr, ${fmt(pv.secs)}s; phases between engine log timestamps):`);
        for (const p of phases) report.push(`  ${p.label.padEnd(96)} ${fmt(p.secs).padStart(6)}`);
    }
    return devPreviewNoPack;
}

/** What the ratios compare; undefined where a measurement failed. */
export interface Measured {
    floor: Floor;
    devPreview?: number;
    devPreviewNoPack?: number;
    devUp?: number;
    kubectlApply?: number;
}

/** The ratios: what a user waits for against what any Pulumi program costs here (a goal missed does not fail the run). */
export function writeRatios(report: string[], { floor, devPreview, devPreviewNoPack, devUp, kubectlApply }: Measured): void {
    const floorPreview = floor.preview;
    const floorUp = floor.up;
    report.unshift(
        ...(floorPreview !== undefined && devPreview !== undefined
            ? [
                  ...ratioLines("preview dev (policy pack) / preview of the empty JavaScript program", devPreview, floorPreview, 1.5),
                  ...(devPreviewNoPack !== undefined
                      ? [`  (without the policy pack: ${fmt(devPreviewNoPack)}s / ${fmt(floorPreview)}s = ${(devPreviewNoPack / floorPreview).toFixed(2)}x)`]
                      : []),
                  ...(floor.previewTs !== undefined
                      ? [
                            `  (against the empty TypeScript program's preview, ${fmt(floor.previewTs)}s: ${(devPreview / floor.previewTs).toFixed(2)}x with the pack` +
                                `${devPreviewNoPack !== undefined ? `, ${(devPreviewNoPack / floor.previewTs).toFixed(2)}x without` : ""})`,
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
