// Unit tests for the platform's alerts in promtool's format (`promtool test rules`): for every alert, a
// synthetic history that must make it fire and one that must leave it silent. Built from the rendered
// PrometheusRule itself, so the thresholds, label matchers and `for` durations under test are the ones a
// stack deploys. scripts/alerts-check.sh writes them out and runs promtool; test/alerts.test.ts checks that
// every alert has both cases.

import type { AlertThresholds, ModelServingAlertThresholds } from "../../components/config";

export interface RenderedAlert {
    alert: string;
    expr: string;
    for: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
}

/** What the alerts select on: the namespace and object names of the rendered stack. */
export interface AlertScope {
    namespace: string;
    apiService: string;
    /** The paths the kubelet probes on the API (its Deployment's probes): not client requests. */
    apiProbePaths: string[];
    hpas: string[];
    statefulSets: { RagPostgresDown: string; RagRedisDown: string; RagVectorStoreDown: string };
    /** The indexer's CronJob, whose Jobs RagIndexerJobFailed watches. */
    indexerCronJob?: string;
    /** The PostgreSQL backup's CronJob, whose Jobs RagPostgresBackupFailed watches. */
    backupCronJob?: string;
    /** The Qdrant snapshot CronJob, whose Jobs RagVectorSnapshotFailed watches. */
    vectorSnapshotCronJob?: string;
    /** The client Services of PostgreSQL and Redis whose exporter sidecars Prometheus scrapes (their series' `service`). */
    exporters: { postgres?: string; redis?: string };
    thresholds: AlertThresholds;
    /** The in-cluster LLM server's Service and its alert thresholds (modelServing.alerts), when the stack serves one. */
    llm?: {
        service: string;
        statefulSet: string;
        thresholds: ModelServingAlertThresholds;
    };
}

interface Series {
    series: string;
    values: string;
}

export interface PromtoolTest {
    name: string;
    interval: string;
    input_series: Series[];
    alert_rule_test: { eval_time: string; alertname: string; exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[] }[];
}

/** One alert's pair of histories: `fire` makes it fire at `evalMinutes` with these labels, `quiet` must not. */
interface Case {
    evalMinutes: number;
    labels: Record<string, string>;
    fire: Series[];
    quiet: Series[];
}

const sel = (metric: string, labels: Record<string, string>) =>
    `${metric}{${Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(",")}}`;

/** Expands the `{{ $labels.x }}` templates the annotations use. */
function expand(text: string, labels: Record<string, string>): string {
    return text.replace(/\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, name: string) => labels[name] ?? "");
}

const minutes = (d: string) => {
    const m = /^(\d+)([smh])$/.exec(d);
    if (!m) {
        throw new Error(`unexpected duration ${d}`);
    }
    return (Number(m[1]) * { s: 1 / 60, m: 1, h: 60 }[m[2] as "s" | "m" | "h"]) as number;
};

function cases(scope: AlertScope, rule: RenderedAlert): Case {
    const ns = { namespace: scope.namespace };
    const t = scope.thresholds;
    // Run long enough for rate windows (5m) and the rule's `for` to pass, with a margin.
    const evalMinutes = Math.ceil(minutes(rule.for)) + 10;
    const n = evalMinutes + 5; // samples, one a minute
    const counter = (perMinute: number) => `0+${perMinute}x${n}`;
    const gauge = (v: number) => `${v}x${n}`;
    switch (rule.alert) {
        case "RagHighCpuAgainstLimit": {
            const c = { ...ns, pod: "rag-api-0", container: "api" };
            const limit = sel("kube_pod_container_resource_limits", { ...c, resource: "cpu" });
            const usage = sel("container_cpu_usage_seconds_total", c);
            // CPU seconds per minute: 60 × the fraction of one core in use, against a 1-core limit.
            return {
                evalMinutes,
                labels: c,
                fire: [
                    { series: usage, values: counter(60 * Math.min(1, t.cpuLimitRatio + 0.05)) },
                    { series: limit, values: gauge(1) },
                ],
                quiet: [
                    { series: usage, values: counter(60 * (t.cpuLimitRatio - 0.2)) },
                    { series: limit, values: gauge(1) },
                ],
            };
        }
        case "RagPodRestarting": {
            const c = { ...ns, pod: "rag-api-0", container: "api" };
            const restarts = sel("kube_pod_container_status_restarts_total", c);
            // increase over 5m = 5 × restarts per minute
            return {
                evalMinutes,
                labels: c,
                fire: [{ series: restarts, values: counter((t.restartsIn5m + 1) / 5) }],
                quiet: [{ series: restarts, values: counter(Math.max(0, t.restartsIn5m - 1) / 5) }],
            };
        }
        case "RagApiHighLatencyP99": {
            const api = { ...ns, service: scope.apiService, method: "POST", handler: "/v1/query" };
            // Every request of a handler in one bucket: p99 lands inside it.
            const slowBucket = t.p99LatencySeconds * 4;
            const fastBucket = t.p99LatencySeconds / 4;
            const buckets = (labels: Record<string, string>, upper: number) =>
                [fastBucket, t.p99LatencySeconds, slowBucket, "+Inf"].map((le) => ({
                    series: sel("http_request_duration_seconds_bucket", { ...labels, le: `${le}` }),
                    values: counter(typeof le === "number" && le < upper ? 0 : 10),
                }));
            // quiet: the clients' answers fast while every probe waits (a datastore down): the probes do not count
            const probes = scope.apiProbePaths.flatMap((handler) => buckets({ ...api, method: "GET", handler }, slowBucket));
            return { evalMinutes, labels: ns, fire: buckets(api, slowBucket), quiet: [...buckets(api, fastBucket), ...probes] };
        }
        case "RagApiErrorRatio": {
            const api = { ...ns, service: scope.apiService, method: "POST", handler: "/v1/query" };
            const mix = (errorShare: number) => [
                { series: sel("http_requests_total", { ...api, status: "5xx" }), values: counter(100 * errorShare) },
                { series: sel("http_requests_total", { ...api, status: "2xx" }), values: counter(100 * (1 - errorShare)) },
            ];
            // quiet: a draining pod answers its readiness probes 503: they do not count
            const draining = scope.apiProbePaths.map((handler) => ({
                series: sel("http_requests_total", { ...api, method: "GET", handler, status: "5xx" }),
                values: counter(100),
            }));
            return { evalMinutes, labels: ns, fire: mix(Math.min(1, t.errorRatio * 2)), quiet: [...mix(t.errorRatio / 2), ...draining] };
        }
        case "RagVectorIndexIncomplete": {
            const pod = { ...ns, service: scope.apiService, pod: "rag-api-0" };
            const missing = (n: number) => [{ series: sel("rag_vector_index_missing_chunks", pod), values: gauge(n) }];
            return { evalMinutes, labels: ns, fire: missing(42), quiet: missing(0) };
        }
        case "RagVolumeAlmostFull": {
            const c = { ...ns, persistentvolumeclaim: "data-rag-postgres-0" };
            const used = (ratio: number) => [
                { series: sel("kubelet_volume_stats_used_bytes", c), values: gauge(Math.round(1000 * ratio)) },
                { series: sel("kubelet_volume_stats_capacity_bytes", c), values: gauge(1000) },
            ];
            return { evalMinutes, labels: c, fire: used(Math.min(1, t.pvcUsageRatio + 0.1)), quiet: used(t.pvcUsageRatio - 0.2) };
        }
        case "RagHpaAtMaximum": {
            const c = { ...ns, horizontalpodautoscaler: scope.hpas[0] };
            const at = (current: number) => [
                { series: sel("kube_horizontalpodautoscaler_status_current_replicas", c), values: gauge(current) },
                { series: sel("kube_horizontalpodautoscaler_spec_max_replicas", c), values: gauge(10) },
            ];
            return { evalMinutes, labels: c, fire: at(10), quiet: at(9) };
        }
        case "RagPostgresDown":
        case "RagRedisDown":
        case "RagVectorStoreDown": {
            const c = { ...ns, statefulset: scope.statefulSets[rule.alert] };
            const ready = (r: number) => [{ series: sel("kube_statefulset_status_replicas_ready", c), values: gauge(r) }];
            return { evalMinutes, labels: c, fire: ready(0), quiet: ready(1) };
        }
        case "RagIndexerJobFailed":
        case "RagPostgresBackupFailed":
        case "RagVectorSnapshotFailed": {
            // A nightly run's Job (named <cronjob>-<scheduled minute>): its backoffLimit spent, nothing succeeded,
            // against a run whose first pod failed and whose retry succeeded.
            const cronJob =
                { RagIndexerJobFailed: scope.indexerCronJob, RagPostgresBackupFailed: scope.backupCronJob }[rule.alert as string] ??
                scope.vectorSnapshotCronJob;
            const c = { ...ns, job_name: `${cronJob}-29412000` };
            const pods = (failed: number, succeeded: number) => [
                { series: sel("kube_job_status_failed", c), values: gauge(failed) },
                { series: sel("kube_job_status_succeeded", c), values: gauge(succeeded) },
                { series: sel("kube_job_status_active", c), values: gauge(0) },
            ];
            return { evalMinutes, labels: c, fire: pods(4, 0), quiet: pods(1, 1) };
        }
        case "RagPostgresConnectionsNearMax": {
            const c = { ...ns, service: exporterService(scope, "postgres") };
            // postgres_exporter's series also carry the scraped pod; connections per database and state add up.
            const series = { ...c, pod: `${c.service}-0` };
            const connections = (total: number) => [
                { series: sel("pg_stat_activity_count", { ...series, datname: "rag", state: "active" }), values: gauge(Math.ceil(total / 2)) },
                { series: sel("pg_stat_activity_count", { ...series, datname: "rag", state: "idle" }), values: gauge(Math.floor(total / 2)) },
                { series: sel("pg_settings_max_connections", series), values: gauge(100) },
            ];
            const limit = Math.floor(100 * t.postgresConnectionsRatio);
            return { evalMinutes, labels: c, fire: connections(limit + 1), quiet: connections(Math.max(0, limit - 10)) };
        }
        case "RagPostgresReplicationLag": {
            const c = { ...ns, service: exporterService(scope, "postgres") };
            // scraped on the primary (pod -0 here): one series per standby, named by its application_name
            const series = (app: string) => ({ ...c, pod: `${c.service}-0`, application_name: app, client_addr: "10.0.0.2", state: "streaming" });
            const lag = (behind: number) => [
                { series: sel("pg_stat_replication_pg_wal_lsn_diff", series("rag-postgres-1")), values: gauge(behind) },
                { series: sel("pg_stat_replication_pg_wal_lsn_diff", series("rag-postgres-2")), values: gauge(0) },
            ];
            return {
                evalMinutes,
                labels: { ...c, application_name: "rag-postgres-1" },
                fire: lag(t.postgresReplicationLagBytes + 1),
                quiet: lag(Math.floor(t.postgresReplicationLagBytes / 2)),
            };
        }
        case "RagRedisMemoryNearLimit": {
            const c = { ...ns, service: exporterService(scope, "redis") };
            const series = { ...c, pod: `${c.service}-0` };
            const max = 1_000_000_000;
            const used = (ratio: number) => [
                { series: sel("redis_memory_used_bytes", series), values: gauge(Math.round(max * ratio)) },
                { series: sel("redis_memory_max_bytes", series), values: gauge(max) },
            ];
            return { evalMinutes, labels: c, fire: used(t.redisMemoryRatio + (1 - t.redisMemoryRatio) / 2), quiet: used(t.redisMemoryRatio / 2) };
        }
        case "RagRedisEvictingKeys": {
            const c = { ...ns, service: exporterService(scope, "redis") };
            const evicted = sel("redis_evicted_keys_total", { ...c, pod: `${c.service}-0` });
            // increase over 5m = 5 × evictions per minute: 50 above the threshold, or 50 below it (none at 0)
            return {
                evalMinutes,
                labels: c,
                fire: [{ series: evicted, values: counter((t.redisEvictionsIn5m + 50) / 5) }],
                quiet: [{ series: evicted, values: counter(Math.max(0, t.redisEvictionsIn5m - 50) / 5) }],
            };
        }
        case "RagLlmTimeToFirstTokenP99": {
            const { llm, ttft } = llmScope(scope);
            // Every first token in one bucket: p99 lands inside it.
            const buckets = (slow: boolean) =>
                [ttft / 4, ttft, ttft * 4, "+Inf"].map((le, i) => ({
                    series: sel("vllm:time_to_first_token_seconds_bucket", { ...llm, le: `${le}` }),
                    values: counter(slow && i < 2 ? 0 : 10),
                }));
            return { evalMinutes, labels: { namespace: llm.namespace }, fire: buckets(true), quiet: buckets(false) };
        }
        case "RagLlmRequestsWaiting": {
            const { llm, t: m } = llmScope(scope);
            const pod = { namespace: llm.namespace, pod: `${scope.llm!.statefulSet}-0` };
            const waiting = (n: number) => [{ series: sel("vllm:num_requests_waiting", { ...llm, ...pod }), values: gauge(n) }];
            return { evalMinutes, labels: pod, fire: waiting(m.requestsWaiting + 5), quiet: waiting(m.requestsWaiting - 1) };
        }
        case "RagLlmKvCacheNearlyFull": {
            const { llm, t: m } = llmScope(scope);
            const pod = { namespace: llm.namespace, pod: `${scope.llm!.statefulSet}-0` };
            const usage = (u: number) => [{ series: sel("vllm:kv_cache_usage_perc", { ...llm, ...pod }), values: gauge(u) }];
            return { evalMinutes, labels: pod, fire: usage(Math.min(1, m.kvCacheUsageRatio + 0.05)), quiet: usage(m.kvCacheUsageRatio / 2) };
        }
        case "RagGpuMemoryNearlyFull": {
            const { t: m } = llmScope(scope);
            const c = { ...ns, pod: `${scope.llm!.statefulSet}-0`, gpu: "0" };
            // Framebuffer MiB of an 80 GiB GPU: used and free add up to 81920.
            const used = (ratio: number) => [
                { series: sel("DCGM_FI_DEV_FB_USED", c), values: gauge(Math.round(81920 * ratio)) },
                { series: sel("DCGM_FI_DEV_FB_FREE", c), values: gauge(81920 - Math.round(81920 * ratio)) },
            ];
            return {
                evalMinutes,
                labels: c,
                fire: used(Math.min(1, m.gpuMemoryUsageRatio + (1 - m.gpuMemoryUsageRatio) / 2)),
                quiet: used(m.gpuMemoryUsageRatio / 2),
            };
        }
        default:
            throw new Error(`no promtool case for alert ${rule.alert}: add one to test/alerts/promtool-cases.ts`);
    }
}

/** The Service a datastore exporter alert selects; such an alert without the exporter in scope is a bug. */
function exporterService(scope: AlertScope, datastore: "postgres" | "redis"): string {
    const service = scope.exporters[datastore];
    if (service === undefined) {
        throw new Error(`a ${datastore} exporter alert was rendered but the scope has no ${datastore} exporter`);
    }
    return service;
}

/** The LLM server's series labels and thresholds; an LLM alert without an LLM server in scope is a bug. */
function llmScope(scope: AlertScope) {
    if (!scope.llm) {
        throw new Error("an LLM alert was rendered but the scope has no LLM server");
    }
    return { llm: { namespace: scope.namespace, service: scope.llm.service }, t: scope.llm.thresholds, ttft: scope.llm.thresholds.timeToFirstTokenP99Seconds };
}

/** promtool test groups: `<alert> fires` and `<alert> stays silent` for every rule. */
export function promtoolTests(scope: AlertScope, rules: RenderedAlert[]): PromtoolTest[] {
    return rules.flatMap((rule) => {
        const c = cases(scope, rule);
        const evalTime = `${c.evalMinutes}m`;
        const labels = { ...c.labels, ...rule.labels };
        const annotations = Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, expand(v, labels)]));
        return [
            {
                name: `${rule.alert} fires`,
                interval: "1m",
                input_series: c.fire,
                alert_rule_test: [{ eval_time: evalTime, alertname: rule.alert, exp_alerts: [{ exp_labels: labels, exp_annotations: annotations }] }],
            },
            {
                name: `${rule.alert} stays silent`,
                interval: "1m",
                input_series: c.quiet,
                alert_rule_test: [{ eval_time: evalTime, alertname: rule.alert, exp_alerts: [] }],
            },
        ];
    });
}
