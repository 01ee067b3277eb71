// Observability and access config types: alert thresholds, monitoring, vertical autoscaling, local access.
// Split from types.ts, which re-exports everything here.
import type { VPA_UPDATE_MODES } from "./types";

export interface AlertThresholds {
    /** CPU usage as a fraction of the limit that raises RagHighCpuAgainstLimit. */
    cpuLimitRatio: number;
    /** Container restarts within 5 minutes that raise RagPodRestarting. */
    restartsIn5m: number;
    /** Minutes an HPA may sit at its maximum before RagHpaAtMaximum. */
    hpaAtMaxMinutes: number;
    /** p99 API latency, seconds. */
    p99LatencySeconds: number;
    /** Fraction of API responses that are 5xx. */
    errorRatio: number;
    /** Fraction of a volume in use. */
    pvcUsageRatio: number;
}
export const ALERT_KEYS = [
    "cpuLimitRatio",
    "restartsIn5m",
    "hpaAtMaxMinutes",
    "p99LatencySeconds",
    "errorRatio",
    "pvcUsageRatio",
] as const satisfies readonly (keyof AlertThresholds)[];

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
}
export const MONITORING_KEYS = [
    "enabled",
    "prometheusNamespace",
    "selectorLabels",
    "scrapeInterval",
    "dashboard",
    "alerts",
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
