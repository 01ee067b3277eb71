import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Autoscaling } from "./autoscaling";
import type { ServiceConfig, WorkloadOptions } from "../config";
import {
    ContainerArgs,
    Identity,
    labels,
    metadata,
    pod,
    PodArgs,
    RunAs,
    selectorLabels,
    serviceAccount,
    objectName,
    podAnnotations,
    serviceAccountAnnotations,
    serviceMetadata,
} from "../shared";
import type { Endpoint, WorkloadRef } from "../shared";

export interface WebServiceArgs {
    identity: Identity;
    service: ServiceConfig;
    /**
     * The serving container; its first port is exposed by the Service on port 80 (`http`), any further
     * named port (e.g. `metrics`) under its own name and number, for in-cluster clients such as Prometheus.
     */
    container: ContainerArgs;
    /** Run to completion before the serving container starts (e.g. schema migrations). */
    initContainers?: ContainerArgs[];
    runAs: RunAs;
    podAnnotations?: Record<string, string>;
    volumes?: k8s.types.input.core.v1.Volume[];
    imagePullSecrets: string[];
    nodeSelector?: Record<string, string>;
    tolerations?: k8s.types.input.core.v1.Toleration[];
    /** Seconds between SIGTERM and SIGKILL (required: the API takes 45, the frontend 30). */
    terminationGracePeriodSeconds: number;
    /** Also expose the service on this node port (local clusters without an ingress controller). @default no NodePort Service */
    nodePort?: number;
    /** The stack's scheduling, annotations and extra env for this workload. @default none */
    options?: WorkloadOptions;
}

/**
 * How long a stateless pod stays bound to a node that stopped answering (taints node.kubernetes.io/not-ready and
 * /unreachable, NoExecute) before it is evicted and replaced elsewhere. Without it the DefaultTolerationSeconds
 * admission gives 300 s; with the upstream node-monitor grace period (50 s) a dead node's API and frontend pods
 * are replaced about a minute after it died (measured in e2e/ha/node-loss.sh; docs/operations.md).
 */
export const NODE_FAILURE_TOLERATION_SECONDS = 10;
const nodeFailureTolerations: k8s.types.input.core.v1.Toleration[] = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"].map((key) => ({
    key,
    operator: "Exists",
    effect: "NoExecute",
    tolerationSeconds: NODE_FAILURE_TOLERATION_SECONDS,
}));

/**
 * The shape shared by the API and the frontend: ServiceAccount, a Deployment that rolls without losing
 * capacity, a ClusterIP Service, and a PodDisruptionBudget plus optional HPA (see Autoscaling).
 */
export class WebService extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly deploymentName: pulumi.Output<string>;
    /** The Service's port (the container port behind it is in `endpoint`). */
    readonly port = 80;
    /** The Deployment (also the name of the Service, the PDB and the HPA). */
    readonly workload: WorkloadRef;
    /** The pods' component label and container port, for NetworkPolicies. */
    readonly endpoint: Endpoint;
    /** The HPA's name when autoscaling is enabled. */
    readonly hpaName?: string;

    constructor(name: string, args: WebServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:WebService", name, {}, opts);
        const { identity, service } = args;
        const k8sName = objectName(identity);
        this.workload = { kind: "Deployment", name: k8sName };
        this.hpaName = service.autoscaling.enabled ? k8sName : undefined;
        const sa = serviceAccount(identity, k8sName, { parent: this }, serviceAccountAnnotations(args.options));
        const podArgs: PodArgs = {
            serviceAccountName: sa.metadata.name,
            runAs: args.runAs,
            containers: [args.container],
            initContainers: args.initContainers,
            volumes: args.volumes,
            imagePullSecrets: args.imagePullSecrets,
            terminationGracePeriodSeconds: args.terminationGracePeriodSeconds,
            spreadBy: selectorLabels(identity),
            nodeSelector: args.nodeSelector,
            tolerations: [...nodeFailureTolerations, ...(args.tolerations ?? [])],
            options: args.options,
        };
        const annotations = podAnnotations(args.podAnnotations, args.options);

        const deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: metadata(identity, k8sName),
                spec: {
                    // With an HPA the replica count is the autoscaler's: the manifest leaves it out (the API server
                    // defaults it to 1 at creation and the HPA raises it to minReplicas at once), so neither a GitOps
                    // sync of the rendered manifests nor a `pulumi up` resets what the HPA chose.
                    ...(service.autoscaling.enabled ? {} : { replicas: service.replicas }),
                    revisionHistoryLimit: 5,
                    minReadySeconds: 5,
                    progressDeadlineSeconds: 600,
                    selector: { matchLabels: selectorLabels(identity) },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    template: {
                        metadata: { labels: labels(identity), ...(annotations ? { annotations } : {}) },
                        spec: pod(podArgs),
                    },
                },
            },
            // With an HPA the replica count belongs to the autoscaler (kept for stacks deployed before it was omitted).
            { parent: this, ignoreChanges: service.autoscaling.enabled ? ["spec.replicas"] : [] },
        );
        this.deploymentName = deployment.metadata.name;

        const port = args.container.ports?.[0];
        if (!port) {
            throw new Error(`WebService ${name}: the container must declare a port`);
        }
        this.endpoint = { component: identity.component, ports: [port.containerPort] };
        const svc = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: serviceMetadata(identity, k8sName),
                spec: {
                    type: "ClusterIP",
                    selector: selectorLabels(identity),
                    ports: [
                        { name: "http", port: this.port, targetPort: port.name, protocol: "TCP" },
                        ...(args.container.ports ?? []).slice(1).map((p) => ({ name: p.name, port: p.containerPort, targetPort: p.name, protocol: "TCP" })),
                    ],
                },
            },
            { parent: this },
        );
        this.serviceName = svc.metadata.name;
        if (args.nodePort !== undefined) {
            new k8s.core.v1.Service(
                `${name}-nodeport`,
                {
                    metadata: serviceMetadata(identity, objectName(identity, "nodeport")),
                    spec: {
                        type: "NodePort",
                        selector: selectorLabels(identity),
                        ports: [{ name: "http", port: this.port, targetPort: port.name, nodePort: args.nodePort, protocol: "TCP" }],
                    },
                },
                { parent: this },
            );
        }

        new Autoscaling(name, { identity, deploymentName: this.deploymentName, autoscaling: service.autoscaling }, { parent: this });
        this.registerOutputs({ serviceName: this.serviceName, deploymentName: this.deploymentName });
    }
}
