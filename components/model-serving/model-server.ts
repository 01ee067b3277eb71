import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GpuSchedulingConfig, ModelAutoscalingConfig, WorkloadOptions } from "../config";
import {
    objectName,
    podAnnotations,
    serviceAccountAnnotations,
    statefulServices,
    ContainerArgs,
    Identity,
    labels,
    metadata,
    pod,
    RunAs,
    selectorLabels,
    serviceAccount,
    sharedMemory,
} from "../shared";
import type { Endpoint, MetricsEndpoint, WorkloadRef } from "../shared";

/** The claim template every model server mounts its weights cache from (one claim per replica). */
export const MODEL_CACHE_VOLUME = "model-cache";

export interface ModelServerArgs {
    identity: Identity;
    runAs: RunAs;
    /** The serving container: its port named "http" serves the API; a port named "metrics", if any, serves /metrics. */
    container: ContainerArgs;
    /** Where the model cache claim is mounted. */
    cachePath: string;
    cacheSize: string;
    /** The platform StorageClass; the cluster default when undefined. */
    storageClassName?: pulumi.Input<string>;
    replicas: number;
    /** An HPA on a Pods metric (queued requests) when enabled. */
    autoscaling?: ModelAutoscalingConfig;
    /** GPU scheduling: requests == limits of the extended resource, node selector and tolerations. */
    gpu?: GpuSchedulingConfig;
    /** Never two replicas on one node (required anti-affinity); otherwise only preferred. */
    requireSeparateNodes: boolean;
    /** Memory-backed /dev/shm of this size. */
    shmSize?: string;
    terminationGracePeriodSeconds: number;
    imagePullSecrets: string[];
    /** Size of the /tmp (and other writablePaths) scratch emptyDirs. */
    scratchSizeLimit?: string;
    /** The stack's scheduling, annotations and extra env for this server. @default none */
    options?: WorkloadOptions;
}

/**
 * A model server: ServiceAccount, a StatefulSet whose replicas each keep a model cache claim (weights are
 * downloaded once per replica, not on every restart), a headless Service for the StatefulSet, a ClusterIP
 * Service for clients, a PodDisruptionBudget and, optionally, an HPA on queued requests with a slow scale-down.
 */
export class ModelServer extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    /** The client Service's port (equal to the container's http port, so base URLs read the same in and out of the pod). */
    readonly port: number;
    readonly workload: WorkloadRef;
    readonly endpoint: Endpoint;
    readonly metrics: MetricsEndpoint;
    readonly hpaName?: string;
    /** GPUs one replica asks for (0 without GPU). */
    readonly gpusPerReplica: number;

    constructor(name: string, args: ModelServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:ModelServer", name, {}, opts);
        const { identity, gpu } = args;
        const k8sName = objectName(identity);
        const hpa = args.autoscaling?.enabled ? args.autoscaling : undefined;
        this.workload = { kind: "StatefulSet", name: k8sName };
        const containerPorts = args.container.ports ?? [];
        const http = containerPorts.find((p) => p.name === "http");
        if (!http) {
            throw new Error(`ModelServer ${name}: the container must declare a port named "http"`);
        }
        const metricsPort = containerPorts.find((p) => p.name === "metrics") ?? http;
        this.port = http.containerPort;
        this.endpoint = { component: identity.component, ports: containerPorts.map((p) => p.containerPort) };
        this.metrics = { identity, portName: metricsPort.name, port: metricsPort.containerPort, path: "/metrics" };
        this.gpusPerReplica = gpu ? gpu.count : 0;
        const sa = serviceAccount(identity, k8sName, { parent: this }, serviceAccountAnnotations(args.options));
        const annotations = podAnnotations(undefined, args.options);
        const { headless, client } = statefulServices(name, { identity, containerPorts }, this);
        this.serviceName = client.metadata.name;

        const shm = args.shmSize ? sharedMemory(args.shmSize) : undefined;
        const container: ContainerArgs = {
            ...args.container,
            extendedResources: gpu ? { [gpu.resourceName]: `${gpu.count}` } : undefined,
            volumeMounts: [{ name: MODEL_CACHE_VOLUME, mountPath: args.cachePath }, ...(shm ? [shm.mount] : []), ...(args.container.volumeMounts ?? [])],
        };
        const statefulSet = new k8s.apps.v1.StatefulSet(
            `${name}-statefulset`,
            {
                metadata: metadata(identity, k8sName),
                spec: {
                    serviceName: headless.metadata.name,
                    // With an HPA the replica count is the autoscaler's: the manifest leaves it out (as web-service.ts does for
                    // Deployments), so neither a GitOps sync of the rendered manifests nor a `pulumi up` resets what it chose.
                    ...(hpa ? {} : { replicas: args.replicas }),
                    // Replicas are interchangeable: start and stop them together, not one after another.
                    podManagementPolicy: "Parallel",
                    // One replica at a time (rollingUpdate.maxUnavailable is still feature-gated in StatefulSets).
                    updateStrategy: { type: "RollingUpdate" },
                    revisionHistoryLimit: 5,
                    minReadySeconds: 10,
                    selector: { matchLabels: selectorLabels(identity) },
                    // A scaled-down replica's cache is kept for the next scale-up; deleting the server drops the caches.
                    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" },
                    template: {
                        metadata: { labels: labels(identity), ...(annotations ? { annotations } : {}) },
                        spec: pod({
                            serviceAccountName: sa.metadata.name,
                            runAs: args.runAs,
                            containers: [container],
                            volumes: shm ? [shm.volume] : [],
                            imagePullSecrets: args.imagePullSecrets,
                            terminationGracePeriodSeconds: args.terminationGracePeriodSeconds,
                            spreadBy: selectorLabels(identity),
                            requireSeparateNodes: args.requireSeparateNodes,
                            nodeSelector: gpu?.nodeSelector,
                            tolerations: gpu?.tolerations.map((t) => ({ ...t })),
                            scratchSizeLimit: args.scratchSizeLimit,
                            options: args.options,
                        }),
                    },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: MODEL_CACHE_VOLUME, labels: labels(identity) },
                            spec: {
                                accessModes: ["ReadWriteOnce"],
                                ...(args.storageClassName ? { storageClassName: args.storageClassName } : {}),
                                resources: { requests: { storage: args.cacheSize } },
                            },
                        },
                    ],
                },
            },
            // With an HPA the replica count belongs to the autoscaler (kept for stacks deployed before it was omitted).
            { parent: this, ignoreChanges: hpa ? ["spec.replicas"] : [] },
        );

        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            {
                metadata: metadata(identity, k8sName),
                spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow", selector: { matchLabels: selectorLabels(identity) } },
            },
            { parent: this },
        );

        if (hpa) {
            this.hpaName = k8sName;
            new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                `${name}-hpa`,
                {
                    metadata: metadata(identity, k8sName),
                    spec: {
                        scaleTargetRef: { apiVersion: "apps/v1", kind: "StatefulSet", name: statefulSet.metadata.name },
                        minReplicas: hpa.minReplicas,
                        maxReplicas: hpa.maxReplicas,
                        metrics: [
                            {
                                type: "Pods",
                                pods: { metric: { name: hpa.metricName }, target: { type: "AverageValue", averageValue: hpa.targetAverageValue } },
                            },
                        ],
                        behavior: {
                            // A GPU replica takes minutes to load its model: add up to two a minute at once, remove
                            // one at a time, and only after the queue has stayed short for the stabilization window.
                            scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 2, periodSeconds: 60 }] },
                            scaleDown: {
                                stabilizationWindowSeconds: hpa.scaleDownStabilizationSeconds,
                                selectPolicy: "Min",
                                policies: [{ type: "Pods", value: 1, periodSeconds: 300 }],
                            },
                        },
                    },
                },
                { parent: this },
            );
        }
        this.registerOutputs({ serviceName: this.serviceName, statefulSetName: statefulSet.metadata.name });
    }
}
