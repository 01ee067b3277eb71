// scripts/lib/local-cluster.ts: which cluster `npm run up|destroy` uses, and every "cannot" line it prints.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chooseCluster, ClusterFacts, elapsed, embeddedCannot, EMBEDDED_NODE_IMAGES, prebuildImages, prebuildWanted } from "../scripts/lib/local-cluster";

const facts = (over: Partial<ClusterFacts> = {}): ClusterFacts => ({
    stack: "dev",
    command: "up",
    context: "kind-dev",
    reachable: false,
    pinned: false,
    noLocalCluster: false,
    embeddedRunning: false,
    ...over,
});

describe("npm run up: which cluster (scripts/lib/local-cluster.ts)", () => {
    it("uses the kube context in use when it answers, whatever the stack", () => {
        assert.deepStrictEqual(chooseCluster(facts({ reachable: true })), { kind: "current", context: "kind-dev" });
        assert.deepStrictEqual(chooseCluster(facts({ stack: "prod", pinned: true, context: "prod", reachable: true })), { kind: "current", context: "prod" });
    });

    it("starts the embedded cluster for dev when nothing answers and this machine can run it", () => {
        assert.deepStrictEqual(chooseCluster(facts()), { kind: "embedded", start: true });
        assert.deepStrictEqual(chooseCluster(facts({ context: undefined })), { kind: "embedded", start: true });
    });

    it("uses the embedded cluster when it runs already (start: false), also for destroy", () => {
        assert.deepStrictEqual(chooseCluster(facts({ embeddedRunning: true })), { kind: "embedded", start: false });
        assert.deepStrictEqual(chooseCluster(facts({ embeddedRunning: true, command: "destroy" })), { kind: "embedded", start: false });
    });

    it("never replaces a pinned or non-dev stack's cluster, and says so in one line", () => {
        for (const f of [facts({ stack: "prod", pinned: true, context: "prod" }), facts({ stack: "staging" })]) {
            const c = chooseCluster(f);
            assert.strictEqual(c.kind, "none");
            assert.match(
                c.kind === "none" ? c.message : "",
                /^no reachable Kubernetes cluster in .*the embedded cluster is for the dev stack only: start a cluster of your own \(kind, minikube, k3d/,
            );
        }
        const prod = chooseCluster(facts({ stack: "prod", pinned: true, context: "prod" }));
        assert.match(prod.kind === "none" ? prod.message : "", /kube context prod \(kubeContext of stack prod\)/);
    });

    it("does not start a cluster to destroy nothing", () => {
        const c = chooseCluster(facts({ command: "destroy" }));
        assert.strictEqual(c.kind, "none");
        assert.match(c.kind === "none" ? c.message : "", /no embedded cluster runs: nothing to destroy there/);
    });

    it("honours --no-local-cluster", () => {
        const c = chooseCluster(facts({ noLocalCluster: true }));
        assert.strictEqual(c.kind, "none");
        assert.match(c.kind === "none" ? c.message : "", /--no-local-cluster: the embedded cluster is not started/);
    });

    it("says why the embedded cluster cannot run and what to use instead", () => {
        const c = chooseCluster(facts({ embeddedCannot: "it needs root (containerd, network namespaces, nftables); run as root" }));
        assert.strictEqual(c.kind, "none");
        const m = c.kind === "none" ? c.message : "";
        assert.match(m, /the embedded cluster cannot run here: it needs root/);
        assert.match(m, /kind, minikube, k3d/);
        assert.match(m, /npm run render/);
        assert.doesNotMatch(m, /\n/);
    });
});

describe("the embedded cluster's preconditions (embeddedCannot)", () => {
    it("is satisfied on Linux, as root, with cgroups and Go", () => {
        assert.strictEqual(embeddedCannot("linux", 0, true, true), undefined);
    });
    it("names each missing precondition", () => {
        assert.match(embeddedCannot("darwin", 0, true, true) ?? "", /this is macOS, not Linux/);
        assert.match(embeddedCannot("win32", 0, true, true) ?? "", /this is win32, not Linux/);
        assert.match(embeddedCannot("linux", 1000, true, true) ?? "", /needs root/);
        assert.match(embeddedCannot("linux", 0, false, true) ?? "", /no cgroups/);
        assert.match(embeddedCannot("linux", 0, true, false) ?? "", /Go is needed/);
    });
});

describe("the embedded cluster's images, built beside the toolchain (prebuildWanted, prebuildImages)", () => {
    it("only when npm run up starts the cluster", () => {
        assert.strictEqual(prebuildWanted({ kind: "embedded", start: true }, "up"), true);
        assert.strictEqual(prebuildWanted({ kind: "embedded", start: false }, "up"), false, "running already: its images are imported");
        assert.strictEqual(prebuildWanted({ kind: "embedded", start: true }, "destroy"), false);
        assert.strictEqual(prebuildWanted({ kind: "embedded", start: true }, "preview"), false);
        assert.strictEqual(prebuildWanted({ kind: "current", context: "kind-dev" }, "up"), false);
        assert.strictEqual(prebuildWanted({ kind: "none", message: "no" }, "up"), false);
        assert.strictEqual(prebuildWanted(undefined, "up"), false);
    });

    it("builds the images cluster.sh up imports into every node", () => {
        const up = fs.readFileSync(path.join(__dirname, "..", "scripts", "cluster", "up.sh"), "utf8");
        assert.match(up, new RegExp(`local images="${EMBEDDED_NODE_IMAGES.join(" ")} \\$\\{CL_IMAGES`));
    });

    // a checkout whose three steps only say they ran: the order, the image names, the stop at the first failure
    const fakeRoot = (hostPackagesExit: number): string => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "rag-prebuild-"));
        const write = (rel: string, text: string) => {
            fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
            fs.writeFileSync(path.join(root, rel), text);
        };
        write("e2e/node/host-packages.sh", `echo host-packages; exit ${hostPackagesExit}\n`);
        write("images/build.sh", 'echo "build.sh $*"\n');
        write("scripts/images.ts", 'console.log("images.ts", JSON.stringify(process.argv.slice(2)));\n');
        fs.symlinkSync(path.join(__dirname, "..", "node_modules"), path.join(root, "node_modules"));
        fs.copyFileSync(path.join(__dirname, "..", "tsconfig.json"), path.join(root, "tsconfig.json"));
        return root;
    };

    // runs prebuildImages on a fake checkout with the image cache in a temporary folder
    const prebuildOn = async (hostPackagesExit: number): Promise<{ code: number | null; log: string; logPath: string; cache: string }> => {
        const root = fakeRoot(hostPackagesExit);
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "rag-prebuild-cache-"));
        const before = process.env.RAG_IMAGE_CACHE;
        process.env.RAG_IMAGE_CACHE = cache;
        try {
            const p = prebuildImages(root);
            // npm run up blocks its event loop in the toolchain's build meanwhile: the time is the steps' own
            spawnSync("sleep", ["3"]);
            const { code, ms } = await p.done;
            assert.ok(ms >= 0 && ms < 2_500, `its own run time, not the waiter's: ${ms} ms`);
            return { code, log: fs.readFileSync(p.log, "utf8").trim(), logPath: p.log, cache };
        } finally {
            if (before === undefined) delete process.env.RAG_IMAGE_CACHE;
            else process.env.RAG_IMAGE_CACHE = before;
            fs.rmSync(root, { recursive: true, force: true });
            fs.rmSync(cache, { recursive: true, force: true });
        }
    };

    it("installs the host packages, builds the node's and the datastores' images, then the app's (npm run images); output in the image cache's log", async () => {
        const r = await prebuildOn(0);
        assert.strictEqual(r.code, 0);
        assert.strictEqual(r.logPath, path.join(r.cache, "logs", "prebuild.log"));
        assert.deepStrictEqual(r.log.split("\n"), ["host-packages", "build.sh pause busybox postgres redis chroma", "images.ts []"]);
    });

    it("stops at the first failed step and reports its exit code", async () => {
        const r = await prebuildOn(3);
        assert.strictEqual(r.code, 3);
        assert.strictEqual(r.log, "host-packages");
    });
});

describe("progress figures", () => {
    it("prints seconds, then minutes and seconds", () => {
        assert.strictEqual(elapsed(0, 12_400), "12s");
        assert.strictEqual(elapsed(0, 185_000), "3m05s");
    });
});
