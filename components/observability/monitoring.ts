import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { alertRules } from "./alerts";
import type { ModelServingAlertThresholds, MonitoringConfig } from "../config";
import { platformDashboard } from "./dashboard";
import { datastoreAlertRules } from "./datastore-alerts";
import type { MonitoredNames } from "./metrics";
import { modelServingAlertRules } from "./model-serving-alerts";
import { HEADLESS_LABEL, Identity, labels, metadata, selectorLabels, objectName } from "../shared";
import type { ScrapeTarget } from "../shared";

export interface PlatformMonitoringArgs {
    identity: Identity;
    config: MonitoringConfig;
    targets: ScrapeTarget[];
    names: MonitoredNames;
    /** Thresholds of the model-serving alerts (rendered when names.llm is set). */
    modelServingAlerts?: ModelServingAlertThresholds;
}

/**
 * A scrape's timeout: 10 s, or the interval when that is shorter. The Prometheus Operator rejects a ServiceMonitor
 * whose timeout exceeds its interval (its event InvalidConfiguration; nothing of it is scraped).
 */
export function scrapeTimeout(interval: string): string {
    const seconds = Number(interval.slice(0, -1)) * (interval.endsWith("m") ? 60 : 1);
    return seconds < 10 ? interval : "10s";
}

/**
 * Prometheus Operator objects (ServiceMonitors, a PrometheusRule) and the Grafana dashboard ConfigMap.
 * The custom resources need the Prometheus Operator's CRDs (kube-prometheus-stack); the component exists
 * only when `monitoring.enabled` is true.
 */
export class PlatformMonitoring extends pulumi.ComponentResource {
    readonly serviceMonitors: pulumi.Output<string>[] = [];
    readonly ruleName: pulumi.Output<string>;

    constructor(name: string, args: PlatformMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:PlatformMonitoring", name, {}, opts);
        const { identity, config } = args;
        // kube-prometheus-stack selects ServiceMonitors and rules by its release label.
        const meta = (k8sName: string, id: Identity = identity) => ({
            ...metadata(id, k8sName),
            labels: { ...labels(id), ...config.selectorLabels },
        });

        for (const target of args.targets) {
            const component = target.identity.component;
            const sm = new k8s.apiextensions.CustomResource(
                `${name}-${component}-servicemonitor`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "ServiceMonitor",
                    metadata: meta(objectName(target.identity), target.identity),
                    spec: {
                        selector: {
                            matchLabels: selectorLabels(target.identity),
                            matchExpressions: [{ key: HEADLESS_LABEL, operator: "DoesNotExist" }],
                        },
                        namespaceSelector: { matchNames: [args.names.namespace] },
                        endpoints: [
                            {
                                port: target.portName,
                                path: target.path,
                                interval: config.scrapeInterval,
                                scrapeTimeout: scrapeTimeout(config.scrapeInterval),
                                ...(target.bearerToken
                                    ? { authorization: { type: "Bearer", credentials: { name: target.bearerToken.secretName, key: target.bearerToken.key } } }
                                    : {}),
                            },
                        ],
                    },
                },
                { parent: this },
            );
            this.serviceMonitors.push(sm.metadata.name);
        }

        const rule = new k8s.apiextensions.CustomResource(
            `${name}-rules`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: meta(objectName(identity.instance, "alerts")),
                spec: {
                    groups: [
                        {
                            name: "rag-platform.rules",
                            rules: [
                                ...alertRules(args.names, config.alerts),
                                ...datastoreAlertRules(args.names, config.alerts),
                                ...(args.modelServingAlerts ? modelServingAlertRules(args.names, args.modelServingAlerts, config.alerts.forMinutes) : []),
                            ],
                        },
                    ],
                },
            },
            { parent: this },
        );
        this.ruleName = rule.metadata.name;

        if (config.dashboard) {
            new k8s.core.v1.ConfigMap(
                `${name}-dashboard`,
                {
                    metadata: { ...metadata(identity, objectName(identity.instance, "dashboard")), labels: { ...labels(identity), grafana_dashboard: "1" } },
                    data: { "rag-platform.json": JSON.stringify(platformDashboard(args.names), null, 2) },
                },
                { parent: this },
            );
        }
        this.registerOutputs({ serviceMonitors: this.serviceMonitors, ruleName: this.ruleName });
    }
}
