// Validators of the application settings and of each workload's section.
import type { Checker } from "../checker";
import {
    API_KEYS,
    APP_KEYS,
    DATASTORE_KEYS,
    GPU_KEYS,
    INDEXER_KEYS,
    LOG_LEVELS,
    PlatformConfig,
    POSTGRES_KEYS,
    SERVICE_KEYS,
    VECTOR_ENGINES,
    VECTOR_STORE_KEYS,
} from "../types";
import { checkDatastore, checkResources, checkService } from "./shared";

const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function validateApp(check: Checker, cfg: PlatformConfig): void {
    check.unknownKeys("app", cfg.app, APP_KEYS);
    check.oneOf("app.logLevel", cfg.app.logLevel, LOG_LEVELS);
    check.int("app.maxTokens", cfg.app.maxTokens, 1, 1_000_000);
    check.int("app.chunkSize", cfg.app.chunkSize, 50, 100_000);
    check.int("app.chunkOverlap", cfg.app.chunkOverlap, 0);
    if (cfg.app.chunkOverlap >= cfg.app.chunkSize) {
        check.fail("app.chunkOverlap", cfg.app.chunkOverlap, `must be smaller than app.chunkSize (${cfg.app.chunkSize})`);
    }
    check.string("app.embeddingModel", cfg.app.embeddingModel, /^\S+$/, "must be a non-empty model name");
    check.int("app.embeddingDimensions", cfg.app.embeddingDimensions, 8, 8192);
    check.int("app.topK", cfg.app.topK, 1, 50);
    check.int("app.cacheTtlSeconds", cfg.app.cacheTtlSeconds, 0, 86_400);
    check.int("app.maxDocumentBytes", cfg.app.maxDocumentBytes, 1024, 104_857_600);
}

export function validateApi(check: Checker, cfg: PlatformConfig): void {
    checkService(check, "api", cfg.api, API_KEYS);
    check.int("api.workers", cfg.api.workers, 1, 64);
    check.unknownKeys("api.gpu", cfg.api.gpu, GPU_KEYS);
    check.bool("api.gpu.enabled", cfg.api.gpu?.enabled);
    check.string("api.gpu.resourceName", cfg.api.gpu?.resourceName, /^[a-z0-9.-]+\/[a-z0-9.-]+$/, "must be an extended resource name such as nvidia.com/gpu");
    check.int("api.gpu.count", cfg.api.gpu?.count, 1, 16);
    check.labelMap("api.gpu.nodeSelector", cfg.api.gpu?.nodeSelector);
}

export function validateFrontend(check: Checker, cfg: PlatformConfig): void {
    checkService(check, "frontend", cfg.frontend, SERVICE_KEYS);
}

export function validatePostgres(check: Checker, cfg: PlatformConfig): void {
    checkDatastore(check, "postgres", cfg.postgres, POSTGRES_KEYS);
    check.string("postgres.database", cfg.postgres.database, PG_IDENTIFIER, "must be a PostgreSQL identifier (lower-case letters, digits, '_')");
    check.string("postgres.user", cfg.postgres.user, PG_IDENTIFIER, "must be a PostgreSQL identifier (lower-case letters, digits, '_')");
    // ha: a primary and a synchronous standby at least; more than 9 asks more of the DCS than a namespace should
    check.int("postgres.instances", cfg.postgres.instances, 2, 9);
    check.image("postgres.patroniImage", cfg.postgres.patroniImage);
}

export function validateRedis(check: Checker, cfg: PlatformConfig): void {
    checkDatastore(check, "redis", cfg.redis, DATASTORE_KEYS);
}

export function validateVectorStore(check: Checker, cfg: PlatformConfig): void {
    checkDatastore(check, "vectorStore", cfg.vectorStore, VECTOR_STORE_KEYS);
    check.oneOf("vectorStore.engine", cfg.vectorStore.engine, VECTOR_ENGINES);
}

export function validateIndexer(check: Checker, cfg: PlatformConfig): void {
    check.unknownKeys("indexer", cfg.indexer, INDEXER_KEYS);
    check.image("indexer.image", cfg.indexer.image);
    checkResources(check, "indexer.resources", cfg.indexer.resources);
    check.int("indexer.backoffLimit", cfg.indexer.backoffLimit, 0, 100);
    check.int("indexer.ttlSecondsAfterFinished", cfg.indexer.ttlSecondsAfterFinished, 0);
    check.int("indexer.activeDeadlineSeconds", cfg.indexer.activeDeadlineSeconds, 1);
    if (cfg.indexer.schedule !== undefined) {
        check.cron("indexer.schedule", cfg.indexer.schedule);
    }
}
