import type { Logger } from "pino";
import { AnswerBuilder, ExtractiveAnswerBuilder, LlmAnswerBuilder } from "./answer";
import { AnswerCache } from "./cache";
import { databaseUrl, redisUrl, Settings } from "./contract";
import { Database } from "./db";
import { Embedder, LocalEmbedder, OpenAIEmbedder } from "./embedder";
import { RagService } from "./service";
import { createVectorStore } from "./vector";

export function createEmbedder(s: Settings): Embedder {
    return s.EMBEDDING_BASE_URL
        ? new OpenAIEmbedder(s.EMBEDDING_BASE_URL, s.EMBEDDING_MODEL, s.EMBEDDING_DIMENSIONS, s.LLM_API_KEY)
        : new LocalEmbedder(s.EMBEDDING_DIMENSIONS);
}

export function createAnswerBuilder(s: Settings): AnswerBuilder {
    return s.LLM_BASE_URL ? new LlmAnswerBuilder(s.LLM_BASE_URL, s.LLM_MODEL, s.LLM_API_KEY, s.MAX_TOKENS) : new ExtractiveAnswerBuilder();
}

/** Wires the service from settings. Nothing connects here: every client connects on first use. */
export function createService(s: Settings, log: Logger, withCache = true): RagService {
    return new RagService(
        { chunkSize: s.CHUNK_SIZE, chunkOverlap: s.CHUNK_OVERLAP, topK: s.TOP_K, maxTokens: s.MAX_TOKENS, maxDocumentBytes: s.MAX_DOCUMENT_BYTES },
        new Database(databaseUrl(s)),
        createVectorStore(s),
        createEmbedder(s),
        createAnswerBuilder(s),
        log,
        withCache ? new AnswerCache(redisUrl(s), s.CACHE_TTL_SECONDS) : undefined,
    );
}
