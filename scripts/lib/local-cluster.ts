// What `npm run up` does about the cluster and the Pulumi CLI before it deploys (scripts/pulumi.ts calls it):
//   - the CLI: the one on PATH as it is; else the one scripts/toolchain.sh built (or builds now, saying so);
//   - the cluster: the current kube context when it answers; else, for the dev stack on a machine that can run
//     it, the project's embedded cluster (scripts/cluster.sh), started with one line saying so and how to opt
//     out (--no-local-cluster); else one line saying why not and what to use instead;
//   - the images: on the embedded cluster, built here from this checkout and imported, and the stack pointed
//     at them through stack config (Pulumi.dev.yaml).
// The decisions are pure functions (chooseCluster), tested in test/local-cluster.test.ts; the rest runs them.
import { spawn, spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { onPath } from "./stack";

export const EMBEDDED_CONTEXT = "rag-local";
/** The images `cluster.sh up` imports into every node before its kubelet starts (scripts/cluster/up.sh). */
export const EMBEDDED_NODE_IMAGES = ["pause", "busybox"];
/** The datastores' images of the dev stack on the embedded cluster (Qdrant, the dev default, cannot be built here). */
export const EMBEDDED_DATASTORE_IMAGES = ["postgres", "redis", "chroma"];
const ALTERNATIVES = "start a cluster of your own (kind, minikube, k3d: docs/operations.md#your-own-local-cluster) or write the manifests with: npm run render";

export interface ClusterFacts {
    stack: string;
    command: "up" | "destroy";
    /** The kube context in use (the stack's kubeContext, else the current one), if any. */
    context?: string;
    /** Whether that context's API server answered. */
    reachable: boolean;
    /** The stack pins its kube context (kubeContext config): never replaced by another cluster. */
    pinned: boolean;
    noLocalCluster: boolean;
    /** The embedded cluster of this checkout runs (its API server answers). */
    embeddedRunning: boolean;
    /** Why this machine cannot run the embedded cluster (undefined: it can). */
    embeddedCannot?: string;
}

export type ClusterChoice = { kind: "current"; context: string } | { kind: "embedded"; start: boolean } | { kind: "none"; message: string };

/** Which cluster `npm run up|destroy` uses, or why there is none. */
export function chooseCluster(f: ClusterFacts): ClusterChoice {
    const where = f.context ? `kube context ${f.context}${f.pinned ? ` (kubeContext of stack ${f.stack})` : ""}` : "no kube context";
    if (f.reachable && f.context) return { kind: "current", context: f.context };
    if (f.embeddedRunning) return { kind: "embedded", start: false };
    if (f.pinned || f.stack !== "dev") {
        return { kind: "none", message: `no reachable Kubernetes cluster in ${where}; the embedded cluster is for the dev stack only: ${ALTERNATIVES}` };
    }
    if (f.command === "destroy") {
        return { kind: "none", message: `no reachable Kubernetes cluster in ${where}, and no embedded cluster runs: nothing to destroy there` };
    }
    if (f.noLocalCluster) {
        return {
            kind: "none",
            message: `no reachable Kubernetes cluster in ${where} (--no-local-cluster: the embedded cluster is not started); ${ALTERNATIVES}`,
        };
    }
    if (f.embeddedCannot) {
        return {
            kind: "none",
            message: `no reachable Kubernetes cluster in ${where}, and the embedded cluster cannot run here: ${f.embeddedCannot}; ${ALTERNATIVES}`,
        };
    }
    return { kind: "embedded", start: true };
}

/** Why the embedded cluster cannot run on this machine, before anything is built (undefined: it can). */
export function embeddedCannot(
    platform = process.platform,
    uid = process.getuid?.() ?? -1,
    hasCgroups = cgroupsPresent(),
    hasGo = goPresent(),
): string | undefined {
    if (platform !== "linux")
        return `this is ${platform === "darwin" ? "macOS" : platform}, not Linux (it runs Linux containers with containerd and network namespaces)`;
    if (uid !== 0) return "it needs root (containerd, network namespaces, nftables); run as root";
    if (!hasCgroups) return "no cgroups with a memory controller";
    if (!hasGo) return "Go is needed to build Kubernetes (scripts/toolchain.sh) and is not installed";
    return undefined;
}

function cgroupsPresent(): boolean {
    return fs.existsSync("/sys/fs/cgroup/memory") || fs.existsSync("/sys/fs/cgroup/cgroup.controllers");
}
function goPresent(): boolean {
    return onPath("go") !== undefined || fs.existsSync("/usr/local/go/bin/go");
}

/** "12s", "3m05s" */
export function elapsed(since: number, now = Date.now()): string {
    const s = Math.round((now - since) / 1000);
    return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

export function say(msg: string): void {
    console.error(`rag-platform: ${msg}`);
}

/** Runs a command with the terminal attached; prints the step's time when it ends. */
export function step(label: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<Buffer> {
    const t0 = Date.now();
    const r = spawnSync(cmd, args, { stdio: "inherit", ...opts });
    say(`${label}: ${r.status === 0 ? "done" : "FAILED"} in ${elapsed(t0)}`);
    return r;
}

/** The toolchain's cache (scripts/toolchain.sh): its bin folder, once the pulumi group is built there. */
export function toolchainEnv(root: string): Record<string, string> {
    const r = spawnSync("bash", [path.join(root, "scripts", "toolchain.sh"), "--env"], { encoding: "utf8" });
    const env: Record<string, string> = {};
    for (const m of (r.stdout ?? "").matchAll(/^export ([A-Z_]+)="(.*)"$/gm)) env[m[1]] = m[2].replace("$PATH", process.env.PATH ?? "");
    return env;
}

/**
 * The Pulumi CLI: the one on PATH as it is; else the toolchain's, built first when it is not (or not
 * completely) there, which takes minutes the first time and is said before it starts. `alsoBuild`: other
 * toolchain groups needed next (the embedded cluster's "kube"), built at the same time.
 */
export function ensureCli(root: string, alsoBuild: string[] = []): string {
    const installed = onPath("pulumi");
    if (installed) {
        const v = spawnSync(installed, ["version"], { encoding: "utf8" }).stdout?.trim();
        say(`Pulumi CLI: ${installed} (${v || "version unknown"}, installed on this machine)`);
        return installed;
    }
    const env = toolchainEnv(root);
    const cli = path.join(env.TOOLCHAIN_BIN ?? "", "pulumi");
    const ready = fs.existsSync(path.join(env.TOOLCHAIN_BIN ?? "", ".stamp-plugins")) && fs.existsSync(cli);
    if (!ready) {
        if (!goPresent()) {
            say(
                `the Pulumi CLI was not found on PATH, and Go (to build it here) is not installed either: install the CLI (https://www.pulumi.com/docs/install/) or Go`,
            );
            process.exit(1);
        }
        say(
            `the Pulumi CLI was not found on PATH: building it and its plugins${alsoBuild.includes("kube") ? ", and Kubernetes for the embedded cluster," : ""} from Go modules with scripts/toolchain.sh`,
        );
        say("(about 18 minutes on 2 cores the first time, cached in ~/.cache/rag-platform-toolchain after; an installed CLI would be used as it is)");
    }
    const groups = ["pulumi", ...alsoBuild];
    const r = step(`toolchain (scripts/toolchain.sh ${groups.join(" ")})`, "bash", [path.join(root, "scripts", "toolchain.sh"), "--progress", ...groups], {
        cwd: root,
    });
    if (r.status !== 0) {
        say("building the Pulumi CLI failed (its log is named above)");
        process.exit(1);
    }
    Object.assign(process.env, env);
    const v = spawnSync(cli, ["version"], { encoding: "utf8" }).stdout?.trim();
    say(`Pulumi CLI: ${cli} (${v}, built here by scripts/toolchain.sh; plugins in ${env.PULUMI_HOME})`);
    return cli;
}

/**
 * Whether `npm run up` builds the embedded cluster's images before the cluster exists, beside the toolchain: only
 * when it starts the cluster (a first up, or one after `npm run cluster -- down`). Building images is mostly
 * downloading, unpacking and compressing, compiling Go is CPU: on a fresh machine the two overlap.
 */
export function prebuildWanted(choice: ClusterChoice | undefined, command: string): boolean {
    return command === "up" && choice?.kind === "embedded" && choice.start;
}

export interface Prebuild {
    /** Its exit code (null: it could not run) and how long it ran, once it ends. */
    done: Promise<{ code: number | null; ms: number }>;
    log: string;
}

/**
 * Starts building every image a first `npm run up` on the embedded cluster imports: the node's, the datastores'
 * (images/build.sh) and the app's (`npm run images`: the builder and cache the images step uses, which then finds
 * them built), the Debian packages of the daemonless build installed first when missing. In the background, its
 * output in the image cache's logs; nothing is imported (the cluster does not exist yet). The caller waits for it
 * before anything else builds an image (images/build.sh takes no lock); killed when this process exits or is
 * interrupted first.
 */
export function prebuildImages(root: string): Prebuild {
    const logs = path.join(process.env.RAG_IMAGE_CACHE ?? path.join(os.homedir(), ".cache", "rag-platform-images"), "logs");
    fs.mkdirSync(logs, { recursive: true });
    const log = path.join(logs, "prebuild.log");
    const fd = fs.openSync(log, "w");
    const q = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
    // its own run time, written by itself: this process may learn that it ended only later (ensureCli blocks it)
    const secsFile = path.join(logs, "prebuild.secs");
    fs.rmSync(secsFile, { force: true });
    const steps = [
        `bash e2e/node/host-packages.sh`,
        `bash images/build.sh ${[...EMBEDDED_NODE_IMAGES, ...EMBEDDED_DATASTORE_IMAGES].join(" ")}`,
        `${q(process.execPath)} -r ts-node/register/transpile-only scripts/images.ts`,
    ];
    const script = `${steps.join(" && ")}; rc=$?; echo "$SECONDS" >${q(secsFile)}; exit $rc`;
    const child = spawn("bash", ["-c", script], { cwd: root, stdio: ["ignore", fd, fd], detached: true });
    fs.closeSync(fd);
    const stop = () => {
        if (child.exitCode === null && child.pid) {
            try {
                process.kill(-child.pid, "SIGTERM");
            } catch {
                // gone already
            }
        }
    };
    // its own process group (killed whole); Ctrl-C reaches the foreground group only, so it is passed on
    const onSignal = (sig: NodeJS.Signals) => {
        stop();
        process.exit(sig === "SIGINT" ? 130 : 143);
    };
    process.on("exit", stop);
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const started = Date.now();
    const done = new Promise<{ code: number | null; ms: number }>((resolve) => {
        const settle = (code: number | null) => {
            process.off("exit", stop);
            process.off("SIGINT", onSignal);
            process.off("SIGTERM", onSignal);
            const secs = Number(fs.existsSync(secsFile) ? fs.readFileSync(secsFile, "utf8").trim() : NaN);
            resolve({ code, ms: Number.isFinite(secs) ? secs * 1000 : Date.now() - started });
        };
        child.on("error", () => settle(null));
        child.on("exit", settle);
    });
    return { done, log };
}

/** The kube context in use and whether it answers (kubectl, 5 s). */
export function probeContext(pinned: string | undefined): { context?: string; reachable: boolean } {
    const kubectl = onPath("kubectl") ? "kubectl" : undefined;
    if (!kubectl) return { context: pinned, reachable: false };
    const current = spawnSync(kubectl, ["config", "current-context"], { encoding: "utf8", timeout: 10_000 });
    const context = pinned || (current.status === 0 ? current.stdout.trim() : undefined);
    if (!context) return { reachable: false };
    const r = spawnSync(kubectl, ["--context", context, "--request-timeout=5s", "get", "--raw=/version"], { encoding: "utf8", timeout: 15_000 });
    return { context, reachable: r.status === 0 };
}

export function embeddedRunning(root: string): boolean {
    return spawnSync("bash", [path.join(root, "scripts", "cluster.sh"), "status"], { stdio: "ignore", timeout: 30_000 }).status === 0;
}

/**
 * The datastores' images for the embedded cluster (the app's come from npm run images): PostgreSQL, Redis and
 * Chroma built here (cached) and imported into every node. Returns the stack config values that name them, and
 * ingress.enabled=false (the embedded cluster has no ingress controller).
 */
export function embeddedDatastoreImages(root: string): Record<string, string> {
    const names = EMBEDDED_DATASTORE_IMAGES;
    say(
        `datastore images for the embedded cluster: ${names.join(", ")} built here without a daemon (images/build.sh; cached in ~/.cache/rag-platform-images) and imported`,
    );
    const imp = step("datastore images built and imported", "bash", [path.join(root, "scripts", "cluster.sh"), "import", ...names], { cwd: root });
    if (imp.status !== 0) throw new Error("building or importing the datastore images failed (output above)");
    const refs = spawnSync("bash", [path.join(root, "images", "build.sh"), "--refs"], { encoding: "utf8" }).stdout;
    const ref = (name: string) => new RegExp(`^${name} (\\S+)$`, "m").exec(refs)?.[1] ?? "";
    return {
        "postgres.image": ref("postgres"),
        "redis.image": ref("redis"),
        // Qdrant (the dev default) cannot be built here: Chroma, which the platform supports as is
        "vectorStore.engine": "chroma",
        "vectorStore.image": ref("chroma"),
        // no ingress controller in the embedded cluster (and Pulumi would wait for the Ingress's address): the
        // frontend forwards the chat page's API calls itself, reached through a port-forward
        "ingress.enabled": "false",
    };
}
