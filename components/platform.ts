import * as k8s from "@pulumi/kubernetes";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { API_PORT, ApiService } from "./api";
import { CapacityReport, capacityReport } from "./capacity";
import type { PlatformConfig } from "./config";
import { FRONTEND_PORT, WebFrontend } from "./frontend";
import { DocumentIndexer } from "./indexer";
import { PlatformIngress } from "./ingress";
import { NetworkPolicies } from "./network-policy";
import { POSTGRES_PORT, PostgresDatabase } from "./postgres";
import { REDIS_PORT, RedisCache } from "./redis";
import { PlatformSecrets } from "./secrets";
import { PlatformStorage } from "./storage";
import { ENGINES, VectorStore } from "./vector-store";
import { PlatformMonitoring, ScrapeTarget } from "./monitoring";
import { Endpoint } from "./network-policy";
import { VerticalAutoscaling } from "./vertical-autoscaling";
import { Identity, labels, PART_OF } from "./workload";

export interface RagPlatformArgs {
    config: PlatformConfig;
    /** Optional LLM provider key, a Pulumi secret. */
    llmApiKey?: pulumi.Output<string>;
}

const API_BASE_PATH = "/api";

/** The app's sample documents (app/samples), indexed in dev. */
export function sampleDocuments(): Record<string, string> {
    const dir = path.join(__dirname, "..", "app", "samples");
    return Object.fromEntries(
        fs
            .readdirSync(dir)
            .filter((f) => /\.(md|txt)$/.test(f))
            .sort()
            .map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]),
    );
}

/** Test-only transformation: tell the Kubernetes provider not to wait for readiness (no kubelet in e2e). */
export const skipAwait: pulumi.ResourceTransformation = (args) => {
    if (!args.type.startsWith("kubernetes:") || args.type === "pulumi:providers:kubernetes") {
        return undefined;
    }
    const metadata = (args.props.metadata ?? {}) as Record<string, unknown>;
    const annotations = { ...((metadata.annotations as Record<string, string>) ?? {}), "pulumi.com/skipAwait": "true" };
    return { props: { ...args.props, metadata: { ...metadata, annotations } }, opts: args.opts };
};

/**
 * The whole RAG platform in one namespace: Namespace (Pod Security `restricted`), generated secrets, the
 * platform ConfigMap, storage, PostgreSQL, Redis, the vector store, the API, the frontend, the indexer, the
 * Ingress and the NetworkPolicies. Several instances can live side by side, each in its own namespace.
 */
export class RagPlatform extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    readonly url?: string;
    /** In-cluster DNS names of the platform's services. */
    readonly services: Record<string, pulumi.Output<string>>;
    readonly secretName: pulumi.Output<string>;
    readonly capacity: CapacityReport;

    constructor(name: string, args: RagPlatformArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const cfg = args.config;
        super("rag-platform:index:RagPlatform", name, {}, cfg.skipAwait ? { ...opts, transformations: [...(opts.transformations ?? []), skipAwait] } : opts);
        const protect = cfg.protectStateful;

        const ns = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: cfg.namespace,
                    labels: {
                        "app.kubernetes.io/part-of": PART_OF,
                        "app.kubernetes.io/instance": name,
                        "rag-platform/environment": cfg.environment,
                        "pod-security.kubernetes.io/enforce": "restricted",
                        "pod-security.kubernetes.io/enforce-version": "latest",
                        "pod-security.kubernetes.io/audit": "restricted",
                        "pod-security.kubernetes.io/audit-version": "latest",
                        "pod-security.kubernetes.io/warn": "restricted",
                        "pod-security.kubernetes.io/warn-version": "latest",
                    },
                },
            },
            { parent: this, protect },
        );
        this.namespace = ns.metadata.name;
        const id = (component: string): Identity => ({ instance: name, component, environment: cfg.environment, namespace: this.namespace });
        const child = { parent: this };
        const dns = (service: pulumi.Output<string>) => pulumi.interpolate`${service}.${this.namespace}.svc.cluster.local`;

        const secrets = new PlatformSecrets(`${name}-secrets`, { identity: id("secrets"), rotation: cfg.secretsRotation, llmApiKey: args.llmApiKey }, child);
        this.secretName = secrets.secretName;
        const storage = new PlatformStorage(`${name}-storage`, { identity: id("storage"), config: cfg.storage, protect }, child);
        const datastore = {
            secretName: secrets.secretName,
            storageClassName: storage.storageClassName,
            imagePullSecrets: cfg.imagePullSecrets,
            protect,
        };
        const postgres = new PostgresDatabase(`${name}-postgres`, { identity: id("postgres"), config: cfg.postgres, ...datastore }, child);
        const redis = new RedisCache(`${name}-redis`, { identity: id("redis"), config: cfg.redis, ...datastore }, child);
        const vector = new VectorStore(`${name}-vector-store`, { identity: id("vector-store"), config: cfg.vectorStore, ...datastore }, child);

        // Settings only: every credential comes from the platform Secret.
        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: { name: `${name}-config`, namespace: this.namespace, labels: labels(id("config")) },
                data: {
                    APP_ENV: cfg.environment,
                    LOG_LEVEL: cfg.app.logLevel,
                    MAX_TOKENS: `${cfg.app.maxTokens}`,
                    CHUNK_SIZE: `${cfg.app.chunkSize}`,
                    CHUNK_OVERLAP: `${cfg.app.chunkOverlap}`,
                    EMBEDDING_MODEL: cfg.app.embeddingModel,
                    EMBEDDING_BASE_URL: cfg.app.embeddingBaseUrl,
                    EMBEDDING_DIMENSIONS: `${cfg.app.embeddingDimensions}`,
                    LLM_BASE_URL: cfg.app.llmBaseUrl,
                    LLM_MODEL: cfg.app.llmModel,
                    TOP_K: `${cfg.app.topK}`,
                    CACHE_TTL_SECONDS: `${cfg.app.cacheTtlSeconds}`,
                    MAX_DOCUMENT_BYTES: `${cfg.app.maxDocumentBytes}`,
                    DB_HOST: dns(postgres.serviceName),
                    DB_PORT: `${postgres.port}`,
                    DB_NAME: cfg.postgres.database,
                    DB_USER: cfg.postgres.user,
                    REDIS_HOST: dns(redis.serviceName),
                    REDIS_PORT: `${redis.port}`,
                    VECTOR_DB_ENGINE: cfg.vectorStore.engine,
                    VECTOR_DB_HOST: dns(vector.serviceName),
                    VECTOR_DB_PORT: `${vector.port}`,
                    VECTOR_DB_AUTH_REQUIRED: `${ENGINES[cfg.vectorStore.engine].apiKeySupported}`,
                    API_PORT: `${API_PORT}`,
                    API_BASE_PATH,
                    WORKERS: `${cfg.api.workers}`,
                },
            },
            child,
        );
        const wiring = {
            configMapName: configMap.metadata.name,
            secretName: secrets.secretName,
            appDataClaimName: storage.appDataClaimName,
            imagePullSecrets: cfg.imagePullSecrets,
        };
        const local = cfg.localAccess;
        const api = new ApiService(
            `${name}-api`,
            { identity: id("api"), config: cfg.api, ...wiring, nodePort: local.enabled ? local.apiNodePort : undefined },
            child,
        );
        const frontend = new WebFrontend(
            `${name}-frontend`,
            {
                identity: id("frontend"),
                config: cfg.frontend,
                imagePullSecrets: cfg.imagePullSecrets,
                configMapName: configMap.metadata.name,
                nodePort: local.enabled ? local.frontendNodePort : undefined,
            },
            child,
        );
        // The indexer writes to the datastores: start it once they exist (and, outside tests, are ready).
        new DocumentIndexer(
            `${name}-indexer`,
            {
                identity: id("indexer"),
                config: cfg.indexer,
                ...wiring,
                // Dev has nothing on the app-data claim yet: index the sample documents instead.
                sampleDocuments: cfg.environment === "dev" ? sampleDocuments() : undefined,
            },
            { parent: this, dependsOn: [postgres, redis, vector] },
        );

        if (cfg.ingress.enabled) {
            const ingress = new PlatformIngress(
                `${name}-ingress`,
                { identity: id("ingress"), config: cfg.ingress, api, frontend, apiBasePath: API_BASE_PATH },
                child,
            );
            this.url = ingress.url;
        }
        const engine = ENGINES[cfg.vectorStore.engine];
        const endpoints: Record<string, Endpoint> = {
            api: { component: "api", ports: [API_PORT] },
            frontend: { component: "frontend", ports: [FRONTEND_PORT] },
            vectorStore: { component: "vector-store", ports: engine.ports.map((p) => p.containerPort) },
        };
        const extraIngress: { name: string; fromNamespace?: string; to: Endpoint[] }[] = [];
        if (local.enabled) {
            extraIngress.push({ name: "allow-node-ports", to: [endpoints.api, endpoints.frontend] });
        }
        if (cfg.monitoring.enabled) {
            const scrape: ScrapeTarget[] = [
                { identity: id("api"), portName: "http", path: "/metrics" },
                { identity: id("frontend"), portName: "http", path: "/metrics" },
                ...(engine.metrics ? [{ identity: id("vector-store"), portName: engine.metrics.portName, path: engine.metrics.path }] : []),
            ];
            new PlatformMonitoring(
                `${name}-monitoring`,
                {
                    identity: id("monitoring"),
                    config: cfg.monitoring,
                    targets: scrape,
                    names: {
                        namespace: cfg.namespace,
                        apiService: `${name}-api`,
                        hpas: (["api", "frontend"] as const).filter((s) => cfg[s].autoscaling.enabled).map((s) => `${name}-${s}`),
                        datastores: { postgres: `${name}-postgres`, redis: `${name}-redis`, vectorStore: `${name}-vector-store` },
                    },
                },
                child,
            );
            const metricsPorts: Endpoint[] = [
                endpoints.api,
                endpoints.frontend,
                ...(engine.metrics ? [{ component: "vector-store", ports: [engine.metrics.port] }] : []),
            ];
            extraIngress.push({ name: "allow-monitoring", fromNamespace: cfg.monitoring.prometheusNamespace, to: metricsPorts });
        }
        if (cfg.verticalAutoscaling.enabled) {
            new VerticalAutoscaling(
                `${name}-vpa`,
                {
                    identity: id("vpa"),
                    config: cfg.verticalAutoscaling,
                    targets: [
                        { identity: id("api"), kind: "Deployment", name: api.deploymentName },
                        { identity: id("frontend"), kind: "Deployment", name: frontend.deploymentName },
                        ...(["postgres", "redis", "vector-store"] as const).map((c) => ({
                            identity: id(c),
                            kind: "StatefulSet" as const,
                            name: `${name}-${c}`,
                        })),
                    ],
                },
                child,
            );
        }
        new NetworkPolicies(
            `${name}-network`,
            {
                identity: id("network-policy"),
                config: cfg.networkPolicy,
                api: endpoints.api,
                frontend: endpoints.frontend,
                indexer: { component: "indexer" },
                datastores: [{ component: "postgres", ports: [POSTGRES_PORT] }, { component: "redis", ports: [REDIS_PORT] }, endpoints.vectorStore],
                extraIngress,
            },
            child,
        );

        this.services = {
            api: dns(api.serviceName),
            frontend: dns(frontend.serviceName),
            postgres: dns(postgres.serviceName),
            redis: dns(redis.serviceName),
            vectorStore: dns(vector.serviceName),
        };
        this.capacity = capacityReport(cfg);
        this.registerOutputs({ namespace: this.namespace, url: this.url, services: this.services, secretName: this.secretName });
    }
}
