import type { Logger } from "pino";
import { Answer, AnswerBuilder } from "./answer";
import { AnswerCache } from "./cache";
import { chunkText, normaliseText } from "./chunker";
import { Database, DocumentRow } from "./db";
import { InputError } from "./documents";
import { Embedder } from "./embedder";
import { estimateTokens, sha256, uuidFrom } from "./text";
import { ChunkRecord, VectorStore } from "./vector/types";

export interface NewDocument {
    title: string;
    /** Where it came from: "api", "upload:<file name>", "file:<relative path>". */
    source: string;
    contentType: string;
    bytes: number;
    text: string;
}

export interface IngestResult {
    document: DocumentRow;
    /** False when a document with the same content exists already (nothing was stored). */
    created: boolean;
}

export interface QueryResult extends Answer {
    cached: boolean;
    topK: number;
}

export interface RagOptions {
    chunkSize: number;
    chunkOverlap: number;
    topK: number;
    maxTokens: number;
    maxDocumentBytes: number;
}

/** The RAG operations, shared by the API and the indexer. */
export class RagService {
    constructor(
        readonly opts: RagOptions,
        readonly db: Database,
        readonly store: VectorStore,
        readonly embedder: Embedder,
        readonly answerer: AnswerBuilder,
        readonly log: Logger,
        readonly cache?: AnswerCache,
    ) {}

    /** Chunks, embeds and stores a document; idempotent by content checksum. */
    async ingest(doc: NewDocument): Promise<IngestResult> {
        if (doc.bytes > this.opts.maxDocumentBytes) {
            throw new InputError(
                413,
                "document_too_large",
                `the document is ${doc.bytes} bytes; the limit is ${this.opts.maxDocumentBytes} (MAX_DOCUMENT_BYTES)`,
            );
        }
        const text = normaliseText(doc.text);
        if (text.length === 0) {
            throw new InputError(400, "empty_document", "the document has no text");
        }
        const checksum = sha256(text);
        const existing = await this.db.findByChecksum(checksum);
        if (existing) {
            return { document: existing, created: false };
        }
        const chunks = chunkText(text, this.opts.chunkSize, this.opts.chunkOverlap);
        // Embed before opening the transaction: the slow part holds no database connection.
        const vectors = await this.embedder.embed(chunks.map((c) => c.text));
        const title = doc.title.trim().slice(0, 500) || text.slice(0, 60).split("\n")[0];
        const row = await this.db.insertWith({ title, source: doc.source, checksum, contentType: doc.contentType, bytes: doc.bytes }, async (id) => {
            const records: ChunkRecord[] = chunks.map((c, i) => ({
                id: uuidFrom(`${checksum}:${c.index}`),
                documentId: id,
                chunkIndex: c.index,
                title,
                text: c.text,
                vector: vectors[i],
            }));
            try {
                await this.store.upsert(records);
            } catch (err) {
                // The row is rolled back: remove whatever part of the vectors made it.
                await this.store.deleteDocument(id).catch(() => undefined);
                throw err;
            }
            return records.length;
        });
        if (!row) {
            // Inserted concurrently by another request or indexer.
            const again = await this.db.findByChecksum(checksum);
            if (!again) {
                throw new Error("document vanished during insert");
            }
            return { document: again, created: false };
        }
        await this.invalidateCache();
        return { document: row, created: true };
    }

    async list(limit = 50, offset = 0) {
        return this.db.list(limit, offset);
    }

    /** Removes a document and its vectors; false when there is no such document. */
    async remove(id: string): Promise<boolean> {
        if (!/^\d{1,18}$/.test(id)) {
            throw new InputError(400, "invalid_id", "document ids are positive integers");
        }
        const doc = await this.db.get(id);
        if (!doc) {
            return false;
        }
        await this.store.deleteDocument(id);
        await this.db.delete(id);
        await this.invalidateCache();
        return true;
    }

    async query(question: string, topK = this.opts.topK): Promise<QueryResult> {
        const q = question.trim();
        if (q.length === 0) {
            throw new InputError(400, "empty_question", "question must be a non-empty string");
        }
        const tokens = estimateTokens(q);
        if (tokens > this.opts.maxTokens) {
            throw new InputError(400, "question_too_long", `the question is about ${tokens} tokens; the limit is ${this.opts.maxTokens} (MAX_TOKENS)`);
        }
        const key = sha256(JSON.stringify({ q: q.toLowerCase().replace(/\s+/g, " "), k: topK, m: this.embedder.model }));
        if (this.cache) {
            try {
                const hit = await this.cache.get(key);
                if (hit) {
                    return { ...(JSON.parse(hit) as Answer), cached: true, topK };
                }
            } catch (err) {
                this.log.warn({ err: (err as Error).message }, "answer cache unavailable; answering without it");
            }
        }
        const [vector] = await this.embedder.embed([q]);
        const hits = await this.store.search(vector, topK);
        const answer = await this.answerer.build(q, hits);
        if (this.cache) {
            await this.cache.set(key, JSON.stringify(answer)).catch((err: Error) => this.log.warn({ err: err.message }, "could not cache the answer"));
        }
        return { ...answer, cached: false, topK };
    }

    private async invalidateCache(): Promise<void> {
        if (this.cache) {
            await this.cache.invalidate().catch((err: Error) => this.log.warn({ err: err.message }, "cache invalidation deferred until Redis is back"));
        }
    }

    async close(): Promise<void> {
        await Promise.allSettled([this.db.close(), this.store.close(), this.cache?.close()]);
    }
}
