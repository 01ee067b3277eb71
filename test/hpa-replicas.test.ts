import { strict as assert } from "assert";
import { ofType, RenderedResource, RenderResult, renderStack, T } from "./harness";

// Every workload an HPA scales leaves its replica count to the HPA: no spec.replicas in what is applied or
// rendered (a GitOps sync or `kubectl apply` of the manifests would otherwise reset what the HPA chose; the
// API server defaults it to 1 at creation and the HPA raises it to minReplicas at once), and ignoreChanges
// on it for stacks deployed before it was omitted. Workloads without an HPA keep their configured count.
const SCALABLE: string[] = [T.Deployment, T.StatefulSet];

function hpaTargets(r: RenderResult): Map<string, RenderedResource> {
    const targets = new Map<string, RenderedResource>();
    for (const hpa of ofType(r, T.HPA)) {
        const ref = hpa.inputs.spec.scaleTargetRef;
        const target = r.resources.find(
            (w) =>
                SCALABLE.includes(w.type) &&
                w.inputs.kind === ref.kind &&
                w.inputs.metadata.name === ref.name &&
                w.inputs.metadata.namespace === hpa.inputs.metadata.namespace,
        );
        assert.ok(target, `HPA ${hpa.inputs.metadata.name} scales ${ref.kind}/${ref.name}, which the stack does not render`);
        targets.set(`${ref.kind}/${ref.name}`, target);
    }
    return targets;
}

function assertReplicasLeftToHpas(r: RenderResult): string[] {
    const targets = hpaTargets(r);
    for (const [key, w] of targets) {
        assert.ok(!("replicas" in w.inputs.spec), `${key}: spec.replicas rendered next to its HPA`);
        assert.deepEqual(w.ignoreChanges, ["spec.replicas"], `${key}: a pulumi up must keep what the HPA chose`);
    }
    for (const w of r.resources.filter((x) => SCALABLE.includes(x.type))) {
        const key = `${w.inputs.kind}/${w.inputs.metadata.name}`;
        if (!targets.has(key)) {
            assert.equal(typeof w.inputs.spec.replicas, "number", `${key} has no HPA: its configured count is rendered`);
            assert.deepEqual(w.ignoreChanges, [], `${key} has no HPA: a pulumi up restores its count`);
        }
    }
    return [...targets.keys()].sort();
}

describe("HPA-managed workloads render no replica count", () => {
    it("prod: the API, the frontend and the LLM StatefulSet (rag-llm); the embedding and reranker servers keep theirs", async () => {
        const prod = await renderStack("prod", { modelServing: { reranker: { mode: "in-cluster" } } });
        assert.deepEqual(assertReplicasLeftToHpas(prod), ["Deployment/rag-api", "Deployment/rag-frontend", "StatefulSet/rag-llm"]);
        const replicas = (name: string) => ofType(prod, T.StatefulSet).find((s) => s.inputs.metadata.name === name)?.inputs.spec.replicas;
        assert.equal(replicas("rag-embedding"), 2);
        assert.equal(replicas("rag-reranker"), 1);
    });

    it("dev: no HPA by default, every workload renders its count; with every HPA on, none does", async () => {
        assert.deepEqual(assertReplicasLeftToHpas(await renderStack("dev")), []);
        const autoscaled = await renderStack("dev", {
            api: { autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 3 } },
            frontend: { autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 2 } },
            modelServing: { llm: { mode: "in-cluster", autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 2 } } },
        });
        assert.deepEqual(assertReplicasLeftToHpas(autoscaled), ["Deployment/rag-api", "Deployment/rag-frontend", "StatefulSet/rag-llm"]);
    });

    it("without its HPA the LLM StatefulSet renders the configured count again", async () => {
        const r = await renderStack("prod", { modelServing: { llm: { replicas: 3, autoscaling: { enabled: false } } } });
        assert.deepEqual(assertReplicasLeftToHpas(r), ["Deployment/rag-api", "Deployment/rag-frontend"]);
        assert.equal(ofType(r, T.StatefulSet).find((s) => s.inputs.metadata.name === "rag-llm")?.inputs.spec.replicas, 3);
    });
});
