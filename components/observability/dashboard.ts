// The platform's Grafana dashboard, built from typed panels (not a pasted JSON blob). Grafana's dashboard
// sidecar loads it from a ConfigMap labelled grafana_dashboard: "1".
import {
    APP_METRICS as APP,
    apiSeries,
    CLUSTER_METRICS as K,
    DATASTORE_METRICS as D,
    GPU_METRICS as GPU,
    inNamespace,
    llmSeries,
    MODEL_METRICS as M,
    MonitoredNames,
} from "./metrics";

export interface Target {
    expr: string;
    legendFormat: string;
    refId: string;
}

export interface Panel {
    id: number;
    title: string;
    type: "timeseries" | "stat";
    gridPos: { x: number; y: number; w: number; h: number };
    datasource: { type: "prometheus"; uid: "${datasource}" };
    fieldConfig: { defaults: { unit: string }; overrides: [] };
    targets: Target[];
}

export interface Dashboard {
    uid: string;
    title: string;
    tags: string[];
    timezone: "browser";
    schemaVersion: number;
    refresh: string;
    time: { from: string; to: string };
    templating: { list: { name: string; type: "datasource"; query: "prometheus"; label: string }[] };
    panels: Panel[];
}

type PanelSpec = { title: string; unit: string; type?: Panel["type"]; targets: [expr: string, legend: string][] };

export function platformDashboard(names: MonitoredNames): Dashboard {
    const ns = inNamespace(names);
    const api = apiSeries(names);
    const byContainer = (metric: string) => `sum by (pod, container) (${metric})`;
    const specs: PanelSpec[] = [
        { title: "API request rate", unit: "reqps", targets: [[`sum by (status) (rate(${APP.requestsTotal}{${api}}[5m]))`, "{{status}}"]] },
        {
            title: "API latency p50 / p99",
            unit: "s",
            targets: [
                [`histogram_quantile(0.50, sum by (le) (rate(${APP.requestDuration}_bucket{${api}}[5m])))`, "p50"],
                [`histogram_quantile(0.99, sum by (le) (rate(${APP.requestDuration}_bucket{${api}}[5m])))`, "p99"],
            ],
        },
        {
            title: "API error ratio (5xx)",
            unit: "percentunit",
            // `or vector(0)`: 0, not "no data", while the API serves and nothing failed (no 5xx series exists yet)
            targets: [[`(sum(rate(${APP.requestsTotal}{${api}, status=~"5.."}[5m])) or vector(0)) / sum(rate(${APP.requestsTotal}{${api}}[5m]))`, "5xx ratio"]],
        },
        {
            title: "Replicas vs HPA bounds",
            unit: "short",
            targets: [
                [`${K.hpaCurrentReplicas}{${ns}}`, "{{horizontalpodautoscaler}} current"],
                [`${K.hpaMinReplicas}{${ns}}`, "{{horizontalpodautoscaler}} min"],
                [`${K.hpaMaxReplicas}{${ns}}`, "{{horizontalpodautoscaler}} max"],
            ],
        },
        {
            title: "CPU vs requests and limits",
            unit: "cores",
            targets: [
                [byContainer(`rate(${K.cpuUsage}{${ns}, container!=""}[5m])`), "{{pod}}/{{container}} used"],
                [byContainer(`${K.resourceRequests}{${ns}, resource="cpu"}`), "{{pod}}/{{container}} request"],
                [byContainer(`${K.resourceLimits}{${ns}, resource="cpu"}`), "{{pod}}/{{container}} limit"],
            ],
        },
        {
            title: "Memory vs requests and limits",
            unit: "bytes",
            targets: [
                [byContainer(`${K.memoryWorkingSet}{${ns}, container!=""}`), "{{pod}}/{{container}} working set"],
                [byContainer(`${K.resourceRequests}{${ns}, resource="memory"}`), "{{pod}}/{{container}} request"],
                [byContainer(`${K.resourceLimits}{${ns}, resource="memory"}`), "{{pod}}/{{container}} limit"],
            ],
        },
        {
            title: "Datastore health (ready replicas)",
            unit: "short",
            type: "stat",
            targets: Object.values(names.datastores)
                .filter((s): s is string => s !== undefined)
                .map((s) => [`${K.statefulSetReadyReplicas}{${ns}, statefulset="${s}"}`, s] as [string, string]),
        },
        {
            title: "RAG queue length per pod",
            unit: "short",
            targets: [[`${APP.queueLength}{${api}}`, "{{pod}}"]],
        },
        ...datastorePanels(names),
        ...modelServingPanels(names),
    ];
    return {
        uid: `rag-${names.namespace}`.slice(0, 40),
        title: `RAG platform (${names.namespace})`,
        tags: ["rag-platform"],
        timezone: "browser",
        schemaVersion: 39,
        refresh: "30s",
        time: { from: "now-6h", to: "now" },
        templating: { list: [{ name: "datasource", type: "datasource", query: "prometheus", label: "Data source" }] },
        panels: specs.map((spec, i) => ({
            id: i + 1,
            title: spec.title,
            type: spec.type ?? "timeseries",
            gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
            datasource: { type: "prometheus", uid: "${datasource}" },
            fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
            targets: spec.targets.map(([expr, legendFormat], j) => ({ expr, legendFormat, refId: String.fromCharCode(65 + j) })),
        })),
    };
}

/** PostgreSQL's and Redis' panels, from their exporters (in-cluster datastores with monitoring on). */
function datastorePanels(names: MonitoredNames): PanelSpec[] {
    const series = (service: string) => `${inNamespace(names)}, service="${service}"`;
    const { postgres, redis } = names.exporters ?? {};
    const panels: PanelSpec[] = [];
    if (postgres !== undefined) {
        panels.push({
            title: "PostgreSQL connections vs max_connections",
            unit: "short",
            targets: [
                [`sum by (state) (${D.postgresConnections}{${series(postgres)}})`, "{{state}}"],
                [`max(${D.postgresMaxConnections}{${series(postgres)}})`, "max_connections"],
            ],
        });
    }
    if (redis !== undefined) {
        panels.push(
            {
                title: "Redis memory vs maxmemory",
                unit: "bytes",
                targets: [
                    [`${D.redisMemoryUsed}{${series(redis)}}`, "used"],
                    [`${D.redisMemoryMax}{${series(redis)}}`, "maxmemory"],
                ],
            },
            { title: "Redis evicted keys per second", unit: "short", targets: [[`sum(rate(${D.redisEvictedKeys}{${series(redis)}}[5m]))`, "evicted"]] },
        );
    }
    return panels;
}

/** LLM and embedding panels, when the platform serves an LLM in the cluster. */
function modelServingPanels(names: MonitoredNames): PanelSpec[] {
    if (!names.llm) {
        return [];
    }
    const { server: llm, gpuPods } = llmSeries(names, names.llm);
    return [
        {
            title: "LLM time to first token p50 / p99",
            unit: "s",
            targets: [
                [`histogram_quantile(0.50, sum by (le) (rate(${M.llmTimeToFirstToken}_bucket{${llm}}[5m])))`, "p50"],
                [`histogram_quantile(0.99, sum by (le) (rate(${M.llmTimeToFirstToken}_bucket{${llm}}[5m])))`, "p99"],
            ],
        },
        {
            title: "LLM requests waiting / running per pod",
            unit: "short",
            targets: [
                [`${M.llmRequestsWaiting}{${llm}}`, "{{pod}} waiting"],
                [`${M.llmRequestsRunning}{${llm}}`, "{{pod}} running"],
            ],
        },
        { title: "LLM KV-cache usage", unit: "percentunit", targets: [[`${M.llmKvCacheUsage}{${llm}}`, "{{pod}}"]] },
        { title: "LLM generated tokens per second", unit: "short", targets: [[`sum by (pod) (rate(${M.llmGenerationTokens}{${llm}}[5m]))`, "{{pod}}"]] },
        {
            title: "GPU memory used (DCGM)",
            unit: "percentunit",
            targets: [
                [`${GPU.framebufferUsed}{${gpuPods}} / (${GPU.framebufferUsed}{${gpuPods}} + ${GPU.framebufferFree}{${gpuPods}})`, "{{pod}} GPU {{gpu}}"],
            ],
        },
        { title: "Embedding queue per pod (TEI)", unit: "short", targets: [[`${M.teiQueueSize}{${inNamespace(names)}}`, "{{service}} {{pod}}"]] },
    ];
}
