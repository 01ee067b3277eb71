// `npm run images` (ts-node --transpile-only scripts/images.ts): the app's images (rag-api, rag-frontend,
// rag-indexer) built on this machine for a local cluster.
//   npm run images                       build them; say which builder and which tags
//   npm run images -- --load [--stack dev]  and load them into the current context's local cluster (kind, minikube,
//                                        k3d, the embedded rag-local) and point the stack's api.image,
//                                        frontend.image and indexer.image at them (pods roll on the next npm run up);
//                                        on any other cluster keep the released registry images
//   npm run images -- --reset [--stack dev] point the stack back at the registry images
// The choice (scripts/lib/image-plan.ts) is a pure function with its reasons; every "cannot" is one line.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import {
    APP_IMAGES,
    AppImage,
    BUILDERS,
    Builder,
    choosePlan,
    ContainerBuilder,
    describeLoader,
    imageRefs,
    Loader,
    loadsByName,
    LOCAL_REGISTRY,
    Plan,
    Probe,
} from "./lib/image-plan";
import { tagArchive } from "./lib/oci-archive";
import {
    cliErrorLine,
    findCli,
    lastLine,
    onPath,
    pinnedKubeContext,
    ROOT,
    selectOrCreateStack,
    UserError,
    useDevPassphrase,
    useLocalBackendUnlessLoggedIn,
    workspace,
} from "./lib/stack";

const USAGE = "usage: npm run images -- [--load | --reset] [--stack NAME]";

export interface ImagesArgs {
    stack: string;
    load: boolean;
    reset: boolean;
}

export function parseImagesArgs(argv: string[]): ImagesArgs {
    const args: ImagesArgs = { stack: "dev", load: false, reset: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--load") args.load = true;
        else if (a === "--reset") args.reset = true;
        else if (a === "--stack" || a === "-s") {
            if (i + 1 >= argv.length || !argv[i + 1]) throw new UserError(`${a} needs a stack name; ${USAGE}`);
            args.stack = argv[++i];
        } else if (a.startsWith("--stack=") || a.startsWith("-s=")) args.stack = a.slice(a.indexOf("=") + 1);
        else throw new UserError(`unknown argument ${a}; ${USAGE}`);
    }
    if (!args.stack) throw new UserError(`the stack name is empty; ${USAGE}`);
    if (args.load && args.reset) throw new UserError(`--load or --reset, not both; ${USAGE}`);
    return args;
}

export interface ExecResult {
    code: number;
    stdout: string;
    stderr: string;
}

/**
 * Runs a command. Its output goes to the terminal (stdout to our stderr, so that our stdout carries only the
 * summary) unless `capture` (stdout kept in memory) or `quiet` (stderr kept in memory, not shown); stderr is
 * also kept for the failure message.
 */
export type Exec = (cmd: string, args: string[], opts?: { cwd?: string; capture?: boolean; quiet?: boolean; timeoutMs?: number }) => Promise<ExecResult>;

export const exec: Exec = (cmd, args, opts = {}) =>
    new Promise((resolve) => {
        const child = spawn(cmd, args, {
            cwd: opts.cwd,
            stdio: ["ignore", opts.capture ? "pipe" : process.stderr, opts.capture || opts.quiet ? "pipe" : "inherit"],
            timeout: opts.timeoutMs,
        });
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr?.on("data", (d: Buffer) => {
            stderr += d.toString("utf8");
            if (!opts.quiet) process.stderr.write(d);
        });
        child.on("error", (e: NodeJS.ErrnoException) => resolve({ code: 127, stdout, stderr: e.code === "ENOENT" ? `${cmd}: command not found` : e.message }));
        child.on("close", (code, signal) => resolve({ code: code ?? 1, stdout, stderr: stderr + (signal ? `\n${cmd}: stopped (${signal})` : "") }));
    });

const TOOLS = [...BUILDERS, "kind", "k3d", "minikube", "mmdebstrap", "umoci"];

/** What this machine has: commands on PATH, whether each builder answers `<builder> info`, the kube context. */
export async function probe(run: Exec, stack: string, has: (cmd: string) => boolean = (c) => onPath(c) !== undefined): Promise<Probe> {
    const present = new Set(TOOLS.filter(has));
    const broken: Probe["broken"] = {};
    for (const b of BUILDERS.filter((x) => present.has(x))) {
        const r = await run(b, ["info"], { capture: true, quiet: true, timeoutMs: 20_000 });
        if (r.code !== 0) {
            const why = lastLine(r.stderr) || `exit status ${r.code}`;
            broken[b] = b === "docker" ? `the docker client is installed but no engine answers \`docker info\` (${why})` : `\`${b} info\` fails (${why})`;
        }
    }
    let context = pinnedKubeContext(stack);
    let minikube = false;
    if (has("kubectl")) {
        if (!context) {
            const r = await run("kubectl", ["config", "current-context"], { capture: true, quiet: true, timeoutMs: 10_000 });
            context = r.code === 0 ? r.stdout.trim() : "";
        }
        if (context) {
            // without --raw: no credential is read; minikube marks its contexts with an extension
            const r = await run("kubectl", ["config", "view", "-o", "json"], { capture: true, quiet: true, timeoutMs: 10_000 });
            try {
                const ctx = (JSON.parse(r.stdout).contexts ?? []).find((c: any) => c?.name === context);
                minikube = (ctx?.context?.extensions ?? []).some((e: any) => e?.extension?.provider === "minikube.sigs.k8s.io");
            } catch {
                // unreadable kubeconfig: decided by the context's name alone
            }
        }
    }
    return { context, minikube, present, broken, root: process.getuid?.() === 0 };
}

/** One app image as built: its reference and, when the loader takes files, its archive. */
export interface BuiltImage {
    image: AppImage["image"];
    configKey: AppImage["configKey"];
    ref: string;
    archive?: string;
}

export interface ImagesDeps {
    exec: Exec;
    probe(): Promise<Probe>;
    /** Sets api.image, frontend.image, indexer.image on the stack. */
    pointStack(stack: string, images: BuiltImage[]): Promise<void>;
    /** Removes locally built tags from the stack's config; the keys it removed. */
    resetStack(stack: string): Promise<string[]>;
    /** The embedded cluster's image import (npm run up wires it). */
    loadIntoEmbedded?(images: BuiltImage[]): Promise<void>;
    log(line: string): void;
    /** Where archives go. @default ${RAG_IMAGE_CACHE:-~/.cache/rag-platform-images}/tagged */
    archiveDir?: string;
    root?: string;
}

export interface ImagesResult {
    plan: Plan & { ok: true };
    images: BuiltImage[];
}

function archiveDirOf(deps: ImagesDeps): string {
    return deps.archiveDir ?? path.join(process.env.RAG_IMAGE_CACHE ?? path.join(os.homedir(), ".cache", "rag-platform-images"), "tagged");
}

async function must(deps: ImagesDeps, what: string, cmd: string, args: string[], opts: { cwd?: string; capture?: boolean } = {}): Promise<ExecResult> {
    const r = await deps.exec(cmd, args, opts);
    if (r.code !== 0) {
        const why = lastLine(r.stderr);
        throw new UserError(`${what} failed (${cmd} exited ${r.code}${why ? `: ${why}` : "; its output is above"})`);
    }
    return r;
}

const SAVE: Record<ContainerBuilder, (ref: string, file: string) => string[]> = {
    docker: (ref, file) => ["save", "-o", file, ref],
    podman: (ref, file) => ["save", "--format", "docker-archive", "-o", file, ref],
    nerdctl: (ref, file) => ["save", "-o", file, ref],
    buildah: (ref, file) => ["push", ref, `docker-archive:${file}:${ref}`],
};

/** Builds the three images with `builder`; writes archives when `archives` (always for the daemonless build). */
export async function buildImages(builder: Builder, archives: boolean, deps: ImagesDeps): Promise<BuiltImage[]> {
    const root = deps.root ?? ROOT;
    const refs = imageRefs(root, builder);
    const dir = archiveDirOf(deps);
    const images: BuiltImage[] = APP_IMAGES.map((i) => ({ image: i.image, configKey: i.configKey, ref: refs[i.image] }));
    const fileOf = (img: BuiltImage) => path.join(dir, `${img.ref.slice(LOCAL_REGISTRY.length + 1).replace(/[:/]/g, "-")}.tar`);
    // Their tags are a hash of every file the images are made of (imageInputs), so archives of these tags are these
    // images: no packaging, no build (a second `npm run up` spent 14 s packaging the app to find its images built).
    if (builder === "daemonless" && images.every((img) => fs.existsSync(fileOf(img)))) {
        for (const img of images) img.archive = fileOf(img);
        deps.log(`the images of this app are built already: ${images.map((img) => img.archive).join(" ")}`);
    } else if (builder === "daemonless") {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rag-images-"));
        try {
            deps.log("packaging the app (app/scripts/package.sh)");
            await must(deps, "packaging the app", "bash", [path.join(root, "app", "scripts", "package.sh"), tmp], { cwd: root });
            deps.log("building the images (images/build.sh; cached in ~/.cache/rag-platform-images)");
            const r = await must(
                deps,
                "the daemonless image build",
                "bash",
                [path.join(root, "images", "build.sh"), "--app", path.join(tmp, "app"), ...APP_IMAGES.map((i) => i.image)],
                {
                    cwd: root,
                    capture: true,
                },
            );
            // build.sh prints "<its ref> <archive>" per image
            const built = new Map(
                r.stdout
                    .split("\n")
                    .map((l) => l.trim().split(/\s+/))
                    .filter((f) => f.length === 2)
                    .map(([ref, tar]) => [
                        ref
                            .replace(/:[^:/]*$/, "")
                            .split("/")
                            .pop()!,
                        tar,
                    ]),
            );
            for (const img of images) {
                const tar = built.get(img.image);
                if (!tar) throw new UserError(`the daemonless image build did not report ${img.image}; see ~/.cache/rag-platform-images/logs/`);
                img.archive = fileOf(img);
                tagArchive(tar, img.ref, img.archive);
            }
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    } else {
        for (const i of APP_IMAGES) {
            const img = images.find((x) => x.image === i.image)!;
            deps.log(`building ${img.ref} (${builder}, app/Dockerfile --target ${i.target})`);
            const verb = builder === "buildah" ? "bud" : "build";
            await must(
                deps,
                `${builder} ${verb} --target ${i.target}`,
                builder,
                [verb, "-f", path.join(root, "app", "Dockerfile"), "--target", i.target, "-t", img.ref, root],
                {
                    cwd: root,
                },
            );
            if (archives) {
                img.archive = fileOf(img);
                fs.mkdirSync(dir, { recursive: true });
                await must(deps, `${builder} saving ${img.ref}`, builder, SAVE[builder](img.ref, img.archive), { cwd: root });
            }
        }
    }
    // earlier archives of the same images
    if (fs.existsSync(dir)) {
        const keep = new Set(images.map((i) => i.archive && path.basename(i.archive)));
        for (const f of fs.readdirSync(dir)) {
            if (!keep.has(f) && APP_IMAGES.some((i) => f.startsWith(`${i.image}-`)) && f.endsWith(".tar")) fs.rmSync(path.join(dir, f), { force: true });
        }
    }
    return images;
}

/** Loads the images into the local cluster. */
export async function loadImages(builder: Builder, loader: Loader, images: BuiltImage[], deps: ImagesDeps): Promise<void> {
    const byName = loadsByName(builder, loader);
    const what = (img: BuiltImage) => (byName ? img.ref : img.archive!);
    switch (loader.kind) {
        case "kind":
            if (byName) {
                await must(deps, `kind load into cluster ${loader.cluster}`, "kind", [
                    "load",
                    "docker-image",
                    "--name",
                    loader.cluster,
                    ...images.map((i) => i.ref),
                ]);
            } else {
                for (const img of images)
                    await must(deps, `kind load of ${img.ref}`, "kind", ["load", "image-archive", "--name", loader.cluster, img.archive!]);
            }
            return;
        case "k3d":
            await must(deps, `k3d image import into cluster ${loader.cluster}`, "k3d", ["image", "import", "-c", loader.cluster, ...images.map(what)]);
            return;
        case "minikube":
            for (const img of images) await must(deps, `minikube image load of ${img.ref}`, "minikube", ["-p", loader.profile, "image", "load", what(img)]);
            return;
        case "embedded":
            if (!deps.loadIntoEmbedded) {
                throw new UserError(`cannot load into the embedded cluster (context rag-local) from npm run images: npm run up builds and loads its images`);
            }
            await deps.loadIntoEmbedded(images);
            return;
        default:
            throw new UserError(`cannot load images into the ${describeLoader(loader)}`);
    }
}

/** The whole command; the lines it prints on stdout say which path was taken. Throws UserError (one line). */
export async function runImages(args: ImagesArgs, deps: ImagesDeps): Promise<ImagesResult | undefined> {
    if (args.reset) {
        const removed = await deps.resetStack(args.stack);
        deps.log(
            removed.length
                ? `stack ${args.stack}: ${removed.join(", ")} removed; the registry images again on the next npm run up`
                : `stack ${args.stack} names no locally built image: nothing to reset`,
        );
        return undefined;
    }
    const plan = choosePlan(await deps.probe(), args.load);
    for (const n of plan.notes) deps.log(`note: ${n}`);
    if (!plan.ok) throw new UserError(plan.reason);
    if (!plan.builder) {
        // a real cluster: nothing to build; the stack must not name a tag only this machine has
        const removed = await deps.resetStack(args.stack);
        deps.log(
            `images: none built; the ${describeLoader(plan.loader)} pulls the released images${removed.length ? ` (stack ${args.stack}: ${removed.join(", ")} removed)` : ""}`,
        );
        return { plan, images: [] };
    }
    const archives = args.load && !loadsByName(plan.builder, plan.loader);
    const images = await buildImages(plan.builder, archives, deps);
    deps.log(`images: builder ${plan.builder}; ${args.load ? `loader ${describeLoader(plan.loader)}` : "not loaded (add --load)"}`);
    for (const img of images) deps.log(`  ${img.ref}${img.archive ? `  ${img.archive}` : ""}`);
    if (args.load) {
        await loadImages(plan.builder, plan.loader, images, deps);
        await deps.pointStack(args.stack, images);
        deps.log(`stack ${args.stack}: ${images.map((i) => i.configKey).join(", ")} set to these tags; npm run up rolls the pods onto them`);
    }
    return { plan, images };
}

async function stackFor(stack: string, create: boolean, note: (m: string) => void): Promise<Stack | undefined> {
    const cli = findCli();
    process.env.PULUMI_SKIP_UPDATE_CHECK = "true";
    useDevPassphrase(stack);
    useLocalBackendUnlessLoggedIn(cli, note);
    const ws = await workspace(cli, ROOT);
    if (create) return selectOrCreateStack(ws, stack, note);
    try {
        return await Stack.select(stack, ws);
    } catch {
        return undefined;
    }
}

/** The stack's api.image, frontend.image and indexer.image through the Automation API (`pulumi config set --path`). */
export async function pointStackAt(stack: string, images: BuiltImage[], note: (m: string) => void): Promise<void> {
    const s = (await stackFor(stack, true, note))!;
    await s.setAllConfig(Object.fromEntries(images.map((i) => [i.configKey, { value: i.ref, secret: false }])), true);
}

/** Removes the image keys that name a locally built tag (rag-platform.local/...). */
export async function resetStackImages(stack: string, note: (m: string) => void): Promise<string[]> {
    const s = await stackFor(stack, false, note);
    if (!s) return [];
    const removed: string[] = [];
    for (const { configKey } of APP_IMAGES) {
        let value = "";
        try {
            value = (await s.getConfig(configKey, true)).value;
        } catch {
            continue; // not set
        }
        if (value.startsWith(`${LOCAL_REGISTRY}/`)) {
            await s.removeConfig(configKey, true);
            removed.push(configKey);
            // `api: {}` left behind: removed too, so the stack file is as it was before npm run images
            const parent = configKey.split(".")[0];
            const rest = await s.getConfig(parent).catch(() => undefined);
            if (rest && /^\{\s*\}$/.test(rest.value.trim())) await s.removeConfig(parent);
        }
    }
    return removed;
}

/** The real dependencies (this machine, the stack through the Automation API); `extra` adds or replaces some (npm run up: loadIntoEmbedded). */
export function imagesDeps(stack: string, extra: Partial<ImagesDeps> = {}): ImagesDeps {
    const note = (m: string) => process.stderr.write(`rag-platform: ${m}\n`);
    return {
        exec,
        probe: () => probe(exec, stack),
        pointStack: (s, images) => pointStackAt(s, images, note),
        resetStack: (s) => resetStackImages(s, note),
        log: (l) => process.stdout.write(`${l}\n`),
        ...extra,
    };
}

if (require.main === module) {
    (async () => {
        const args = parseImagesArgs(process.argv.slice(2));
        await runImages(args, imagesDeps(args.stack));
    })().catch((err: unknown) => {
        // one line, never a stack trace (a failed Pulumi CLI run: its error line)
        process.stderr.write(
            `rag-platform images: ${err instanceof UserError ? err.message : cliErrorLine(err instanceof Error ? err.message : String(err))}\n`,
        );
        process.exitCode = 1;
    });
}
