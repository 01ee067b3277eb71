import * as pulumi from "@pulumi/pulumi";
import type { LlmServerConfig, WorkloadOptions } from "../config";
import { ModelServer } from "./model-server";
import type { Endpoint, MetricsEndpoint, WorkloadRef } from "../shared";
import { httpProbe, Identity, RunAs, secretEnv, startupProbe } from "../shared";

/** vLLM's OpenAI-compatible server: the API, /health and /metrics on one port. */
export const VLLM_PORT = 8000;

/**
 * What vllm/vllm-openai needs under Pod Security `restricted`. The image runs as root with HOME=/root; we
 * run it as an unprivileged UID and point every cache at a writable path (one line of reason per path).
 */
export const VLLM_IMAGE = {
    /** Any non-root UID works: the image's Python and vLLM are world-readable; fsGroup makes the cache claim writable. */
    runAs: { uid: 2000, gid: 2000 } satisfies RunAs,
    cachePath: "/models",
    writablePaths: {
        "/models": "the model cache claim: Hugging Face downloads (HF_HOME), vLLM's torch.compile cache, Triton kernels",
        "/tmp": "HOME and Python's temporary files (the image's HOME=/root is not writable)",
        "/dev/shm": "memory-backed: PyTorch and NCCL exchange tensors between worker processes through it",
    },
} as const;

export interface InferenceServerArgs {
    identity: Identity;
    config: LlmServerConfig;
    /** Prod: never two replicas on one node. */
    requireSeparateNodes: boolean;
    storageClassName?: pulumi.Input<string>;
    imagePullSecrets: string[];
    /** The stack's scheduling, annotations and extra env for this server (workloads.<role>). @default none */
    options?: WorkloadOptions;
}

/**
 * LLM inference with vLLM on GPU nodes (see ModelServer for the objects): model, revision, dtype, context
 * length and tensor parallelism from config; a startup budget long enough to download and load the weights;
 * a grace period that lets in-flight generations finish; an HPA on `vllm:num_requests_waiting`.
 */
export class InferenceServer extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly port = VLLM_PORT;
    /** The model name clients ask for (vLLM serves the model under its id). */
    readonly model: string;
    readonly workload: WorkloadRef;
    readonly endpoint: Endpoint;
    readonly metrics: MetricsEndpoint;
    readonly hpaName?: string;

    constructor(name: string, args: InferenceServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:InferenceServer", name, {}, opts);
        const c = args.config;
        const cache = VLLM_IMAGE.cachePath;
        const preStopSleepSeconds = 10;
        const server = new ModelServer(
            name,
            {
                identity: args.identity,
                runAs: VLLM_IMAGE.runAs,
                cachePath: cache,
                cacheSize: c.cacheSize,
                storageClassName: args.storageClassName,
                replicas: c.replicas,
                autoscaling: c.autoscaling,
                gpu: c.gpu,
                requireSeparateNodes: args.requireSeparateNodes,
                shmSize: c.shmSize,
                // The preStop pause counts against the grace period: add it to the drain time.
                terminationGracePeriodSeconds: c.drainSeconds + preStopSleepSeconds,
                imagePullSecrets: args.imagePullSecrets,
                options: args.options,
                scratchSizeLimit: "1Gi",
                container: {
                    name: "vllm",
                    image: c.image,
                    command: ["vllm", "serve"],
                    args: [
                        c.model,
                        "--revision",
                        c.revision,
                        "--served-model-name",
                        c.model,
                        "--dtype",
                        c.dtype,
                        "--max-model-len",
                        `${c.maxModelLen}`,
                        "--tensor-parallel-size",
                        `${c.tensorParallelSize}`,
                        "--host",
                        "0.0.0.0",
                        "--port",
                        `${VLLM_PORT}`,
                    ],
                    resources: c.resources,
                    ports: [{ name: "http", containerPort: VLLM_PORT }],
                    env: [
                        { name: "HOME", value: "/tmp" },
                        // The UID has no passwd entry: getpass.getuser() (torch's compile cache) reads USER instead.
                        { name: "USER", value: "vllm" },
                        { name: "HF_HOME", value: `${cache}/hf` },
                        { name: "VLLM_CACHE_ROOT", value: `${cache}/vllm` },
                        { name: "TRITON_CACHE_DIR", value: `${cache}/triton` },
                        { name: "XDG_CACHE_HOME", value: `${cache}/cache` },
                        { name: "XDG_CONFIG_HOME", value: "/tmp/.config" },
                        { name: "VLLM_NO_USAGE_STATS", value: "1" },
                        { name: "DO_NOT_TRACK", value: "1" },
                        ...(c.hfTokenSecret ? [secretEnv("HF_TOKEN", c.hfTokenSecret.name, c.hfTokenSecret.key)] : []),
                    ],
                    probes: {
                        liveness: httpProbe("/health", "http", { periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 }),
                        readiness: httpProbe("/health", "http", { periodSeconds: 5, timeoutSeconds: 3 }),
                        startup: startupProbe(httpProbe("/health", "http", { timeoutSeconds: 5 }), c.startupProbeSeconds),
                    },
                    preStopSleepSeconds,
                    writablePaths: ["/tmp"],
                },
            },
            { parent: this },
        );
        this.serviceName = server.serviceName;
        this.model = c.model;
        this.workload = server.workload;
        this.endpoint = server.endpoint;
        this.metrics = server.metrics;
        this.hpaName = server.hpaName;
        this.registerOutputs({ serviceName: this.serviceName, model: this.model });
    }
}
