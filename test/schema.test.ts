import { strict as assert } from "assert";
import { ALL_MODEL_SERVERS, ALL_OPTIONS } from "./fixtures/workload-options";
import { RenderedResource, renderStack } from "./harness";

/** Packages holding the schemas of the custom resources the platform creates. */
const CRD_MODELS: Record<string, string> = {
    "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
    "autoscaling.k8s.io": "@kubernetes-models/autoscaler",
};

/**
 * Validates a Kubernetes object against its OpenAPI schema: the Kubernetes API's (kubernetes-models), or
 * for custom resources the CRD's published schema (@kubernetes-models/*).
 */
function validate(resource: RenderedResource): void {
    const { apiVersion, kind } = resource.inputs as { apiVersion: string; kind: string };
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
    const pkg = CRD_MODELS[group] ?? "kubernetes-models";
    const models = require(`${pkg}/${apiVersion}`) as Record<string, new (data: unknown) => { validate(): void }>;
    const Model = models[kind];
    assert.ok(Model, `kubernetes-models has no ${apiVersion} ${kind}`);
    new Model(resource.inputs).validate();
}

const isKubernetesObject = (r: RenderedResource) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers");

describe("Kubernetes OpenAPI schema", () => {
    const variants: [string, Record<string, unknown>][] = [
        ["dev", {}],
        ["prod", {}],
        ["dev", { vectorStore: { engine: "chroma" } }],
        ["dev", { vectorStore: { engine: "milvus" } }],
        ["prod", { api: { gpu: { enabled: true, nodeSelector: { "nvidia.com/gpu.present": "true" } } }, imagePullSecrets: ["registry-creds"] }],
        ["prod", { vectorStore: { engine: "milvus" }, verticalAutoscaling: { enabled: true } }],
        [
            "prod",
            {
                modelServing: {
                    llm: { hfTokenSecret: { name: "hf", key: "token" } },
                    embedding: { gpu: { enabled: true } },
                    reranker: { mode: "in-cluster", hfTokenSecret: { name: "hf", key: "token" } },
                },
            },
        ],
        ["dev", { monitoring: { enabled: true }, localAccess: { enabled: true }, verticalAutoscaling: { enabled: true, updateMode: "Auto" } }],
        ["prod", { ...ALL_OPTIONS, ...ALL_MODEL_SERVERS }],
        ["dev", { ...ALL_OPTIONS, api: { gpu: { enabled: true } } }],
        [
            "prod",
            {
                postgres: { mode: "external", host: "10.1.2.3", tls: true, existingSecret: { name: "pg", key: "password" } },
                redis: { mode: "external", host: "fd00::6379", existingSecret: { name: "redis", key: "auth" } },
                vectorStore: { mode: "external", host: "qdrant.example.com", port: 443, tls: true, existingSecret: { name: "qdrant", key: "api-key" } },
            },
        ],
    ];
    for (const [stack, overrides] of variants) {
        it(`every object of ${stack} ${JSON.stringify(overrides)} is valid`, async () => {
            const objects = (await renderStack(stack, overrides)).resources.filter(isKubernetesObject);
            assert.ok(objects.length > 30, `only ${objects.length} objects`);
            for (const object of objects) {
                assert.doesNotThrow(
                    () => validate(object),
                    (e: Error) => `${object.type} ${object.name}: ${e.message}`,
                );
            }
        });
    }

    it("rejects an object that breaks the schema (the check can fail)", () => {
        const broken = {
            type: "kubernetes:apps/v1:Deployment",
            name: "broken",
            inputs: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { replicas: "three", template: {} } },
        } as unknown as RenderedResource;
        assert.throws(() => validate(broken));
    });
});
