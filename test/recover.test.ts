// npm run recover's decisions (scripts/lib/recover.ts): which pending creates are adopted, which created again, the
// patch that releases a killed run's field managers, and the refresh command. The whole recovery runs for real in the node tier (e2e/node/interrupted.sh).
import { strict as assert } from "node:assert";
import { kubeRef, managedFieldsOf, PendingOperation, planRecovery, providerId, refreshArgs, releasePatch } from "../scripts/lib/recover";

const urn = (t: string, n: string) => `urn:pulumi:dev::rag-platform::rag:index:RagPlatform$${t}::${n}`;
const create = (type: string, name: string, metadata?: object): PendingOperation => ({
    type: "creating",
    resource: { urn: urn(type, name), type, ...(metadata ? { inputs: { metadata } } : {}) },
});

describe("npm run recover: what to do with an interrupted update's pending operations", () => {
    it("names the Kubernetes object of a pending create from its inputs, and its provider ID", () => {
        const sts = kubeRef(create("kubernetes:apps/v1:StatefulSet", "redis", { name: "rag-redis", namespace: "rag-dev" }));
        assert.deepEqual(sts, { apiVersion: "apps/v1", kind: "StatefulSet", name: "rag-redis", namespace: "rag-dev" });
        assert.equal(providerId(sts!), "rag-dev/rag-redis");
        const svc = kubeRef(create("kubernetes:core/v1:Secret", "secrets", { name: "rag-secrets-3f9c2a1b", namespace: "rag-dev" }));
        assert.deepEqual(
            svc,
            { apiVersion: "v1", kind: "Secret", name: "rag-secrets-3f9c2a1b", namespace: "rag-dev" },
            "an autonamed object: the name autonaming chose",
        );
        const np = kubeRef(create("kubernetes:networking.k8s.io/v1:NetworkPolicy", "np", { name: "rag-default-deny", namespace: "rag-dev" }));
        assert.equal(np?.apiVersion, "networking.k8s.io/v1");
        const ns = kubeRef(create("kubernetes:core/v1:Namespace", "ns", { name: "rag-dev" }));
        assert.equal(providerId(ns!), "rag-dev", "cluster-scoped: the name alone");
        assert.equal(kubeRef(create("kubernetes:core/v1:ConfigMap", "cm")), undefined, "no name in the inputs");
        assert.equal(kubeRef(create("random:index/randomPassword:RandomPassword", "pw", { name: "x" })), undefined);
    });

    it("adopts the pending creates whose object exists, creates the others again, leaves updates and deletes to the refresh", () => {
        const ops: PendingOperation[] = [
            create("kubernetes:apps/v1:StatefulSet", "redis", { name: "rag-redis", namespace: "rag-dev" }),
            create("kubernetes:core/v1:Service", "redis-svc", { name: "rag-redis", namespace: "rag-dev" }),
            create("random:index/randomPassword:RandomPassword", "pw"),
            { type: "updating", resource: { urn: urn("kubernetes:apps/v1:Deployment", "api"), type: "kubernetes:apps/v1:Deployment" } },
            { type: "deleting", resource: { urn: urn("kubernetes:core/v1:Secret", "old"), type: "kubernetes:core/v1:Secret" } },
        ];
        const plan = planRecovery(ops, (ref) => ref.kind === "StatefulSet");
        assert.deepEqual(plan.adopt, [
            { urn: ops[0].resource.urn, ref: { apiVersion: "apps/v1", kind: "StatefulSet", name: "rag-redis", namespace: "rag-dev" } },
        ]);
        assert.deepEqual(
            plan.cleared.map((c) => c.why),
            ["Service rag-dev/rag-redis was not created", "not a Kubernetes object"],
        );
        assert.deepEqual(
            plan.settled.map((s) => s.type),
            ["updating", "deleting"],
        );
    });

    it("deletes the killed run's autonamed objects that exist (the next up names its own) instead of adopting them", () => {
        const job = create("kubernetes:batch/v1:Job", "indexer", {
            name: "rag-indexer-job-89b56acc",
            namespace: "rag-dev",
            annotations: { "pulumi.com/autonamed": "true" },
        });
        const sts = create("kubernetes:apps/v1:StatefulSet", "redis", { name: "rag-redis", namespace: "rag-dev" });
        const plan = planRecovery([job, sts], () => true);
        assert.deepEqual(
            plan.remove.map((r) => [r.ref.kind, providerId(r.ref), r.ref.autonamed]),
            [["Job", "rag-dev/rag-indexer-job-89b56acc", true]],
        );
        assert.deepEqual(
            plan.adopt.map((a) => providerId(a.ref)),
            ["rag-dev/rag-redis"],
        );
        assert.deepEqual(
            planRecovery([job], () => false).cleared.map((c) => c.why),
            ["Job rag-dev/rag-indexer-job-89b56acc was not created"],
        );
        assert.deepEqual(refreshArgs("dev", plan).slice(-1), ["--clear-pending-creates"]);
    });

    it("releases the killed run's field managers only: Apply entries of pulumi-kubernetes-<hex>, highest index first, each guarded", () => {
        const fields = [
            { manager: "pulumi-kubernetes-8188ac49", operation: "Apply" },
            { manager: "kube-controller-manager", operation: "Update" },
            { manager: "pulumi-kubernetes", operation: "Update" },
            { manager: "kubectl", operation: "Apply" },
            { manager: "pulumi-kubernetes-1f2e3d4c", operation: "Apply" },
        ];
        const { patch, released } = releasePatch(fields);
        assert.deepEqual(released, ["pulumi-kubernetes-8188ac49", "pulumi-kubernetes-1f2e3d4c"]);
        assert.deepEqual(patch, [
            { op: "test", path: "/metadata/managedFields/4/manager", value: "pulumi-kubernetes-1f2e3d4c" },
            { op: "remove", path: "/metadata/managedFields/4" },
            { op: "test", path: "/metadata/managedFields/0/manager", value: "pulumi-kubernetes-8188ac49" },
            { op: "remove", path: "/metadata/managedFields/0" },
        ]);
        assert.deepEqual(releasePatch([{ manager: "kube-controller-manager", operation: "Update" }]), { patch: [], released: [] });
        assert.deepEqual(releasePatch([]), { patch: [], released: [] });
    });

    it("reads the managedFields out of kubectl get -f's List (kubectl wraps even one object named by -f in a List)", () => {
        const entry = { manager: "pulumi-kubernetes-8970b2b3", operation: "Apply" };
        const obj = { kind: "StatefulSet", metadata: { name: "rag-redis", managedFields: [entry] } };
        assert.deepEqual(managedFieldsOf({ apiVersion: "v1", kind: "List", items: [obj] }), [entry], "the first node run missed it here");
        assert.deepEqual(managedFieldsOf(obj), [entry]);
        assert.deepEqual(managedFieldsOf({ kind: "List", items: [] }), []);
    });

    it("resets managedFields with [{}] when the killed run was its only manager (an empty list is ignored by the API server)", () => {
        assert.deepEqual(releasePatch([{ manager: "pulumi-kubernetes-8188ac49", operation: "Apply" }]), {
            patch: [{ op: "replace", path: "/metadata/managedFields", value: [{}] }],
            released: ["pulumi-kubernetes-8188ac49"],
        });
    });

    it("builds the refresh: --clear-pending-creates whenever a create was pending (adopted or not), never an import", () => {
        const ref = { apiVersion: "v1", kind: "Service", name: "a", namespace: "ns" };
        const adopting = refreshArgs("dev", { adopt: [{ urn: "urn:a", ref }], remove: [], cleared: [], settled: [] });
        assert.deepEqual(adopting, ["refresh", "--yes", "--skip-preview", "--stack", "dev", "--clear-pending-creates"]);
        assert.ok(!adopting.includes("--import-pending-creates"), "pulumi v3.248 drops pending imports at the refresh");
        assert.deepEqual(refreshArgs("prod", { adopt: [], remove: [], cleared: [{ urn: "urn:c", why: "x" }], settled: [] }).slice(-1), [
            "--clear-pending-creates",
        ]);
        assert.deepEqual(refreshArgs("dev", { adopt: [], remove: [], cleared: [], settled: [{ urn: "urn:d", type: "updating" }] }), [
            "refresh",
            "--yes",
            "--skip-preview",
            "--stack",
            "dev",
        ]);
    });
});
