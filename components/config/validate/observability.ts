// Validators of monitoring, vertical autoscaling and local access (NodePorts).
import type { Checker } from "../checker";
import { isPlainObject } from "../defaults";
import { checkResources } from "./shared";
import {
    ALERT_KEYS,
    ALERT_NAMES,
    DATASTORE_EXPORTERS_KEYS,
    LOCAL_ACCESS_KEYS,
    MONITORING_KEYS,
    PlatformConfig,
    VERTICAL_AUTOSCALING_KEYS,
    VPA_UPDATE_MODES,
} from "../types";

export function validateMonitoring(check: Checker, cfg: PlatformConfig): void {
    const m = cfg.monitoring;
    check.unknownKeys("monitoring", m, MONITORING_KEYS);
    check.bool("monitoring.enabled", m.enabled);
    check.dnsLabel("monitoring.prometheusNamespace", m.prometheusNamespace, "a namespace name");
    check.labelMap("monitoring.selectorLabels", m.selectorLabels);
    check.string("monitoring.scrapeInterval", m.scrapeInterval, /^[1-9]\d*(s|m)$/, `must be a Prometheus duration such as "30s" or "1m"`);
    check.bool("monitoring.dashboard", m.dashboard);
    const a = m.alerts;
    check.unknownKeys("monitoring.alerts", a, ALERT_KEYS);
    check.number("monitoring.alerts.cpuLimitRatio", a?.cpuLimitRatio, 0.01, 1);
    check.int("monitoring.alerts.restartsIn5m", a?.restartsIn5m, 1, 1000);
    check.number("monitoring.alerts.p99LatencySeconds", a?.p99LatencySeconds, 0.001, 600);
    check.number("monitoring.alerts.errorRatio", a?.errorRatio, 0.0001, 1);
    check.number("monitoring.alerts.pvcUsageRatio", a?.pvcUsageRatio, 0.01, 1);
    check.number("monitoring.alerts.postgresConnectionsRatio", a?.postgresConnectionsRatio, 0.01, 1);
    check.int("monitoring.alerts.postgresReplicationLagBytes", a?.postgresReplicationLagBytes, 1024 * 1024, 1024 ** 4);
    check.number("monitoring.alerts.redisMemoryRatio", a?.redisMemoryRatio, 0.01, 1);
    check.int("monitoring.alerts.redisEvictionsIn5m", a?.redisEvictionsIn5m, 0, 1_000_000_000);
    check.unknownKeys("monitoring.alerts.forMinutes", a?.forMinutes, ALERT_NAMES);
    if (isPlainObject(a?.forMinutes)) {
        for (const name of ALERT_NAMES) {
            check.int(`monitoring.alerts.forMinutes.${name}`, a.forMinutes[name], 0, 1440);
        }
    }
    const e = m.exporters;
    check.unknownKeys("monitoring.exporters", e, DATASTORE_EXPORTERS_KEYS);
    check.bool("monitoring.exporters.enabled", e.enabled);
    check.image("monitoring.exporters.postgresImage", e.postgresImage);
    check.image("monitoring.exporters.redisImage", e.redisImage);
    checkResources(check, "monitoring.exporters.resources", e.resources);
}

export function validateVerticalAutoscaling(check: Checker, cfg: PlatformConfig): void {
    const v = cfg.verticalAutoscaling;
    check.unknownKeys("verticalAutoscaling", v, VERTICAL_AUTOSCALING_KEYS);
    check.bool("verticalAutoscaling.enabled", v.enabled);
    check.oneOf("verticalAutoscaling.updateMode", v.updateMode, VPA_UPDATE_MODES);
    // A VPA that changes CPU/memory requests fights an HPA that scales on CPU/memory utilisation of those requests.
    for (const svc of ["api", "frontend"] as const) {
        if (v.enabled === true && v.updateMode !== "Off" && cfg[svc].autoscaling.enabled === true) {
            check.fail(
                "verticalAutoscaling.updateMode",
                v.updateMode,
                `must be "Off" (recommendations only) while ${svc}.autoscaling is enabled: the HPA scales on CPU and memory, the metrics a VPA would change`,
            );
        }
    }
}

export function validateLocalAccess(check: Checker, cfg: PlatformConfig): void {
    const l = cfg.localAccess;
    check.unknownKeys("localAccess", l, LOCAL_ACCESS_KEYS);
    check.bool("localAccess.enabled", l.enabled);
    check.int("localAccess.apiNodePort", l.apiNodePort, 30000, 32767);
    check.int("localAccess.frontendNodePort", l.frontendNodePort, 30000, 32767);
    if (l.apiNodePort === l.frontendNodePort) {
        check.fail("localAccess.frontendNodePort", l.frontendNodePort, "must differ from localAccess.apiNodePort");
    }
    if (cfg.environment === "prod" && l.enabled === true) {
        check.fail("localAccess.enabled", l.enabled, "must be false in prod: NodePorts bypass the ingress, its TLS and its rate limits");
    }
}
