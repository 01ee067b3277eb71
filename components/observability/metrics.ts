// The metrics contract between the platform and its monitoring: what the RAG API exposes on /metrics
// (Prometheus client conventions) and what kube-prometheus-stack's kube-state-metrics, cAdvisor and
// kubelet provide. Alerts, dashboard and the HPA's Pods metric all name metrics through this module.

/** Exposed by the RAG API (and the frontend) on /metrics. */
export const APP_METRICS = {
    /** Histogram of request latency, labels: method, handler, status ("2xx", "5xx", ...). */
    requestDuration: "http_request_duration_seconds",
    /** Counter of requests, labels: method, handler, status. */
    requestsTotal: "http_requests_total",
    /** Gauge of queued RAG requests per pod; the HPA's optional Pods metric via Prometheus Adapter. */
    queueLength: "rag_queue_length",
    /** Gauge per API pod: chunks PostgreSQL holds that the active vector collection lacks (app/src/lib/service.ts indexStatus). */
    vectorIndexMissing: "rag_vector_index_missing_chunks",
} as const;

/** From the cluster's monitoring stack (kube-state-metrics, cAdvisor, kubelet). */
export const CLUSTER_METRICS = {
    cpuUsage: "container_cpu_usage_seconds_total",
    memoryWorkingSet: "container_memory_working_set_bytes",
    resourceLimits: "kube_pod_container_resource_limits",
    resourceRequests: "kube_pod_container_resource_requests",
    restarts: "kube_pod_container_status_restarts_total",
    hpaCurrentReplicas: "kube_horizontalpodautoscaler_status_current_replicas",
    hpaMinReplicas: "kube_horizontalpodautoscaler_spec_min_replicas",
    hpaMaxReplicas: "kube_horizontalpodautoscaler_spec_max_replicas",
    statefulSetReadyReplicas: "kube_statefulset_status_replicas_ready",
    /** Pods of a Job that failed / succeeded / are running (kube-state-metrics, label job_name). */
    jobFailedPods: "kube_job_status_failed",
    jobSucceededPods: "kube_job_status_succeeded",
    jobActivePods: "kube_job_status_active",
    volumeUsed: "kubelet_volume_stats_used_bytes",
    volumeCapacity: "kubelet_volume_stats_capacity_bytes",
} as const;

/** Exposed by the model servers on /metrics: vLLM (v0.11, V1 engine) and text-embeddings-inference. */
export const MODEL_METRICS = {
    /** Gauge: requests queued in a vLLM replica; the inference HPA's Pods metric. */
    llmRequestsWaiting: "vllm:num_requests_waiting",
    /** Gauge: requests being generated. */
    llmRequestsRunning: "vllm:num_requests_running",
    /** Histogram: time to first token, seconds. */
    llmTimeToFirstToken: "vllm:time_to_first_token_seconds",
    /** Gauge: KV-cache usage, 1 = full (replaces the deprecated vllm:gpu_cache_usage_perc). */
    llmKvCacheUsage: "vllm:kv_cache_usage_perc",
    /** Counter: generated tokens. */
    llmGenerationTokens: "vllm:generation_tokens_total",
    /** Gauge: requests queued in a TEI replica. */
    teiQueueSize: "te_queue_size",
    /** Histogram: TEI request duration, seconds. */
    teiRequestDuration: "te_request_duration",
} as const;

/**
 * From the datastores' exporters (postgres_exporter, redis_exporter), sidecars of the in-cluster PostgreSQL and
 * Redis; every series carries the `service` label of the datastore's client Service the ServiceMonitor scrapes.
 */
export const DATASTORE_METRICS = {
    /** Gauge: backends per database and state (pg_stat_activity; client connections, not background workers). */
    postgresConnections: "pg_stat_activity_count",
    /** Gauge: the server's max_connections setting (pg_settings). */
    postgresMaxConnections: "pg_settings_max_connections",
    /** Gauge: on the primary, per standby (pg_stat_replication, its application_name), WAL bytes not yet replayed there. */
    postgresReplicationLag: "pg_stat_replication_pg_wal_lsn_diff",
    /** Gauge: memory Redis has allocated (INFO memory used_memory), bytes. */
    redisMemoryUsed: "redis_memory_used_bytes",
    /** Gauge: Redis' maxmemory, bytes (0: no limit). */
    redisMemoryMax: "redis_memory_max_bytes",
    /** Counter: keys evicted because of maxmemory (INFO stats evicted_keys). */
    redisEvictedKeys: "redis_evicted_keys_total",
} as const;

/** From NVIDIA's DCGM exporter (GPU operator), when present; pod-mapped series carry the pod's namespace. */
export const GPU_METRICS = {
    /** Framebuffer memory used, MiB. */
    framebufferUsed: "DCGM_FI_DEV_FB_USED",
    /** Framebuffer memory free, MiB. */
    framebufferFree: "DCGM_FI_DEV_FB_FREE",
    /** GPU utilisation, percent. */
    utilization: "DCGM_FI_DEV_GPU_UTIL",
} as const;

/** The objects the monitoring refers to, by their Kubernetes names. */
export interface MonitoredNames {
    namespace: string;
    /** Name of the API's Service: Prometheus' `service` label on its series. */
    apiService: string;
    /**
     * The API's probe and scrape paths (its series' `handler`): what the kubelet and Prometheus call, left out of
     * the request alerts and panels, so a readiness probe that waits on a down datastore, or a draining pod's 503
     * to it, is not read as a slow or failing API.
     */
    apiInternalPaths?: readonly string[];
    /** HPA names (empty when autoscaling is off). */
    hpas: string[];
    /** StatefulSet names of the in-cluster datastores, by role (an external one is absent: not ours to watch). */
    datastores: { postgres?: string; redis?: string; vectorStore?: string };
    /** The client Services whose exporter Prometheus scrapes (its series' `service` label); absent without an exporter. */
    exporters?: { postgres?: string; redis?: string };
    /** PostgreSQL's standbys (postgres.mode ha: instances - 1), each streaming from the primary; 0 or absent: none. */
    postgresStandbys?: number;
    /** The indexer's CronJob (its Jobs are `<name>-<minute>`); undefined without a schedule. */
    indexerCronJob?: string;
    /** The PostgreSQL backup's CronJob (its Jobs are `<name>-<minute>`); undefined with backup.enabled false. */
    backupCronJob?: string;
    /** The Qdrant snapshot CronJob; undefined without backups or with another engine. */
    vectorSnapshotCronJob?: string;
    /** The in-cluster LLM server's Service and StatefulSet, when there is one. */
    llm?: { service: string; statefulSet: string };
}

/** A label matcher for the platform's namespace. */
export const inNamespace = (names: MonitoredNames) => `namespace="${names.namespace}"`;
/** A regular expression (RE2, as PromQL's =~ anchors it) matching exactly these strings. */
const anyOf = (values: readonly string[]) => values.map((v) => v.replace(/[\\.+*?()|[\]{}^$]/g, "\\\\$&")).join("|");
/** Label matchers for the API's request series: its clients' requests (apiInternalPaths aside). */
export const apiSeries = (names: MonitoredNames) =>
    `${inNamespace(names)}, service="${names.apiService}"${names.apiInternalPaths?.length ? `, handler!~"${anyOf(names.apiInternalPaths)}"` : ""}`;
/**
 * Label matchers for the in-cluster LLM server: its request series (by Service) and DCGM's pod-mapped GPU
 * series (by StatefulSet pod name; the GPU operator's ServiceMonitor keeps the pod's labels: honorLabels).
 */
export const llmSeries = (names: MonitoredNames, llm: { service: string; statefulSet: string }) => ({
    server: `${inNamespace(names)}, service="${llm.service}"`,
    gpuPods: `${inNamespace(names)}, pod=~"${llm.statefulSet}-[0-9]+"`,
});
