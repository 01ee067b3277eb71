import * as pulumi from "@pulumi/pulumi";
import type { ApiConfig } from "../config";
import type { Endpoint, AppWiring, MetricsEndpoint, WorkloadRef } from "../shared";
import { WebService } from "./web-service";
import { APP_DATA_PATH, APP_RUN_AS, APP_WRITABLE_PATHS, credentialEnv, databaseUrlEnv, migrateContainer, redisUrlEnv } from "./app-env";
import { httpProbe, Identity, scrapeAnnotations, startupProbe } from "../shared";

export const API_PORT = 8000;
/** What the kubelet and Prometheus call on the API (app/src/lib/contract.ts PLATFORM.probes.api): not client traffic. */
export const API_PATHS = { live: "/health", ready: "/ready", metrics: "/metrics" } as const;

export interface ApiServiceArgs extends AppWiring {
    identity: Identity;
    config: ApiConfig;
    /** Expose on this node port too (dev only; see localAccess). @default no NodePort Service */
    nodePort?: number;
}

/**
 * The RAG API: reads its settings from the platform ConfigMap and its credentials from the platform Secret (or
 * the operator's own Secrets).
 * DATABASE_URL and REDIS_URL are assembled by Kubernetes from $(VAR) references, so no password is ever a
 * plain value in the spec. Optional GPU variant for in-cluster LLM inference.
 */
export class ApiService extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly deploymentName: pulumi.Output<string>;
    /** The Service's port. */
    readonly port: number;
    /** The port the API listens on in its container: API_PORT in the platform ConfigMap, which exists before the API. */
    static readonly CONTAINER_PORT = API_PORT;
    readonly workload: WorkloadRef;
    readonly endpoint: Endpoint;
    readonly hpaName?: string;
    readonly metrics: MetricsEndpoint;

    constructor(name: string, args: ApiServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:ApiService", name, {}, opts);
        const { config, secrets, tls } = args;
        const gpu = config.gpu.enabled;
        const service = new WebService(
            name,
            {
                identity: args.identity,
                service: config,
                runAs: APP_RUN_AS,
                // Schema migrations run before the API serves (idempotent; concurrent pods wait on a lock).
                initContainers: [migrateContainer(args, config.image, config.resources)],
                imagePullSecrets: args.imagePullSecrets,
                nodePort: args.nodePort,
                options: args.workloads?.api,
                terminationGracePeriodSeconds: 45,
                podAnnotations: scrapeAnnotations(API_PORT),
                volumes: [{ name: "app-data", persistentVolumeClaim: { claimName: args.appDataClaimName } }],
                nodeSelector: gpu ? config.gpu.nodeSelector : undefined,
                tolerations: gpu ? [{ key: config.gpu.resourceName, operator: "Exists", effect: "NoSchedule" }] : undefined,
                container: {
                    name: "api",
                    image: config.image,
                    resources: config.resources,
                    extendedResources: gpu ? { [config.gpu.resourceName]: `${config.gpu.count}` } : undefined,
                    ports: [{ name: "http", containerPort: API_PORT }],
                    envFrom: [{ configMapRef: { name: args.configMapName } }],
                    env: [
                        ...credentialEnv(secrets, "POSTGRES_PASSWORD", "REDIS_PASSWORD", "VECTOR_STORE_API_KEY", "API_SIGNING_KEY", "LLM_API_KEY"),
                        databaseUrlEnv(tls.postgres),
                        redisUrlEnv(tls.redis),
                        { name: "GPU_ENABLED", value: gpu ? "true" : "false" },
                    ],
                    probes: {
                        liveness: httpProbe(API_PATHS.live, "http", { periodSeconds: 15, failureThreshold: 4 }),
                        readiness: httpProbe(API_PATHS.ready, "http", { periodSeconds: 5 }),
                        startup: startupProbe(httpProbe(API_PATHS.live, "http"), gpu ? 600 : 120),
                    },
                    preStopSleepSeconds: 10,
                    writablePaths: APP_WRITABLE_PATHS,
                    volumeMounts: [{ name: "app-data", mountPath: APP_DATA_PATH }],
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
        this.metrics = { identity: args.identity, portName: "http", port: API_PORT, path: API_PATHS.metrics };
        this.registerOutputs({ serviceName: this.serviceName, deploymentName: this.deploymentName });
    }
}
