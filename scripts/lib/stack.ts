// How the operator's scripts find the Pulumi CLI, the state backend and a stack: shared by scripts/pulumi.ts
// (npm run up|preview|destroy|render), scripts/ask.ts (npm run ask) and scripts/images.ts (npm run images), so
// that all of them see the same stacks. Failures are UserErrors: one line for the operator, no stack trace.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { localBackendUrl } from "./local-state";

export const ROOT = path.resolve(__dirname, "..", "..");
// The same value as DEV_PASSPHRASE in scripts/pulumi.sh (read by e2e/node/platform.sh); Pulumi.dev.yaml holds its salt.
export const DEV_PASSPHRASE = "rag-platform-dev-only-passphrase";

/** A failure the operator can act on: its message is the whole story (printed as one line, exit 1). */
export class UserError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UserError";
    }
}

export const onPath = (bin: string): string | undefined =>
    (process.env.PATH ?? "")
        .split(path.delimiter)
        .map((d) => path.join(d, bin))
        .find((p) => fs.existsSync(p));

/** The Pulumi CLI: on PATH, or built by scripts/toolchain.sh (then its PULUMI_HOME and no plugin download). */
export function findCli(): string {
    const found = onPath("pulumi");
    if (found) return found;
    const cache = process.env.RAG_TOOLCHAIN_DIR ?? path.join(os.homedir(), ".cache", "rag-platform-toolchain");
    const dirs = fs.existsSync(cache) ? fs.readdirSync(cache).sort() : [];
    for (const d of dirs) {
        const bin = path.join(cache, d, "bin");
        if (!fs.existsSync(path.join(bin, "pulumi"))) continue;
        process.env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ""}`;
        const home = path.join(cache, d, "pulumi-home");
        if (!process.env.PULUMI_HOME && fs.existsSync(home)) {
            process.env.PULUMI_HOME = home;
            // The toolchain installed the plugins it built; never try to download others.
            process.env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
            process.env.PULUMI_IGNORE_AMBIENT_PLUGINS = "true";
        }
        return path.join(bin, "pulumi");
    }
    throw new UserError(
        "the Pulumi CLI was not found: install it (https://www.pulumi.com/docs/install/) or build it from Go modules with scripts/toolchain.sh",
    );
}

/** The dev stack gets a dev-only passphrase unless you set your own. */
export function useDevPassphrase(stack: string): void {
    if (stack === "dev" && !process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
        process.env.PULUMI_CONFIG_PASSPHRASE = DEV_PASSPHRASE;
    }
}

/**
 * State backend: yours if you are logged in (or PULUMI_BACKEND_URL is set), else .pulumi-state/ in the repository.
 * Returns the backend's URL (the logged-in one from `pulumi whoami --json`; undefined if it printed none).
 */
export function useLocalBackendUnlessLoggedIn(cli: string, note: (msg: string) => void, root = ROOT): string | undefined {
    if (process.env.PULUMI_BACKEND_URL) return process.env.PULUMI_BACKEND_URL;
    const whoami = spawnSync(cli, ["whoami", "--json"], { encoding: "utf8" });
    if (whoami.status === 0) {
        try {
            return (JSON.parse(whoami.stdout) as { url?: string }).url;
        } catch {
            return undefined;
        }
    }
    fs.mkdirSync(path.join(root, ".pulumi-state"), { recursive: true });
    process.env.PULUMI_BACKEND_URL = localBackendUrl(path.join(root, ".pulumi-state"));
    note("not logged in to a Pulumi backend; using local state in .pulumi-state/");
    return process.env.PULUMI_BACKEND_URL;
}

export async function workspace(cli: string, dir: string, envVars: Record<string, string> = {}): Promise<LocalWorkspace> {
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(path.dirname(cli)), skipVersionCheck: true });
    return LocalWorkspace.create({ workDir: dir, pulumiCommand, envVars, secretsProvider: "passphrase" });
}

/** The stack, created on first use for dev (passphrase secrets provider); another missing stack is the operator's to create. */
export async function selectOrCreateStack(ws: LocalWorkspace, stack: string, note: (msg: string) => void): Promise<Stack> {
    try {
        return await Stack.select(stack, ws);
    } catch {
        if (stack !== "dev") {
            throw new UserError(
                `stack ${stack} does not exist in this backend; create it with your secrets provider, e.g. PULUMI_CONFIG_PASSPHRASE=... pulumi stack init ${stack} --secrets-provider passphrase (or awskms://..., gcpkms://...)`,
            );
        }
        note("creating stack dev (passphrase secrets provider)");
        return Stack.create("dev", ws);
    }
}

/** The kube context a stack pins (`rag-platform:kubeContext` in Pulumi.<stack>.yaml; required in prod), or "". */
export function pinnedKubeContext(stack: string, root = ROOT): string {
    try {
        const m = /^ {2}rag-platform:kubeContext: *(.*)$/m.exec(fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8"));
        return (m?.[1] ?? "").replace(/["']/g, "").trim();
    } catch {
        // no stack file: nothing pinned
        return "";
    }
}

/**
 * An existing stack's outputs (plain values; the platform exports no secret), through the Automation API with the
 * same CLI, backend and dev passphrase as `npm run up`. Never creates a stack.
 */
export async function readStackOutputs(stack: string, note: (msg: string) => void, root = ROOT): Promise<Record<string, unknown>> {
    const cli = findCli();
    process.env.PULUMI_SKIP_UPDATE_CHECK = "true";
    useDevPassphrase(stack);
    useLocalBackendUnlessLoggedIn(cli, note, root);
    const ws = await workspace(cli, root);
    let s: Stack;
    try {
        s = await Stack.select(stack, ws);
    } catch {
        throw new UserError(
            `stack ${stack} not found in the backend (${process.env.PULUMI_BACKEND_URL ?? "your Pulumi login"}): deploy it with npm run up -- --stack ${stack}`,
        );
    }
    let outputs: Awaited<ReturnType<Stack["outputs"]>>;
    try {
        outputs = await s.outputs();
    } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (/passphrase/i.test(msg)) {
            throw new UserError(
                `cannot read the outputs of stack ${stack}: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) for its secrets provider`,
            );
        }
        throw new UserError(`cannot read the outputs of stack ${stack}: ${cliErrorLine(msg)}`);
    }
    return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
}

/** What a failed Pulumi CLI run says went wrong: its last `error:` line (the Automation API's message wraps stdout and stderr). */
export function cliErrorLine(text: string): string {
    // the CLI's own "error: ..." lines (lower case; the first one may follow the dump's "stderr: ")
    const errors = text
        .split("\n")
        .map((l) => /^\s*(?:stderr:\s*)?error:\s*(.+)$/.exec(l)?.[1]?.trim())
        .filter((l): l is string => !!l);
    return errors[errors.length - 1] ?? lastLine(text);
}

/** The last non-empty line of a tool's error output (the part that says what went wrong). */
export function lastLine(text: string): string {
    const lines = text
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
    return lines[lines.length - 1] ?? "";
}
