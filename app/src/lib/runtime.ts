import type { Logger } from "pino";
import { AnswerBuilder, ExtractiveAnswerBuilder, LlmAnswerBuilder } from "./answer";
import { AnswerCache } from "./cache";
import { databaseUrl, redisUrl, Settings } from "./contract";
import { Database } from "./db";
import { Embedder, LocalEmbedder, OpenAIEmbedder } from "./embedder";
import { CollectionRouter, RoutedEmbedder, RoutedVectorStore } from "./collections";
import { RagService } from "./service";
import { createVectorStore } from "./vector";

/**
 * The embedder of a model a collection was recorded with: the local embedding ("local-hash") of any dimension,
 * or that model at EMBEDDING_BASE_URL; an Error when this process cannot embed with it.
 */
export function embedderFor(s: Settings, model: string, dimensions: number): Embedder | Error {
    const local = new LocalEmbedder(dimensions);
    if (model === local.model) {
        return local;
    }
    if (!s.EMBEDDING_BASE_URL) {
        return new Error(
            `the active vector collection was built with the model ${model} of an embeddings endpoint, but EMBEDDING_BASE_URL is empty: set it back, or run \`indexer.js index --rebuild\``,
        );
    }
    return new OpenAIEmbedder(s.EMBEDDING_BASE_URL, model, dimensions, s.LLM_API_KEY);
}

export function createEmbedder(s: Settings): Embedder {
    return s.EMBEDDING_BASE_URL
        ? new OpenAIEmbedder(s.EMBEDDING_BASE_URL, s.EMBEDDING_MODEL, s.EMBEDDING_DIMENSIONS, s.LLM_API_KEY)
        : new LocalEmbedder(s.EMBEDDING_DIMENSIONS);
}

export function createAnswerBuilder(s: Settings): AnswerBuilder {
    return s.LLM_BASE_URL ? new LlmAnswerBuilder(s.LLM_BASE_URL, s.LLM_MODEL, s.LLM_API_KEY, s.MAX_TOKENS) : new ExtractiveAnswerBuilder();
}

/** The router to the collection recorded in PostgreSQL (app/src/lib/collections.ts). */
export function createRouter(s: Settings, db: Database, log: Logger, cacheMs?: number): CollectionRouter {
    return new CollectionRouter({
        db,
        open: (collection, dimensions) => createVectorStore(s, collection, dimensions),
        embedderFor: (model, dimensions) => embedderFor(s, model, dimensions),
        configured: { collection: s.VECTOR_COLLECTION, embedder: createEmbedder(s) },
        log,
        cacheMs,
    });
}

/**
 * Wires the service from settings. Nothing connects here: every client connects on first use. The store and
 * the embedder follow the collection PostgreSQL records as active (RoutedVectorStore, RoutedEmbedder).
 */
export function createService(s: Settings, log: Logger, withCache = true, cacheMs?: number): RagService {
    const db = new Database(databaseUrl(s));
    const router = createRouter(s, db, log, cacheMs);
    return new RagService(
        { chunkSize: s.CHUNK_SIZE, chunkOverlap: s.CHUNK_OVERLAP, topK: s.TOP_K, maxTokens: s.MAX_TOKENS, maxDocumentBytes: s.MAX_DOCUMENT_BYTES },
        db,
        new RoutedVectorStore(router, createVectorStore(s)),
        new RoutedEmbedder(router, router.opts.configured.embedder),
        createAnswerBuilder(s),
        log,
        withCache ? new AnswerCache(redisUrl(s), s.CACHE_TTL_SECONDS) : undefined,
    );
}
