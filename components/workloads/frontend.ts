import * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig, WorkloadOptions } from "../config";
import { APP_RUN_AS, APP_WRITABLE_PATHS } from "./app-env";
import type { Endpoint, MetricsEndpoint, WorkloadRef } from "../shared";
import { WebService } from "./web-service";
import { httpProbe, Identity, scrapeAnnotations } from "../shared";

export const FRONTEND_PORT = 8080;
/** The frontend's /metrics, on a port of its own: the public port (the Ingress's `/` route) serves no metrics. */
export const FRONTEND_METRICS_PORT = 9090;

export interface WebFrontendArgs {
    identity: Identity;
    config: ServiceConfig;
    imagePullSecrets: string[];
    /** Expose on this node port too (dev only; see localAccess). @default no NodePort Service */
    nodePort?: number;
    /** The platform ConfigMap: API_BASE_PATH, the prefix under which the browser reaches the API on the same host. */
    configMapName: pulumi.Input<string>;
    /** The stack's scheduling, annotations and extra env for the frontend. @default none */
    options?: WorkloadOptions;
    /**
     * Without an Ingress: the API's in-cluster URL, to which the frontend forwards API_BASE_PATH/* itself
     * (API_UPSTREAM), so the chat page works through a port-forward to the frontend alone. @default none
     */
    apiUpstream?: pulumi.Input<string>;
}

/**
 * The web UI: the app's frontend (`node /app/dist/frontend.js`, UID 10001, writes only /tmp) serving the chat
 * page on 8080, same shape as the API. The page calls the API at API_BASE_PATH on the same ingress host.
 * Its /metrics is on 9090 (Service port `metrics`), which neither the Ingress nor the NetworkPolicy's
 * clients reach; only the monitoring namespace does.
 */
export class WebFrontend extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly deploymentName: pulumi.Output<string>;
    /** The Service's port. */
    readonly port: number;
    readonly workload: WorkloadRef;
    readonly endpoint: Endpoint;
    readonly hpaName?: string;
    readonly metrics: MetricsEndpoint;

    constructor(name: string, args: WebFrontendArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:WebFrontend", name, {}, opts);
        const service = new WebService(
            name,
            {
                identity: args.identity,
                service: args.config,
                runAs: APP_RUN_AS,
                imagePullSecrets: args.imagePullSecrets,
                nodePort: args.nodePort,
                podAnnotations: scrapeAnnotations(FRONTEND_METRICS_PORT),
                options: args.options,
                terminationGracePeriodSeconds: 30,
                container: {
                    name: "frontend",
                    image: args.config.image,
                    resources: args.config.resources,
                    ports: [
                        { name: "http", containerPort: FRONTEND_PORT },
                        { name: "metrics", containerPort: FRONTEND_METRICS_PORT },
                    ],
                    env: [
                        { name: "API_BASE_PATH", valueFrom: { configMapKeyRef: { name: args.configMapName, key: "API_BASE_PATH" } } },
                        ...(args.apiUpstream ? [{ name: "API_UPSTREAM", value: args.apiUpstream }] : []),
                    ],
                    probes: {
                        liveness: httpProbe("/healthz", "http", { periodSeconds: 15 }),
                        readiness: httpProbe("/healthz", "http", { periodSeconds: 5 }),
                    },
                    preStopSleepSeconds: 5,
                    writablePaths: APP_WRITABLE_PATHS,
                },
            },
            { parent: this },
        );
        this.serviceName = service.serviceName;
        this.deploymentName = service.deploymentName;
        this.port = service.port;
        this.workload = service.workload;
        this.endpoint = service.endpoint;
        this.hpaName = service.hpaName;
        this.metrics = { identity: args.identity, portName: "metrics", port: FRONTEND_METRICS_PORT, path: "/metrics" };
        this.registerOutputs({ serviceName: this.serviceName, deploymentName: this.deploymentName });
    }
}
