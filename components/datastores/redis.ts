import * as pulumi from "@pulumi/pulumi";
import type { DatastoreConfig } from "../config";
import type { Endpoint, DatastoreArgs, MetricsEndpoint, WorkloadRef } from "../shared";
import { parseQuantity, secretRefEnv, execProbe, objectName, startupProbe } from "../shared";
import { ExporterArgs, redisExporter } from "./exporters";
import { StatefulService } from "./stateful-service";

export const REDIS_PORT = 6379;

export type RedisCacheArgs = DatastoreArgs<DatastoreConfig> & {
    /** redis_exporter as a sidecar (monitoring on). @default no exporter */
    exporter?: ExporterArgs;
};

/** Redis keeps 20% of its memory limit free for the AOF rewrite and client buffers. */
export function redisMaxMemoryBytes(memoryLimit: string): number {
    return Math.floor((parseQuantity(memoryLimit) ?? 0) * 0.8);
}

/**
 * Redis (official alpine image, UID 999): AOF persistence on the volume, password auth from the platform
 * Secret, maxmemory derived from the container's limit, `redis-cli ping` probes authenticated through
 * REDISCLI_AUTH (never `-a`, which would put the password on a command line).
 */
export class RedisCache extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly port = REDIS_PORT;
    readonly workload: WorkloadRef;
    readonly endpoint: Endpoint;
    /** Where Prometheus scrapes redis_exporter (through the client Service); undefined without it. */
    readonly metrics?: MetricsEndpoint;

    constructor(name: string, args: RedisCacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:RedisCache", name, {}, opts);
        const { identity, config } = args;
        const exporter = redisExporter(args, REDIS_PORT, objectName(identity));
        this.metrics = exporter?.metrics;
        const ping = execProbe(["sh", "-c", `redis-cli -h 127.0.0.1 -p ${REDIS_PORT} ping | grep -q PONG`]);
        const store = new StatefulService(
            name,
            {
                identity,
                runAs: { uid: 999, gid: 1000 },
                dataPath: "/data",
                storageSize: config.storage,
                storageClassName: args.storageClassName,
                imagePullSecrets: args.imagePullSecrets,
                protect: args.protect,
                options: args.workloads?.redis,
                sidecars: exporter ? [exporter.container] : [],
                container: {
                    name: "redis",
                    image: config.image,
                    resources: config.resources,
                    ports: [{ name: "redis", containerPort: REDIS_PORT }],
                    command: ["redis-server"],
                    args: [
                        "--port",
                        `${REDIS_PORT}`,
                        "--dir",
                        "/data",
                        "--appendonly",
                        "yes",
                        "--appenddirname",
                        "appendonlydir",
                        "--appendfsync",
                        "everysec",
                        "--maxmemory",
                        `${redisMaxMemoryBytes(config.resources.limits.memory)}`,
                        "--maxmemory-policy",
                        "allkeys-lru",
                        // Kubernetes expands $(VAR) from the container's env: the value never appears in the spec.
                        "--requirepass",
                        "$(REDIS_PASSWORD)",
                    ],
                    env: [secretRefEnv("REDIS_PASSWORD", args.credential), secretRefEnv("REDISCLI_AUTH", args.credential)],
                    probes: { liveness: { ...ping, periodSeconds: 15 }, readiness: ping, startup: startupProbe(ping, 60) },
                    writablePaths: ["/tmp"],
                },
            },
            { parent: this },
        );
        this.serviceName = store.serviceName;
        this.workload = store.workload;
        this.endpoint = store.endpoint;
        this.registerOutputs({ serviceName: this.serviceName });
    }
}
