// What operators see of the platform: the monitoring contract (metric names every query uses), the Prometheus
// Operator objects (ServiceMonitors, alert rules, the dashboard ConfigMap) and the VerticalPodAutoscalers'
// recommendations. Imports only ../shared and ../config.
//
//   monitoring.ts            PlatformMonitoring: ServiceMonitors, PrometheusRules, the Grafana dashboard
//   metrics.ts               the monitoring contract: metric and series names (app, cluster, model servers, GPU)
//   alerts.ts                the platform's alert rules and thresholds
//   datastore-alerts.ts      PostgreSQL and Redis alerts from their exporters (connections, memory, evictions)
//   model-serving-alerts.ts  LLM alerts (time to first token, queue, KV cache, GPU memory)
//   dashboard.ts             the typed Grafana dashboard
//   vertical-autoscaling.ts  VerticalAutoscaling: a VerticalPodAutoscaler per workload
export * from "./monitoring";
export * from "./metrics";
export * from "./alerts";
export * from "./datastore-alerts";
export * from "./model-serving-alerts";
export * from "./dashboard";
export * from "./vertical-autoscaling";
