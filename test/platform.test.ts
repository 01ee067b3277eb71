import { strict as assert } from "assert";
import type { CapacityReport } from "../components/shared";
import { parseQuantity, skipAwait } from "../components/shared";
import * as fs from "fs";
import * as path from "path";
import { APPLY_PASSWORD_SCRIPT } from "../components/datastores";
import { NODE_FAILURE_TOLERATION_SECONDS } from "../components/workloads";
import { autoname, byName, expectConfigProblem, ofComponent, ofType, RenderedResource, RenderResult, renderStack, ROOT, T } from "./harness";

/** The platform ConfigMap and Secret are autonamed (a change rolls their consumers): their mock names. */
const CONFIG_MAP = autoname("rag-config");
const SECRET = autoname("rag-secrets-secret");

const NODE_FAILURE = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"].map((key) => ({
    key,
    operator: "Exists",
    effect: "NoExecute",
    tolerationSeconds: NODE_FAILURE_TOLERATION_SECONDS,
}));

type Pod = { containers: any[]; initContainers?: any[]; securityContext: any; volumes: any[]; [k: string]: any };

function podSpecOf(r: RenderedResource): Pod {
    return r.type === T.CronJob ? r.inputs.spec.jobTemplate.spec.template.spec : r.inputs.spec.template.spec;
}

const WORKLOADS = [T.Deployment, T.StatefulSet, T.Job, T.CronJob];
const workloads = (r: RenderResult) => r.resources.filter((x) => (WORKLOADS as readonly string[]).includes(x.type));
const containerOf = (r: RenderedResource, name: string) => podSpecOf(r).containers.find((c: any) => c.name === name);
const envOf = (c: any, name: string) => c.env.find((e: any) => e.name === name);
/** The re-indexing CronJob (the backup has its own: see postgres-backup.test.ts). */
const indexerCron = (r: RenderResult) => ofType(r, T.CronJob).filter((c) => c.inputs.metadata.name === "rag-indexer-scheduled");

describe("platform (dev and prod stacks under mocks)", () => {
    let dev: RenderResult;
    let prod: RenderResult;
    before(async () => {
        dev = await renderStack("dev");
        prod = await renderStack("prod");
    });

    describe("every workload", () => {
        for (const stack of ["dev", "prod"]) {
            it(`${stack}: gets the restricted security contexts, resources and pinned images from workload.ts`, () => {
                const r = stack === "dev" ? dev : prod;
                assert.ok(workloads(r).length >= 6);
                for (const w of workloads(r)) {
                    const spec = podSpecOf(w);
                    assert.equal(spec.automountServiceAccountToken, false, w.name);
                    assert.ok(spec.serviceAccountName, `${w.name} has a dedicated ServiceAccount`);
                    assert.deepEqual(spec.securityContext.seccompProfile, { type: "RuntimeDefault" });
                    assert.equal(spec.securityContext.runAsNonRoot, true);
                    assert.ok(spec.securityContext.runAsUser > 0);
                    for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
                        const sc = c.securityContext;
                        assert.equal(sc.allowPrivilegeEscalation, false, `${w.name}/${c.name}`);
                        assert.equal(sc.readOnlyRootFilesystem, true);
                        assert.deepEqual(sc.capabilities, { drop: ["ALL"] });
                        assert.equal(sc.runAsNonRoot, true);
                        for (const k of ["requests", "limits"]) {
                            assert.ok(c.resources[k].cpu && c.resources[k].memory, `${w.name}/${c.name} ${k}`);
                        }
                        assert.match(c.image, /:[\w][\w.-]*$|@sha256:/);
                        assert.doesNotMatch(c.image, /:latest$/);
                        // Every writable path is a volume: the root filesystem is read-only.
                        for (const m of c.volumeMounts) {
                            assert.ok(
                                spec.volumes.some((v: any) => v.name === m.name) ||
                                    w.inputs.spec.volumeClaimTemplates?.some((t: any) => t.metadata.name === m.name),
                                `${w.name}/${c.name}: mount ${m.name} has no volume`,
                            );
                        }
                    }
                    const longRunning = w.type === T.Deployment || w.type === T.StatefulSet;
                    for (const c of spec.containers) {
                        assert.equal(Boolean(c.livenessProbe && c.readinessProbe), longRunning, `${w.name}/${c.name} probes`);
                    }
                }
            });
        }

        it("has one ServiceAccount each, none of which mounts a token", () => {
            const sas = ofType(dev, T.ServiceAccount);
            assert.equal(sas.length, 8);
            assert.ok(sas.every((s) => s.inputs.automountServiceAccountToken === false));
        });
    });

    describe("RagPlatform", () => {
        it("creates a namespace that enforces Pod Security restricted", () => {
            const [ns] = ofType(dev, T.Namespace);
            for (const mode of ["enforce", "audit", "warn"]) {
                assert.equal(ns.inputs.metadata.labels[`pod-security.kubernetes.io/${mode}`], "restricted");
            }
            assert.equal(ns.inputs.metadata.name, "rag-dev");
            assert.equal(ns.inputs.metadata.labels["rag-platform/environment"], "dev");
        });

        it("publishes settings in the ConfigMap and no credential", () => {
            const cm = ofComponent(dev, T.ConfigMap, "config");
            const expected = [
                "APP_ENV",
                "LOG_LEVEL",
                "MAX_TOKENS",
                "CHUNK_SIZE",
                "CHUNK_OVERLAP",
                "EMBEDDING_MODEL",
                "DB_HOST",
                "DB_PORT",
                "REDIS_HOST",
                "REDIS_PORT",
                "VECTOR_DB_HOST",
                "VECTOR_DB_PORT",
                "API_PORT",
                "WORKERS",
            ];
            for (const key of expected) {
                assert.ok(cm.inputs.data[key], key);
            }
            assert.equal(cm.inputs.data.DB_HOST, "rag-postgres.rag-dev.svc.cluster.local");
            assert.equal(cm.inputs.data.VECTOR_DB_PORT, "6333");
            assert.equal(cm.inputs.data.APP_ENV, "dev");
            assert.equal(ofComponent(prod, T.ConfigMap, "config").inputs.data.LOG_LEVEL, "warning");
        });

        it("exports endpoints and the capacity report", () => {
            assert.equal(dev.outputs.namespace, "rag-dev");
            assert.equal(prod.outputs.url, "https://rag.example.com");
            assert.equal((dev.outputs.services as any).api, "rag-api.rag-dev.svc.cluster.local");
            assert.ok((prod.outputs.capacity as any).atMaximum.requests.cpu);
        });

        it("every object lives in the platform namespace (or is cluster-scoped)", () => {
            for (const r of dev.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
                if (r.type === T.Namespace || r.type === T.StorageClass) {
                    continue;
                }
                assert.equal(r.inputs.metadata.namespace, "rag-dev", `${r.type} ${r.name}`);
            }
        });

        it("supports the skipAwait test switch on every Kubernetes object", async () => {
            const r = await renderStack("dev", { skipAwait: true });
            const objects = r.resources.filter((x) => x.type.startsWith("kubernetes:"));
            assert.ok(objects.every((o) => o.inputs.metadata.annotations["pulumi.com/skipAwait"] === "true"));
            assert.ok(ofType(dev, T.Deployment).every((d) => !d.inputs.metadata.annotations?.["pulumi.com/skipAwait"]));
        });

        it("skipAwait is a stack transform: Kubernetes objects only, existing annotations kept, no deprecated transformations", async () => {
            const props = { metadata: { name: "x", annotations: { keep: "me" } }, spec: {} };
            const out = await skipAwait({ type: T.Deployment, name: "x", custom: true, props, opts: {} });
            assert.deepEqual(out?.props.metadata, { name: "x", annotations: { keep: "me", "pulumi.com/skipAwait": "true" } });
            assert.deepEqual(props.metadata.annotations, { keep: "me" }, "the input is not modified");
            for (const type of ["pulumi:providers:kubernetes", T.RandomPassword, "rag-platform:index:RagPlatform"]) {
                assert.equal(await skipAwait({ type, name: "x", custom: true, props, opts: {} }), undefined, type);
            }
            const sources = ["index.ts", ...fs.readdirSync(path.join(ROOT, "components"), { recursive: true }).map((f) => path.join("components", `${f}`))];
            for (const file of sources.filter((f) => f.endsWith(".ts"))) {
                assert.doesNotMatch(fs.readFileSync(path.join(ROOT, file), "utf8"), /\btransformations\b/, file);
            }
        });

        it("renders through a renderYamlToDirectory provider when asked, even with KUBECONFIG set", async () => {
            const saved = process.env.KUBECONFIG;
            process.env.KUBECONFIG = "/home/me/.kube/config";
            const r = await renderStack("dev", { renderYamlToDirectory: "rendered/dev" }).finally(() => {
                if (saved === undefined) {
                    delete process.env.KUBECONFIG;
                } else {
                    process.env.KUBECONFIG = saved;
                }
            });
            const [provider] = ofType(r, "pulumi:providers:kubernetes");
            assert.equal(provider.inputs.renderYamlToDirectory, "rendered/dev");
            // Not $KUBECONFIG: the provider refuses a kubeconfig next to renderYamlToDirectory.
            assert.equal(provider.inputs.kubeconfig, "");
            assert.ok(!("context" in provider.inputs), "render mode touches no cluster");
            assert.ok(ofType(r, T.Deployment).every((d) => d.provider.startsWith(`${provider.urn}::`)));
        });
    });

    describe("cluster pinning", () => {
        const k8sObjects = (r: RenderResult) => r.resources.filter((x) => x.type.startsWith("kubernetes:"));

        it("prod: every Kubernetes object goes through one provider pinned to the stack's kube context", () => {
            const providers = ofType(prod, "pulumi:providers:kubernetes");
            assert.equal(providers.length, 1);
            assert.equal(providers[0].inputs.context, "prod");
            assert.ok(!("renderYamlToDirectory" in providers[0].inputs));
            const objects = k8sObjects(prod);
            assert.ok(objects.length > 40);
            for (const o of objects) {
                assert.ok(o.provider.startsWith(`${providers[0].urn}::`), `${o.type} ${o.name} uses ${o.provider || "the default provider"}`);
            }
        });

        it("dev without kubeContext uses the current context (default provider); with one, it is pinned too", async () => {
            assert.equal(ofType(dev, "pulumi:providers:kubernetes").length, 0);
            assert.ok(k8sObjects(dev).every((o) => o.provider === "" || o.provider.includes("pulumi:providers:kubernetes::default")));
            const pinned = await renderStack("dev", { kubeContext: "kind-rag" });
            const [provider] = ofType(pinned, "pulumi:providers:kubernetes");
            assert.equal(provider.inputs.context, "kind-rag");
            assert.ok(k8sObjects(pinned).every((o) => o.provider.startsWith(`${provider.urn}::`)));
        });

        it("prod refuses to run without a kube context (render mode needs none); a context with whitespace is refused", async () => {
            assert.match(await expectConfigProblem("prod", { kubeContext: undefined }, "kubeContext"), /is required in prod/);
            assert.match(await expectConfigProblem("dev", { kubeContext: "my cluster" }, "kubeContext"), /kubeconfig context name/);
            const rendered = await renderStack("prod", { kubeContext: undefined, renderYamlToDirectory: "rendered/prod" });
            assert.equal(ofType(rendered, "pulumi:providers:kubernetes")[0].inputs.renderYamlToDirectory, "rendered/prod");
        });
    });

    describe("secrets", () => {
        it("generates four passwords with the rotation keeper", async () => {
            const pw = ofType(dev, T.RandomPassword);
            assert.equal(pw.length, 4);
            assert.ok(pw.every((p) => p.inputs.keepers.rotation === "initial" && p.inputs.length >= 32 && p.inputs.special === false));
            const rotated = ofType(await renderStack("dev", { secretsRotation: "2026-11" }), T.RandomPassword);
            assert.ok(rotated.every((p) => p.inputs.keepers.rotation === "2026-11"));
        });

        it("stores them in one Secret as Pulumi secrets", () => {
            const [secret] = ofType(dev, T.Secret);
            assert.deepEqual(Object.keys(secret.inputs.stringData).sort(), ["API_SIGNING_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "VECTOR_STORE_API_KEY"]);
            assert.deepEqual(secret.secretInputs, ["stringData"]);
        });

        it("adds the user's LLM key as a secret when set", async () => {
            const r = await renderStack("dev", { llmApiKey: "sk-test-123" });
            const [secret] = ofType(r, T.Secret);
            assert.equal(secret.inputs.stringData.LLM_API_KEY, "sk-test-123");
            assert.ok(secret.secretInputs.includes("stringData"));
            assert.ok(!JSON.stringify(r.outputs).includes("sk-test-123"));
        });

        it("the Secret and the ConfigMap are autonamed, so a rotation or a changed setting rolls every consumer", async () => {
            assert.equal(ofComponent(dev, T.Secret, "secrets").inputs.metadata.name, undefined, "Secret autonamed");
            assert.equal(ofComponent(dev, T.ConfigMap, "config").inputs.metadata.name, undefined, "ConfigMap autonamed");
            // Every workload that reads a credential references the Secret by the name Pulumi gives it.
            const consumers = [...ofType(dev, T.Deployment), ...ofType(dev, T.StatefulSet), ...ofType(dev, T.Job)];
            const readers = consumers.filter((w) => JSON.stringify(podSpecOf(w)).includes(SECRET));
            assert.deepEqual(readers.map((w) => w.inputs.metadata.name ?? w.name).sort(), [
                "rag-api",
                "rag-indexer-job",
                "rag-postgres",
                "rag-redis",
                "rag-vector-store",
            ]);
        });

        for (const stack of ["dev", "prod"]) {
            it(`${stack}: no secret value appears outside the Secret (ConfigMaps, env values, outputs)`, async () => {
                const r = await renderStack(stack, { llmApiKey: "sk-test-123" });
                const values = [...ofType(r, T.RandomPassword).map((p) => `mock-${p.name}-value`), "sk-test-123"];
                for (const res of r.resources.filter((x) => x.type !== T.Secret && x.type !== T.RandomPassword)) {
                    const text = JSON.stringify(res.inputs);
                    for (const v of values) {
                        assert.ok(!text.includes(v), `${res.type} ${res.name} contains a secret value`);
                    }
                }
                const out = JSON.stringify(r.outputs);
                assert.ok(
                    values.every((v) => !out.includes(v)),
                    "outputs contain a secret value",
                );
            });
        }
    });

    describe("ApiService", () => {
        it("defaults: rolling update without losing capacity, probes, preStop, scrape annotations, spread", () => {
            const d = byName(dev, T.Deployment, "rag-api");
            assert.deepEqual(d.inputs.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
            assert.equal(d.inputs.spec.replicas, 1);
            const c = containerOf(d, "api");
            assert.equal(c.livenessProbe.httpGet.path, "/health");
            assert.equal(c.readinessProbe.httpGet.path, "/ready");
            assert.equal(c.startupProbe.httpGet.path, "/health");
            assert.deepEqual(c.lifecycle.preStop, { sleep: { seconds: 10 } });
            const spec = podSpecOf(d);
            assert.equal(spec.terminationGracePeriodSeconds, 45);
            assert.equal(d.inputs.spec.template.metadata.annotations["prometheus.io/scrape"], "true");
            assert.ok(spec.topologySpreadConstraints.some((t: any) => t.topologyKey === "kubernetes.io/hostname"));
            assert.ok(spec.affinity.podAntiAffinity);
            assert.equal(spec.imagePullSecrets, undefined);
            assert.equal(spec.nodeSelector, undefined);
            assert.ok(c.volumeMounts.some((m: any) => m.mountPath === "/app/data"));
        });

        it("reads settings from the ConfigMap and credentials from secretKeyRefs; DATABASE_URL holds no password", () => {
            const c = containerOf(byName(dev, T.Deployment, "rag-api"), "api");
            assert.deepEqual(c.envFrom, [{ configMapRef: { name: CONFIG_MAP } }]);
            for (const name of ["POSTGRES_PASSWORD", "REDIS_PASSWORD", "VECTOR_STORE_API_KEY", "API_SIGNING_KEY", "LLM_API_KEY"]) {
                assert.equal(envOf(c, name).valueFrom.secretKeyRef.name, SECRET, name);
            }
            assert.equal(envOf(c, "LLM_API_KEY").valueFrom.secretKeyRef.optional, true);
            assert.equal(envOf(c, "DATABASE_URL").value, "postgresql://$(DB_USER):$(POSTGRES_PASSWORD)@$(DB_HOST):$(DB_PORT)/$(DB_NAME)");
        });

        it("runs the app's migrations first: a `migrate` init container from the same image", () => {
            const d = byName(dev, T.Deployment, "rag-api");
            const init = podSpecOf(d).initContainers![0];
            assert.equal(init.name, "migrate");
            assert.equal(init.image, containerOf(d, "api").image);
            assert.equal(init.image, "ghcr.io/rag-platform/rag-api:0.2.0");
            assert.deepEqual(init.command, ["node", "/app/dist/migrate.js"]);
            assert.equal(init.securityContext.readOnlyRootFilesystem, true);
            assert.equal(envOf(init, "POSTGRES_PASSWORD").valueFrom.secretKeyRef.key, "POSTGRES_PASSWORD");
            assert.equal(init.livenessProbe, undefined);
        });

        it("Service, PDB and no HPA in dev; HPA 3-10 at 70% CPU / 80% memory with behaviour in prod", () => {
            assert.equal(byName(dev, T.Service, "rag-api").inputs.spec.ports[0].targetPort, "http");
            assert.deepEqual(byName(dev, T.PDB, "rag-api").inputs.spec.maxUnavailable, 1);
            assert.equal(byName(dev, T.PDB, "rag-api").inputs.spec.unhealthyPodEvictionPolicy, "AlwaysAllow");
            assert.equal(ofType(dev, T.HPA).length, 0);
            const hpa = byName(prod, T.HPA, "rag-api").inputs.spec;
            assert.equal(hpa.minReplicas, 3);
            assert.equal(hpa.maxReplicas, 10);
            assert.equal(hpa.scaleTargetRef.name, "rag-api");
            const target = (n: string) => hpa.metrics.find((m: any) => m.resource?.name === n).resource.target.averageUtilization;
            assert.equal(target("cpu"), 70);
            assert.equal(target("memory"), 80);
            // Scale up fast (the Kubernetes default), scale down slowly (config/defaults.ts says why).
            assert.deepEqual(hpa.behavior, {
                scaleUp: {
                    stabilizationWindowSeconds: 0,
                    selectPolicy: "Max",
                    policies: [
                        { type: "Percent", value: 100, periodSeconds: 15 },
                        { type: "Pods", value: 4, periodSeconds: 15 },
                    ],
                },
                scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: "Max", policies: [{ type: "Percent", value: 10, periodSeconds: 60 }] },
            });
        });

        it("a Deployment an HPA scales has no replicas in its manifest (GitOps syncs do not fight the HPA); ignoreChanges stays", async () => {
            for (const name of ["rag-api", "rag-frontend"]) {
                const d = byName(prod, T.Deployment, name);
                assert.ok(!("replicas" in d.inputs.spec), `${name}: replicas rendered next to an HPA`);
                assert.ok(byName(prod, T.HPA, name));
                assert.deepEqual(d.ignoreChanges, ["spec.replicas"], `${name}: a pulumi up keeps what the HPA chose`);
            }
            const off = await renderStack("prod", { api: { autoscaling: { enabled: false }, replicas: 4 } });
            assert.equal(byName(off, T.Deployment, "rag-api").inputs.spec.replicas, 4, "without an HPA the stack's count is rendered");
            assert.deepEqual(byName(off, T.Deployment, "rag-api").ignoreChanges, []);
            assert.ok(!ofType(off, T.HPA).some((h) => h.inputs.metadata.name === "rag-api"));
        });

        it("option: the HPA behavior per stack; a stack's policy list replaces the default's", async () => {
            const r = await renderStack("prod", {
                frontend: {
                    autoscaling: { behavior: { scaleDown: { stabilizationWindowSeconds: 600, policies: [{ type: "Pods", value: 1, periodSeconds: 120 }] } } },
                },
            });
            const fe = byName(r, T.HPA, "rag-frontend").inputs.spec.behavior;
            assert.deepEqual(fe.scaleDown, {
                stabilizationWindowSeconds: 600,
                selectPolicy: "Max",
                policies: [{ type: "Pods", value: 1, periodSeconds: 120 }],
            });
            assert.equal(fe.scaleUp.stabilizationWindowSeconds, 0, "the other direction keeps its default");
            assert.equal(byName(r, T.HPA, "rag-api").inputs.spec.behavior.scaleDown.stabilizationWindowSeconds, 300, "the API keeps its own");
        });

        it("option: a Pods metric (queue length) on the HPA", async () => {
            const r = await renderStack("prod", { api: { autoscaling: { podsMetric: { name: "rag_queue_length", targetAverageValue: "10" } } } });
            const metrics = byName(r, T.HPA, "rag-api").inputs.spec.metrics;
            assert.deepEqual(metrics[2], {
                type: "Pods",
                pods: { metric: { name: "rag_queue_length" }, target: { type: "AverageValue", averageValue: "10" } },
            });
        });

        it("option: GPU inference variant with tolerations and node selector; image pull secrets", async () => {
            const r = await renderStack("dev", {
                api: { gpu: { enabled: true, count: 2, nodeSelector: { "nvidia.com/gpu.present": "true" } } },
                imagePullSecrets: ["registry-creds"],
            });
            const d = byName(r, T.Deployment, "rag-api");
            const c = containerOf(d, "api");
            assert.equal(c.resources.limits["nvidia.com/gpu"], "2");
            assert.equal(c.resources.requests["nvidia.com/gpu"], "2");
            const spec = podSpecOf(d);
            assert.deepEqual(spec.tolerations, [...NODE_FAILURE, { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
            assert.deepEqual(spec.nodeSelector, { "nvidia.com/gpu.present": "true" });
            assert.deepEqual(spec.imagePullSecrets, [{ name: "registry-creds" }]);
            assert.deepEqual(podSpecOf(byName(r, T.StatefulSet, "rag-postgres")).imagePullSecrets, [{ name: "registry-creds" }]);
        });
    });

    describe("stateless pods on a failed node", () => {
        for (const stack of ["dev", "prod"]) {
            it(`${stack}: the API and the frontend leave a not-ready or unreachable node after ${NODE_FAILURE_TOLERATION_SECONDS}s, the datastores keep the default`, () => {
                const r = stack === "dev" ? dev : prod;
                for (const name of ["rag-api", "rag-frontend"]) {
                    assert.deepEqual(podSpecOf(byName(r, T.Deployment, name)).tolerations, NODE_FAILURE, name);
                }
                for (const s of ofType(r, T.StatefulSet)) {
                    const keys = (podSpecOf(s).tolerations ?? []).map((t: any) => t.key);
                    assert.ok(
                        !keys.includes("node.kubernetes.io/unreachable"),
                        `${s.name}: a single-replica datastore is not moved off a node that may come back`,
                    );
                }
            });
        }
    });

    describe("WebFrontend", () => {
        it("defaults: same shape as the API, smaller, the app's frontend on 8080 as UID 10001 writing only /tmp", () => {
            const d = byName(dev, T.Deployment, "rag-frontend");
            const c = containerOf(d, "frontend");
            assert.equal(c.ports[0].containerPort, 8080);
            assert.equal(c.resources.requests.cpu, "50m");
            assert.equal(podSpecOf(d).securityContext.runAsUser, 10001);
            assert.deepEqual(
                c.volumeMounts.map((m: any) => m.mountPath),
                ["/tmp"],
            );
            assert.equal(c.image, "ghcr.io/rag-platform/rag-frontend:0.2.0");
            assert.ok(byName(dev, T.PDB, "rag-frontend"));
        });
        it("option: autoscaling from the stack (prod 2-5)", () => {
            const hpa = byName(prod, T.HPA, "rag-frontend").inputs.spec;
            assert.deepEqual([hpa.minReplicas, hpa.maxReplicas], [2, 5]);
        });
    });

    describe("PostgresDatabase", () => {
        it("StatefulSet with PGDATA in a subdirectory of its claim, UID 70, pg_isready probes; no init SQL (the app migrates)", () => {
            const s = byName(dev, T.StatefulSet, "rag-postgres");
            const c = containerOf(s, "postgres");
            assert.equal(envOf(c, "PGDATA").value, "/var/lib/postgresql/data/pgdata");
            assert.equal(envOf(c, "POSTGRES_PASSWORD").valueFrom.secretKeyRef.key, "POSTGRES_PASSWORD");
            assert.deepEqual(podSpecOf(s).securityContext.runAsUser, 70);
            assert.equal(c.readinessProbe.exec.command[0], "pg_isready");
            assert.ok(c.startupProbe);
            assert.ok(c.volumeMounts.some((m: any) => m.mountPath === "/var/run/postgresql"));
            assert.ok(!c.volumeMounts.some((m: any) => m.mountPath === "/docker-entrypoint-initdb.d"));
            assert.ok(!ofType(dev, T.ConfigMap).some((m) => m.inputs.metadata.name === "rag-postgres-init"));
            const claim = s.inputs.spec.volumeClaimTemplates[0].spec;
            assert.equal(claim.resources.requests.storage, "2Gi");
            assert.equal(claim.storageClassName, "rag-dev-data");
            // prod's members (mode ha) get prod's size
            assert.equal(byName(prod, T.StatefulSet, "rag-postgres-ha").inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "10Gi");
        });
        it("applies the Secret's password to the running database at every start (rotation without a manual step)", () => {
            const c = containerOf(byName(dev, T.StatefulSet, "rag-postgres"), "postgres");
            assert.deepEqual(c.lifecycle.postStart.exec.command, ["sh", "-c", APPLY_PASSWORD_SCRIPT]);
            // The password comes from the container's env and travels on psql's stdin, never on a command line.
            assert.match(APPLY_PASSWORD_SCRIPT, /ALTER ROLE/);
            assert.match(APPLY_PASSWORD_SCRIPT, /"\$POSTGRES_PASSWORD" \| psql /);
            assert.doesNotMatch(APPLY_PASSWORD_SCRIPT, /psql[^|]*POSTGRES_PASSWORD/);
        });
        it("headless and client Services", () => {
            assert.equal(byName(dev, T.Service, "rag-postgres-headless").inputs.spec.clusterIP, "None");
            assert.equal(byName(dev, T.Service, "rag-postgres").inputs.spec.ports[0].port, 5432);
            assert.equal(byName(dev, T.StatefulSet, "rag-postgres").inputs.spec.serviceName, "rag-postgres-headless");
        });
    });

    describe("RedisCache", () => {
        it("AOF persistence, password from the Secret, authenticated ping probes, maxmemory from the limit", () => {
            const c = containerOf(byName(dev, T.StatefulSet, "rag-redis"), "redis");
            const args = c.args.join(" ");
            assert.match(args, /--appendonly yes/);
            assert.match(args, /--requirepass \$\(REDIS_PASSWORD\)/);
            assert.match(args, /--maxmemory 214748364 /); // 80% of 256Mi
            assert.ok(envOf(c, "REDISCLI_AUTH").valueFrom.secretKeyRef);
            assert.match(c.livenessProbe.exec.command.join(" "), /redis-cli .* ping/);
            assert.doesNotMatch(c.livenessProbe.exec.command.join(" "), / -a /);
            assert.equal(podSpecOf(byName(dev, T.StatefulSet, "rag-redis")).securityContext.runAsUser, 999);
        });
    });

    describe("VectorStore", () => {
        it("defaults to Qdrant (unprivileged image) with its API key, /livez and /readyz", () => {
            const s = byName(dev, T.StatefulSet, "rag-vector-store");
            const c = containerOf(s, "qdrant");
            assert.match(c.image, /-unprivileged$/);
            assert.equal(envOf(c, "QDRANT__SERVICE__API_KEY").valueFrom.secretKeyRef.key, "VECTOR_STORE_API_KEY");
            assert.equal(c.livenessProbe.httpGet.path, "/livez");
            assert.equal(c.readinessProbe.httpGet.path, "/readyz");
            assert.deepEqual(
                c.ports.map((p: any) => p.containerPort),
                [6333, 6334],
            );
            assert.equal(s.inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "5Gi");
            assert.equal(byName(prod, T.StatefulSet, "rag-vector-store").inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "20Gi");
        });
        it("option: Chroma with the v2 heartbeat on 8000", async () => {
            const r = await renderStack("dev", { vectorStore: { engine: "chroma" } });
            const c = containerOf(byName(r, T.StatefulSet, "rag-vector-store"), "chroma");
            assert.equal(c.readinessProbe.httpGet.path, "/api/v2/heartbeat");
            assert.equal(ofComponent(r, T.ConfigMap, "config").inputs.data.VECTOR_DB_PORT, "8000");
        });
        it("option: Milvus standalone with embedded etcd, local storage, /healthz on 9091", async () => {
            const r = await renderStack("dev", { vectorStore: { engine: "milvus" } });
            const s = byName(r, T.StatefulSet, "rag-vector-store");
            const c = containerOf(s, "milvus");
            assert.deepEqual(c.command, ["milvus", "run", "standalone"]);
            assert.equal(envOf(c, "ETCD_USE_EMBED").value, "true");
            assert.equal(envOf(c, "COMMON_STORAGETYPE").value, "local");
            assert.equal(c.livenessProbe.httpGet.port, 9091);
            assert.match(byName(r, T.ConfigMap, "rag-vector-store-files").inputs.data["embedEtcd.yaml"], /listen-client-urls/);
            assert.equal(ofComponent(r, T.ConfigMap, "config").inputs.data.VECTOR_DB_PORT, "19530");
            const ingress = ofType(r, T.NetworkPolicy).find((n) => n.inputs.metadata.name === "rag-allow-datastore-clients")!;
            assert.ok(ingress.inputs.spec.ingress[0].ports.some((p: any) => p.port === 19530));
        });
    });

    describe("DocumentIndexer", () => {
        it("a Job with backoffLimit and TTL, env by reference to single keys (never the whole Secret); no CronJob in dev", () => {
            const [job] = ofType(dev, T.Job);
            assert.equal(job.inputs.spec.backoffLimit, 3);
            assert.equal(job.inputs.spec.ttlSecondsAfterFinished, 3600);
            const c = containerOf(job, "indexer");
            assert.equal(c.envFrom, undefined);
            assert.deepEqual(c.args, ["index", "--source", "/app/data/documents"]);
            assert.equal(envOf(c, "POSTGRES_PASSWORD").valueFrom.secretKeyRef.key, "POSTGRES_PASSWORD");
            assert.equal(envOf(c, "CHUNK_SIZE").valueFrom.configMapKeyRef.name, CONFIG_MAP);
            assert.ok(!c.env.some((e: any) => e.name === "API_SIGNING_KEY"));
            assert.equal(podSpecOf(job).restartPolicy, "Never");
            assert.equal(indexerCron(dev).length, 0);
        });
        it("dev indexes the sample documents from a ConfigMap; prod the app-data claim's documents/ folder", () => {
            const [job] = ofType(dev, T.Job);
            const samples = byName(dev, T.ConfigMap, "rag-indexer-sample-documents").inputs.data;
            assert.ok(Object.keys(samples).length >= 3);
            assert.match(samples["platform-overview.md"], /question-answering/);
            assert.deepEqual(
                containerOf(job, "indexer").volumeMounts.find((m: any) => m.name === "documents"),
                {
                    name: "documents",
                    mountPath: "/app/data/documents",
                    readOnly: true,
                },
            );
            const [prodJob] = ofType(prod, T.Job);
            assert.deepEqual(
                containerOf(prodJob, "indexer").volumeMounts.find((m: any) => m.name === "app-data"),
                {
                    name: "app-data",
                    mountPath: "/app/data",
                    readOnly: true,
                },
            );
            assert.ok(!ofType(prod, T.ConfigMap).some((m) => m.inputs.metadata.name === "rag-indexer-sample-documents"));
        });
        it("is created beside the datastores and the API, not after them: its own migrate init container creates the schema", () => {
            const indexer = dev.resources.find((r) => r.type === "rag-platform:index:DocumentIndexer")!;
            const deps = indexer.dependencies.map((urn) => urn.split("::").pop());
            // `pulumi up` would otherwise wait for every datastore and the API to be ready before it even creates the Job.
            for (const workload of ["rag-api-deployment", "rag-postgres-statefulset", "rag-redis-statefulset", "rag-vector-store-statefulset"]) {
                assert.ok(!deps.includes(workload), `the indexer waits on ${workload}: ${deps.join(", ")}`);
            }
            for (const job of [
                ...ofType(dev, T.Job).filter((j) => /indexer/.test(j.inputs.metadata.name)),
                ...indexerCron(prod).map((c) => ({ inputs: { spec: c.inputs.spec.jobTemplate.spec } })),
            ]) {
                const [init] = job.inputs.spec.template.spec.initContainers;
                assert.deepEqual([init.name, init.command], ["migrate", ["node", "/app/dist/migrate.js"]]);
            }
        });
        it("option: a scheduled re-index CronJob that never overlaps (prod)", () => {
            const [cron] = indexerCron(prod);
            assert.equal(cron.inputs.spec.schedule, "0 2 * * *");
            assert.equal(cron.inputs.spec.concurrencyPolicy, "Forbid");
        });
        it("scheduled runs keep a failed Job and its logs: no TTL on the jobTemplate, history limits clean up", () => {
            const [cron] = indexerCron(prod);
            assert.ok(!("ttlSecondsAfterFinished" in cron.inputs.spec.jobTemplate.spec), "the TTL controller would delete a failed run within the hour");
            assert.equal(cron.inputs.spec.failedJobsHistoryLimit, 3);
            assert.equal(cron.inputs.spec.successfulJobsHistoryLimit, 3);
            assert.equal(cron.inputs.spec.jobTemplate.spec.backoffLimit, 3);
            // The deploy-time Job keeps its TTL: `pulumi up` waits for it and reports its failure.
            assert.equal(ofType(prod, T.Job)[0].inputs.spec.ttlSecondsAfterFinished, 3600);
        });
    });

    describe("PlatformStorage", () => {
        it("dev: local provisioner, Delete, WaitForFirstConsumer; app-data claim", () => {
            const [sc] = ofType(dev, T.StorageClass);
            assert.equal(sc.inputs.provisioner, "rancher.io/local-path");
            assert.equal(sc.inputs.reclaimPolicy, "Delete");
            assert.equal(sc.inputs.volumeBindingMode, "WaitForFirstConsumer");
            // No empty parameters map: Kubernetes forbids updating parameters, even {} to absent.
            assert.ok(!("parameters" in sc.inputs));
            assert.equal(byName(dev, T.PVC, "rag-app-data").inputs.spec.accessModes[0], "ReadWriteOnce");
        });
        it("prod: encrypted gp3 with expansion, Retain", () => {
            const [sc] = ofType(prod, T.StorageClass);
            assert.equal(sc.inputs.provisioner, "ebs.csi.aws.com");
            assert.deepEqual(sc.inputs.parameters, { type: "gp3", iops: "3000", throughput: "125", encrypted: "true", fsType: "ext4" });
            assert.equal(sc.inputs.reclaimPolicy, "Retain");
            assert.equal(sc.inputs.allowVolumeExpansion, true);
        });
        it("option: no StorageClass, volumes use the cluster default", async () => {
            const r = await renderStack("dev", { storage: { createClass: false } });
            assert.equal(ofType(r, T.StorageClass).length, 0);
            assert.equal(byName(r, T.StatefulSet, "rag-postgres").inputs.spec.volumeClaimTemplates[0].spec.storageClassName, undefined);
        });
    });

    describe("PlatformIngress", () => {
        it("routes /api to the API and / to the frontend", () => {
            const [ing] = ofType(dev, T.Ingress);
            const paths = ing.inputs.spec.rules[0].http.paths;
            assert.deepEqual(
                paths.map((p: any) => [p.path, p.backend.service.name]),
                [
                    ["/api", "rag-api"],
                    ["/", "rag-frontend"],
                ],
            );
            assert.equal(ing.inputs.spec.ingressClassName, "nginx");
            assert.equal(ing.inputs.spec.tls, undefined);
            assert.equal(ing.inputs.metadata.annotations["cert-manager.io/cluster-issuer"], undefined);
        });
        it("prod: TLS from the cert-manager issuer, ssl-redirect, rate limit, body size, timeouts, CORS", () => {
            const [ing] = ofType(prod, T.Ingress);
            const a = ing.inputs.metadata.annotations;
            assert.deepEqual(ing.inputs.spec.tls, [{ hosts: ["rag.example.com"], secretName: "rag-platform-tls" }]);
            assert.equal(a["cert-manager.io/cluster-issuer"], "letsencrypt-prod");
            assert.equal(a["nginx.ingress.kubernetes.io/ssl-redirect"], "true");
            assert.equal(a["nginx.ingress.kubernetes.io/limit-rps"], "50");
            assert.equal(a["nginx.ingress.kubernetes.io/proxy-body-size"], "50m");
            assert.equal(a["nginx.ingress.kubernetes.io/proxy-read-timeout"], "120");
            assert.equal(a["nginx.ingress.kubernetes.io/cors-allow-origin"], "https://app.example.com");
        });
        it("option: disabled: no Ingress; the frontend forwards /api to the API Service itself, and only that is opened", async () => {
            const off = await renderStack("dev", { ingress: { enabled: false } });
            assert.equal(ofType(off, T.Ingress).length, 0);
            const env = (r: RenderResult) => byName(r, T.Deployment, "rag-frontend").inputs.spec.template.spec.containers[0].env;
            assert.deepEqual(
                env(off).find((e: any) => e.name === "API_UPSTREAM"),
                { name: "API_UPSTREAM", value: "http://rag-api:80" },
            );
            const toApi = byName(off, T.NetworkPolicy, "rag-allow-clients-to-api").inputs.spec;
            assert.deepEqual(toApi.podSelector.matchExpressions[0].values, ["frontend"]);
            assert.deepEqual(toApi.egress[0].ports, [{ protocol: "TCP", port: 8000 }]);
            const apiFrom = byName(off, T.NetworkPolicy, "rag-allow-api-clients").inputs.spec;
            assert.deepEqual(apiFrom.ingress[0].from[0].podSelector.matchExpressions[0].values, ["frontend"]);
            // with the Ingress (the default), neither the variable nor the policies
            assert.equal(
                env(dev).find((e: any) => e.name === "API_UPSTREAM"),
                undefined,
            );
            assert.equal(ofType(dev, T.NetworkPolicy).filter((n) => /allow-(clients-to-)?api/.test(n.inputs.metadata.name)).length, 0);
        });
    });

    describe("NetworkPolicies", () => {
        const policy = (r: RenderResult, name: string) => byName(r, T.NetworkPolicy, `rag-${name}`).inputs.spec;
        it("deny by default, then DNS, ingress controller, datastore clients, external HTTPS", () => {
            assert.deepEqual(policy(dev, "default-deny"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
            assert.deepEqual(
                policy(dev, "allow-dns").egress[0].ports.map((p: any) => p.port),
                [53, 53],
            );
            const fromController = policy(dev, "allow-ingress-controller");
            assert.deepEqual(fromController.ingress[0].from[0].namespaceSelector.matchLabels, { "kubernetes.io/metadata.name": "ingress-nginx" });
            assert.deepEqual(fromController.podSelector.matchExpressions[0].values, ["api", "frontend"]);
            const clients = policy(dev, "allow-datastore-clients");
            assert.deepEqual(clients.podSelector.matchExpressions[0].values, ["postgres", "redis", "vector-store"]);
            assert.deepEqual(clients.ingress[0].from[0].podSelector.matchExpressions[0].values, ["api", "indexer"]);
            assert.deepEqual(
                clients.ingress[0].ports.map((p: any) => p.port),
                [5432, 6379, 6333, 6334],
            );
            assert.equal(policy(dev, "allow-external-https").egress[0].ports[0].port, 443);
        });
        it("option: no external egress", async () => {
            const r = await renderStack("dev", { networkPolicy: { allowExternalHttps: false } });
            assert.ok(!ofType(r, T.NetworkPolicy).some((n) => n.inputs.metadata.name === "rag-allow-external-https"));
        });
    });

    describe("dev vs prod", () => {
        it("prod protects stateful resources and retains claims; dev does neither", () => {
            // Model servers' StatefulSets hold only re-downloadable weights: neither protected nor retained.
            const modelServer = (x: { inputs: any }) => ["llm", "embedding", "reranker"].includes(x.inputs.metadata.labels?.["app.kubernetes.io/component"]);
            const datastores = (r: RenderResult) => ofType(r, T.StatefulSet).filter((s) => !modelServer(s));
            const stateful = (r: RenderResult) => [...datastores(r), ...ofType(r, T.PVC), ...ofType(r, T.StorageClass), ...ofType(r, T.Namespace)];
            // + the backup claim and Qdrant's snapshot claim
            assert.equal(stateful(prod).length, 8);
            assert.ok(
                stateful(prod).every((x) => x.protect),
                "prod stateful resources are protected",
            );
            assert.ok(
                stateful(dev).every((x) => !x.protect),
                "dev resources are not protected",
            );
            for (const s of datastores(prod)) {
                assert.deepEqual(s.inputs.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
            }
            // dev: destroy removes the claims, a scale to 0 and back keeps the data
            for (const s of ofType(dev, T.StatefulSet)) {
                assert.deepEqual(s.inputs.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Delete", whenScaled: "Retain" });
            }
        });

        it("dev fits a laptop cluster: total requests <= 2 CPU and 4 GiB", () => {
            let cpu = 0;
            let memory = 0;
            const q = (v: string) => parseQuantity(v) as number;
            for (const w of workloads(dev)) {
                const replicas = w.inputs.spec.replicas ?? 1;
                for (const c of podSpecOf(w).containers) {
                    cpu += replicas * q(c.resources.requests.cpu);
                    memory += replicas * q(c.resources.requests.memory);
                }
            }
            assert.ok(cpu <= 2, `dev requests ${cpu} CPU`);
            assert.ok(memory <= 4 * 2 ** 30, `dev requests ${memory / 2 ** 30} GiB`);
            // The exported capacity report adds up to the same figures.
            const report = dev.outputs.capacity as CapacityReport;
            // (summed in another order: equal up to floating-point rounding)
            assert.ok(Math.abs(q(report.current.requests.cpu) - cpu) < 1e-9, `${report.current.requests.cpu} vs ${cpu}`);
            assert.equal(q(report.current.requests.memory), memory);
        });

        it("resource counts per stack", () => {
            const count = (r: RenderResult) => r.resources.filter((x) => x.type.startsWith("kubernetes:")).length;
            // the sample-documents ConfigMap replaced the PostgreSQL init ConfigMap; the backup (ServiceAccount, claim,
            // CronJob, 2 NetworkPolicies), Qdrant's snapshot claim and its snapshot CronJob (ServiceAccount, CronJob,
            // 2 NetworkPolicies): 10
            assert.equal(count(dev), 45);
            // + 2 HPAs, the re-index CronJob, 3 ServiceMonitors, rules, dashboard, scrape policy (43, no sample documents),
            // and the model-serving tier: LLM and embedding servers (ServiceAccount, 2 Services, StatefulSet, PDB each; the
            // LLM's HPA), their ServiceMonitors, and 5 NetworkPolicies (each server's clients both ways, model download),
            // and the ServiceMonitors of PostgreSQL's and Redis' exporters (sidecars: no object of their own); 73 with one
            // PostgreSQL instance. Mode ha, prod's default: + Patroni's Role, RoleBinding, roles Secret, ConfigMap and PDB,
            // the primary's Service and 2 NetworkPolicies (members; Kubernetes API) in place of the client Service.
            assert.equal(count(prod), 80);
        });
    });
});
