// npm run images (scripts/images.ts, scripts/lib/image-plan.ts, scripts/lib/oci-archive.ts): which builder and
// which loader for what this machine has and the kube context, the tags, the archives, and the commands each path
// runs. kind, minikube, k3d and container engines cannot run here: the commands are recorded by a fake exec.
import * as assert from "assert";
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { BuiltImage, ExecResult, ImagesDeps, parseImagesArgs, probe, runImages } from "../scripts/images";
import { BUILDERS, choosePlan, contentHash, imageRefs, loaderFor, Plan, Probe } from "../scripts/lib/image-plan";
import { tagArchive } from "../scripts/lib/oci-archive";
import { ROOT, UserError } from "../scripts/lib/stack";

function machine(over: Partial<Probe> & { tools?: string[] } = {}): Probe {
    const { tools = [], ...rest } = over;
    return { context: "kind-rag", minikube: false, present: new Set(tools), broken: {}, root: true, ...rest };
}
const NO_ENGINE =
    "the docker client is installed but no engine answers `docker info` (Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?)";

function cannot(plan: Plan): string {
    assert.strictEqual(plan.ok, false, `expected a refusal, got ${JSON.stringify(plan)}`);
    const reason = (plan as { reason: string }).reason;
    assert.ok(!reason.includes("\n"), "one line");
    return reason;
}
function chosen(plan: Plan) {
    assert.ok(plan.ok, `expected a plan, got: ${(plan as { reason?: string }).reason}`);
    return plan as Plan & { ok: true };
}

describe("npm run images: the choice (scripts/lib/image-plan.ts)", () => {
    it("reads the loader from the kube context: kind-*, k3d-*, a minikube profile, rag-local, anything else, none", () => {
        assert.deepStrictEqual(loaderFor("kind-rag", false), { kind: "kind", cluster: "rag" });
        assert.deepStrictEqual(loaderFor("k3d-dev-cluster", false), { kind: "k3d", cluster: "dev-cluster" });
        assert.deepStrictEqual(loaderFor("minikube", false), { kind: "minikube", profile: "minikube" });
        assert.deepStrictEqual(loaderFor("laptop", true), { kind: "minikube", profile: "laptop" });
        assert.deepStrictEqual(loaderFor("rag-local", false), { kind: "embedded" });
        assert.deepStrictEqual(loaderFor("arn:aws:eks:eu-west-1:1:cluster/prod", false), { kind: "registry", context: "arn:aws:eks:eu-west-1:1:cluster/prod" });
        assert.deepStrictEqual(loaderFor("", false), { kind: "none" });
    });

    it("kind with a working docker: docker builds, kind loads", () => {
        const p = chosen(choosePlan(machine({ tools: ["docker", "kind", "mmdebstrap", "umoci"] }), true));
        assert.strictEqual(p.builder, "docker");
        assert.deepStrictEqual(p.loader, { kind: "kind", cluster: "rag" });
        assert.deepStrictEqual(p.notes, []);
    });

    it("minikube and k3d, each with the first working builder", () => {
        const mk = chosen(choosePlan(machine({ context: "laptop", minikube: true, tools: ["podman", "minikube"] }), true));
        assert.deepStrictEqual([mk.builder, mk.loader], ["podman", { kind: "minikube", profile: "laptop" }]);
        const k3d = chosen(choosePlan(machine({ context: "k3d-dev", tools: ["nerdctl", "buildah", "k3d"] }), true));
        assert.deepStrictEqual([k3d.builder, k3d.loader], ["nerdctl", { kind: "k3d", cluster: "dev" }]);
    });

    it("each builder, present or absent, in the order docker, podman, nerdctl, buildah", () => {
        for (let i = 0; i < BUILDERS.length; i++) {
            const present = BUILDERS.slice(i);
            assert.strictEqual(chosen(choosePlan(machine({ tools: [...present, "kind"] }), true)).builder, BUILDERS[i], `with ${present.join(", ")}`);
            assert.strictEqual(chosen(choosePlan(machine({ tools: [BUILDERS[i], "kind"] }), true)).builder, BUILDERS[i], `${BUILDERS[i]} alone`);
        }
    });

    it("the docker client without an engine is skipped with a note: the next builder, else the daemonless build", () => {
        const podman = chosen(choosePlan(machine({ tools: ["docker", "podman", "kind"], broken: { docker: NO_ENGINE } }), true));
        assert.strictEqual(podman.builder, "podman");
        assert.deepStrictEqual(podman.notes, [`docker skipped: ${NO_ENGINE}`]);
        const daemonless = chosen(choosePlan(machine({ tools: ["docker", "kind", "mmdebstrap", "umoci"], broken: { docker: NO_ENGINE } }), true));
        assert.strictEqual(daemonless.builder, "daemonless");
        assert.strictEqual(daemonless.notes[0], `docker skipped: ${NO_ENGINE}`);
        assert.match(daemonless.notes[1], /no working container builder: daemonless build/);
    });

    it("no builder at all: the daemonless build, which needs mmdebstrap, umoci and root", () => {
        assert.strictEqual(chosen(choosePlan(machine({ tools: ["kind", "mmdebstrap", "umoci"] }), true)).builder, "daemonless");
        assert.strictEqual(
            cannot(choosePlan(machine({ tools: ["docker", "kind"], broken: { docker: NO_ENGINE } }), true)),
            "cannot build the images: no working container builder (docker: not working, podman: not installed, nerdctl: not installed, buildah: not installed) and the daemonless build needs mmdebstrap and umoci: install them (apt-get install mmdebstrap umoci) or install or start docker or podman",
        );
        assert.match(
            cannot(choosePlan(machine({ tools: ["kind", "mmdebstrap"] }), true)),
            /the daemonless build needs umoci: install it \(apt-get install umoci\)/,
        );
        assert.match(
            cannot(choosePlan(machine({ tools: ["kind", "mmdebstrap", "umoci"], root: false }), true)),
            /the daemonless build runs mmdebstrap as root: run npm run images as root, or install or start docker or podman$/,
        );
    });

    it("a context that is no local cluster keeps the registry images: nothing built", () => {
        const p = chosen(choosePlan(machine({ context: "gke_proj_europe-west1_prod", tools: ["docker"] }), true));
        assert.strictEqual(p.builder, undefined);
        assert.deepStrictEqual(p.loader, { kind: "registry", context: "gke_proj_europe-west1_prod" });
        assert.match(p.notes[0], /kube context gke_proj_europe-west1_prod is not a local cluster .*: keeping the registry images/);
        // without --load the images are still built (nothing is loaded anywhere)
        assert.strictEqual(chosen(choosePlan(machine({ context: "gke_proj_europe-west1_prod", tools: ["docker"] }), false)).builder, "docker");
    });

    it("a local cluster whose tool is missing, and no kube context at all, cannot load", () => {
        assert.strictEqual(
            cannot(choosePlan(machine({ tools: ["docker"] }), true)),
            "cannot load the images into the kind cluster rag (kube context kind-rag): the kind command is not installed; install it (https://kind.sigs.k8s.io/docs/user/quick-start/#installation) or switch to another context",
        );
        assert.match(
            cannot(choosePlan(machine({ context: "k3d-x", tools: ["docker"] }), true)),
            /the k3d command is not installed; install it \(https:\/\/k3d\.io/,
        );
        assert.match(cannot(choosePlan(machine({ context: "minikube", tools: ["docker"] }), true)), /the minikube command is not installed/);
        assert.match(
            cannot(choosePlan(machine({ context: "", tools: ["docker"] }), true)),
            /^cannot load the images: no kube context .*or build only without --load$/,
        );
        assert.strictEqual(chosen(choosePlan(machine({ context: "", tools: ["docker"] }), false)).builder, "docker");
    });

    it("the embedded cluster (context rag-local) takes archives from any builder", () => {
        const p = chosen(choosePlan(machine({ context: "rag-local", tools: ["mmdebstrap", "umoci"] }), true));
        assert.deepStrictEqual([p.builder, p.loader], ["daemonless", { kind: "embedded" }]);
    });
});

describe("npm run images: tags", () => {
    let root: string;
    const write = (rel: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        fs.writeFileSync(path.join(root, rel), text);
    };
    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "rag-tags-"));
        write("app/package.json", JSON.stringify({ name: "rag-app", version: "0.2.0" }));
        write("package-lock.json", "{}");
        write("app/src/api.ts", "export {};\n");
        write("app/test/unit.test.ts", "// a test\n");
        write("images/node/build.sh", "# node\n");
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("rag-platform.local/<image>:<app version>-<content hash>, the same hash for the three images", () => {
        const refs = imageRefs(root, "docker");
        const hash = contentHash(root, "docker");
        assert.match(hash, /^[0-9a-f]{12}$/);
        assert.deepStrictEqual(refs, {
            "rag-api": `rag-platform.local/rag-api:0.2.0-${hash}`,
            "rag-frontend": `rag-platform.local/rag-frontend:0.2.0-${hash}`,
            "rag-indexer": `rag-platform.local/rag-indexer:0.2.0-${hash}`,
        });
    });

    it("a change to the app's sources or lockfile makes a new tag; its tests do not", () => {
        const before = contentHash(root, "docker");
        write("app/test/unit.test.ts", "// another test\n");
        assert.strictEqual(contentHash(root, "docker"), before);
        write("app/src/api.ts", "export const x = 1;\n");
        const changed = contentHash(root, "docker");
        assert.notStrictEqual(changed, before);
        write("package-lock.json", '{"lockfileVersion": 3}');
        assert.notStrictEqual(contentHash(root, "docker"), changed);
    });

    it("the daemonless build's recipes count for its tags only", () => {
        const docker = contentHash(root, "docker");
        const daemonless = contentHash(root, "daemonless");
        write("images/node/build.sh", "# node 22.24\n");
        assert.strictEqual(contentHash(root, "docker"), docker);
        assert.notStrictEqual(contentHash(root, "daemonless"), daemonless);
    });

    it("the real app's tags pass the config validator's image rule and the policy pack's (pinned, not latest)", () => {
        const { imageReference } = require("../policy/rules/images");
        const { parseConfig } = require("../components/config");
        const refs = imageRefs(ROOT, "docker");
        for (const ref of Object.values(refs)) assert.match(imageReference(ref).tag, /^0\.2\.0-[0-9a-f]{12}$/);
        const config = parseConfig("dev", {
            environment: "dev",
            api: JSON.stringify({ image: refs["rag-api"] }),
            frontend: JSON.stringify({ image: refs["rag-frontend"] }),
            indexer: JSON.stringify({ image: refs["rag-indexer"] }),
        });
        assert.strictEqual(config.api.image, refs["rag-api"]);
    });
});

/** A one-image OCI layout as umoci writes it (manifest named by a bare tag), archived. */
function fakeOciArchive(dir: string, tag: string): { archive: string; blobs: string[] } {
    const layout = fs.mkdtempSync(path.join(dir, "layout-"));
    const blobs: string[] = [];
    const blob = (data: Buffer, mediaType: string) => {
        const hex = createHash("sha256").update(data).digest("hex");
        fs.mkdirSync(path.join(layout, "blobs", "sha256"), { recursive: true });
        fs.writeFileSync(path.join(layout, "blobs", "sha256", hex), data);
        blobs.push(hex);
        return { mediaType, digest: `sha256:${hex}`, size: data.length };
    };
    const layer = blob(zlib.gzipSync(Buffer.from(`layer of ${tag}`)), "application/vnd.oci.image.layer.v1.tar+gzip");
    const config = blob(
        Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { User: "10001:10001" } })),
        "application/vnd.oci.image.config.v1+json",
    );
    const manifest = blob(Buffer.from(JSON.stringify({ schemaVersion: 2, config, layers: [layer] })), "application/vnd.oci.image.manifest.v1+json");
    fs.writeFileSync(path.join(layout, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    fs.writeFileSync(
        path.join(layout, "index.json"),
        JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, annotations: { "org.opencontainers.image.ref.name": tag } }] }),
    );
    const archive = path.join(dir, `${tag}-${blobs[2].slice(0, 16)}.tar`);
    assert.strictEqual(spawnSync("tar", ["-C", layout, "-cf", archive, "."]).status, 0);
    return { archive, blobs };
}

const readFromTar = (archive: string, member: string) => spawnSync("tar", ["-xOf", archive, member], { encoding: "utf8" }).stdout;

describe("npm run images: archives loadable under their tag (scripts/lib/oci-archive.ts)", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "rag-oci-test-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("names the manifest by the full reference for containerd (kind, k3d) and docker load (manifest.json), blobs untouched", () => {
        const { archive, blobs } = fakeOciArchive(dir, "rag-api");
        const out = path.join(dir, "tagged", "rag-api.tar");
        const ref = "rag-platform.local/rag-api:0.2.0-0123456789ab";
        tagArchive(archive, ref, out);
        const index = JSON.parse(readFromTar(out, "index.json"));
        assert.strictEqual(index.manifests.length, 1);
        assert.deepStrictEqual(index.manifests[0].annotations, { "org.opencontainers.image.ref.name": ref, "io.containerd.image.name": ref });
        assert.strictEqual(index.manifests[0].digest, `sha256:${blobs[2]}`);
        assert.deepStrictEqual(JSON.parse(readFromTar(out, "manifest.json")), [
            { Config: `blobs/sha256/${blobs[1]}`, RepoTags: [ref], Layers: [`blobs/sha256/${blobs[0]}`] },
        ]);
        for (const hex of blobs) {
            const data = spawnSync("tar", ["-xOf", out, `blobs/sha256/${hex}`]).stdout;
            assert.strictEqual(createHash("sha256").update(data).digest("hex"), hex);
        }
        assert.strictEqual(readFromTar(out, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
        assert.ok(!fs.existsSync(`${out}.tmp`));
    });

    it("refuses what is not a one-image OCI archive", () => {
        const notOci = path.join(dir, "not-oci.tar");
        const empty = fs.mkdtempSync(path.join(dir, "empty-"));
        fs.writeFileSync(path.join(empty, "hello"), "hi");
        spawnSync("tar", ["-C", empty, "-cf", notOci, "."]);
        assert.throws(() => tagArchive(notOci, "x/y:1", path.join(dir, "o.tar")), /is not an OCI archive \(no index\.json\)/);
    });
});

interface Recorder {
    deps: ImagesDeps;
    commands: string[];
    lines: string[];
    pointed: BuiltImage[][];
    resets: string[];
    embedded: BuiltImage[][];
}

function recorder(p: Probe, opts: { fail?: RegExp; buildSh?: (args: string[]) => string; embeddedHook?: boolean; archiveDir: string }): Recorder {
    const r: Recorder = { commands: [], lines: [], pointed: [], resets: [], embedded: [], deps: undefined as unknown as ImagesDeps };
    r.deps = {
        exec: async (cmd, args): Promise<ExecResult> => {
            const line = [cmd, ...args].join(" ").replaceAll(ROOT, "<root>").replaceAll(opts.archiveDir, "<archives>");
            r.commands.push(line);
            if (opts.fail?.test(line)) return { code: 1, stdout: "", stderr: "ERROR: failed to solve: node:22.20.0-bookworm-slim: not found\n" };
            if (cmd === "bash" && args[0].endsWith("images/build.sh")) return { code: 0, stdout: opts.buildSh!(args), stderr: "" };
            return { code: 0, stdout: "", stderr: "" };
        },
        probe: async () => p,
        pointStack: async (_stack, images) => void r.pointed.push(images),
        resetStack: async (stack) => {
            r.resets.push(stack);
            return ["api.image"];
        },
        loadIntoEmbedded: opts.embeddedHook ? async (images) => void r.embedded.push(images) : undefined,
        log: (l) => r.lines.push(l),
        archiveDir: opts.archiveDir,
    };
    return r;
}

describe("npm run images: what each path runs (scripts/images.ts, fake exec)", () => {
    let dir: string;
    let archives: string;
    const refs = imageRefs(ROOT, "docker");
    const daemonlessRefs = imageRefs(ROOT, "daemonless");
    const tag = refs["rag-api"].split(":")[1];
    const dtag = daemonlessRefs["rag-api"].split(":")[1];
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "rag-images-test-"));
        archives = path.join(dir, "tagged");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("parses --load, --reset and --stack", () => {
        assert.deepStrictEqual(parseImagesArgs([]), { stack: "dev", load: false, reset: false });
        assert.deepStrictEqual(parseImagesArgs(["--load", "--stack", "dev2"]), { stack: "dev2", load: true, reset: false });
        assert.deepStrictEqual(parseImagesArgs(["-s=x", "--reset"]), { stack: "x", load: false, reset: true });
        assert.throws(
            () => parseImagesArgs(["--push"]),
            (e: unknown) => e instanceof UserError && /unknown argument --push; usage: npm run images/.test(e.message),
        );
        assert.throws(() => parseImagesArgs(["--load", "--reset"]), /--load or --reset, not both/);
        assert.throws(() => parseImagesArgs(["--stack"]), /--stack needs a stack name/);
    });

    it("docker + kind: three docker builds from app/Dockerfile, kind load docker-image, the stack pointed at the tags", async () => {
        const r = recorder(machine({ tools: ["docker", "kind"] }), { archiveDir: archives });
        await runImages({ stack: "dev", load: true, reset: false }, r.deps);
        assert.deepStrictEqual(r.commands, [
            `docker build -f <root>/app/Dockerfile --target api -t ${refs["rag-api"]} <root>`,
            `docker build -f <root>/app/Dockerfile --target frontend -t ${refs["rag-frontend"]} <root>`,
            `docker build -f <root>/app/Dockerfile --target indexer -t ${refs["rag-indexer"]} <root>`,
            `kind load docker-image --name rag ${refs["rag-api"]} ${refs["rag-frontend"]} ${refs["rag-indexer"]}`,
        ]);
        assert.deepStrictEqual(
            r.pointed[0].map((i) => [i.configKey, i.ref]),
            [
                ["api.image", refs["rag-api"]],
                ["frontend.image", refs["rag-frontend"]],
                ["indexer.image", refs["rag-indexer"]],
            ],
        );
        assert.ok(r.lines.includes("images: builder docker; loader kind cluster rag"), r.lines.join("\n"));
        assert.ok(r.lines.includes(`  ${refs["rag-api"]}`));
        assert.match(
            r.lines[r.lines.length - 1],
            /^stack dev: api\.image, frontend\.image, indexer\.image set to these tags; npm run up rolls the pods onto them$/,
        );
    });

    it("podman + k3d: builds, saves docker archives, k3d image import of the files", async () => {
        const r = recorder(machine({ context: "k3d-dev", tools: ["podman", "k3d"] }), { archiveDir: archives });
        await runImages({ stack: "dev", load: true, reset: false }, r.deps);
        assert.deepStrictEqual(r.commands.slice(0, 2), [
            `podman build -f <root>/app/Dockerfile --target api -t ${refs["rag-api"]} <root>`,
            `podman save --format docker-archive -o <archives>/rag-api-${tag}.tar ${refs["rag-api"]}`,
        ]);
        assert.strictEqual(r.commands.length, 7);
        assert.strictEqual(
            r.commands[6],
            `k3d image import -c dev <archives>/rag-api-${tag}.tar <archives>/rag-frontend-${tag}.tar <archives>/rag-indexer-${tag}.tar`,
        );
    });

    it("buildah + minikube and nerdctl + kind: archives, loaded one by one", async () => {
        const mk = recorder(machine({ context: "laptop", minikube: true, tools: ["buildah", "minikube"] }), { archiveDir: archives });
        await runImages({ stack: "dev", load: true, reset: false }, mk.deps);
        assert.deepStrictEqual(mk.commands.slice(0, 2), [
            `buildah bud -f <root>/app/Dockerfile --target api -t ${refs["rag-api"]} <root>`,
            `buildah push ${refs["rag-api"]} docker-archive:<archives>/rag-api-${tag}.tar:${refs["rag-api"]}`,
        ]);
        assert.deepStrictEqual(mk.commands.slice(6), [
            `minikube -p laptop image load <archives>/rag-api-${tag}.tar`,
            `minikube -p laptop image load <archives>/rag-frontend-${tag}.tar`,
            `minikube -p laptop image load <archives>/rag-indexer-${tag}.tar`,
        ]);
        const kind = recorder(machine({ tools: ["nerdctl", "kind"] }), { archiveDir: archives });
        await runImages({ stack: "dev", load: true, reset: false }, kind.deps);
        assert.strictEqual(kind.commands[1], `nerdctl save -o <archives>/rag-api-${tag}.tar ${refs["rag-api"]}`);
        assert.strictEqual(kind.commands[6], `kind load image-archive --name rag <archives>/rag-api-${tag}.tar`);
    });

    it("daemonless + kind: package.sh, images/build.sh, its archives retagged, kind load image-archive", async () => {
        const built = ["rag-api", "rag-frontend", "rag-indexer"].map((n) => fakeOciArchive(dir, n).archive);
        const r = recorder(machine({ tools: ["docker", "kind", "mmdebstrap", "umoci"], broken: { docker: NO_ENGINE } }), {
            archiveDir: archives,
            buildSh: () => built.map((tar, i) => `localhost/rag-e2e/${["rag-api", "rag-frontend", "rag-indexer"][i]}:0.2.0 ${tar}`).join("\n") + "\n",
        });
        // an archive of an earlier build: replaced
        fs.mkdirSync(archives, { recursive: true });
        fs.writeFileSync(path.join(archives, "rag-api-0.1.0-000000000000.tar"), "old");
        const result = await runImages({ stack: "dev", load: true, reset: false }, r.deps);
        assert.match(r.commands[0], /^bash <root>\/app\/scripts\/package\.sh \/.*rag-images-/);
        assert.match(r.commands[1], /^bash <root>\/images\/build\.sh --app \/.*rag-images-.*\/app rag-api rag-frontend rag-indexer$/);
        assert.deepStrictEqual(r.commands.slice(2), [
            `kind load image-archive --name rag <archives>/rag-api-${dtag}.tar`,
            `kind load image-archive --name rag <archives>/rag-frontend-${dtag}.tar`,
            `kind load image-archive --name rag <archives>/rag-indexer-${dtag}.tar`,
        ]);
        for (const img of result!.images) {
            assert.strictEqual(JSON.parse(readFromTar(img.archive!, "manifest.json"))[0].RepoTags[0], img.ref);
        }
        assert.deepStrictEqual(fs.readdirSync(archives).sort(), [`rag-api-${dtag}.tar`, `rag-frontend-${dtag}.tar`, `rag-indexer-${dtag}.tar`]);
        assert.strictEqual(r.lines[0], `note: docker skipped: ${NO_ENGINE}`);
        assert.ok(r.lines.includes("images: builder daemonless; loader kind cluster rag"));
    });

    it("daemonless, the archives of these tags there already: nothing packaged or built, the same archives loaded", async () => {
        const built = ["rag-api", "rag-frontend", "rag-indexer"].map((n) => fakeOciArchive(dir, n).archive);
        const buildSh = () => built.map((tar, i) => `localhost/rag-e2e/${["rag-api", "rag-frontend", "rag-indexer"][i]}:0.2.0 ${tar}`).join("\n") + "\n";
        const tools = { tools: ["kind", "mmdebstrap", "umoci"] };
        await runImages({ stack: "dev", load: true, reset: false }, recorder(machine(tools), { archiveDir: archives, buildSh }).deps);
        const again = recorder(machine(tools), { archiveDir: archives, buildSh });
        await runImages({ stack: "dev", load: true, reset: false }, again.deps);
        const files = ["rag-api", "rag-frontend", "rag-indexer"].map((n) => `<archives>/${n}-${dtag}.tar`);
        assert.deepStrictEqual(
            again.commands,
            files.map((f) => `kind load image-archive --name rag ${f}`),
        );
        assert.ok(
            again.lines.includes(`the images of this app are built already: ${files.join(" ").replaceAll("<archives>", archives)}`),
            again.lines.join("\n"),
        );
        // one of them gone: all three built again
        fs.rmSync(path.join(archives, `rag-frontend-${dtag}.tar`));
        const partial = recorder(machine(tools), { archiveDir: archives, buildSh });
        await runImages({ stack: "dev", load: true, reset: false }, partial.deps);
        assert.match(partial.commands[0], /^bash <root>\/app\/scripts\/package\.sh /);
        assert.strictEqual(partial.commands.length, 5);
    });

    it("the embedded cluster: the archives go to loadIntoEmbedded (wired by npm run up); without it, one line", async () => {
        const built = ["rag-api", "rag-frontend", "rag-indexer"].map((n) => fakeOciArchive(dir, n).archive);
        const buildSh = () => built.map((tar, i) => `localhost/rag-e2e/${["rag-api", "rag-frontend", "rag-indexer"][i]}:0.2.0 ${tar}`).join("\n");
        const r = recorder(machine({ context: "rag-local", tools: ["mmdebstrap", "umoci"] }), { archiveDir: archives, buildSh, embeddedHook: true });
        await runImages({ stack: "dev", load: true, reset: false }, r.deps);
        assert.deepStrictEqual(
            r.embedded[0].map((i) => [i.ref, path.basename(i.archive!)]),
            ["rag-api", "rag-frontend", "rag-indexer"].map((n) => [daemonlessRefs[n as "rag-api"], `${n}-${dtag}.tar`]),
        );
        assert.strictEqual(r.pointed.length, 1);
        const without = recorder(machine({ context: "rag-local", tools: ["mmdebstrap", "umoci"] }), { archiveDir: archives, buildSh });
        await assert.rejects(
            runImages({ stack: "dev", load: true, reset: false }, without.deps),
            /^UserError: cannot load into the embedded cluster \(context rag-local\) from npm run images: npm run up builds and loads its images$/,
        );
    });

    it("a real cluster: nothing built, locally built tags removed from the stack", async () => {
        const r = recorder(machine({ context: "prod-admin@prod", tools: ["docker"] }), { archiveDir: archives });
        const result = await runImages({ stack: "dev", load: true, reset: false }, r.deps);
        assert.deepStrictEqual(r.commands, []);
        assert.deepStrictEqual(r.resets, ["dev"]);
        assert.deepStrictEqual(result!.images, []);
        assert.deepStrictEqual(r.lines, [
            "note: kube context prod-admin@prod is not a local cluster (kind-*, k3d-*, minikube, rag-local): keeping the registry images",
            "images: none built; the cluster of kube context prod-admin@prod (not a local cluster) pulls the released images (stack dev: api.image removed)",
        ]);
    });

    it("without --load: built, neither loaded nor set on the stack", async () => {
        const r = recorder(machine({ tools: ["docker", "kind"] }), { archiveDir: archives });
        await runImages({ stack: "dev", load: false, reset: false }, r.deps);
        assert.strictEqual(r.commands.length, 3);
        assert.ok(r.commands.every((c) => c.startsWith("docker build ")));
        assert.deepStrictEqual(r.pointed, []);
        assert.ok(r.lines.includes("images: builder docker; not loaded (add --load)"));
    });

    it("--reset removes the local tags from the stack", async () => {
        const r = recorder(machine(), { archiveDir: archives });
        await runImages({ stack: "dev", load: false, reset: true }, r.deps);
        assert.deepStrictEqual(
            [r.resets, r.commands, r.lines],
            [["dev"], [], ["stack dev: api.image removed; the registry images again on the next npm run up"]],
        );
    });

    it("a failed build or load is one line naming the step and the tool's last line", async () => {
        const build = recorder(machine({ tools: ["docker", "kind"] }), { archiveDir: archives, fail: /--target frontend/ });
        await assert.rejects(
            runImages({ stack: "dev", load: true, reset: false }, build.deps),
            (e: unknown) =>
                e instanceof UserError &&
                e.message === "docker build --target frontend failed (docker exited 1: ERROR: failed to solve: node:22.20.0-bookworm-slim: not found)",
        );
        assert.strictEqual(build.commands.length, 2, "stops at the failed build");
        assert.deepStrictEqual(build.pointed, []);
        const load = recorder(machine({ tools: ["docker", "kind"] }), { archiveDir: archives, fail: /^kind load/ });
        await assert.rejects(
            runImages({ stack: "dev", load: true, reset: false }, load.deps),
            /^UserError: kind load into cluster rag failed \(kind exited 1: /,
        );
        assert.deepStrictEqual(load.pointed, [], "the stack is not pointed at images the cluster does not have");
        const cannotBuild = recorder(machine({ tools: ["kind"] }), { archiveDir: archives });
        await assert.rejects(
            runImages({ stack: "dev", load: true, reset: false }, cannotBuild.deps),
            /^UserError: cannot build the images: no working container builder/,
        );
    });
});

describe("npm run images: probing the machine", () => {
    it("tries `<builder> info` for the builders on PATH and reads a minikube profile from the kubeconfig extension", async () => {
        const calls: string[] = [];
        const p = await probe(
            async (cmd, args): Promise<ExecResult> => {
                calls.push([cmd, ...args].join(" "));
                if (cmd === "docker")
                    return {
                        code: 1,
                        stdout: "",
                        stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
                    };
                if (cmd === "podman") return { code: 0, stdout: "host: ...", stderr: "" };
                if (args.includes("current-context")) return { code: 0, stdout: "laptop\n", stderr: "" };
                if (args.includes("view")) {
                    const contexts = [
                        { name: "other", context: { cluster: "other" } },
                        {
                            name: "laptop",
                            context: {
                                cluster: "laptop",
                                extensions: [{ name: "context_info", extension: { provider: "minikube.sigs.k8s.io", version: "v1.34.0" } }],
                            },
                        },
                    ];
                    return { code: 0, stdout: JSON.stringify({ contexts }), stderr: "" };
                }
                return { code: 1, stdout: "", stderr: "unexpected" };
            },
            "dev",
            (c) => ["docker", "podman", "kubectl", "minikube", "umoci"].includes(c),
        );
        assert.deepStrictEqual(calls, ["docker info", "podman info", "kubectl config current-context", "kubectl config view -o json"]);
        assert.deepStrictEqual([...p.present].sort(), ["docker", "minikube", "podman", "umoci"]);
        assert.deepStrictEqual(p.broken, { docker: NO_ENGINE });
        assert.strictEqual(p.context, "laptop");
        assert.strictEqual(p.minikube, true);
        assert.deepStrictEqual(chosen(choosePlan(p, true)).loader, { kind: "minikube", profile: "laptop" });
    });

    it("without kubectl or a current context there is no context", async () => {
        const p = await probe(
            async () => ({ code: 1, stdout: "", stderr: "error: current-context is not set" }),
            "dev",
            (c) => c === "kubectl",
        );
        assert.deepStrictEqual([p.context, p.minikube], ["", false]);
        const q = await probe(
            async () => ({ code: 0, stdout: "x", stderr: "" }),
            "dev",
            () => false,
        );
        assert.strictEqual(q.context, "");
    });
});
