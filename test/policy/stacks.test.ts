import { strict as assert } from "assert";
import { ALL_MODEL_SERVERS, ALL_OPTIONS } from "../fixtures/workload-options";
import * as fs from "fs";
import * as path from "path";
import { renderStack, ROOT } from "../harness";
import { mandatory, PackConfig, runPack, TestResource } from "./runner";

/** The pack config a stack's previews use (`--policy-pack-config policy/config/<stack>.json`). */
export function packConfig(stack: string): PackConfig {
    return JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "config", `${stack}.json`), "utf8"));
}

/** The program's resources as the analyzer sees them. */
export async function stackResources(stack: string, overrides: Record<string, unknown> = {}): Promise<TestResource[]> {
    const { resources } = await renderStack(stack, overrides);
    return resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }));
}

describe("policy pack over the program's stacks", () => {
    const variants: [string, Record<string, unknown>][] = [
        ["dev", {}],
        ["prod", {}],
        ["dev", { vectorStore: { engine: "milvus" }, monitoring: { enabled: true }, localAccess: { enabled: true } }],
        ["prod", { vectorStore: { engine: "chroma" }, verticalAutoscaling: { enabled: true }, api: { gpu: { enabled: true } } }],
        ["prod", { modelServing: { embedding: { gpu: { enabled: true } }, reranker: { mode: "in-cluster" } } }],
        ["prod", { ...ALL_OPTIONS, ...ALL_MODEL_SERVERS }],
        ["dev", { ...ALL_OPTIONS, api: { gpu: { enabled: true } } }],
        ["prod", { postgres: { mode: "ha" } }],
        ["dev", { postgres: { mode: "ha", instances: 2 }, monitoring: { enabled: true } }],
        [
            "prod",
            {
                postgres: { mode: "external", host: "10.1.2.3", tls: true, existingSecret: { name: "pg", key: "password" } },
                redis: { mode: "external", host: "redis.example.com", tls: true, existingSecret: { name: "redis", key: "auth" } },
                vectorStore: { mode: "external", host: "qdrant.example.com", port: 443, tls: true, existingSecret: { name: "qdrant", key: "api-key" } },
            },
        ],
        [
            "dev",
            {
                postgres: { mode: "external", host: "db.example.com", existingSecret: { name: "pg", key: "password" } },
                secrets: {
                    externalSecret: { storeName: "vault", remoteKeys: { REDIS_PASSWORD: "r", VECTOR_STORE_API_KEY: "v", API_SIGNING_KEY: "s" } },
                },
            },
        ],
        [
            "prod",
            {
                secrets: {
                    existingSecret: { name: "own", keys: { POSTGRES_PASSWORD: "pg", REDIS_PASSWORD: "r", VECTOR_STORE_API_KEY: "v", API_SIGNING_KEY: "s" } },
                },
            },
        ],
    ];
    for (const [stack, overrides] of variants) {
        it(`${stack} ${JSON.stringify(overrides)} has zero mandatory violations`, async () => {
            const violations = mandatory(runPack(await stackResources(stack, overrides), packConfig(stack)));
            assert.deepEqual(violations, [], violations.map((v) => `${v.policy}: ${v.message}`).join("\n"));
        });
    }

    it("dev's plain-HTTP Ingress is its only finding: advisory under dev's pack config, mandatory by default", async () => {
        const resources = await stackResources("dev");
        const advisory = runPack(resources, packConfig("dev"));
        assert.deepEqual(
            advisory.map((v) => [v.policy, v.level]),
            [["k8s-ingress-tls", "advisory"]],
        );
        assert.deepEqual(
            mandatory(runPack(resources)).map((v) => v.policy),
            ["k8s-ingress-tls"],
        );
        const withTls = await stackResources("dev", { ingress: { tls: { enabled: true } } });
        assert.deepEqual(runPack(withTls), []);
    });

    it("prod has no finding at all, advisory included", async () => {
        assert.deepEqual(runPack(await stackResources("prod"), packConfig("prod")), []);
    });

    it("the pack catches a GPU regression in the program (the LLM server without its toleration and node selector)", async () => {
        const resources = await stackResources("prod");
        const llm = resources.find((r) => r.props.metadata?.name === "rag-llm" && r.type.endsWith("StatefulSet"))!;
        delete llm.props.spec.template.spec.tolerations;
        delete llm.props.spec.template.spec.nodeSelector;
        const messages = mandatory(runPack(resources, packConfig("prod"))).map((v) => v.message);
        assert.deepEqual(messages, [
            'StatefulSet rag-llm: spec.template.spec.tolerations do not tolerate the "nvidia.com/gpu" taint of GPU nodes; add { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }',
            'StatefulSet rag-llm: spec.template.spec.nodeSelector is missing on a GPU pod; select GPU nodes, e.g. nodeSelector { "nvidia.com/gpu.present": "true" }, or a required node affinity',
        ]);
    });

    it("the pack catches a regression in the program (a container without limits)", async () => {
        const resources = await stackResources("dev");
        const api = resources.find((r) => r.props.metadata?.name === "rag-api" && r.type.endsWith("Deployment"))!;
        delete api.props.spec.template.spec.containers[0].resources.limits;
        const messages = mandatory(runPack(resources, packConfig("dev"))).map((v) => v.message);
        assert.deepEqual(messages, [
            'Deployment rag-api, container "api": spec.template.spec.containers[0].resources.limits.cpu is missing; set a cpu limit (e.g. "500m")',
            'Deployment rag-api, container "api": spec.template.spec.containers[0].resources.limits.memory is missing; set a memory limit (e.g. "512Mi")',
        ]);
    });
});
