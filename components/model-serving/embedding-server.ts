import * as pulumi from "@pulumi/pulumi";
import type { TeiServerConfig, WorkloadOptions } from "../config";
import { ModelServer } from "./model-server";
import type { Endpoint, MetricsEndpoint, WorkloadRef } from "../shared";
import { httpProbe, Identity, RunAs, secretEnv, startupProbe } from "../shared";

/** text-embeddings-inference's HTTP port (its default, 3000 or 80 by image, is set explicitly) and Prometheus port. */
export const TEI_PORT = 8080;
export const TEI_METRICS_PORT = 9000;

/**
 * What ghcr.io/huggingface/text-embeddings-inference needs under Pod Security `restricted`. The image runs as
 * root and caches models in /data; we run it as an unprivileged UID with the cache on the claim.
 */
export const TEI_IMAGE = {
    /** Any non-root UID works: the router binary and its libraries are world-readable; fsGroup makes the claim writable. */
    runAs: { uid: 2000, gid: 2000 } satisfies RunAs,
    cachePath: "/models",
    writablePaths: {
        "/models": "the model cache claim (HUGGINGFACE_HUB_CACHE, instead of the image's /data)",
        "/tmp": "HOME and the Python backend's unix socket (--uds-path defaults to /tmp)",
    },
} as const;

/** What the server does with its model: embeddings (/embed, OpenAI-compatible /v1/embeddings) or reranking (/rerank). */
export type TeiMode = "embed" | "rerank";

export interface EmbeddingServerArgs {
    identity: Identity;
    config: TeiServerConfig;
    mode: TeiMode;
    storageClassName?: pulumi.Input<string>;
    imagePullSecrets: string[];
    /** The stack's scheduling, annotations and extra env for this server (workloads.<role>). @default none */
    options?: WorkloadOptions;
}

/**
 * Hugging Face text-embeddings-inference on CPU (default) or GPU nodes (the GPU image by config): embeddings
 * for the API and the indexer, or, in rerank mode with a reranker model, the Reranker.
 */
export class EmbeddingServer extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly port = TEI_PORT;
    readonly model: string;
    readonly mode: TeiMode;
    readonly workload: WorkloadRef;
    readonly endpoint: Endpoint;
    readonly metrics: MetricsEndpoint;

    constructor(name: string, args: EmbeddingServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:EmbeddingServer", name, {}, opts);
        const c = args.config;
        const cache = TEI_IMAGE.cachePath;
        const gpu = c.gpu.enabled ? c.gpu : undefined;
        const token = c.hfTokenSecret;
        const server = new ModelServer(
            name,
            {
                identity: args.identity,
                runAs: TEI_IMAGE.runAs,
                cachePath: cache,
                cacheSize: c.cacheSize,
                storageClassName: args.storageClassName,
                replicas: c.replicas,
                gpu,
                requireSeparateNodes: false,
                terminationGracePeriodSeconds: 40,
                imagePullSecrets: args.imagePullSecrets,
                options: args.options,
                container: {
                    name: "tei",
                    image: gpu ? c.gpuImage : c.image,
                    args: [
                        "--model-id",
                        c.model,
                        "--revision",
                        c.revision,
                        "--hostname",
                        "0.0.0.0",
                        "--port",
                        `${TEI_PORT}`,
                        "--prometheus-port",
                        `${TEI_METRICS_PORT}`,
                        "--json-output",
                    ],
                    resources: c.resources,
                    ports: [
                        { name: "http", containerPort: TEI_PORT },
                        { name: "metrics", containerPort: TEI_METRICS_PORT },
                    ],
                    env: [
                        { name: "HOME", value: "/tmp" },
                        { name: "HF_HOME", value: `${cache}/hf` },
                        { name: "HUGGINGFACE_HUB_CACHE", value: `${cache}/hf/hub` },
                        // TEI reads HF_TOKEN (1.5+) and the older HF_API_TOKEN.
                        ...(token ? [secretEnv("HF_TOKEN", token.name, token.key), secretEnv("HF_API_TOKEN", token.name, token.key)] : []),
                    ],
                    probes: {
                        liveness: httpProbe("/health", "http", { periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 }),
                        readiness: httpProbe("/health", "http", { periodSeconds: 5 }),
                        startup: startupProbe(httpProbe("/health", "http"), c.startupProbeSeconds),
                    },
                    preStopSleepSeconds: 10,
                    writablePaths: ["/tmp"],
                },
            },
            { parent: this },
        );
        this.serviceName = server.serviceName;
        this.model = c.model;
        this.mode = args.mode;
        this.workload = server.workload;
        this.endpoint = server.endpoint;
        this.metrics = server.metrics;
        this.registerOutputs({ serviceName: this.serviceName, model: this.model, mode: this.mode });
    }
}
