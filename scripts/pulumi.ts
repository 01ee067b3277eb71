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
import { DEV_PASSPHRASE, findCli, pinnedKubeContext, ROOT, selectOrCreateStack, useDevPassphrase, useLocalBackendUnlessLoggedIn, workspace } from "./lib/stack";

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

export function parseArgs(argv: string[]): { command: Command; stack: string; passthrough: string[] } {
    const [command, ...rest] = argv;
    if (!COMMANDS.includes(command as Command)) {
        die("usage: npm run up|preview|destroy|render -- [--stack NAME] [pulumi flags...]");
    }
    let stack = "dev";
    const passthrough: string[] = [];
    for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if (a === "--stack" || a === "-s") {
            if (i + 1 >= rest.length) die(`${a} needs a stack name`);
            stack = rest[++i];
        } else if (a.startsWith("--stack=") || a.startsWith("-s=")) {
            stack = a.slice(a.indexOf("=") + 1);
        } else {
            passthrough.push(a);
        }
    }
    return { command: command as Command, stack, passthrough };
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
            PULUMI_BACKEND_URL: `file://${work}/.state`,
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

/** A reachable cluster for up and destroy: the stack's pinned kubeContext (required in prod), else the current one. */
function checkCluster(stack: string): void {
    const pinned = pinnedKubeContext(stack);
    const kubectl = (args: string[]) => spawnSync("kubectl", args, { encoding: "utf8", timeout: 15_000 });
    if (kubectl(["version", "--client"]).status === 0) {
        const current = kubectl(["config", "current-context"]);
        const context = pinned || (current.status === 0 ? current.stdout.trim() : "none");
        const r = kubectl([...(pinned ? ["--context", pinned] : []), "--request-timeout=5s", "get", "--raw=/version"]);
        if (r.status !== 0) {
            die(
                `no reachable Kubernetes cluster in kube context ${context}${pinned ? ` (kubeContext of stack ${stack})` : ""}; start one (kind, minikube, k3d) or run: npm run render -- --stack ${stack}`,
            );
        }
    } else if (!process.env.KUBECONFIG && !fs.existsSync(path.join(os.homedir(), ".kube", "config"))) {
        die(`no kube context (no KUBECONFIG, no ~/.kube/config); point kubectl at a cluster or run: npm run render -- --stack ${stack}`);
    }
}

async function main(): Promise<void> {
    const { command, stack, passthrough } = parseArgs(process.argv.slice(2));
    const cli = findCli();
    process.env.PULUMI_SKIP_UPDATE_CHECK = "true";

    // secrets: the dev stack gets a dev-only passphrase unless you set your own
    useDevPassphrase(stack);

    if (command === "render") return render(cli, stack, passthrough);

    // state backend: yours if you are logged in, else a local folder in the repository
    useLocalBackendUnlessLoggedIn(cli, note);

    if (command !== "preview" && process.env.RAG_SKIP_CLUSTER_CHECK !== "1") checkCluster(stack);

    await selectOrCreateStack(await workspace(cli, ROOT), stack, note);

    const args =
        command === "destroy" ? ["destroy", "--stack", stack, ...passthrough] : [command, "--stack", stack, ...policyArgs(ROOT, stack), ...passthrough];
    process.exitCode = run(cli, args, ROOT);
}

if (require.main === module) {
    main().catch((err: unknown) => die(err instanceof Error ? err.message : String(err)));
}
