// What the platform tells its app: the settings in the platform ConfigMap (the contract with app/; see
// docs/platform-contract.md), the model servers and endpoints they point at, and the sample documents dev indexes.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import { EmbeddingServer, InferenceServer } from "../model-serving";
import type { Datastores } from "../datastores";
import type { Identity } from "../shared";

/** The model servers running in the cluster (those in external or local mode are absent). */
export interface ModelServers {
    llm?: InferenceServer;
    embedding?: EmbeddingServer;
    reranker?: EmbeddingServer;
}

export interface SettingsSources {
    cfg: PlatformConfig;
    /** Where each datastore is: an in-cluster Service or an external host. */
    datastores: Datastores;
    models: ModelServers;
    apiPort: number;
    apiBasePath: string;
    /** The in-cluster DNS name of a Service of the platform. */
    dns: (service: pulumi.Output<string>) => pulumi.Output<string>;
}

/** The platform ConfigMap's data: settings only, every credential comes from the platform Secret. */
export function settingsData(s: SettingsSources): Record<string, pulumi.Input<string>> {
    const { cfg } = s;
    const { postgres, redis, vector } = s.datastores;
    return {
        APP_ENV: cfg.environment,
        LOG_LEVEL: cfg.app.logLevel,
        MAX_TOKENS: `${cfg.app.maxTokens}`,
        CHUNK_SIZE: `${cfg.app.chunkSize}`,
        CHUNK_OVERLAP: `${cfg.app.chunkOverlap}`,
        EMBEDDING_DIMENSIONS: `${cfg.app.embeddingDimensions}`,
        TOP_K: `${cfg.app.topK}`,
        CACHE_TTL_SECONDS: `${cfg.app.cacheTtlSeconds}`,
        MAX_DOCUMENT_BYTES: `${cfg.app.maxDocumentBytes}`,
        DB_HOST: postgres.host,
        DB_PORT: `${postgres.port}`,
        DB_NAME: cfg.postgres.database,
        DB_USER: cfg.postgres.user,
        DB_TLS: `${postgres.tls}`,
        REDIS_HOST: redis.host,
        REDIS_PORT: `${redis.port}`,
        REDIS_TLS: `${redis.tls}`,
        VECTOR_DB_ENGINE: vector.engine,
        VECTOR_DB_HOST: vector.host,
        VECTOR_DB_PORT: `${vector.port}`,
        VECTOR_DB_TLS: `${vector.tls}`,
        VECTOR_DB_AUTH_REQUIRED: `${vector.authRequired}`,
        API_PORT: `${s.apiPort}`,
        API_BASE_PATH: s.apiBasePath,
        WORKERS: `${cfg.api.workers}`,
        // OpenAI-compatible endpoints (app contract: LLM_BASE_URL, LLM_MODEL, EMBEDDING_BASE_URL,
        // EMBEDDING_MODEL); an empty base URL selects the app's built-in local mode.
        ...modelEndpoints(s),
    };
}

/** The ConfigMap keys that point the app at its models: in-cluster Services, an external URL, or "" (local mode). */
function modelEndpoints({ cfg, models, dns }: SettingsSources): Record<string, pulumi.Input<string>> {
    const ms = cfg.modelServing;
    const url = (server: InferenceServer | EmbeddingServer | undefined, external: { mode: string; baseUrl: string }): pulumi.Input<string> =>
        server ? pulumi.interpolate`http://${dns(server.serviceName)}:${server.port}/v1` : external.mode === "external" ? external.baseUrl : "";
    return {
        LLM_BASE_URL: url(models.llm, ms.llm),
        LLM_MODEL: ms.llm.model,
        EMBEDDING_BASE_URL: url(models.embedding, ms.embedding),
        // In local mode the app embeds by itself and reports app.embeddingModel.
        EMBEDDING_MODEL: ms.embedding.mode === "local" ? cfg.app.embeddingModel : ms.embedding.model,
        ...(ms.reranker.mode !== "local" ? { RERANKER_BASE_URL: url(models.reranker, ms.reranker), RERANKER_MODEL: ms.reranker.model } : {}),
    };
}

/**
 * The app's sample documents (app/samples), indexed in dev. Found by walking up from this module's directory,
 * so the same code works from components/ (ts-node, tests) and from the compiled bundle in bin/.
 */
export function sampleDocuments(): Record<string, string> {
    const dir = projectPath("app", "samples");
    return Object.fromEntries(
        fs
            .readdirSync(dir)
            .filter((f) => /\.(md|txt)$/.test(f))
            .sort()
            .map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]),
    );
}

/** The model-serving tier: vLLM for the LLM, TEI for embeddings and the optional reranker, each when in-cluster. */
export function createModelServers(args: {
    instance: string;
    cfg: PlatformConfig;
    id: (component: string) => Identity;
    storageClassName?: pulumi.Output<string>;
    opts: pulumi.CustomResourceOptions;
}): ModelServers {
    const { cfg, instance: name, id, opts } = args;
    const ms = cfg.modelServing;
    const shared = { storageClassName: args.storageClassName, imagePullSecrets: cfg.imagePullSecrets };
    const models: ModelServers = {};
    if (ms.llm.mode === "in-cluster") {
        models.llm = new InferenceServer(
            `${name}-llm`,
            { identity: id("llm"), config: ms.llm, requireSeparateNodes: ms.llm.antiAffinity === "required", options: cfg.workloads.llm, ...shared },
            opts,
        );
    }
    if (ms.embedding.mode === "in-cluster") {
        models.embedding = new EmbeddingServer(
            `${name}-embedding`,
            { identity: id("embedding"), config: ms.embedding, mode: "embed", options: cfg.workloads.embedding, ...shared },
            opts,
        );
    }
    if (ms.reranker.mode === "in-cluster") {
        models.reranker = new EmbeddingServer(
            `${name}-reranker`,
            { identity: id("reranker"), config: ms.reranker, mode: "rerank", options: cfg.workloads.reranker, ...shared },
            opts,
        );
    }
    return models;
}

/** `parts` under the nearest ancestor of this module's directory that has them (the repository root). */
function projectPath(...parts: string[]): string {
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const candidate = path.join(dir, ...parts);
        if (fs.existsSync(candidate)) return candidate;
        if (path.dirname(dir) === dir) throw new Error(`${path.join(...parts)} not found above ${__dirname}`);
    }
}
