// External datastores (mode external) and the platform's own secrets (secrets.existingSecret / externalSecret)
// as rendered: which objects exist, where every credential env var points, what the ConfigMap says, the
// egress NetworkPolicies, and the ExternalSecret's shape. The default (generated, in-cluster) is platform.test.ts'.
import { strict as assert } from "assert";
import type { CapacityReport } from "../components/shared";
import { contractProblems } from "./app-contract.test";
import { EXISTING_SECRET, EXTERNAL_POSTGRES, EXTERNAL_SECRET } from "./external-fixtures";
import { autoname, byName, expectConfigProblem, ofComponent, ofType, RenderedResource, RenderResult, renderStack, T } from "./harness";

const ES = "kubernetes:external-secrets.io/v1:ExternalSecret";
const RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const SECRET = autoname("rag-secrets-secret");

const podSpecOf = (r: RenderedResource) => (r.type === T.CronJob ? r.inputs.spec.jobTemplate.spec.template.spec : r.inputs.spec.template.spec);
const ofName = (r: RenderResult, type: string, component: string) =>
    ofType(r, type).filter((x) => x.inputs.metadata?.labels?.["app.kubernetes.io/component"] === component);
const policyNames = (r: RenderResult) => ofType(r, T.NetworkPolicy).map((n) => n.inputs.metadata.name as string);
const policy = (r: RenderResult, name: string) => byName(r, T.NetworkPolicy, `rag-${name}`).inputs.spec;

/** Every app container (API, migrate, indexer Job and CronJob; not the backup Jobs), by a readable name. */
function appContainers(r: RenderResult): [string, Record<string, any>][] {
    const api = podSpecOf(byName(r, T.Deployment, "rag-api"));
    return [
        ["api", api.containers.find((c: any) => c.name === "api")],
        ["migrate", api.initContainers.find((c: any) => c.name === "migrate")],
        ...[...ofType(r, T.Job), ...ofType(r, T.CronJob)]
            .filter((j) => j.inputs.metadata?.labels?.["app.kubernetes.io/component"] === "indexer")
            .map((j): [string, Record<string, any>] => [j.name, podSpecOf(j).containers[0]]),
    ];
}
const envOf = (c: Record<string, any>, name: string) => (c.env ?? []).find((e: any) => e.name === name);
const refOf = (c: Record<string, any>, name: string) => envOf(c, name)?.valueFrom?.secretKeyRef;
const container = (r: RenderResult, component: string) => podSpecOf(ofComponent(r, T.StatefulSet, component)).containers[0];

describe("external datastores and the platform's own secrets", () => {
    let pg: RenderResult;
    let all: RenderResult;

    before(async () => {
        pg = await renderStack("dev", { postgres: EXTERNAL_POSTGRES, monitoring: { enabled: true }, verticalAutoscaling: { enabled: true } });
        all = await renderStack("prod", {
            postgres: { mode: "external", host: "10.1.2.3", port: 6432, existingSecret: { name: "pg", key: "password" } },
            redis: { mode: "external", host: "fd00::6379", tls: true, existingSecret: { name: "redis", key: "auth-token" } },
            vectorStore: { mode: "external", host: "qdrant.example.com", port: 443, tls: true, existingSecret: { name: "qdrant", key: "api-key" } },
        });
    });

    describe("postgres.mode external (dev, by DNS name, with TLS)", () => {
        it("creates no StatefulSet, Services, claim, generated password or Secret key for PostgreSQL", () => {
            for (const type of [T.StatefulSet, T.Service, T.ServiceAccount, T.PVC]) {
                assert.deepEqual(ofName(pg, type, "postgres"), [], type);
            }
            assert.deepEqual(
                ofType(pg, T.StatefulSet)
                    .map((s) => s.inputs.metadata.name)
                    .sort(),
                ["rag-redis", "rag-vector-store"],
            );
            assert.ok(!ofType(pg, T.RandomPassword).some((p) => p.name.includes("postgres")));
            assert.equal(ofType(pg, T.RandomPassword).length, 3);
            assert.deepEqual(Object.keys(ofType(pg, T.Secret)[0].inputs.stringData).sort(), ["API_SIGNING_KEY", "REDIS_PASSWORD", "VECTOR_STORE_API_KEY"]);
        });

        it("every app container reads POSTGRES_PASSWORD from the existing Secret and key, the others from the platform Secret", () => {
            const containers = appContainers(pg);
            assert.equal(containers.length, 3);
            for (const [where, c] of containers) {
                assert.deepEqual(refOf(c, "POSTGRES_PASSWORD"), { name: "rds-credentials", key: "password" }, where);
                assert.match(
                    envOf(c, "DATABASE_URL").value,
                    /^postgresql:\/\/\$\(DB_USER\):\$\(POSTGRES_PASSWORD\)@\$\(DB_HOST\):\$\(DB_PORT\)\/\$\(DB_NAME\)\?sslmode=verify-full$/,
                );
                if (where !== "migrate") {
                    assert.deepEqual(refOf(c, "REDIS_PASSWORD"), { name: SECRET, key: "REDIS_PASSWORD" }, where);
                    assert.equal(envOf(c, "REDIS_URL").value, "redis://:$(REDIS_PASSWORD)@$(REDIS_HOST):$(REDIS_PORT)/0");
                }
            }
        });

        it("tells the app the external host, the default port and TLS", () => {
            const data = ofComponent(pg, T.ConfigMap, "config").inputs.data;
            assert.deepEqual([data.DB_HOST, data.DB_PORT, data.DB_TLS, data.DB_NAME, data.DB_USER], ["db.example.com", "5432", "true", "rag", "rag"]);
            assert.deepEqual([data.REDIS_TLS, data.VECTOR_DB_TLS], ["false", "false"]);
            assert.equal(data.REDIS_HOST, "rag-redis.rag-dev.svc.cluster.local");
        });

        it("drops PostgreSQL from the ingress rules and lets only the API and indexer out to port 5432 (a DNS name: any address)", () => {
            assert.deepEqual(policy(pg, "allow-datastore-clients").podSelector.matchExpressions[0].values, ["redis", "vector-store"]);
            assert.deepEqual(policy(pg, "allow-datastore-clients").ingress[0].ports, [
                { protocol: "TCP", port: 6379 },
                { protocol: "TCP", port: 6333 },
                { protocol: "TCP", port: 6334 },
            ]);
            const egress = policy(pg, "allow-clients-to-external-postgres");
            assert.deepEqual(egress.podSelector.matchExpressions[0].values, ["api", "indexer"]);
            assert.deepEqual(egress.policyTypes, ["Egress"]);
            assert.deepEqual(egress.egress, [{ ports: [{ protocol: "TCP", port: 5432 }] }]);
        });

        it("neither watches nor autoscales what it does not run, and does not wait for it", () => {
            const rules = JSON.stringify(ofType(pg, RULE).map((r) => r.inputs.spec));
            assert.ok(!rules.includes("RagPostgresDown") && rules.includes("RagRedisDown"), "alerts only for in-cluster datastores");
            const vpaTargets = ofType(pg, "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler").map((v) => v.inputs.spec.targetRef.name);
            assert.ok(!vpaTargets.includes("rag-postgres") && vpaTargets.includes("rag-redis"), vpaTargets.join(", "));
            const indexer = pg.resources.find((r) => r.type === "rag-platform:index:DocumentIndexer")!;
            const deps = indexer.dependencies.map((urn) => urn.split("::").pop());
            assert.ok(!deps.some((d) => /statefulset/.test(d ?? "")), `the indexer waits for datastores by itself: ${deps.join(", ")}`);
            assert.equal((pg.outputs.services as Record<string, string>).postgres, undefined);
            assert.equal((pg.outputs.services as Record<string, string>).redis, "rag-redis.rag-dev.svc.cluster.local");
        });

        it("asks nothing of the cluster for it in the capacity report (no PostgreSQL, no dump, no dump claim)", () => {
            const report = pg.outputs.capacity as CapacityReport;
            assert.deepEqual(
                report.rows.map((r) => r.component),
                // monitoring is on: Redis' exporter sidecar is counted, PostgreSQL's is not (no in-cluster PostgreSQL)
                ["api", "frontend", "redis", "redis-exporter", "vector-store (qdrant)", "indexer", "vector-snapshot"],
            );
            assert.deepEqual(Object.keys(report.storage.volumes), ["redis", "vector-store", "app-data", "vector-store snapshots"]);
        });
    });

    describe("every datastore external (prod, IP literals and a DNS name, custom ports)", () => {
        it("backs up nothing itself: no dump or snapshot CronJob, claim or backup NetworkPolicy (the providers back them up)", () => {
            const backupObjects = all.resources.filter((r) => /postgres-backup|vector-snapshot/.test(JSON.stringify(r.inputs.metadata ?? {})));
            assert.deepEqual(
                backupObjects.map((r) => `${r.type} ${r.name}`),
                [],
            );
            const dev = ofType(pg, T.CronJob).map((c) => c.inputs.metadata.labels["app.kubernetes.io/component"]);
            assert.ok(!dev.includes("postgres-backup") && dev.includes("vector-snapshot"), `dev with external PostgreSQL: ${dev}`);
        });

        it("runs no datastore and generates only the API signing key", () => {
            assert.deepEqual(
                ofType(all, T.StatefulSet)
                    .map((s) => s.inputs.metadata.name)
                    .sort(),
                ["rag-embedding", "rag-llm"],
            );
            assert.deepEqual(
                ofType(all, T.RandomPassword).map((p) => p.name),
                ["rag-secrets-api-signing-key"],
            );
            assert.deepEqual(Object.keys(ofType(all, T.Secret)[0].inputs.stringData), ["API_SIGNING_KEY"]);
            assert.ok(!policyNames(all).includes("rag-allow-datastore-clients") && !policyNames(all).includes("rag-allow-clients-to-datastores"));
        });

        it("scopes egress to the address for an IP literal (/32, IPv6 /128) and to the port for a DNS name", () => {
            assert.deepEqual(policy(all, "allow-clients-to-external-postgres").egress, [
                { to: [{ ipBlock: { cidr: "10.1.2.3/32" } }], ports: [{ protocol: "TCP", port: 6432 }] },
            ]);
            assert.deepEqual(policy(all, "allow-clients-to-external-redis").egress, [
                { to: [{ ipBlock: { cidr: "fd00::6379/128" } }], ports: [{ protocol: "TCP", port: 6379 }] },
            ]);
            assert.deepEqual(policy(all, "allow-clients-to-external-vector-store").egress, [{ ports: [{ protocol: "TCP", port: 443 }] }]);
        });

        it("wires host, port, TLS and each datastore's own Secret into the app", () => {
            const data = ofComponent(all, T.ConfigMap, "config").inputs.data;
            assert.deepEqual(
                [data.DB_HOST, data.DB_PORT, data.DB_TLS, data.REDIS_HOST, data.REDIS_PORT, data.REDIS_TLS],
                ["10.1.2.3", "6432", "false", "fd00::6379", "6379", "true"],
            );
            assert.deepEqual(
                [data.VECTOR_DB_HOST, data.VECTOR_DB_PORT, data.VECTOR_DB_TLS, data.VECTOR_DB_AUTH_REQUIRED],
                ["qdrant.example.com", "443", "true", "true"],
            );
            for (const [where, c] of appContainers(all)) {
                assert.deepEqual(refOf(c, "POSTGRES_PASSWORD"), { name: "pg", key: "password" }, where);
                assert.ok(!envOf(c, "DATABASE_URL").value.includes("sslmode"), where);
                if (where !== "migrate") {
                    assert.deepEqual(refOf(c, "REDIS_PASSWORD"), { name: "redis", key: "auth-token" }, where);
                    assert.deepEqual(refOf(c, "VECTOR_STORE_API_KEY"), { name: "qdrant", key: "api-key" }, where);
                    assert.match(envOf(c, "REDIS_URL").value, /^rediss:\/\//);
                }
            }
        });

        it("an external Chroma is not asked for a key (it checks none): without a Secret, VECTOR_STORE_API_KEY stays unset", async () => {
            const r = await renderStack("dev", { vectorStore: { engine: "chroma", mode: "external", host: "chroma.example.com" } });
            const data = ofComponent(r, T.ConfigMap, "config").inputs.data;
            assert.deepEqual([data.VECTOR_DB_ENGINE, data.VECTOR_DB_PORT, data.VECTOR_DB_AUTH_REQUIRED], ["chroma", "8000", "false"]);
            assert.ok(!ofType(r, T.RandomPassword).some((p) => p.name.includes("vector-store")));
            assert.ok(!("VECTOR_STORE_API_KEY" in ofType(r, T.Secret)[0].inputs.stringData));
            for (const [where, c] of appContainers(r).filter(([w]) => w !== "migrate")) {
                assert.deepEqual(refOf(c, "VECTOR_STORE_API_KEY"), { name: SECRET, key: "VECTOR_STORE_API_KEY", optional: true }, where);
            }
            assert.deepEqual(contractProblems(r), []);
            const own = await renderStack("dev", {
                vectorStore: { engine: "chroma", mode: "external", host: "chroma.example.com", existingSecret: { name: "chroma", key: "token" } },
            });
            assert.deepEqual(refOf(appContainers(own)[0][1], "VECTOR_STORE_API_KEY"), { name: "chroma", key: "token" });
        });
    });

    describe("secrets.existingSecret", () => {
        let own: RenderResult;
        before(async () => {
            own = await renderStack("dev", { secrets: { existingSecret: { ...EXISTING_SECRET, keys: { ...EXISTING_SECRET.keys, LLM_API_KEY: "openai" } } } });
        });

        it("creates no Secret and generates nothing", () => {
            assert.deepEqual(ofType(own, T.Secret), []);
            assert.deepEqual(ofType(own, T.RandomPassword), []);
            assert.equal(own.outputs.secretName, "rag-own-secrets");
        });

        it("points every workload at the operator's Secret with the mapped keys", () => {
            const name = "rag-own-secrets";
            for (const [where, c] of appContainers(own)) {
                assert.deepEqual(refOf(c, "POSTGRES_PASSWORD"), { name, key: "pg" }, where);
                if (where !== "migrate") {
                    assert.deepEqual(refOf(c, "REDIS_PASSWORD"), { name, key: "redis" }, where);
                    assert.deepEqual(refOf(c, "VECTOR_STORE_API_KEY"), { name, key: "qdrant" }, where);
                    assert.deepEqual(refOf(c, "LLM_API_KEY"), { name, key: "openai", optional: true }, where);
                }
            }
            assert.deepEqual(refOf(appContainers(own)[0][1], "API_SIGNING_KEY"), { name, key: "signing" });
            // The in-cluster datastores take their passwords from the same place as their clients.
            assert.deepEqual(refOf(container(own, "postgres"), "POSTGRES_PASSWORD"), { name, key: "pg" });
            assert.deepEqual(refOf(container(own, "redis"), "REDISCLI_AUTH"), { name, key: "redis" });
            assert.deepEqual(refOf(container(own, "vector-store"), "QDRANT__SERVICE__API_KEY"), { name, key: "qdrant" });
        });

        it("an unmapped LLM_API_KEY stays optional under its own name", async () => {
            const r = await renderStack("dev", { secrets: { existingSecret: EXISTING_SECRET } });
            assert.deepEqual(refOf(appContainers(r)[0][1], "LLM_API_KEY"), { name: "rag-own-secrets", key: "LLM_API_KEY", optional: true });
        });

        it("refuses the stack's llmApiKey alongside it, before any resource is registered", async () => {
            const line = await expectConfigProblem("dev", { secrets: { existingSecret: EXISTING_SECRET }, llmApiKey: "sk-test-123" }, "llmApiKey");
            assert.ok(!line.includes("sk-test-123"), line);
            assert.ok(line.includes("map LLM_API_KEY"), line);
        });
    });

    describe("secrets.externalSecret", () => {
        it("creates an external-secrets.io/v1 ExternalSecret whose target Secret every workload reads", async () => {
            const r = await renderStack("dev", { secrets: { externalSecret: EXTERNAL_SECRET } });
            assert.deepEqual(ofType(r, T.Secret), []);
            assert.deepEqual(ofType(r, T.RandomPassword), []);
            const [es] = ofType(r, ES);
            assert.equal(es.inputs.apiVersion, "external-secrets.io/v1");
            assert.equal(es.inputs.kind, "ExternalSecret");
            assert.equal(es.inputs.metadata.name, "rag-secrets");
            assert.equal(es.inputs.metadata.namespace, "rag-dev");
            assert.deepEqual(es.inputs.spec, {
                refreshInterval: "15m",
                secretStoreRef: { name: "vault", kind: "ClusterSecretStore" },
                target: { name: "rag-secrets", creationPolicy: "Owner" },
                data: [
                    { secretKey: "POSTGRES_PASSWORD", remoteRef: { key: "rag/pg" } },
                    { secretKey: "REDIS_PASSWORD", remoteRef: { key: "rag/redis" } },
                    { secretKey: "VECTOR_STORE_API_KEY", remoteRef: { key: "rag/qdrant" } },
                    { secretKey: "API_SIGNING_KEY", remoteRef: { key: "rag/signing" } },
                ],
            });
            for (const [where, c] of appContainers(r)) {
                assert.deepEqual(refOf(c, "POSTGRES_PASSWORD"), { name: "rag-secrets", key: "POSTGRES_PASSWORD" }, where);
            }
            assert.deepEqual(refOf(container(r, "redis"), "REDIS_PASSWORD"), { name: "rag-secrets", key: "REDIS_PASSWORD" });
            assert.equal(r.outputs.secretName, "rag-secrets");
            assert.deepEqual(contractProblems(r), []);
        });

        it("defaults to a namespaced SecretStore refreshed hourly, and leaves out an external datastore's key", async () => {
            const { storeName, remoteKeys } = EXTERNAL_SECRET;
            const { POSTGRES_PASSWORD: _unused, ...rest } = remoteKeys;
            const r = await renderStack("dev", { postgres: EXTERNAL_POSTGRES, secrets: { externalSecret: { storeName, remoteKeys: rest } } });
            const spec = ofType(r, ES)[0].inputs.spec;
            assert.equal(spec.refreshInterval, "1h");
            assert.deepEqual(spec.secretStoreRef, { name: "vault", kind: "SecretStore" });
            assert.deepEqual(
                spec.data.map((d: any) => d.secretKey),
                ["REDIS_PASSWORD", "VECTOR_STORE_API_KEY", "API_SIGNING_KEY"],
            );
            assert.deepEqual(refOf(appContainers(r)[0][1], "POSTGRES_PASSWORD"), { name: "rds-credentials", key: "password" });
        });
    });

    it("no generated value appears outside the platform Secret in the external variants", () => {
        for (const r of [pg, all]) {
            const values = ofType(r, T.RandomPassword).map((p) => `mock-${p.name}-value`);
            assert.ok(values.length > 0);
            for (const res of r.resources.filter((x) => x.type !== T.Secret && x.type !== T.RandomPassword)) {
                const text = JSON.stringify(res.inputs);
                assert.ok(
                    values.every((v) => !text.includes(v)),
                    `${res.type} ${res.name} contains a secret value`,
                );
            }
            assert.ok(values.every((v) => !JSON.stringify(r.outputs).includes(v)));
            // ... and the generated values are where the check looks for them (the check can fail).
            assert.ok(values.every((v) => JSON.stringify(ofType(r, T.Secret)[0].inputs).includes(v)));
        }
    });

    it("every variant keeps the app contract (each key from where the app expects it)", () => {
        assert.deepEqual(contractProblems(pg), []);
        assert.deepEqual(contractProblems(all), []);
    });
});
