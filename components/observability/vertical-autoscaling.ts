import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { VerticalAutoscalingConfig } from "../config";
import { Identity, metadata, objectName } from "../shared";

export interface VpaTarget {
    identity: Identity;
    kind: "Deployment" | "StatefulSet";
    name: pulumi.Input<string>;
}

export interface VerticalAutoscalingArgs {
    identity: Identity;
    config: VerticalAutoscalingConfig;
    targets: VpaTarget[];
}

/**
 * One VerticalPodAutoscaler (autoscaling.k8s.io/v1, needs the VPA CRDs and recommender) per workload.
 * Recommendation mode ("Off") by default; config validation refuses an acting mode next to an HPA.
 */
export class VerticalAutoscaling extends pulumi.ComponentResource {
    constructor(name: string, args: VerticalAutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:VerticalAutoscaling", name, {}, opts);
        for (const target of args.targets) {
            const { identity } = target;
            new k8s.apiextensions.CustomResource(
                `${name}-${identity.component}`,
                {
                    apiVersion: "autoscaling.k8s.io/v1",
                    kind: "VerticalPodAutoscaler",
                    metadata: metadata(identity, objectName(identity)),
                    spec: {
                        targetRef: { apiVersion: "apps/v1", kind: target.kind, name: target.name },
                        updatePolicy: { updateMode: args.config.updateMode },
                        resourcePolicy: { containerPolicies: [{ containerName: "*", controlledResources: ["cpu", "memory"] }] },
                    },
                },
                { parent: this },
            );
        }
        this.registerOutputs({});
    }
}
