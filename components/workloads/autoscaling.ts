import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AutoscalingConfig } from "../config";
import { Identity, metadata, selectorLabels, objectName } from "../shared";

export interface AutoscalingArgs {
    identity: Identity;
    /** Name of the Deployment to scale and protect. */
    deploymentName: pulumi.Input<string>;
    autoscaling: AutoscalingConfig;
}

/**
 * Availability of a Deployment: a PodDisruptionBudget always (voluntary evictions take one pod at a time,
 * unhealthy pods may always be evicted so a broken rollout cannot block node drains), and an autoscaling/v2
 * HorizontalPodAutoscaler on CPU and memory (plus an optional Pods metric) when enabled.
 */
export class Autoscaling extends pulumi.ComponentResource {
    readonly hpaName?: pulumi.Output<string>;
    readonly pdbName: pulumi.Output<string>;

    constructor(name: string, args: AutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:Autoscaling", name, {}, opts);
        const { identity, autoscaling } = args;
        const k8sName = objectName(identity);

        const pdb = new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            {
                metadata: metadata(identity, k8sName),
                spec: {
                    maxUnavailable: 1,
                    unhealthyPodEvictionPolicy: "AlwaysAllow",
                    selector: { matchLabels: selectorLabels(identity) },
                },
            },
            { parent: this },
        );
        this.pdbName = pdb.metadata.name;

        if (autoscaling.enabled) {
            const metrics: k8s.types.input.autoscaling.v2.MetricSpec[] = [
                { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: autoscaling.cpuUtilization } } },
                { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: autoscaling.memoryUtilization } } },
            ];
            if (autoscaling.podsMetric) {
                metrics.push({
                    type: "Pods",
                    pods: {
                        metric: { name: autoscaling.podsMetric.name },
                        target: { type: "AverageValue", averageValue: autoscaling.podsMetric.targetAverageValue },
                    },
                });
            }
            const hpa = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                `${name}-hpa`,
                {
                    metadata: metadata(identity, k8sName),
                    spec: {
                        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: args.deploymentName },
                        minReplicas: autoscaling.minReplicas,
                        maxReplicas: autoscaling.maxReplicas,
                        metrics,
                        // From config (`<service>.autoscaling.behavior`); defaults and their sources in config/defaults.ts.
                        behavior: autoscaling.behavior,
                    },
                },
                { parent: this },
            );
            this.hpaName = hpa.metadata.name;
        }
        this.registerOutputs({ pdbName: this.pdbName, hpaName: this.hpaName });
    }
}
