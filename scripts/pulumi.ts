// The operator's entry point behind `npm run up|preview|destroy|render` (ts-node --transpile-only scripts/pulumi.ts):
//   npm run up      -- [--stack dev] [extra pulumi flags]   deploy (policy pack always applied)
//   npm run preview -- [--stack dev] [extra pulumi flags]   preview with the policy pack
//   npm run destroy -- [--stack dev] [extra pulumi flags]
//   npm run render  -- [--stack dev]                        manifests to rendered/<stack>/, no cluster
// No Pulumi Cloud account needed: when you are not logged in to any backend and PULUMI_BACKEND_URL is unset,
// state goes to .pulumi-state/ in the repository. The dev stack is created on first run with the passphrase
// secrets provider and a dev-only passphrase; other stacks use your own backend, passphrase or KMS.
//
// Stacks are selected and created through the Automation API (LocalWorkspace, the CLI found below); the
// operation itself runs the CLI with your terminal attached, so `up` and `destroy` still show their preview
// and ask for confirmation, and any extra pulumi flag passes through (the Automation API always adds
// --yes --skip-preview to up and destroy, and takes no arbitrary flags).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { DEV_PASSPHRASE, pinnedKubeContext, ROOT, selectOrCreateStack, useDevPassphrase, useLocalBackendUnlessLoggedIn, workspace } from "./lib/stack";
import {
    chooseCluster,
    ClusterChoice,
    elapsed,
    embeddedCannot,
    embeddedDatastoreImages,
    embeddedRunning,
    ensureCli,
    EMBEDDED_CONTEXT,
    prebuildImages,
    prebuildWanted,
    probeContext,
    say,
    step,
} from "./lib/local-cluster";
import { imagesDeps, runImages } from "./images";
import { parseConfig } from "../components/config";
import { postgresSwitchProblem, StateResource } from "./lib/postgres-switch";
import { reachFromOutputs } from "./lib/reach";
import { localBackendUrl } from "./lib/local-state";
import { readRawConfig } from "./stack-config";

// The CLI, backend and stack helpers live in scripts/lib/stack.ts (shared with npm run ask and npm run images).
export { DEV_PASSPHRASE };
const COMMANDS = ["up", "preview", "destroy", "render"] as const;
type Command = (typeof COMMANDS)[number];

function die(msg: string): never {
    console.error(`rag-platform: ${msg}`);
    process.exit(1);
}
function note(msg: string): void {
    console.error(`rag-platform: ${msg}`);
}

export function parseArgs(argv: string[]): { command: Command; stack: string; passthrough: string[]; noLocalCluster: boolean } {
    const [command, ...rest] = argv;
    if (!COMMANDS.includes(command as Command)) {
        die("usage: npm run up|preview|destroy|render -- [--stack NAME] [pulumi flags...]");
    }
    let stack = "dev";
    let noLocalCluster = false;
    const passthrough: string[] = [];
    for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if (a === "--no-local-cluster") {
            noLocalCluster = true;
        } else if (a === "--stack" || a === "-s") {
            if (i + 1 >= rest.length) die(`${a} needs a stack name`);
            stack = rest[++i];
        } else if (a.startsWith("--stack=") || a.startsWith("-s=")) {
            stack = a.slice(a.indexOf("=") + 1);
        } else {
            passthrough.push(a);
        }
    }
    return { command: command as Command, stack, passthrough, noLocalCluster };
}

function policyArgs(root: string, stack: string): string[] {
    const config = path.join(root, "policy", "config", `${stack}.json`);
    return ["--policy-pack", path.join(root, "policy"), ...(fs.existsSync(config) ? ["--policy-pack-config", config] : [])];
}

function run(cli: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): number {
    const r = spawnSync(cli, args, { cwd, env, stdio: "inherit" });
    if (r.error) die(`${path.basename(cli)} ${args[0]}: ${r.error.message}`);
    return r.status ?? 1;
}

/** Stack config without secure values (encrypted for the real stack's secrets provider) and without its salt. */
export function renderableStackFile(text: string): { text: string; droppedSecure: boolean } {
    const lines = text.split("\n").filter((l) => !/^(encryptionsalt|secretsprovider|encryptedkey):/.test(l));
    const out: string[] = [];
    let droppedSecure = false;
    for (let i = 0; i < lines.length; i++) {
        // "key:\n    secure: ..." pairs and inline "key: {secure: ...}" entries
        if (i + 1 < lines.length && /^ +secure: /.test(lines[i + 1])) {
            droppedSecure = true;
            i++;
            continue;
        }
        if (/: *\{ *secure:/.test(lines[i])) {
            droppedSecure = true;
            continue;
        }
        out.push(lines[i]);
    }
    return { text: out.join("\n"), droppedSecure };
}

// render: a throwaway copy of the project and a throwaway backend, so neither Pulumi.<stack>.yaml nor the
// stack's real state is touched
async function render(cli: string, stack: string, passthrough: string[]): Promise<void> {
    const stackFile = path.join(ROOT, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) die(`no Pulumi.${stack}.yaml: nothing to render for stack ${stack}`);
    const out = path.join(ROOT, "rendered", stack);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "rag-render-"));
    try {
        // the project's files as links (the program reads more than its sources, e.g. app/samples), but its
        // own Pulumi.<stack>.yaml, state and output
        for (const f of fs.readdirSync(ROOT)) {
            if ([".git", ".pulumi", ".pulumi-state", "rendered"].includes(f) || /^Pulumi\..+\.yaml$/.test(f)) continue;
            fs.symlinkSync(path.join(ROOT, f), path.join(work, f));
        }
        const { text, droppedSecure } = renderableStackFile(fs.readFileSync(stackFile, "utf8"));
        if (droppedSecure) note("note: secure config values (e.g. llmApiKey) are not rendered");
        fs.writeFileSync(path.join(work, `Pulumi.${stack}.yaml`), text);
        fs.rmSync(out, { recursive: true, force: true });
        fs.mkdirSync(out, { recursive: true });
        fs.mkdirSync(path.join(work, ".state"));
        const env: Record<string, string> = {
            PULUMI_BACKEND_URL: localBackendUrl(path.join(work, ".state")),
            PULUMI_CONFIG_PASSPHRASE: `render-${Math.random().toString(36).slice(2)}`,
        };
        const ws = await workspace(cli, work, env);
        const s = await Stack.create(stack, ws);
        await s.setConfig("rag-platform:renderYamlToDirectory", { value: out });
        const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
        delete childEnv.PULUMI_CONFIG_PASSPHRASE_FILE;
        const rc = run(
            cli,
            ["up", "--stack", stack, "--yes", "--skip-preview", "--non-interactive", ...policyArgs(ROOT, stack), ...passthrough],
            work,
            childEnv,
        );
        if (rc !== 0) {
            process.exitCode = rc;
            return;
        }
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
    const count = (fs.readdirSync(out, { recursive: true }) as string[]).filter((f) => String(f).endsWith(".yaml")).length;
    console.log(`rag-platform: manifests of stack ${stack} written to rendered/${stack}/ (${count} files)`);
    note(
        "WARNING: rendered Secrets contain the generated passwords in plain text (base64). Keep rendered/ out of git and hand it to your GitOps tool through a secret store.",
    );
}

/**
 * The cluster for up and destroy: the kube context in use when it answers; else, for dev, the embedded
 * cluster; else one line saying why not and what to use instead (and exit).
 */
function chooseStackCluster(stack: string, command: "up" | "destroy", noLocalCluster: boolean): ClusterChoice {
    const pinned = pinnedKubeContext(stack) || undefined;
    const probe = probeContext(pinned);
    const running = !probe.reachable && embeddedRunning(ROOT);
    const choice = chooseCluster({
        stack,
        command,
        context: probe.context,
        reachable: probe.reachable,
        pinned: pinned !== undefined,
        noLocalCluster,
        embeddedRunning: running,
        embeddedCannot: probe.reachable || running ? undefined : embeddedCannot(),
    });
    if (choice.kind === "none") die(choice.message);
    return choice;
}

/** Starts the embedded cluster when the choice says so (one line saying so and how to opt out); true when it is the one. */
function useCluster(choice: ClusterChoice): boolean {
    if (choice.kind === "current") {
        say(`cluster: kube context ${choice.context}${choice.context === EMBEDDED_CONTEXT ? " (the embedded cluster of this checkout)" : ""}`);
        return choice.context === EMBEDDED_CONTEXT;
    }
    if (choice.kind === "embedded" && choice.start) {
        say(
            `no reachable Kubernetes cluster: starting the embedded local cluster (npm run cluster -- up; stop it with npm run cluster -- down; to use your own cluster instead, pass --no-local-cluster)`,
        );
    }
    const r = step("embedded cluster", "bash", [path.join(ROOT, "scripts", "cluster.sh"), "up"], { cwd: ROOT });
    if (r.status !== 0) process.exit(r.status ?? 1);
    return true;
}

/**
 * Images for the embedded cluster, which pulls nothing: the app's (npm run images: built here from this
 * checkout, imported into every node, the stack's api/frontend/indexer.image pointed at them) and the
 * datastores' (built here; Chroma for the vector store, Qdrant cannot be built here).
 */
async function embeddedImages(selected: Stack, stack: string): Promise<void> {
    const t0 = Date.now();
    const loadIntoEmbedded = async (images: { ref: string; archive?: string }[]) => {
        for (const i of images) {
            if (!i.archive) throw new Error(`no archive for ${i.ref} to import into the embedded cluster`);
            const r = spawnSync("bash", [path.join(ROOT, "scripts", "cluster.sh"), "import-archive", i.ref, i.archive], { stdio: "inherit" });
            if (r.status !== 0) throw new Error(`importing ${i.ref} into the embedded cluster failed`);
        }
    };
    await runImages({ stack, load: true, reset: false }, imagesDeps(stack, { loadIntoEmbedded }));
    const values = embeddedDatastoreImages(ROOT);
    for (const [key, value] of Object.entries(values)) await selected.setConfig(`rag-platform:${key}`, { value }, true);
    say(
        `images for the embedded cluster ready in ${elapsed(t0)}: Pulumi.${stack}.yaml now points at images built here (api, frontend, indexer, ${Object.keys(values).join(", ")}; git diff shows it; npm run images -- --reset points the app back at the released images)`,
    );
}

/** A PostgreSQL mode switch the config asks for on a stack whose running instance is still protected (scripts/lib/postgres-switch.ts). */
async function postgresSwitch(selected: Stack, stack: string): Promise<string | undefined> {
    let cfg;
    try {
        cfg = parseConfig(stack, readRawConfig(stack));
    } catch {
        return undefined; // a config problem: the program reports it, with its key
    }
    const state = await selected.exportStack();
    return postgresSwitchProblem(stack, (state.deployment?.resources ?? []) as StateResource[], cfg);
}

async function main(): Promise<void> {
    const t0 = Date.now();
    const { command, stack, passthrough, noLocalCluster } = parseArgs(process.argv.slice(2));
    // up and destroy: which cluster first, so that a fresh machine builds the CLI and Kubernetes in one go
    const choice =
        (command === "up" || command === "destroy") && process.env.RAG_SKIP_CLUSTER_CHECK !== "1"
            ? chooseStackCluster(stack, command, noLocalCluster)
            : undefined;
    // a cluster to start: its images build beside the toolchain (a fresh machine compiles for ~18 minutes)
    const prebuild = prebuildWanted(choice, command) ? prebuildImages(ROOT) : undefined;
    if (prebuild) say(`building the embedded cluster's images in the background, beside the toolchain (log: ${prebuild.log})`);
    const cli = ensureCli(ROOT, choice?.kind === "embedded" && choice.start ? ["kube"] : []);
    if (prebuild) {
        const { code, ms } = await prebuild.done;
        say(
            code === 0
                ? `images built beside the toolchain in ${elapsed(0, ms)}`
                : `building the images beside the toolchain failed (exit ${code} after ${elapsed(0, ms)}; ${prebuild.log}): each is built again in its step below`,
        );
    }
    process.env.PULUMI_SKIP_UPDATE_CHECK = "true";

    // secrets: the dev stack gets a dev-only passphrase unless you set your own
    useDevPassphrase(stack);

    if (command === "render") return render(cli, stack, passthrough);

    // state backend: yours if you are logged in, else a local folder in the repository
    useLocalBackendUnlessLoggedIn(cli, note);

    const embedded = choice ? useCluster(choice) : false;

    const selected = await selectOrCreateStack(await workspace(cli, ROOT), stack, note);
    if (command === "up" || command === "preview") {
        const problem = await postgresSwitch(selected, stack);
        if (problem) die(problem);
    }
    if (embedded && command === "up") await embeddedImages(selected, stack);

    const args =
        command === "destroy" ? ["destroy", "--stack", stack, ...passthrough] : [command, "--stack", stack, ...policyArgs(ROOT, stack), ...passthrough];
    const tUp = Date.now();
    process.exitCode = run(cli, args, ROOT);
    say(`pulumi ${command} ${process.exitCode === 0 ? "done" : "FAILED"} in ${elapsed(tUp)}; total ${elapsed(t0)}`);
    if (command === "up" && process.exitCode === 0) {
        const outputs = Object.fromEntries(Object.entries(await selected.outputs()).map(([k, v]) => [k, v.value]));
        for (const line of reachFromOutputs(stack, outputs)) console.log(line);
    }
}

if (require.main === module) {
    main().catch((err: unknown) => die(err instanceof Error ? err.message : String(err)));
}
