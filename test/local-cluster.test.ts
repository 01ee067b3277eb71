// scripts/lib/local-cluster.ts: which cluster `npm run up|destroy` uses, and every "cannot" line it prints.
import * as assert from "assert";
import { chooseCluster, ClusterFacts, elapsed, embeddedCannot } from "../scripts/lib/local-cluster";

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

describe("progress figures", () => {
    it("prints seconds, then minutes and seconds", () => {
        assert.strictEqual(elapsed(0, 12_400), "12s");
        assert.strictEqual(elapsed(0, 185_000), "3m05s");
    });
});
