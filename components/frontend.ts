import * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "./config";
import type { Endpoint } from "./network-policy";
import type { MetricsEndpoint, WorkloadRef } from "./wiring";
import { WebService } from "./web-service";
import { httpProbe, Identity } from "./workload";

export const FRONTEND_PORT = 8080;

export interface WebFrontendArgs {
    identity: Identity;
    config: ServiceConfig;
    imagePullSecrets: string[];
    /** Expose on this node port too (dev only; see localAccess). @default no NodePort Service */
    nodePort?: number;
    /** Path prefix under which the browser reaches the API through the same ingress host. */
    apiBasePath: string;
}

/** The web UI: an unprivileged nginx-based image serving `/` on 8080 (UID 101), same shape as the API. */
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
                runAs: { uid: 101, gid: 101 },
                imagePullSecrets: args.imagePullSecrets,
                nodePort: args.nodePort,
                terminationGracePeriodSeconds: 30,
                container: {
                    name: "frontend",
                    image: args.config.image,
                    resources: args.config.resources,
                    ports: [{ name: "http", containerPort: FRONTEND_PORT }],
                    env: [{ name: "API_BASE_PATH", value: args.apiBasePath }],
                    probes: {
                        liveness: httpProbe("/healthz", "http", { periodSeconds: 15 }),
                        readiness: httpProbe("/healthz", "http", { periodSeconds: 5 }),
                    },
                    preStopSleepSeconds: 5,
                    writablePaths: ["/tmp", "/var/cache/nginx"],
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
        this.metrics = { identity: args.identity, portName: "http", port: FRONTEND_PORT, path: "/metrics" };
        this.registerOutputs({ serviceName: this.serviceName, deploymentName: this.deploymentName });
    }
}
