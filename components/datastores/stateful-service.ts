import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    ContainerArgs,
    Identity,
    labels,
    metadata,
    pod,
    RunAs,
    selectorLabels,
    serviceAccount,
    objectName,
    podAnnotations,
    serviceAccountAnnotations,
    statefulServices,
} from "../shared";
import type { WorkloadOptions } from "../config";
import type { Endpoint, WorkloadRef } from "../shared";

export interface StatefulServiceArgs {
    identity: Identity;
    /** The datastore container; its ports are exposed by both Services. */
    container: ContainerArgs;
    initContainers?: ContainerArgs[];
    /** Containers beside the datastore in its pod (its exporter); their ports are on both Services too, not in `endpoint`. @default none */
    sidecars?: ContainerArgs[];
    runAs: RunAs;
    /** Where the data volume is mounted in the container. */
    dataPath: string;
    storageSize: string;
    /** The platform StorageClass; the cluster default when undefined. */
    storageClassName?: pulumi.Input<string>;
    volumes?: k8s.types.input.core.v1.Volume[];
    imagePullSecrets: string[];
    podAnnotations?: Record<string, string>;
    /** Protect the StatefulSet from deletion and retain its claims (prod). */
    protect: boolean;
    /** Seconds a datastore gets to flush and stop. @default 60 */
    terminationGracePeriodSeconds?: number;
    /** The stack's scheduling, annotations and extra env for this workload. @default none */
    options?: WorkloadOptions;
}

/** The claim template every datastore member mounts as `data`: ReadWriteOnce, the stack's class when it names one. */
export function dataClaimTemplate(identity: Identity, storage: string, storageClassName?: pulumi.Input<string>) {
    return {
        metadata: { name: "data", labels: labels(identity) },
        spec: {
            accessModes: ["ReadWriteOnce"],
            ...(storageClassName ? { storageClassName } : {}),
            resources: { requests: { storage } },
        },
    };
}

/**
 * A single-replica datastore: ServiceAccount, StatefulSet with a volumeClaimTemplate for its data, a
 * headless Service for stable pod DNS and a ClusterIP Service for clients.
 */
export class StatefulService extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly statefulSetName: pulumi.Output<string>;
    /** The StatefulSet (also the name of the client Service). */
    readonly workload: WorkloadRef;
    /** The pods' component label and container ports, for NetworkPolicies. */
    readonly endpoint: Endpoint;

    constructor(name: string, args: StatefulServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:StatefulService", name, {}, opts);
        const { identity } = args;
        const k8sName = objectName(identity);
        this.workload = { kind: "StatefulSet", name: k8sName };
        this.endpoint = { component: identity.component, ports: (args.container.ports ?? []).map((p) => p.containerPort) };
        const sa = serviceAccount(identity, k8sName, { parent: this }, serviceAccountAnnotations(args.options));
        const annotations = podAnnotations(args.podAnnotations, args.options);
        const sidecars = args.sidecars ?? [];
        const containerPorts = [args.container, ...sidecars].flatMap((c) => c.ports ?? []);
        const { headless, client } = statefulServices(name, { identity, containerPorts, publishNotReadyAddresses: true }, this);
        this.serviceName = client.metadata.name;

        const container: ContainerArgs = {
            ...args.container,
            volumeMounts: [{ name: "data", mountPath: args.dataPath }, ...(args.container.volumeMounts ?? [])],
        };
        const retention = args.protect ? "Retain" : "Delete";
        const statefulSet = new k8s.apps.v1.StatefulSet(
            `${name}-statefulset`,
            {
                metadata: metadata(identity, k8sName),
                spec: {
                    serviceName: headless.metadata.name,
                    replicas: 1,
                    podManagementPolicy: "OrderedReady",
                    updateStrategy: { type: "RollingUpdate" },
                    revisionHistoryLimit: 5,
                    selector: { matchLabels: selectorLabels(identity) },
                    // Scaling to 0 is how a datastore is stopped (kubectl scale): its claim stays for the scale-up, in
                    // dev too (the node e2e's outage lost every vector with whenScaled Delete). Deleting the StatefulSet
                    // (pulumi destroy) deletes the claims unless the stack protects them.
                    persistentVolumeClaimRetentionPolicy: { whenDeleted: retention, whenScaled: "Retain" },
                    template: {
                        metadata: { labels: labels(identity), ...(annotations ? { annotations } : {}) },
                        spec: pod({
                            serviceAccountName: sa.metadata.name,
                            runAs: args.runAs,
                            containers: [container, ...sidecars],
                            initContainers: args.initContainers,
                            volumes: args.volumes,
                            imagePullSecrets: args.imagePullSecrets,
                            terminationGracePeriodSeconds: args.terminationGracePeriodSeconds ?? 60,
                            options: args.options,
                        }),
                    },
                    volumeClaimTemplates: [dataClaimTemplate(identity, args.storageSize, args.storageClassName)],
                },
            },
            { parent: this, protect: args.protect },
        );
        this.statefulSetName = statefulSet.metadata.name;
        this.registerOutputs({ serviceName: this.serviceName, statefulSetName: this.statefulSetName });
    }
}
