// Observability and access config types: alert thresholds, monitoring, vertical autoscaling, local access.
// Split from types.ts, which re-exports everything here.
import type { ResourceSpec, VPA_UPDATE_MODES } from "./types";

/**
 * Each alert's `for:` in minutes by default: how long its expression must hold before it fires (0: at once).
 * `monitoring.alerts.forMinutes` overrides any of them by name, e.g. to page sooner on a small platform.
 */
export const ALERT_FOR_MINUTES = {
    RagHighCpuAgainstLimit: 15,
    RagPodRestarting: 0,
    RagApiHighLatencyP99: 10,
    RagApiErrorRatio: 5,
    RagVectorIndexIncomplete: 10,
    RagVolumeAlmostFull: 15,
    RagHpaAtMaximum: 10,
    RagPostgresDown: 2,
    RagRedisDown: 2,
    RagVectorStoreDown: 2,
    RagIndexerJobFailed: 10,
    RagPostgresBackupFailed: 10,
    RagVectorSnapshotFailed: 10,
    RagPostgresConnectionsNearMax: 5,
    RagPostgresReplicationLag: 5,
    RagRedisMemoryNearLimit: 15,
    RagRedisEvictingKeys: 10,
    RagLlmTimeToFirstTokenP99: 10,
    RagLlmRequestsWaiting: 5,
    RagLlmKvCacheNearlyFull: 10,
    RagGpuMemoryNearlyFull: 15,
} as const satisfies Record<string, number>;
/** Every alert the platform can render. */
export type AlertName = keyof typeof ALERT_FOR_MINUTES;
export const ALERT_NAMES = Object.keys(ALERT_FOR_MINUTES) as AlertName[];

export interface AlertThresholds {
    /** CPU usage as a fraction of the limit that raises RagHighCpuAgainstLimit. */
    cpuLimitRatio: number;
    /** Container restarts within 5 minutes that raise RagPodRestarting. */
    restartsIn5m: number;
    /** p99 API latency, seconds. */
    p99LatencySeconds: number;
    /** Fraction of API responses that are 5xx. */
    errorRatio: number;
    /** Fraction of a volume in use. */
    pvcUsageRatio: number;
    /** PostgreSQL client connections as a fraction of max_connections that raises RagPostgresConnectionsNearMax. */
    postgresConnectionsRatio: number;
    /** WAL bytes a PostgreSQL standby may be behind the primary in replay before RagPostgresReplicationLag (postgres.mode ha). */
    postgresReplicationLagBytes: number;
    /** Redis memory in use as a fraction of its maxmemory that raises RagRedisMemoryNearLimit. */
    redisMemoryRatio: number;
    /** Keys Redis evicted within 5 minutes above which RagRedisEvictingKeys fires (0: any eviction). */
    redisEvictionsIn5m: number;
    /** Minutes each alert's expression must hold before it fires (its `for:`), by alert name; ALERT_FOR_MINUTES by default. */
    forMinutes: Record<AlertName, number>;
}
export const ALERT_KEYS = [
    "cpuLimitRatio",
    "restartsIn5m",
    "p99LatencySeconds",
    "errorRatio",
    "pvcUsageRatio",
    "postgresConnectionsRatio",
    "postgresReplicationLagBytes",
    "redisMemoryRatio",
    "redisEvictionsIn5m",
    "forMinutes",
] as const satisfies readonly (keyof AlertThresholds)[];

/**
 * The datastore exporters, sidecars of the in-cluster PostgreSQL and Redis whenever monitoring is on:
 * prometheus-community's postgres_exporter and oliver006's redis_exporter.
 */
export interface DatastoreExportersConfig {
    /**
     * Render the sidecars (with `monitoring.enabled`). Off where their images cannot be had, e.g. an
     * air-gapped cluster without a mirror of them: no exporter metrics, alerts or panels then.
     */
    enabled: boolean;
    /** postgres_exporter's image (pinned). */
    postgresImage: string;
    /** redis_exporter's image (pinned). */
    redisImage: string;
    /** Requests and limits of each exporter container. */
    resources: ResourceSpec;
}
export const DATASTORE_EXPORTERS_KEYS = ["enabled", "postgresImage", "redisImage", "resources"] as const satisfies readonly (keyof DatastoreExportersConfig)[];

export interface MonitoringConfig {
    enabled: boolean;
    /** Namespace Prometheus runs in: allowed through the NetworkPolicies to scrape metrics ports. */
    prometheusNamespace: string;
    /** Labels Prometheus' serviceMonitorSelector and ruleSelector match (kube-prometheus-stack: release=<release>). */
    selectorLabels: Record<string, string>;
    scrapeInterval: string;
    /** Ship the Grafana dashboard ConfigMap (label grafana_dashboard: "1"). */
    dashboard: boolean;
    alerts: AlertThresholds;
    /** The in-cluster PostgreSQL's and Redis' exporter sidecars (rendered only with `enabled`). */
    exporters: DatastoreExportersConfig;
}
/** Defaults of every environment (prod turns `enabled` on); the exporter images come from images.ts' IMAGES. */
export function monitoringDefaults(images: Pick<DatastoreExportersConfig, "postgresImage" | "redisImage">): MonitoringConfig {
    return {
        enabled: false,
        prometheusNamespace: "monitoring",
        selectorLabels: { release: "kube-prometheus-stack" },
        scrapeInterval: "30s",
        dashboard: true,
        alerts: {
            cpuLimitRatio: 0.9,
            restartsIn5m: 3,
            p99LatencySeconds: 2,
            errorRatio: 0.05,
            pvcUsageRatio: 0.8,
            postgresConnectionsRatio: 0.8,
            // four WAL segments: a standby that far behind for minutes is not keeping up (a failover to it waits)
            postgresReplicationLagBytes: 64 * 1024 * 1024,
            redisMemoryRatio: 0.9,
            redisEvictionsIn5m: 100,
            forMinutes: { ...ALERT_FOR_MINUTES },
        },
        // An exporter uses a few MiB and little CPU (each scrape runs a handful of queries / one INFO).
        exporters: { enabled: true, ...images, resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "128Mi" } } },
    };
}

/** Whether the in-cluster PostgreSQL and Redis run their exporter sidecars: monitoring on, exporters not turned off. */
export const exportersEnabled = (m: Pick<MonitoringConfig, "enabled" | "exporters">): boolean => m.enabled && m.exporters.enabled;

export const MONITORING_KEYS = [
    "enabled",
    "prometheusNamespace",
    "selectorLabels",
    "scrapeInterval",
    "dashboard",
    "alerts",
    "exporters",
] as const satisfies readonly (keyof MonitoringConfig)[];

export interface VerticalAutoscalingConfig {
    enabled: boolean;
    /** "Off" only recommends; any other mode lets the VPA change requests. */
    updateMode: (typeof VPA_UPDATE_MODES)[number];
}
export const VERTICAL_AUTOSCALING_KEYS = ["enabled", "updateMode"] as const satisfies readonly (keyof VerticalAutoscalingConfig)[];

export interface LocalAccessConfig {
    /** NodePort Services for the API and frontend (kind/minikube without an ingress controller). Never in prod. */
    enabled: boolean;
    apiNodePort: number;
    frontendNodePort: number;
}
export const LOCAL_ACCESS_KEYS = ["enabled", "apiNodePort", "frontendNodePort"] as const satisfies readonly (keyof LocalAccessConfig)[];
