// One Pulumi operation on the Automation API: its output and engine events, its log file, its duration, its
// error; the policy verdicts read from its events; and the stacks it runs on (a LocalWorkspace each).
import * as fs from "fs";
import * as path from "path";
import { CommandError, EngineEvent, LocalWorkspace, PolicyEvent, PulumiCommand, Stack, UpdateSummary } from "@pulumi/pulumi/automation";
import { LOGS, POLICY, PROG, PULUMI_ENV, STEP_TIMEOUT, TOOLCHAIN_BIN, WORK } from "./env";
import { fail, fmt } from "./report";

export interface Step {
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
export interface Handlers {
    onOutput: (s: string) => void;
    onError: (s: string) => void;
    onEvent: (e: EngineEvent) => void;
    signal: AbortSignal;
    color: "never";
}
export async function step(name: string, run: (h: Handlers) => Promise<unknown>, keepStderr = false): Promise<Step> {
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

export const policyEvents = (s: Step): PolicyEvent[] => s.events.flatMap((e) => (e.policyEvent ? [e.policyEvent] : []));
export const mandatory = (s: Step): PolicyEvent[] => policyEvents(s).filter((p) => p.enforcementLevel === "mandatory");
export const created = (s: Step): string => {
    const summary = (s.result as { summary?: UpdateSummary } | undefined)?.summary;
    return `+ ${summary?.resourceChanges?.create ?? 0} created`;
};

export function policyOpts(stack: string): { policyPacks: string[]; policyPackConfigs?: string[] } {
    const config = path.join(POLICY, "config", `${stack}.json`);
    return fs.existsSync(config) ? { policyPacks: [POLICY], policyPackConfigs: [config] } : { policyPacks: [POLICY] };
}

let pulumiCommand: PulumiCommand | undefined;
/** A stack in DIR with the passphrase secrets provider (created unless `select`). */
export async function openStack(name: string, dir: string, passphrase: string, select = false): Promise<Stack> {
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
export async function initStack(name: string, dir: string, passphrase: string, logName: string): Promise<Stack | undefined> {
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
