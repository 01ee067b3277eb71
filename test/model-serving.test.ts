import { strict as assert } from "assert";
import type { CapacityReport } from "../components/shared";
import { parseConfig } from "../components/config";
import { Checker } from "../components/config/checker";
import { validateModelServing } from "../components/config/validate/model-serving";
import { readRawConfig } from "../scripts/stack-config";
import { byName, expectConfigProblem, ofComponent, ofType, RenderResult, renderStack, T } from "./harness";

const podOf = (r: RenderResult, name: string) => byName(r, T.StatefulSet, name).inputs.spec.template.spec;
const containerOf = (r: RenderResult, name: string) => podOf(r, name).containers[0];
const env = (c: any) => Object.fromEntries(c.env.filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]));
const arg = (c: any, flag: string) => c.args[c.args.indexOf(flag) + 1];
const component = (x: { inputs: any }) => x.inputs.metadata?.labels?.["app.kubernetes.io/component"];
const MODEL_COMPONENTS = ["llm", "embedding", "reranker"];

describe("model-serving tier", () => {
    let dev: RenderResult;
    let prod: RenderResult;
    before(async () => {
        dev = await renderStack("dev");
        prod = await renderStack("prod");
    });

    describe("stacks", () => {
        it("dev renders no model server and no GPU request: every model in the app's local mode", () => {
            assert.ok(!dev.resources.some((r) => MODEL_COMPONENTS.includes(component(r))));
            assert.doesNotMatch(JSON.stringify(dev.resources.map((r) => r.inputs)), /nvidia\.com\/gpu"?\s*:\s*"\d/);
            const cm = ofComponent(dev, T.ConfigMap, "config").inputs.data;
            assert.equal(cm.LLM_BASE_URL, "");
            assert.equal(cm.EMBEDDING_BASE_URL, "");
            assert.equal(cm.EMBEDDING_MODEL, "text-embedding-3-small");
            assert.ok(!("RERANKER_BASE_URL" in cm));
        });

        it("prod serves the LLM and the embeddings in the cluster and points the app at them", () => {
            assert.deepEqual(
                ofType(prod, T.StatefulSet)
                    .filter((s) => MODEL_COMPONENTS.includes(component(s)))
                    .map((s) => s.inputs.metadata.name)
                    .sort(),
                ["rag-embedding", "rag-llm"],
            );
            const cm = ofComponent(prod, T.ConfigMap, "config").inputs.data;
            assert.equal(cm.LLM_BASE_URL, "http://rag-llm.rag-prod.svc.cluster.local:8000/v1");
            assert.equal(cm.LLM_MODEL, "Qwen/Qwen2.5-7B-Instruct");
            assert.equal(cm.EMBEDDING_BASE_URL, "http://rag-embedding.rag-prod.svc.cluster.local:8080/v1");
            assert.equal(cm.EMBEDDING_MODEL, "BAAI/bge-small-en-v1.5");
            assert.equal(prod.outputs.services && (prod.outputs.services as Record<string, string>).llm, "rag-llm.rag-prod.svc.cluster.local");
        });

        it("an external endpoint is a per-stack choice", async () => {
            const r = await renderStack("prod", { modelServing: { llm: { mode: "external", baseUrl: "https://api.openai.com/v1", model: "gpt-4o-mini" } } });
            assert.ok(!ofType(r, T.StatefulSet).some((s) => component(s) === "llm"));
            const cm = ofComponent(r, T.ConfigMap, "config").inputs.data;
            assert.equal(cm.LLM_BASE_URL, "https://api.openai.com/v1");
            assert.equal(cm.LLM_MODEL, "gpt-4o-mini");
        });
    });

    describe("InferenceServer (vLLM)", () => {
        it("runs the pinned vLLM image with the model, revision, dtype, context length and tensor parallelism from config", () => {
            const c = containerOf(prod, "rag-llm");
            assert.equal(c.image, "vllm/vllm-openai:v0.11.0");
            assert.deepEqual(c.command, ["vllm", "serve"]);
            assert.equal(c.args[0], "Qwen/Qwen2.5-7B-Instruct");
            assert.equal(arg(c, "--revision"), "main");
            assert.equal(arg(c, "--dtype"), "bfloat16");
            assert.equal(arg(c, "--max-model-len"), "8192");
            assert.equal(arg(c, "--tensor-parallel-size"), "1");
            assert.equal(arg(c, "--port"), "8000");
        });

        it("asks for GPUs with requests equal to limits and lands on GPU nodes, one replica per node in prod", () => {
            const spec = podOf(prod, "rag-llm");
            const c = spec.containers[0];
            assert.equal(c.resources.requests["nvidia.com/gpu"], "1");
            assert.equal(c.resources.limits["nvidia.com/gpu"], "1");
            assert.deepEqual(spec.nodeSelector, { "nvidia.com/gpu.present": "true" });
            assert.deepEqual(spec.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
            const required = spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
            assert.deepEqual(required, [
                {
                    topologyKey: "kubernetes.io/hostname",
                    labelSelector: { matchLabels: { "app.kubernetes.io/name": "llm", "app.kubernetes.io/instance": "rag" } },
                },
            ]);
        });

        it("keeps weights on a claim per replica, /dev/shm in memory, and writes nowhere else (restricted, non-root)", () => {
            const sts = byName(prod, T.StatefulSet, "rag-llm").inputs.spec;
            assert.equal(sts.volumeClaimTemplates[0].metadata.name, "model-cache");
            assert.equal(sts.volumeClaimTemplates[0].spec.resources.requests.storage, "50Gi");
            assert.equal(sts.podManagementPolicy, "Parallel");
            const spec = sts.template.spec;
            const c = spec.containers[0];
            assert.deepEqual(c.volumeMounts.map((m: any) => m.mountPath).sort(), ["/dev/shm", "/models", "/tmp"]);
            assert.deepEqual(spec.volumes.find((v: any) => v.name === "dshm").emptyDir, { medium: "Memory", sizeLimit: "8Gi" });
            assert.equal(spec.securityContext.runAsUser, 2000);
            assert.equal(c.securityContext.readOnlyRootFilesystem, true);
            const e = env(c);
            assert.equal(e.HF_HOME, "/models/hf");
            assert.equal(e.HOME, "/tmp");
            assert.match(e.VLLM_CACHE_ROOT, /^\/models\//);
        });

        it("gives the model 30 minutes to download and load, checks /health, and drains in-flight generations", () => {
            const spec = podOf(prod, "rag-llm");
            const c = spec.containers[0];
            assert.equal(c.startupProbe.httpGet.path, "/health");
            assert.ok(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 20 * 60);
            assert.equal(c.readinessProbe.httpGet.path, "/health");
            assert.equal(c.livenessProbe.httpGet.path, "/health");
            assert.deepEqual(c.lifecycle.preStop, { sleep: { seconds: 10 } });
            assert.equal(spec.terminationGracePeriodSeconds, 310);
        });

        it("has a PDB and an HPA on queued requests with a slow scale-down", () => {
            const pdb = byName(prod, T.PDB, "rag-llm").inputs.spec;
            assert.equal(pdb.maxUnavailable, 1);
            const hpa = byName(prod, T.HPA, "rag-llm").inputs.spec;
            assert.deepEqual(hpa.scaleTargetRef, { apiVersion: "apps/v1", kind: "StatefulSet", name: "rag-llm" });
            assert.equal(hpa.minReplicas, 2);
            assert.equal(hpa.maxReplicas, 4);
            assert.deepEqual(hpa.metrics, [
                { type: "Pods", pods: { metric: { name: "vllm:num_requests_waiting" }, target: { type: "AverageValue", averageValue: "5" } } },
            ]);
            assert.equal(hpa.behavior.scaleDown.stabilizationWindowSeconds, 600);
        });

        it("option: a Hugging Face token from an existing Secret, never a plain value", async () => {
            const r = await renderStack("prod", { modelServing: { llm: { hfTokenSecret: { name: "hf", key: "token" } } } });
            const token = containerOf(r, "rag-llm").env.find((e: any) => e.name === "HF_TOKEN");
            assert.deepEqual(token, { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf", key: "token" } } });
        });

        it("option: tensor parallelism over several GPUs, preferred anti-affinity with one replica", async () => {
            const r = await renderStack("prod", {
                modelServing: { llm: { tensorParallelSize: 2, gpu: { count: 2 }, replicas: 1, autoscaling: { enabled: false }, antiAffinity: "preferred" } },
            });
            const spec = podOf(r, "rag-llm");
            assert.equal(spec.containers[0].resources.limits["nvidia.com/gpu"], "2");
            assert.equal(arg(spec.containers[0], "--tensor-parallel-size"), "2");
            assert.ok(spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution);
            assert.equal(ofType(r, T.HPA).filter((h) => component(h) === "llm").length, 0);
            assert.equal((r.outputs.capacity as CapacityReport).gpus.current, 2);
        });
    });

    describe("EmbeddingServer (TEI) and Reranker", () => {
        it("serves embeddings on CPU with the pinned TEI image, a model cache claim, /health and a metrics port", () => {
            const c = containerOf(prod, "rag-embedding");
            assert.equal(c.image, "ghcr.io/huggingface/text-embeddings-inference:cpu-1.8");
            assert.equal(arg(c, "--model-id"), "BAAI/bge-small-en-v1.5");
            assert.deepEqual(
                c.ports.map((p: any) => [p.name, p.containerPort]),
                [
                    ["http", 8080],
                    ["metrics", 9000],
                ],
            );
            assert.equal(c.readinessProbe.httpGet.path, "/health");
            assert.ok(!c.resources.limits["nvidia.com/gpu"]);
            assert.equal(env(c).HUGGINGFACE_HUB_CACHE, "/models/hf/hub");
            assert.equal(podOf(prod, "rag-embedding").nodeSelector, undefined);
        });

        it("option: the GPU image on GPU nodes, and a reranker served the same way", async () => {
            const r = await renderStack("prod", { modelServing: { embedding: { gpu: { enabled: true } }, reranker: { mode: "in-cluster" } } });
            const c = containerOf(r, "rag-embedding");
            assert.equal(c.image, "ghcr.io/huggingface/text-embeddings-inference:1.8");
            assert.equal(c.resources.requests["nvidia.com/gpu"], "1");
            assert.deepEqual(podOf(r, "rag-embedding").nodeSelector, { "nvidia.com/gpu.present": "true" });
            assert.equal(arg(containerOf(r, "rag-reranker"), "--model-id"), "BAAI/bge-reranker-base");
            const cm = ofComponent(r, T.ConfigMap, "config").inputs.data;
            assert.equal(cm.RERANKER_BASE_URL, "http://rag-reranker.rag-prod.svc.cluster.local:8080/v1");
            // LLM 4 at HPA maximum + 2 GPU embedding replicas (the reranker stays on CPU).
            assert.equal((r.outputs.capacity as CapacityReport).gpus.atMaximum, 6);
        });
    });

    describe("network, monitoring and capacity", () => {
        it("only the API reaches the LLM; the API and the indexer reach the embeddings; the servers may download weights", () => {
            const np = (n: string) => byName(prod, T.NetworkPolicy, n).inputs.spec;
            const clients = (spec: any) => spec.ingress[0].from[0].podSelector.matchExpressions[0].values;
            assert.deepEqual(clients(np("rag-allow-llm-clients")), ["api"]);
            assert.deepEqual(np("rag-allow-llm-clients").ingress[0].ports, [{ protocol: "TCP", port: 8000 }]);
            assert.deepEqual(clients(np("rag-allow-embedding-clients")), ["api", "indexer"]);
            assert.deepEqual(np("rag-allow-embedding-clients").ingress[0].ports, [{ protocol: "TCP", port: 8080 }]);
            assert.deepEqual(np("rag-allow-clients-to-llm").podSelector.matchExpressions[0].values, ["api"]);
            assert.deepEqual(np("rag-allow-model-download").egress[0].ports, [{ protocol: "TCP", port: 443 }]);
            assert.ok(!ofType(dev, T.NetworkPolicy).some((p) => /llm|embedding|model/.test(p.inputs.metadata.name)));
        });

        it("ServiceMonitors scrape vLLM on its API port and TEI on its metrics port", () => {
            const sm = (n: string) => byName(prod, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", n).inputs.spec.endpoints[0];
            assert.equal(sm("rag-llm").port, "http");
            assert.equal(sm("rag-embedding").port, "metrics");
        });

        it("the capacity report counts GPUs at current replicas and at HPA maximum", () => {
            const report = prod.outputs.capacity as CapacityReport;
            assert.deepEqual(report.gpus, { current: 2, atMaximum: 4 });
            assert.deepEqual((dev.outputs.capacity as CapacityReport).gpus, { current: 0, atMaximum: 0 });
            assert.equal(report.storage.volumes["llm model cache (x4)"], "200Gi");
        });
    });

    describe("config errors, before any resource is registered", () => {
        const cases: [string, Record<string, unknown>, string, RegExp][] = [
            ["a model id that is not org/name", { modelServing: { llm: { model: "llama 3" } } }, "modelServing.llm.model", /Hugging Face model id "org\/name"/],
            [
                "an embedding model id with a scheme",
                { modelServing: { embedding: { model: "https://hf.co/BAAI/bge" } } },
                "modelServing.embedding.model",
                /org\/name/,
            ],
            [
                "no GPU with the tier on",
                { modelServing: { llm: { gpu: { count: 0 } } } },
                "modelServing.llm.gpu.count",
                /at least 1 while the server runs in the cluster/,
            ],
            ["a shm size that is not a quantity", { modelServing: { llm: { shmSize: "8 gigs" } } }, "modelServing.llm.shmSize", /memory quantity/],
            [
                "a shm size above the memory limit",
                { modelServing: { llm: { shmSize: "64Gi" } } },
                "modelServing.llm.shmSize",
                /below modelServing\.llm\.resources\.limits\.memory/,
            ],
            [
                "several replicas without required anti-affinity in prod",
                { modelServing: { llm: { antiAffinity: "preferred" } } },
                "modelServing.llm.antiAffinity",
                /must be "required" in prod/,
            ],
            [
                "tensor parallelism other than the GPU count",
                { modelServing: { llm: { tensorParallelSize: 2 } } },
                "modelServing.llm.tensorParallelSize",
                /must equal modelServing\.llm\.gpu\.count \(1\)/,
            ],
            ["an unknown mode", { modelServing: { embedding: { mode: "remote" } } }, "modelServing.embedding.mode", /"in-cluster", "external", "local"/],
            [
                "external without a base URL",
                { modelServing: { llm: { mode: "external", model: "gpt-4o-mini" } } },
                "modelServing.llm.baseUrl",
                /OpenAI-compatible base URL/,
            ],
            [
                "GPU pods that tolerate no GPU taint",
                { modelServing: { llm: { gpu: { tolerations: [] } } } },
                "modelServing.llm.gpu.tolerations",
                /must tolerate the GPU nodes' taint/,
            ],
            [
                "a node selector that is not a string map",
                { modelServing: { llm: { gpu: { nodeSelector: { "nvidia.com/gpu.present": true } } } } },
                "modelServing.llm.gpu.nodeSelector",
                /map of string to string/,
            ],
            [
                "a startup budget too short to load a model",
                { modelServing: { llm: { startupProbeSeconds: 10 } } },
                "modelServing.llm.startupProbeSeconds",
                /from 60 to 7200/,
            ],
            [
                "replicas outside the HPA range",
                { modelServing: { llm: { replicas: 8 } } },
                "modelServing.llm.replicas",
                /within modelServing\.llm\.autoscaling\.minReplicas\.\.maxReplicas \(2\.\.4\)/,
            ],
            ["a typo in a key", { modelServing: { llm: { maxModelLength: 4096 } } }, "modelServing.llm.maxModelLength", /is not a known key/],
            [
                "an unpinned image",
                { modelServing: { embedding: { image: "ghcr.io/huggingface/text-embeddings-inference:latest" } } },
                "modelServing.embedding.image",
                /not `latest`/,
            ],
        ];
        it("rejects GPU pods that select no node (an empty selector cannot come from a stack file: merged over the default)", () => {
            const cfg = parseConfig("prod", readRawConfig("prod"));
            cfg.modelServing.llm.gpu.nodeSelector = {};
            const check = new Checker("prod");
            validateModelServing(check, cfg);
            assert.deepEqual(
                check.problems.map((p) => p.split(" = ")[0]),
                ["rag-platform:modelServing.llm.gpu.nodeSelector"],
            );
            assert.match(check.problems[0], /must select GPU nodes/);
        });

        for (const [title, overrides, key, allowed] of cases) {
            it(`rejects ${title} (prod)`, async () => {
                assert.match(await expectConfigProblem("prod", overrides, key), allowed);
            });
        }
    });
});
