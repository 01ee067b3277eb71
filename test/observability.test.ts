import { strict as assert } from "assert";
import { ALERT_FOR_MINUTES, ALERT_NAMES } from "../components/config";
import type { Dashboard } from "../components/observability";
import { APP_METRICS, CLUSTER_METRICS, DATASTORE_METRICS, GPU_METRICS, MODEL_METRICS } from "../components/observability";
import { apiProbePaths, autoname, byName, expectConfigProblem, ofType, RenderResult, renderStack, T } from "./harness";

const SM = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const VPA = "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler";

const KNOWN_METRICS = new Set<string>([
    ...Object.values(APP_METRICS),
    ...Object.values(CLUSTER_METRICS),
    ...Object.values(MODEL_METRICS),
    ...Object.values(GPU_METRICS),
    ...Object.values(DATASTORE_METRICS),
]);

/** Metric names a PromQL expression selects: identifiers directly followed by a label matcher. */
function metricsIn(expr: string): string[] {
    return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1].replace(/_bucket$/, ""));
}

/** Label values an expression matches exactly or by alternation, for a label. */
function labelValues(expr: string, label: string): string[] {
    return [...expr.matchAll(new RegExp(`${label}=~?"([^"]+)"`, "g"))].flatMap((m) => m[1].split("|"));
}

const rulesOf = (r: RenderResult) => ofType(r, RULE)[0].inputs.spec.groups[0].rules as any[];
const dashboardOf = (r: RenderResult): Dashboard => JSON.parse(byName(r, T.ConfigMap, "rag-dashboard").inputs.data["rag-platform.json"]);

async function rejects(stack: string, overrides: Record<string, unknown>, key: string, allowed: RegExp): Promise<void> {
    assert.match(await expectConfigProblem(stack, overrides, key), allowed);
}

describe("observability and scaling extras", () => {
    let dev: RenderResult;
    let prod: RenderResult;
    before(async () => {
        dev = await renderStack("dev");
        prod = await renderStack("prod");
    });

    describe("switches", () => {
        it("dev has no monitoring objects, VPAs or NodePorts by default", () => {
            for (const type of [SM, RULE, VPA]) {
                assert.equal(ofType(dev, type).length, 0, type);
            }
            assert.ok(!ofType(dev, T.ConfigMap).some((c) => c.inputs.metadata.labels?.grafana_dashboard));
            assert.ok(!ofType(dev, T.Service).some((s) => s.inputs.spec.type === "NodePort"));
        });

        it("prod renders ServiceMonitors for the API, frontend, vector store, datastore exporters and model servers, the rules and the dashboard", () => {
            assert.deepEqual(
                ofType(prod, SM)
                    .map((s) => s.inputs.metadata.name)
                    .sort(),
                ["rag-api", "rag-embedding", "rag-frontend", "rag-llm", "rag-postgres", "rag-redis", "rag-vector-store"],
            );
            assert.equal(ofType(prod, RULE).length, 1);
            assert.equal(byName(prod, T.ConfigMap, "rag-dashboard").inputs.metadata.labels.grafana_dashboard, "1");
            for (const o of [...ofType(prod, SM), ...ofType(prod, RULE)]) {
                assert.equal(o.inputs.metadata.labels.release, "kube-prometheus-stack", "selected by the operator's release label");
            }
        });

        it("dev can enable monitoring; the dashboard can be turned off", async () => {
            const on = await renderStack("dev", { monitoring: { enabled: true, dashboard: false, selectorLabels: { prometheus: "main" } } });
            assert.equal(ofType(on, SM).length, 5, "API, frontend, vector store, PostgreSQL's and Redis' exporters");
            assert.equal(ofType(on, RULE)[0].inputs.metadata.labels.prometheus, "main");
            assert.ok(!ofType(on, T.ConfigMap).some((c) => c.inputs.metadata.labels?.grafana_dashboard));
            // No HPA in dev: no HPA alert.
            assert.ok(!rulesOf(on).some((r) => r.alert === "RagHpaAtMaximum"));
        });

        it("Chroma serves no Prometheus metrics: no ServiceMonitor for it", async () => {
            const r = await renderStack("prod", { vectorStore: { engine: "chroma" } });
            assert.deepEqual(
                ofType(r, SM)
                    .map((s) => s.inputs.metadata.name)
                    .sort(),
                ["rag-api", "rag-embedding", "rag-frontend", "rag-llm", "rag-postgres", "rag-redis"],
            );
        });

        it("Prometheus may reach the metrics ports through the NetworkPolicies", () => {
            const np = byName(prod, T.NetworkPolicy, "rag-allow-monitoring").inputs.spec;
            assert.deepEqual(np.ingress[0].from[0].namespaceSelector.matchLabels, { "kubernetes.io/metadata.name": "monitoring" });
            assert.deepEqual(
                np.ingress[0].ports.map((p: any) => p.port),
                // API, frontend's metrics port, Qdrant, postgres_exporter, redis_exporter, vLLM (8000, its API port), TEI's Prometheus port
                [8000, 9090, 6333, 9187, 9121, 9000],
            );
        });
    });

    describe("ServiceMonitors", () => {
        it("select exactly the client Service of their component, on a port it has", () => {
            const services = ofType(prod, T.Service);
            for (const sm of ofType(prod, SM)) {
                const selector = sm.inputs.spec.selector;
                const matching = services.filter(
                    (s) =>
                        Object.entries(selector.matchLabels).every(([k, v]) => s.inputs.metadata.labels[k] === v) &&
                        !(selector.matchExpressions[0].key in s.inputs.metadata.labels),
                );
                assert.equal(matching.length, 1, `${sm.inputs.metadata.name} selects ${matching.length} services`);
                const port = sm.inputs.spec.endpoints[0].port;
                assert.ok(
                    matching[0].inputs.spec.ports.some((p: any) => p.name === port),
                    `${sm.inputs.metadata.name}: no port ${port}`,
                );
                assert.equal(sm.inputs.spec.endpoints[0].interval, "30s");
                assert.equal(sm.inputs.spec.endpoints[0].scrapeTimeout, "10s");
            }
        });

        it("never time out after their interval (the operator rejects such a ServiceMonitor): a 5s interval times out at 5s", async () => {
            const fast = await renderStack("dev", { monitoring: { enabled: true, scrapeInterval: "5s" } });
            const endpoints = ofType(fast, SM).map((sm) => sm.inputs.spec.endpoints[0]);
            assert.ok(endpoints.length >= 3, `${endpoints.length} ServiceMonitors`);
            for (const e of endpoints) assert.deepEqual([e.interval, e.scrapeTimeout], ["5s", "5s"]);
            const slow = await renderStack("dev", { monitoring: { enabled: true, scrapeInterval: "2m" } });
            for (const sm of ofType(slow, SM))
                assert.deepEqual([sm.inputs.spec.endpoints[0].interval, sm.inputs.spec.endpoints[0].scrapeTimeout], ["2m", "10s"]);
        });

        it("scrape Qdrant's /metrics with its API key from the platform Secret (Qdrant exempts only health endpoints)", () => {
            const secret = ofType(prod, T.Secret).find((s) => s.name === "rag-secrets-secret")!; // the platform's (not Patroni's roles)
            const vector = byName(prod, SM, "rag-vector-store").inputs.spec.endpoints[0];
            assert.equal(vector.path, "/metrics");
            // The Secret is autonamed: the ServiceMonitor names it by the Secret's output name.
            assert.deepEqual(vector.authorization, { type: "Bearer", credentials: { name: autoname(secret.name), key: "VECTOR_STORE_API_KEY" } });
            assert.ok(secret.inputs.stringData.VECTOR_STORE_API_KEY, "the key the ServiceMonitor names exists in the Secret");
            // The API and the frontend serve /metrics without a key: no credentials are handed to Prometheus for them.
            for (const name of ["rag-api", "rag-frontend"]) {
                assert.equal(byName(prod, SM, name).inputs.spec.endpoints[0].authorization, undefined, name);
            }
        });

        it("no metrics endpoint is reachable through the Ingress: the frontend's is on its own port, the API's is outside API_BASE_PATH", () => {
            const ingress = ofType(prod, T.Ingress)[0];
            const services = ofType(prod, T.Service);
            const fe = byName(prod, SM, "rag-frontend").inputs.spec.endpoints[0];
            assert.equal(fe.port, "metrics");
            const routes = ingress.inputs.spec.rules.flatMap((r: any) => r.http.paths);
            for (const route of routes) {
                const svc = services.find((s) => s.inputs.metadata.name === route.backend.service.name);
                assert.ok(svc, `${route.path}: no Service ${route.backend.service.name}`);
                const port = svc.inputs.spec.ports.find((p: any) => p.port === route.backend.service.port.number);
                assert.ok(port, `${route.path}: Service ${svc.inputs.metadata.name} has no port ${route.backend.service.port.number}`);
                const monitor = ofType(prod, SM).find((sm) => sm.inputs.metadata.name === svc.inputs.metadata.name);
                if (monitor && monitor.inputs.spec.endpoints[0].port === port.name) {
                    // the same port as the metrics: only where the route's prefix cannot reach /metrics
                    assert.notEqual(route.path, "/", `the Ingress's / route reaches ${svc.inputs.metadata.name}'s /metrics`);
                    assert.ok(!"/metrics".startsWith(route.path), `${route.path} reaches /metrics`);
                }
            }
            assert.ok(routes.some((r: any) => r.path === "/" && r.backend.service.name === "rag-frontend"));
        });

        it("send no key to Milvus, which enforces none", async () => {
            const r = await renderStack("prod", { vectorStore: { engine: "milvus" } });
            const vector = byName(r, SM, "rag-vector-store").inputs.spec.endpoints[0];
            assert.equal(vector.port, "metrics");
            assert.equal(vector.authorization, undefined);
        });
    });

    describe("alert rules", () => {
        it("cover what hurts a RAG service, each with summary, description and severity", () => {
            const names = rulesOf(prod).map((r) => r.alert);
            assert.deepEqual(names.sort(), [
                "RagApiErrorRatio",
                "RagApiHighLatencyP99",
                "RagGpuMemoryNearlyFull",
                "RagHighCpuAgainstLimit",
                "RagHpaAtMaximum",
                "RagIndexerJobFailed",
                "RagLlmKvCacheNearlyFull",
                "RagLlmRequestsWaiting",
                "RagLlmTimeToFirstTokenP99",
                "RagPodRestarting",
                "RagPostgresBackupFailed",
                "RagPostgresConnectionsNearMax",
                "RagPostgresDown",
                "RagPostgresReplicationLag",
                "RagRedisDown",
                "RagRedisEvictingKeys",
                "RagRedisMemoryNearLimit",
                "RagVectorIndexIncomplete",
                "RagVectorSnapshotFailed",
                "RagVectorStoreDown",
                "RagVolumeAlmostFull",
            ]);
            for (const r of rulesOf(prod)) {
                assert.ok(r.annotations.summary && r.annotations.description, r.alert);
                assert.match(r.labels.severity, /^(warning|critical)$/);
            }
        });

        it("reference only metrics the platform and its monitoring stack expose", () => {
            for (const r of rulesOf(prod)) {
                const metrics = metricsIn(r.expr);
                assert.ok(metrics.length > 0, r.alert);
                for (const m of metrics) {
                    assert.ok(KNOWN_METRICS.has(m), `${r.alert} uses unknown metric ${m}`);
                }
                assert.deepEqual([...new Set(labelValues(r.expr, "namespace"))], ["rag-prod"], r.alert);
            }
        });

        it("name objects that exist: the API Service, the HPAs and the datastore StatefulSets", () => {
            const exprs = rulesOf(prod)
                .map((r) => r.expr)
                .join("\n");
            const serviceNames = ofType(prod, T.Service).map((s) => s.inputs.metadata.name);
            for (const s of labelValues(exprs, "service")) {
                assert.ok(serviceNames.includes(s), `service ${s}`);
            }
            const hpas = ofType(prod, T.HPA).map((h) => h.inputs.metadata.name);
            assert.deepEqual([...new Set(labelValues(exprs, "horizontalpodautoscaler"))].sort(), hpas.sort());
            // The datastores' StatefulSets (the model servers' are watched through their own metrics).
            const sts = ofType(prod, T.StatefulSet)
                .map((s) => s.inputs.metadata.name)
                .filter((n: string) => !["rag-llm", "rag-embedding"].includes(n));
            assert.deepEqual(labelValues(exprs, "statefulset").sort(), sts.sort());
        });

        it("RagIndexerJobFailed watches the re-indexing CronJob's Jobs with kube-state-metrics (prod), absent without a schedule", async () => {
            const rule = rulesOf(prod).find((r) => r.alert === "RagIndexerJobFailed");
            assert.ok(rule, "prod schedules a re-index: it has the alert");
            const cron = ofType(prod, T.CronJob).find((c) => c.inputs.metadata.name === "rag-indexer-scheduled")!.inputs.metadata.name;
            assert.deepEqual([...new Set(labelValues(rule.expr, "job_name"))], [`${cron}-[0-9]+`]);
            assert.match(rule.expr, /^kube_job_status_failed\{/);
            assert.match(rule.expr, /unless on \(namespace, job_name\)/);
            const devOn = await renderStack("dev", { monitoring: { enabled: true } });
            assert.ok(!rulesOf(devOn).some((r) => r.alert === "RagIndexerJobFailed"), "no CronJob in dev: no alert");
        });

        it("RagPostgresBackupFailed watches the backup CronJob's Jobs (critical), absent with backup.enabled false", async () => {
            const rule = rulesOf(prod).find((r) => r.alert === "RagPostgresBackupFailed");
            assert.ok(rule, "prod backs up: it has the alert");
            assert.deepEqual([...new Set(labelValues(rule.expr, "job_name"))], ["rag-postgres-backup-[0-9]+"]);
            assert.equal(rule.labels.severity, "critical");
            assert.match(rule.expr, /^kube_job_status_failed\{/);
            const off = await renderStack("prod", { backup: { enabled: false } });
            assert.ok(!rulesOf(off).some((r) => r.alert === "RagPostgresBackupFailed"), "no backup: no alert");
        });

        it("take their thresholds from config", async () => {
            const rules = rulesOf(
                await renderStack("prod", {
                    monitoring: {
                        alerts: {
                            p99LatencySeconds: 1.5,
                            errorRatio: 0.02,
                            restartsIn5m: 5,
                            pvcUsageRatio: 0.9,
                            cpuLimitRatio: 0.95,
                            postgresConnectionsRatio: 0.7,
                            redisMemoryRatio: 0.85,
                            redisEvictionsIn5m: 0,
                        },
                    },
                }),
            );
            const rule = (name: string) => rules.find((r) => r.alert === name);
            assert.match(rule("RagApiHighLatencyP99").expr, /> 1\.5$/);
            assert.match(rule("RagApiErrorRatio").expr, /> 0\.02$/);
            assert.match(rule("RagPodRestarting").expr, /> 5$/);
            assert.match(rule("RagVolumeAlmostFull").expr, /> 0\.9$/);
            assert.match(rule("RagHighCpuAgainstLimit").expr, /> 0\.95$/);
            assert.match(rule("RagPostgresConnectionsNearMax").expr, /> 0\.7$/);
            assert.match(rule("RagRedisMemoryNearLimit").expr, /> 0\.85$/);
            assert.match(rule("RagRedisEvictingKeys").expr, /> 0$/);
        });

        it("hold each alert for its default for: (ALERT_FOR_MINUTES), a table that names every alert prod renders", () => {
            const rules = rulesOf(prod);
            for (const r of rules) {
                assert.equal(r.for, `${ALERT_FOR_MINUTES[r.alert as keyof typeof ALERT_FOR_MINUTES]}m`, r.alert);
            }
            assert.deepEqual(rules.map((r) => r.alert).sort(), [...ALERT_NAMES].sort());
            const cpu = rules.find((r) => r.alert === "RagHighCpuAgainstLimit");
            assert.match(cpu.annotations.description, / for 15 minutes: /);
        });

        it("take each alert's for: from monitoring.alerts.forMinutes by name, the rest keeping theirs", async () => {
            const over = { RagApiErrorRatio: 1, RagHpaAtMaximum: 20, RagRedisEvictingKeys: 1, RagPostgresBackupFailed: 3, RagLlmRequestsWaiting: 0 };
            const rules = rulesOf(await renderStack("prod", { monitoring: { alerts: { forMinutes: over } } }));
            const rule = (name: string) => rules.find((r) => r.alert === name);
            for (const [name, m] of Object.entries(over)) {
                assert.equal(rule(name).for, `${m}m`, name);
            }
            assert.match(rule("RagApiErrorRatio").annotations.description, /have been 5xx for 1 minute\.$/);
            assert.match(rule("RagHpaAtMaximum").annotations.description, /at maxReplicas for 20 minutes:/);
            assert.match(rule("RagLlmRequestsWaiting").annotations.description, /waited in vLLM at the last evaluation:/);
            assert.equal(rule("RagApiHighLatencyP99").for, "10m");
            assert.equal(rule("RagIndexerJobFailed").for, "10m");
            assert.equal(rules.length, ALERT_NAMES.length);
        });

        it("refuse a for: of an alert the platform does not have, naming the ones it has", () =>
            rejects(
                "prod",
                { monitoring: { alerts: { forMinutes: { RagNoSuchAlert: 1 } } } },
                "monitoring.alerts.forMinutes.RagNoSuchAlert",
                /is not a known key.*RagApiErrorRatio/,
            ));

        it("refuse a for: that is not a whole number of minutes from 0 to 1440", async () => {
            await rejects(
                "prod",
                { monitoring: { alerts: { forMinutes: { RagApiErrorRatio: 1.5 } } } },
                "monitoring.alerts.forMinutes.RagApiErrorRatio",
                /an integer from 0 to 1440/,
            );
            await rejects(
                "dev",
                { monitoring: { alerts: { forMinutes: { RagPostgresDown: 2000 } } } },
                "monitoring.alerts.forMinutes.RagPostgresDown",
                /an integer from 0 to 1440/,
            );
        });

        it("watch PostgreSQL's standbys' replay lag on the primary only where there are standbys (mode ha)", async () => {
            const rule = rulesOf(prod).find((r) => r.alert === "RagPostgresReplicationLag");
            assert.ok(rule, "prod runs PostgreSQL in mode ha: it has the alert");
            assert.equal(
                rule.expr,
                'max by (namespace, service, application_name) (pg_stat_replication_pg_wal_lsn_diff{namespace="rag-prod", service="rag-postgres-primary"}) > 67108864',
            );
            assert.match(rule.annotations.description, /more than 64 MiB of WAL behind the primary in replay for 5 minutes/);
            const single = rulesOf(await renderStack("prod", { postgres: { mode: "in-cluster" } }));
            assert.ok(
                single.some((r) => r.alert === "RagPostgresConnectionsNearMax"),
                "the exporter is still there",
            );
            assert.ok(!single.some((r) => r.alert === "RagPostgresReplicationLag"), "one instance: no standby to lag");
            const lower = rulesOf(await renderStack("prod", { monitoring: { alerts: { postgresReplicationLagBytes: 16 * 1024 * 1024 } } }));
            assert.match(lower.find((r) => r.alert === "RagPostgresReplicationLag").expr, /> 16777216$/);
        });

        it("refuse a replication-lag threshold below 1 MiB", () =>
            rejects(
                "prod",
                { monitoring: { alerts: { postgresReplicationLagBytes: 1000 } } },
                "monitoring.alerts.postgresReplicationLagBytes",
                /from 1048576 to 1099511627776/,
            ));

        it("reject a threshold out of range", () =>
            rejects("prod", { monitoring: { alerts: { errorRatio: 5 } } }, "monitoring.alerts.errorRatio", /from 0.0001 to 1/));
    });

    describe("dashboard", () => {
        it("has the panels operators look at", () => {
            const titles = dashboardOf(prod).panels.map((p) => p.title);
            for (const t of [
                "API request rate",
                "API latency p50 / p99",
                "API error ratio (5xx)",
                "Replicas vs HPA bounds",
                "CPU vs requests and limits",
                "Memory vs requests and limits",
                "Datastore health (ready replicas)",
            ]) {
                assert.ok(titles.includes(t), t);
            }
        });

        it("queries the same metrics as the alerts, all of them known", () => {
            const panelMetrics = new Set(dashboardOf(prod).panels.flatMap((p) => p.targets.flatMap((t) => metricsIn(t.expr))));
            for (const m of panelMetrics) {
                assert.ok(KNOWN_METRICS.has(m), `unknown metric ${m}`);
            }
            const alertMetrics = new Set(rulesOf(prod).flatMap((r) => metricsIn(r.expr)));
            for (const m of [
                APP_METRICS.requestDuration,
                APP_METRICS.requestsTotal,
                CLUSTER_METRICS.statefulSetReadyReplicas,
                CLUSTER_METRICS.hpaMaxReplicas,
            ]) {
                assert.ok(panelMetrics.has(m) && alertMetrics.has(m), m);
            }
        });

        it("shows a 0 error ratio, not 'no data', while the API serves and nothing has failed (the live node e2e found it empty)", () => {
            const panel = dashboardOf(prod).panels.find((p) => p.title === "API error ratio (5xx)")!;
            assert.match(panel.targets[0].expr, /^\(sum\(rate\(http_requests_total\{[^}]*status=~"5\.\."\}\[5m\]\)\) or vector\(0\)\) \/ sum\(rate\(/);
        });

        it("counts the API's clients only: its probes and scrapes (a readiness probe waiting on a down datastore, a draining pod's 503) are left out of the request alerts and panels", () => {
            const probed = [...apiProbePaths(prod), "/metrics"];
            assert.deepEqual(probed, ["/health", "/ready", "/metrics"]);
            const exprs = [
                ...rulesOf(prod).filter((r) => ["RagApiHighLatencyP99", "RagApiErrorRatio"].includes(r.alert)),
                ...dashboardOf(prod).panels.flatMap((p) => p.targets),
            ]
                .map((x) => x.expr)
                .filter((e) => /http_request/.test(e));
            assert.ok(exprs.length >= 5, `${exprs.length} API request expressions`);
            for (const e of exprs) {
                for (const m of e.matchAll(/http_request\w*\{([^}]*)\}/g)) {
                    const excluded = /handler!~"([^"]*)"/.exec(m[1]);
                    assert.ok(excluded, `${m[0]} leaves no path out`);
                    const re = new RegExp(`^(?:${excluded[1].replace(/\\\\/g, "\\")})$`);
                    for (const path of probed) assert.ok(re.test(path), `${m[0]} counts ${path}`);
                    assert.ok(!re.test("/v1/query") && !re.test("/v1/documents"), `${m[0]} leaves out client requests`);
                }
            }
        });

        it("panels have unique ids and do not overlap", () => {
            const panels = dashboardOf(prod).panels;
            assert.equal(new Set(panels.map((p) => p.id)).size, panels.length);
            const cells = panels.map((p) => `${p.gridPos.x},${p.gridPos.y}`);
            assert.equal(new Set(cells).size, cells.length);
        });
    });

    describe("vertical autoscaling", () => {
        it("is off by default; when on, one VPA per workload in recommendation mode", async () => {
            const r = await renderStack("prod", { verticalAutoscaling: { enabled: true } });
            const vpas = ofType(r, VPA);
            assert.deepEqual(vpas.map((v) => v.inputs.spec.targetRef.name).sort(), [
                "rag-api",
                "rag-frontend",
                "rag-postgres-ha",
                "rag-redis",
                "rag-vector-store",
            ]);
            assert.ok(vpas.every((v) => v.inputs.spec.updatePolicy.updateMode === "Off"));
        });

        it("may act where no HPA scales the same workload (dev)", async () => {
            const r = await renderStack("dev", { verticalAutoscaling: { enabled: true, updateMode: "Auto" } });
            assert.ok(ofType(r, VPA).every((v) => v.inputs.spec.updatePolicy.updateMode === "Auto"));
        });

        it("refuses an acting VPA next to an HPA on the same resource metrics", () =>
            rejects(
                "prod",
                { verticalAutoscaling: { enabled: true, updateMode: "Auto" } },
                "verticalAutoscaling.updateMode",
                /must be "Off" .* while api\.autoscaling is enabled/,
            ));
    });

    describe("local access", () => {
        it("dev can expose the API and frontend on fixed NodePorts, allowed through the NetworkPolicies", async () => {
            const r = await renderStack("dev", { localAccess: { enabled: true, apiNodePort: 30500 } });
            const nodePorts = ofType(r, T.Service).filter((s) => s.inputs.spec.type === "NodePort");
            assert.deepEqual(nodePorts.map((s) => [s.inputs.metadata.name, s.inputs.spec.ports[0].nodePort]).sort(), [
                ["rag-api-nodeport", 30500],
                ["rag-frontend-nodeport", 30081],
            ]);
            const np = byName(r, T.NetworkPolicy, "rag-allow-node-ports").inputs.spec;
            assert.equal(np.ingress[0].from, undefined);
            assert.deepEqual(
                np.ingress[0].ports.map((p: any) => p.port),
                [8000, 8080],
            );
        });

        it("is refused in prod", () => rejects("prod", { localAccess: { enabled: true } }, "localAccess.enabled", /must be false in prod/));
        it("refuses a port outside the NodePort range", () =>
            rejects("dev", { localAccess: { enabled: true, apiNodePort: 8080 } }, "localAccess.apiNodePort", /from 30000 to 32767/));
    });

    describe("queue-length autoscaling", () => {
        it("the HPA's Pods metric is the API's queue gauge from the metrics contract", async () => {
            const r = await renderStack("prod", { api: { autoscaling: { podsMetric: { name: APP_METRICS.queueLength, targetAverageValue: "20" } } } });
            const pods = byName(r, T.HPA, "rag-api").inputs.spec.metrics.find((m: any) => m.type === "Pods");
            assert.equal(pods.pods.metric.name, "rag_queue_length");
            assert.ok(dashboardOf(r).panels.some((p) => p.targets.some((t) => t.expr.includes("rag_queue_length"))));
        });
    });
});
