// How `npm run images` builds the app's images and gets them into the cluster, decided by a pure function of what
// this machine has (builders that exist and work, loaders, the daemonless build's tools) and the kube context:
//   builder  the first of docker, podman, nerdctl, buildah that is installed and answers `<tool> info`, else the
//            daemonless build (app/scripts/package.sh + images/build.sh: mmdebstrap and umoci, as root)
//   loader   kind-<name> -> kind, k3d-<name> -> k3d, a minikube profile -> minikube, rag-local -> the project's
//            embedded cluster; any other context is a real cluster, which keeps the released registry images
// Tags: rag-platform.local/<image>:<app version>-<content hash>, so a changed app gets a new tag and its pods roll.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

export const BUILDERS = ["docker", "podman", "nerdctl", "buildah"] as const;
export type ContainerBuilder = (typeof BUILDERS)[number];
export type Builder = ContainerBuilder | "daemonless";
/** The project's own local cluster's kube context (the embedded cluster). */
export const EMBEDDED_CONTEXT = "rag-local";
/** The registry name of locally built images: never pulled (imagePullPolicy IfNotPresent, the image is loaded). */
export const LOCAL_REGISTRY = "rag-platform.local";

/** The app's images: Dockerfile target, the stack config key that names the image. */
export const APP_IMAGES = [
    { image: "rag-api", target: "api", configKey: "api.image" },
    { image: "rag-frontend", target: "frontend", configKey: "frontend.image" },
    { image: "rag-indexer", target: "indexer", configKey: "indexer.image" },
] as const;
export type AppImage = (typeof APP_IMAGES)[number];

/** What is on this machine and which cluster kubectl points at. */
export interface Probe {
    /** The kube context (the stack's pinned one, else the current one); "" when there is none. */
    context: string;
    /** The context belongs to a minikube profile (its kubeconfig extension says provider minikube.sigs.k8s.io). */
    minikube: boolean;
    /** Commands on PATH. */
    present: ReadonlySet<string>;
    /** Builders that are installed but do not work, with the reason (e.g. no engine answers `docker info`). */
    broken: Partial<Record<ContainerBuilder, string>>;
    /** Running as root (the daemonless build runs mmdebstrap --mode=root). */
    root: boolean;
}

export type Loader =
    | { kind: "kind"; cluster: string }
    | { kind: "k3d"; cluster: string }
    | { kind: "minikube"; profile: string }
    | { kind: "embedded" }
    /** Any other context: a real cluster pulls the released images from their registry. */
    | { kind: "registry"; context: string }
    /** No kube context at all. */
    | { kind: "none" };

export type Plan =
    | { ok: true; builder?: Builder; loader: Loader; notes: string[] }
    /** One line: why not, and what to do. */
    | { ok: false; reason: string; notes: string[] };

const TOOL_URLS: Record<"kind" | "k3d" | "minikube", string> = {
    kind: "https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    k3d: "https://k3d.io/#installation",
    minikube: "https://minikube.sigs.k8s.io/docs/start/",
};

/** Which cluster a kube context is. */
export function loaderFor(context: string, minikube: boolean): Loader {
    if (!context) return { kind: "none" };
    if (context === EMBEDDED_CONTEXT) return { kind: "embedded" };
    if (minikube) return { kind: "minikube", profile: context };
    const kind = /^kind-(.+)$/.exec(context);
    if (kind) return { kind: "kind", cluster: kind[1] };
    const k3d = /^k3d-(.+)$/.exec(context);
    if (k3d) return { kind: "k3d", cluster: k3d[1] };
    if (context === "minikube") return { kind: "minikube", profile: "minikube" };
    return { kind: "registry", context };
}

export function describeLoader(l: Loader): string {
    switch (l.kind) {
        case "kind":
            return `kind cluster ${l.cluster}`;
        case "k3d":
            return `k3d cluster ${l.cluster}`;
        case "minikube":
            return `minikube profile ${l.profile}`;
        case "embedded":
            return `the embedded cluster (context ${EMBEDDED_CONTEXT})`;
        case "registry":
            return `cluster of kube context ${l.context} (not a local cluster)`;
        case "none":
            return "no kube context";
    }
}

/** The builder: the first container builder that works, else the daemonless build, else why none can build. */
export function chooseBuilder(p: Probe): { builder?: Builder; reason?: string; notes: string[] } {
    const notes: string[] = [];
    for (const b of BUILDERS) {
        if (!p.present.has(b)) continue;
        if (p.broken[b] === undefined) return { builder: b, notes };
        notes.push(`${b} skipped: ${p.broken[b]}`);
    }
    const missing = ["mmdebstrap", "umoci"].filter((t) => !p.present.has(t));
    const builders = BUILDERS.map((b) => `${b}: ${p.present.has(b) ? "not working" : "not installed"}`).join(", ");
    if (missing.length) {
        return {
            notes,
            reason: `cannot build the images: no working container builder (${builders}) and the daemonless build needs ${missing.join(" and ")}: install ${missing.length > 1 ? "them" : "it"} (apt-get install ${missing.join(" ")}) or install or start docker or podman`,
        };
    }
    if (!p.root) {
        return {
            notes,
            reason: `cannot build the images: no working container builder (${builders}) and the daemonless build runs mmdebstrap as root: run npm run images as root, or install or start docker or podman`,
        };
    }
    notes.push("no working container builder: daemonless build (app/scripts/package.sh, images/build.sh: mmdebstrap and umoci)");
    return { builder: "daemonless", notes };
}

/** The whole decision. `load`: also load into the cluster and point the stack at the tags. */
export function choosePlan(p: Probe, load: boolean): Plan {
    const loader = loaderFor(p.context, p.minikube);
    if (load) {
        if (loader.kind === "none") {
            return {
                ok: false,
                notes: [],
                reason: "cannot load the images: no kube context (no KUBECONFIG, no current-context); point kubectl at your kind, minikube or k3d cluster (kubectl config use-context NAME) or build only without --load",
            };
        }
        if (loader.kind === "registry") {
            // A real cluster: nothing to build here, the stacks name the released images.
            return {
                ok: true,
                loader,
                notes: [`kube context ${loader.context} is not a local cluster (kind-*, k3d-*, minikube, ${EMBEDDED_CONTEXT}): keeping the registry images`],
            };
        }
        if (loader.kind === "kind" || loader.kind === "k3d" || loader.kind === "minikube") {
            if (!p.present.has(loader.kind)) {
                return {
                    ok: false,
                    notes: [],
                    reason: `cannot load the images into the ${describeLoader(loader)} (kube context ${p.context}): the ${loader.kind} command is not installed; install it (${TOOL_URLS[loader.kind]}) or switch to another context`,
                };
            }
        }
    }
    const { builder, reason, notes } = chooseBuilder(p);
    if (!builder) return { ok: false, reason: reason!, notes };
    return { ok: true, builder, loader, notes };
}

/** Whether the loader takes image names from the builder's own store (docker's) rather than archives. */
export function loadsByName(builder: Builder, loader: Loader): boolean {
    return builder === "docker" && (loader.kind === "kind" || loader.kind === "k3d" || loader.kind === "minikube");
}

/** Files whose content makes the images (the bundle's sources and lockfile; for the daemonless build its recipes too). */
export function imageInputs(root: string, builder: Builder): string[] {
    const walk = (rel: string): string[] => {
        const abs = path.join(root, rel);
        if (!fs.existsSync(abs)) return [];
        if (!fs.statSync(abs).isDirectory()) return [rel];
        return fs
            .readdirSync(abs)
            .sort()
            .flatMap((e) => walk(path.join(rel, e)));
    };
    const inputs = [
        "package.json",
        "package-lock.json",
        "tsconfig.json",
        "policy/package.json",
        "app/package.json",
        "app/tsconfig.json",
        "app/tsconfig.build.json",
        "app/Dockerfile",
        "app/scripts/package.sh",
        "app/src",
        "app/public",
        ...(builder === "daemonless" ? ["images/build-one.sh", "images/lib.sh", "images/node", "images/app"] : []),
    ];
    return inputs.flatMap(walk).sort();
}

/** 12 hex digits over the inputs' paths and contents. */
export function contentHash(root: string, builder: Builder): string {
    const h = createHash("sha256");
    for (const rel of imageInputs(root, builder)) {
        h.update(`${rel}\0`);
        h.update(fs.readFileSync(path.join(root, rel)));
        h.update("\0");
    }
    return h.digest("hex").slice(0, 12);
}

/** rag-platform.local/<image>:<app version>-<hash> for each app image. */
export function imageRefs(root: string, builder: Builder): Record<AppImage["image"], string> {
    const version = (JSON.parse(fs.readFileSync(path.join(root, "app", "package.json"), "utf8")) as { version: string }).version;
    const tag = `${version}-${contentHash(root, builder)}`;
    return Object.fromEntries(APP_IMAGES.map((i) => [i.image, `${LOCAL_REGISTRY}/${i.image}:${tag}`])) as Record<AppImage["image"], string>;
}
