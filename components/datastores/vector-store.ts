import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { VectorEngine, VectorStoreConfig } from "../config";
import type { Endpoint, DatastoreArgs, MetricsEndpoint, SecretRef, WorkloadRef } from "../shared";
import { secretRefEnv, ContainerArgs, httpProbe, metadata, Probes, RunAs, scrapeAnnotations, startupProbe, objectName } from "../shared";
import { StatefulService } from "./stateful-service";

/** What differs between the engines: ports, paths, health endpoints and how (or whether) a key is enforced. */
export interface EngineSpec {
    /** Port clients use (the one published as VECTOR_DB_PORT). */
    clientPort: number;
    ports: { name: string; containerPort: number }[];
    dataPath: string;
    writablePaths: string[];
    /** Where the engine writes snapshots: a claim of its own (a snapshot is the size of the data). */
    snapshotPath?: string;
    runAs: RunAs;
    /** Whether the engine enforces the generated API key. */
    apiKeySupported: boolean;
    /** Where Prometheus scrapes the engine; undefined when it serves no Prometheus metrics. */
    metrics?: { port: number; portName: string; path: string };
    probes: Probes;
    command?: string[];
    env: (apiKey: SecretRef) => k8s.types.input.core.v1.EnvVar[];
    /** Files mounted read-only from a ConfigMap: file name → [mount path, content]. */
    files?: Record<string, [string, string]>;
}

const MILVUS_EMBED_ETCD = `listen-client-urls: http://0.0.0.0:2379
advertise-client-urls: http://0.0.0.0:2379
quota-backend-bytes: 4294967296
auto-compaction-mode: revision
auto-compaction-retention: "1000"
`;

function probesFor(path: { live: string; ready: string }, port: number, startupSeconds: number): Probes {
    return {
        liveness: httpProbe(path.live, port, { periodSeconds: 15, failureThreshold: 4 }),
        readiness: httpProbe(path.ready, port),
        startup: startupProbe(httpProbe(path.live, port), startupSeconds),
    };
}

export const ENGINES: Record<VectorEngine, EngineSpec> = {
    // qdrant/qdrant:*-unprivileged runs as UID 1000; the health endpoints need no key.
    qdrant: {
        clientPort: 6333,
        ports: [
            { name: "http", containerPort: 6333 },
            { name: "grpc", containerPort: 6334 },
        ],
        dataPath: "/qdrant/storage",
        writablePaths: ["/qdrant/init", "/tmp"],
        snapshotPath: "/qdrant/snapshots",
        runAs: { uid: 1000, gid: 1000 },
        apiKeySupported: true,
        metrics: { port: 6333, portName: "http", path: "/metrics" },
        probes: probesFor({ live: "/livez", ready: "/readyz" }, 6333, 120),
        env: (apiKey) => [
            secretRefEnv("QDRANT__SERVICE__API_KEY", apiKey),
            { name: "QDRANT__TELEMETRY_DISABLED", value: "true" },
            { name: "QDRANT__STORAGE__SNAPSHOTS_PATH", value: "/qdrant/snapshots" },
        ],
    },
    // Chroma 1.x (Rust server) has no built-in auth (the NetworkPolicies are its only gate) and exports
    // telemetry over OpenTelemetry, not /metrics. Health: the v2 heartbeat (v1 answers 410).
    chroma: {
        clientPort: 8000,
        ports: [{ name: "http", containerPort: 8000 }],
        dataPath: "/data",
        writablePaths: ["/tmp"],
        runAs: { uid: 1000, gid: 1000 },
        apiKeySupported: false,
        probes: probesFor({ live: "/api/v2/heartbeat", ready: "/api/v2/heartbeat" }, 8000, 120),
        env: () => [
            { name: "IS_PERSISTENT", value: "TRUE" },
            { name: "PERSIST_DIRECTORY", value: "/data" },
            { name: "ANONYMIZED_TELEMETRY", value: "FALSE" },
        ],
    },
    // Milvus standalone with embedded etcd and local storage; /healthz and metrics on 9091, gRPC on 19530.
    milvus: {
        clientPort: 19530,
        ports: [
            { name: "grpc", containerPort: 19530 },
            { name: "metrics", containerPort: 9091 },
        ],
        dataPath: "/var/lib/milvus",
        writablePaths: ["/tmp", "/milvus/logs"],
        runAs: { uid: 1000, gid: 1000 },
        apiKeySupported: false,
        metrics: { port: 9091, portName: "metrics", path: "/metrics" },
        probes: probesFor({ live: "/healthz", ready: "/healthz" }, 9091, 300),
        command: ["milvus", "run", "standalone"],
        env: () => [
            { name: "DEPLOY_MODE", value: "STANDALONE" },
            { name: "ETCD_USE_EMBED", value: "true" },
            { name: "ETCD_DATA_DIR", value: "/var/lib/milvus/etcd" },
            { name: "ETCD_CONFIG_PATH", value: "/milvus/configs/embedEtcd.yaml" },
            { name: "COMMON_STORAGETYPE", value: "local" },
        ],
        files: { "embedEtcd.yaml": ["/milvus/configs/embedEtcd.yaml", MILVUS_EMBED_ETCD] },
    },
};

export interface VectorStoreArgs extends DatastoreArgs<VectorStoreConfig> {
    /** Size of the snapshot claim of an engine that writes snapshots (Qdrant); without it they go to a scratch emptyDir. */
    snapshotStorage?: string;
}

/** The vector database: Qdrant (default), Chroma or Milvus standalone, as a StatefulService. */
export class VectorStore extends pulumi.ComponentResource {
    readonly serviceName: pulumi.Output<string>;
    readonly port: number;
    readonly engine: VectorEngine;
    /** Whether the engine enforces the generated API key (VECTOR_DB_API_KEY_REQUIRED). */
    readonly apiKeySupported: boolean;
    readonly workload: WorkloadRef;
    readonly endpoint: Endpoint;
    /** Where Prometheus scrapes the engine; undefined when it serves no Prometheus metrics (Chroma). */
    readonly metrics?: MetricsEndpoint;

    constructor(name: string, args: VectorStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:VectorStore", name, {}, opts);
        const { identity, config } = args;
        const spec = ENGINES[config.engine];
        this.engine = config.engine;
        this.port = spec.clientPort;
        this.apiKeySupported = spec.apiKeySupported;
        // Qdrant exempts only its health endpoints from the API key: /metrics needs it too. Qdrant reads the key
        // from the `api-key` header or from `Authorization: Bearer <key>`, which is what a ServiceMonitor sends.
        const bearerToken = spec.apiKeySupported ? { secretName: args.credential.name, key: args.credential.key } : undefined;
        this.metrics = spec.metrics ? { identity, ...spec.metrics, ...(bearerToken ? { bearerToken } : {}) } : undefined;

        const volumes: k8s.types.input.core.v1.Volume[] = [];
        const volumeMounts: k8s.types.input.core.v1.VolumeMount[] = [];
        if (spec.files) {
            const files = new k8s.core.v1.ConfigMap(
                `${name}-files`,
                {
                    metadata: metadata(identity, objectName(identity, "files")),
                    data: Object.fromEntries(Object.entries(spec.files).map(([file, [, content]]) => [file, content])),
                },
                { parent: this },
            );
            volumes.push({ name: "engine-files", configMap: { name: files.metadata.name } });
            for (const [file, [mountPath]] of Object.entries(spec.files)) {
                volumeMounts.push({ name: "engine-files", mountPath, subPath: file, readOnly: true });
            }
        }
        const writablePaths = [...spec.writablePaths];
        if (spec.snapshotPath && args.snapshotStorage) {
            // A dedicated claim, not a volumeClaimTemplate: templates are immutable, and adding one would replace the StatefulSet.
            const snapshots = new k8s.core.v1.PersistentVolumeClaim(
                `${name}-snapshots`,
                {
                    metadata: metadata(identity, objectName(identity, "snapshots")),
                    spec: {
                        accessModes: ["ReadWriteOnce"],
                        ...(args.storageClassName ? { storageClassName: args.storageClassName } : {}),
                        resources: { requests: { storage: args.snapshotStorage } },
                    },
                },
                { parent: this, protect: args.protect },
            );
            volumes.push({ name: "snapshots", persistentVolumeClaim: { claimName: snapshots.metadata.name } });
            volumeMounts.push({ name: "snapshots", mountPath: spec.snapshotPath });
        } else if (spec.snapshotPath) {
            writablePaths.push(spec.snapshotPath);
        }
        const container: ContainerArgs = {
            name: config.engine,
            image: config.image,
            resources: config.resources,
            ports: spec.ports,
            ...(spec.command ? { command: spec.command } : {}),
            env: spec.env(args.credential),
            probes: spec.probes,
            writablePaths,
            volumeMounts,
        };
        const store = new StatefulService(
            name,
            {
                identity,
                container,
                runAs: spec.runAs,
                dataPath: spec.dataPath,
                storageSize: config.storage,
                storageClassName: args.storageClassName,
                volumes,
                imagePullSecrets: args.imagePullSecrets,
                // Annotation-based scrapers send no key: a store whose /metrics needs one (Qdrant) carries none
                // (its ServiceMonitor has the key by reference).
                podAnnotations: spec.metrics && !this.metrics?.bearerToken ? scrapeAnnotations(spec.metrics.port, spec.metrics.path) : undefined,
                protect: args.protect,
                options: args.workloads?.vectorStore,
            },
            { parent: this },
        );
        this.serviceName = store.serviceName;
        this.workload = store.workload;
        this.endpoint = store.endpoint;
        this.registerOutputs({ serviceName: this.serviceName, engine: this.engine, port: this.port });
    }
}
