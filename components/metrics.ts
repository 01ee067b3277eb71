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

/** The objects the monitoring refers to, by their Kubernetes names. */
export interface MonitoredNames {
    namespace: string;
    /** Name of the API's Service: Prometheus' `service` label on its series. */
    apiService: string;
    /** HPA names (empty when autoscaling is off). */
    hpas: string[];
    /** StatefulSet names of the datastores, by role. */
    datastores: { postgres: string; redis: string; vectorStore: string };
    /** The indexer's CronJob (its Jobs are `<name>-<minute>`); undefined without a schedule. */
    indexerCronJob?: string;
}

/** A label matcher for the platform's namespace. */
export const inNamespace = (names: MonitoredNames) => `namespace="${names.namespace}"`;
/** Label matchers for the API's request series. */
export const apiSeries = (names: MonitoredNames) => `${inNamespace(names)}, service="${names.apiService}"`;
