// postgres_exporter and redis_exporter: sidecars of the in-cluster PostgreSQL and Redis wherever monitoring is on,
// scraped through the datastores' client Services, credentials by secretKeyRef, the shared secure defaults, the
// monitoring NetworkPolicy, and their config (images, resources, alert thresholds).
import { strict as assert } from "assert";
import { parseConfig } from "../components/config";
import { readRawConfig } from "../scripts/stack-config";
import { autoname, byName, expectConfigProblem, ofType, RenderResult, renderStack, T } from "./harness";

const SM = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const podSpecOf = (r: RenderResult, statefulSet: string) => byName(r, T.StatefulSet, statefulSet).inputs.spec.template.spec;
const containerOf = (r: RenderResult, statefulSet: string, name: string) => podSpecOf(r, statefulSet).containers.find((c: any) => c.name === name);
const SINGLE = { postgres: { mode: "in-cluster" } };
const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const alertsOf = (r: RenderResult) => (ofType(r, RULE)[0]?.inputs.spec.groups[0].rules ?? []).map((x: any) => x.alert as string);

const EXPORTERS = [
    { statefulSet: "rag-postgres", container: "postgres-exporter", port: 9187, image: "quay.io/prometheuscommunity/postgres-exporter:v0.20.0", health: "/" },
    { statefulSet: "rag-redis", container: "redis-exporter", port: 9121, image: "oliver006/redis_exporter:v1.90.0", health: "/health" },
];

describe("datastore exporters (postgres_exporter, redis_exporter)", () => {
    let dev: RenderResult;
    let prod: RenderResult;
    before(async () => {
        dev = await renderStack("dev");
        // the single instance's sidecar (prod's default is mode ha: test/postgres-ha.test.ts covers its exporter)
        prod = await renderStack("prod", SINGLE);
    });

    describe("prod (monitoring on)", () => {
        it("runs each exporter beside its datastore, pinned, on its own port, hardened like every container", () => {
            for (const e of EXPORTERS) {
                const spec = podSpecOf(prod, e.statefulSet);
                assert.equal(spec.containers.length, 2, e.statefulSet);
                const c = containerOf(prod, e.statefulSet, e.container);
                const main = spec.containers[0];
                assert.equal(c.image, e.image);
                assert.deepEqual(c.ports, [{ name: "metrics", containerPort: e.port, protocol: "TCP" }]);
                // the pod's identity and the shared restricted context: non-root, read-only root, no capabilities, seccomp
                assert.deepEqual(c.securityContext, main.securityContext);
                assert.equal(c.securityContext.readOnlyRootFilesystem, true);
                assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] });
                assert.equal(c.securityContext.allowPrivilegeEscalation, false);
                assert.deepEqual(c.securityContext.seccompProfile, { type: "RuntimeDefault" });
                assert.deepEqual(c.resources, { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "128Mi" } });
                // probes read the exporter's own page, never the datastore
                for (const probe of [c.livenessProbe, c.readinessProbe]) {
                    assert.deepEqual(probe.httpGet, { path: e.health, port: "metrics" }, e.container);
                }
            }
        });

        it("read the datastore's password from the platform Secret by key reference, never as a literal", () => {
            const secret = autoname(ofType(prod, T.Secret)[0].name);
            const pg = envOf(containerOf(prod, "rag-postgres", "postgres-exporter"));
            assert.deepEqual(pg, {
                DATA_SOURCE_URI: "127.0.0.1:5432/rag?sslmode=disable",
                DATA_SOURCE_USER: "rag",
                DATA_SOURCE_PASS: { secretKeyRef: { name: secret, key: "POSTGRES_PASSWORD" } },
            });
            // the same reference PostgreSQL itself reads
            assert.deepEqual(pg.DATA_SOURCE_PASS, envOf(podSpecOf(prod, "rag-postgres").containers[0]).POSTGRES_PASSWORD);
            const redis = envOf(containerOf(prod, "rag-redis", "redis-exporter"));
            assert.deepEqual(redis, { REDIS_ADDR: "redis://127.0.0.1:6379", REDIS_PASSWORD: { secretKeyRef: { name: secret, key: "REDIS_PASSWORD" } } });
        });

        it("are scraped through the datastores' client Services, port metrics, by ServiceMonitors without credentials", () => {
            for (const e of EXPORTERS) {
                const svc = byName(prod, T.Service, e.statefulSet).inputs.spec;
                assert.ok(
                    svc.ports.some((p: any) => p.name === "metrics" && p.port === e.port && p.targetPort === "metrics"),
                    e.statefulSet,
                );
                const endpoint = byName(prod, SM, e.statefulSet).inputs.spec.endpoints[0];
                assert.deepEqual([endpoint.port, endpoint.path, endpoint.authorization], ["metrics", "/metrics", undefined]);
            }
        });

        it("open the exporter ports to Prometheus' namespace only, and not to the datastores' clients", () => {
            const monitoring = byName(prod, T.NetworkPolicy, "rag-allow-monitoring").inputs.spec;
            const rules = monitoring.ingress as any[];
            for (const e of EXPORTERS) {
                const component = e.statefulSet.replace("rag-", "");
                const rule = rules.find((i) => i.ports.some((p: any) => p.port === e.port));
                assert.ok(rule, `no ingress rule opens ${e.port}`);
                assert.deepEqual(rule.from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }]);
                assert.ok(JSON.stringify(monitoring).includes(component));
            }
            const clientPorts = byName(prod, T.NetworkPolicy, "rag-allow-datastore-clients").inputs.spec.ingress[0].ports.map((p: any) => p.port);
            assert.ok(!clientPorts.includes(9187) && !clientPorts.includes(9121), `clients reach ${clientPorts}`);
        });

        it("render the datastore alerts; replication lag has none (one replica each: nothing to lag)", () => {
            const alerts = alertsOf(prod);
            for (const a of ["RagPostgresConnectionsNearMax", "RagRedisMemoryNearLimit", "RagRedisEvictingKeys"]) {
                assert.ok(alerts.includes(a), a);
            }
            assert.ok(!alerts.some((a: string) => /Replication|Lag/i.test(a)), alerts.join(", "));
            const rules = ofType(prod, RULE)[0].inputs.spec.groups[0].rules as any[];
            const expr = (a: string) => rules.find((r) => r.alert === a).expr as string;
            assert.match(expr("RagPostgresConnectionsNearMax"), /pg_stat_activity_count\{namespace="rag-prod", service="rag-postgres"\}/);
            assert.match(expr("RagRedisMemoryNearLimit"), /redis_memory_max_bytes\{namespace="rag-prod", service="rag-redis"\} > 0\)/);
            assert.match(expr("RagRedisEvictingKeys"), /increase\(redis_evicted_keys_total\{namespace="rag-prod", service="rag-redis"\}\[5m\]\)\) > 100$/);
        });

        it("have dashboard panels, on the same series as their alerts", () => {
            const dashboard = JSON.parse(byName(prod, T.ConfigMap, "rag-dashboard").inputs.data["rag-platform.json"]);
            const panels = new Map<string, string>(dashboard.panels.map((p: any) => [p.title, p.targets.map((t: any) => t.expr).join("\n")]));
            assert.match(
                panels.get("PostgreSQL connections vs max_connections") ?? "",
                /pg_settings_max_connections\{namespace="rag-prod", service="rag-postgres"\}/,
            );
            assert.match(panels.get("Redis memory vs maxmemory") ?? "", /redis_memory_max_bytes\{namespace="rag-prod", service="rag-redis"\}/);
            assert.match(
                panels.get("Redis evicted keys per second") ?? "",
                /rate\(redis_evicted_keys_total\{namespace="rag-prod", service="rag-redis"\}\[5m\]\)/,
            );
        });

        it("are counted in the capacity report", () => {
            const rows = (prod.outputs.capacity as { rows: { component: string }[] }).rows.map((r) => r.component);
            assert.ok(rows.includes("postgres-exporter") && rows.includes("redis-exporter"), rows.join(", "));
        });
    });

    describe("where they do not run", () => {
        it("dev (monitoring off): one container per datastore pod, no metrics port, no exporter alert", () => {
            for (const e of EXPORTERS) {
                assert.equal(podSpecOf(dev, e.statefulSet).containers.length, 1);
                assert.ok(!byName(dev, T.Service, e.statefulSet).inputs.spec.ports.some((p: any) => p.name === "metrics"));
            }
            const rows = (dev.outputs.capacity as { rows: { component: string }[] }).rows.map((r) => r.component);
            assert.ok(!rows.some((r) => r.endsWith("-exporter")), rows.join(", "));
        });

        it("dev with monitoring on gets them too", async () => {
            const r = await renderStack("dev", { monitoring: { enabled: true } });
            for (const e of EXPORTERS) {
                assert.ok(containerOf(r, e.statefulSet, e.container), e.container);
                assert.ok(byName(r, SM, e.statefulSet));
            }
        });

        it("monitoring.exporters.enabled false: monitoring stays, the exporters and everything read from them go", async () => {
            const r = await renderStack("prod", { ...SINGLE, monitoring: { exporters: { enabled: false } } });
            for (const e of EXPORTERS) {
                assert.equal(podSpecOf(r, e.statefulSet).containers.length, 1, e.statefulSet);
                assert.ok(!ofType(r, SM).some((s) => s.inputs.metadata.name === e.statefulSet), e.statefulSet);
            }
            assert.ok(
                ofType(r, SM).some((s) => s.inputs.metadata.name === "rag-api"),
                "the other ServiceMonitors stay",
            );
            const alerts = alertsOf(r);
            assert.ok(alerts.includes("RagPostgresDown"));
            assert.ok(!alerts.some((a: string) => /RagPostgresConnections|RagRedis(Memory|Evicting)/.test(a)), alerts.join(", "));
            const rows = (r.outputs.capacity as { rows: { component: string }[] }).rows.map((x) => x.component);
            assert.ok(!rows.some((x) => x.endsWith("-exporter")), rows.join(", "));
        });

        it("an external PostgreSQL or Redis gets no exporter, ServiceMonitor or alert of its exporter", async () => {
            const r = await renderStack("prod", {
                postgres: { mode: "external", host: "db.example.com", existingSecret: { name: "pg", key: "password" } },
            });
            assert.ok(!ofType(r, SM).some((s) => s.inputs.metadata.name === "rag-postgres"));
            assert.ok(!alertsOf(r).includes("RagPostgresConnectionsNearMax"));
            assert.ok(containerOf(r, "rag-redis", "redis-exporter"), "the in-cluster Redis keeps its exporter");
            const both = await renderStack("prod", {
                postgres: { mode: "external", host: "db.example.com", existingSecret: { name: "pg", key: "password" } },
                redis: { mode: "external", host: "cache.example.com", existingSecret: { name: "redis", key: "password" } },
            });
            const containers = ofType(both, T.StatefulSet).flatMap((s) => s.inputs.spec.template.spec.containers.map((c: any) => c.name));
            assert.ok(!containers.some((c: string) => c.endsWith("-exporter")), containers.join(", "));
            const titles = JSON.parse(byName(both, T.ConfigMap, "rag-dashboard").inputs.data["rag-platform.json"]).panels.map((p: any) => p.title as string);
            assert.ok(!titles.some((t: string) => /^(PostgreSQL|Redis) /.test(t)), titles.join(", "));
            const alerts = alertsOf(both);
            assert.ok(!alerts.some((a: string) => /RagPostgresConnections|RagRedis(Memory|Evicting)/.test(a)), alerts.join(", "));
        });
    });

    describe("config", () => {
        it("defaults: pinned upstream images, small resources, thresholds 0.8 / 0.9 / 100 in every environment", () => {
            for (const stack of ["dev", "prod"]) {
                const m = parseConfig(stack, readRawConfig(stack)).monitoring;
                assert.deepEqual(m.exporters, {
                    enabled: true,
                    postgresImage: "quay.io/prometheuscommunity/postgres-exporter:v0.20.0",
                    redisImage: "oliver006/redis_exporter:v1.90.0",
                    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "128Mi" } },
                });
                const { postgresConnectionsRatio, redisMemoryRatio, redisEvictionsIn5m } = m.alerts;
                assert.deepEqual([postgresConnectionsRatio, redisMemoryRatio, redisEvictionsIn5m], [0.8, 0.9, 100]);
            }
        });

        it("a stack's images and resources reach the containers", async () => {
            const r = await renderStack("prod", {
                ...SINGLE,
                monitoring: {
                    exporters: {
                        postgresImage: "registry.example.com/postgres-exporter:v0.19.1",
                        redisImage: "registry.example.com/redis_exporter@sha256:" + "a".repeat(64),
                        resources: { limits: { memory: "256Mi" } },
                    },
                },
            });
            assert.equal(containerOf(r, "rag-postgres", "postgres-exporter").image, "registry.example.com/postgres-exporter:v0.19.1");
            assert.match(containerOf(r, "rag-redis", "redis-exporter").image, /@sha256:a{64}$/);
            assert.equal(containerOf(r, "rag-redis", "redis-exporter").resources.limits.memory, "256Mi");
            assert.equal(containerOf(r, "rag-redis", "redis-exporter").resources.requests.memory, "32Mi");
        });

        const refused: [string, Record<string, unknown>, string, RegExp][] = [
            [
                "an unpinned image",
                { exporters: { postgresImage: "prometheuscommunity/postgres-exporter" } },
                "monitoring.exporters.postgresImage",
                /must pin a tag or a digest/,
            ],
            ["latest", { exporters: { redisImage: "oliver006/redis_exporter:latest" } }, "monitoring.exporters.redisImage", /not `latest`/],
            [
                "limits below requests",
                { exporters: { resources: { limits: { cpu: "5m" } } } },
                "monitoring.exporters.resources.limits.cpu",
                /must not be below .*requests\.cpu \(10m\)/,
            ],
            [
                "an unknown key",
                { exporters: { image: "x:1" } },
                "monitoring.exporters.image",
                /is not a known key; known keys of monitoring\.exporters: enabled, postgresImage, redisImage, resources/,
            ],
            ["a connections ratio above 1", { alerts: { postgresConnectionsRatio: 1.5 } }, "monitoring.alerts.postgresConnectionsRatio", /from 0.01 to 1/],
            ["a memory ratio of 0", { alerts: { redisMemoryRatio: 0 } }, "monitoring.alerts.redisMemoryRatio", /from 0.01 to 1/],
            [
                "negative evictions",
                { alerts: { redisEvictionsIn5m: -1 } },
                "monitoring.alerts.redisEvictionsIn5m",
                /= -1: must be an integer from 0 to 1000000000/,
            ],
            ["fractional evictions", { alerts: { redisEvictionsIn5m: 2.5 } }, "monitoring.alerts.redisEvictionsIn5m", /integer/],
        ];
        for (const [what, monitoring, key, allowed] of refused) {
            it(`refuses ${what}, naming the stack, the key, the value and what is allowed`, async () => {
                const line = await expectConfigProblem("prod", { monitoring }, key);
                assert.match(line, allowed);
                assert.match(line, /\(stack "prod"\)$/);
            });
        }
    });
});
