import type { Logger } from "pino";
import { Answer, AnswerBuilder } from "./answer";
import { AnswerCache } from "./cache";
import { Chunk, chunkNormalised, normaliseText } from "./chunker";
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

/** What became of one document of a batch: stored (or found stored), or why not. */
export type IngestOutcome = { result: IngestResult } | { error: Error };

/** Chunks per vector-store upsert call and per PostgreSQL transaction of a batch (Chroma takes up to 5,461). */
export const UPSERT_BATCH = 1000;

/** How long one comparison of PostgreSQL's chunks with the vector index serves readiness probes and scrapes. */
export const INDEX_STATUS_TTL_MS = 10_000;

/** PostgreSQL's chunks against the active vector collection's: `missing` > 0 is a wiped or partial index. */
export interface IndexStatus {
    chunks: number;
    indexed: number;
    missing: number;
}
/** Texts per embedding call of a batch (the OpenAI-compatible embedder's request size). */
const EMBED_SLICE = 64;

interface Prepared extends NewDocument {
    checksum: string;
}

interface Pending {
    /** Position in the batch. */
    i: number;
    doc: Prepared;
    chunks: Chunk[];
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

    private indexCheck?: { at: number; status: Promise<IndexStatus> };

    /**
     * PostgreSQL's chunks against the active collection's, at most every INDEX_STATUS_TTL_MS (readiness probes
     * and scrapes ask): a vector store whose volume was wiped answers its heartbeat but holds nothing, and only
     * this comparison notices (then `index --rebuild`). Chunks indexed beyond PostgreSQL's (documents stored
     * before it kept chunks) do not count as missing. A failed comparison is kept for the TTL as well.
     */
    indexStatus(now = Date.now()): Promise<IndexStatus> {
        if (!this.indexCheck || now - this.indexCheck.at >= INDEX_STATUS_TTL_MS) {
            const status = Promise.all([this.db.chunkCount(), this.store.count()]).then(([chunks, indexed]) => ({
                chunks,
                indexed,
                missing: Math.max(0, chunks - indexed),
            }));
            // a failure is kept for the TTL too: during an outage, probes and scrapes do not each ask again
            status.catch(() => undefined);
            this.indexCheck = { at: now, status };
        }
        return this.indexCheck.status;
    }

    /** Chunks, embeds and stores a document; idempotent by content checksum. */
    async ingest(doc: NewDocument): Promise<IngestResult> {
        const [outcome] = await this.ingestMany([doc]);
        if ("error" in outcome) {
            throw outcome.error;
        }
        return outcome.result;
    }

    /**
     * Chunks, embeds and stores documents (the indexer's stream of files); idempotent by content checksum.
     * Documents are taken in groups of at most UPSERT_BATCH chunks: one query finds those of a group stored
     * already, the others are written in one PostgreSQL transaction (one multi-row INSERT) around the upserts
     * of their vectors. While a group is being written, the next ones are read, chunked and embedded. When a
     * group fails, its documents are retried one by one, so that an outcome is each document's own.
     * One outcome per document, in order (each also given to `onOutcome` as soon as it is known); never throws
     * for a document's sake (only when `docs` itself throws).
     */
    async ingestMany(
        docs: Iterable<NewDocument> | AsyncIterable<NewDocument>,
        onOutcome: (i: number, outcome: IngestOutcome) => void = () => undefined,
    ): Promise<IngestOutcome[]> {
        const outcomes: IngestOutcome[] = [];
        const settle = (i: number, o: IngestOutcome) => {
            outcomes[i] = o;
            onOutcome(i, o);
        };
        // The first document with a checksum is written; later ones with the same text get its outcome.
        const first = new Map<string, number>();
        const duplicates: { i: number; of: number }[] = [];
        let group: Pending[] = [];
        let size = 0;
        let writing: Promise<void> = Promise.resolve();
        const flush = async () => {
            const taken = group;
            group = [];
            size = 0;
            let fresh: Pending[];
            try {
                const existing = await this.db.findByChecksums(taken.map((p) => p.doc.checksum));
                fresh = taken.filter((p) => {
                    const found = existing.get(p.doc.checksum);
                    if (found) {
                        settle(p.i, { result: { document: found, created: false } });
                    }
                    return !found;
                });
            } catch (err) {
                taken.forEach((p) => settle(p.i, { error: err as Error }));
                return;
            }
            if (fresh.length > 0) {
                // Embed before opening the transaction: the slow part holds no database connection.
                const vectors = await this.embedSlices(fresh.flatMap((p) => p.chunks.map((c) => c.text))).catch((err: Error) => err);
                await writing;
                writing = this.writeGroup(fresh, vectors, settle);
            }
        };
        let i = 0;
        for await (const d of docs) {
            const n = i++;
            let doc: Prepared;
            try {
                doc = this.prepare(d);
            } catch (err) {
                settle(n, { error: err as Error });
                continue;
            }
            const of = first.get(doc.checksum);
            if (of !== undefined) {
                duplicates.push({ i: n, of });
                continue;
            }
            first.set(doc.checksum, n);
            const chunks = chunkNormalised(doc.text, this.opts.chunkSize, this.opts.chunkOverlap);
            if (group.length > 0 && size + chunks.length > UPSERT_BATCH) {
                await flush();
            }
            group.push({ i: n, doc, chunks });
            size += chunks.length;
        }
        if (group.length > 0) {
            await flush();
        }
        await writing;
        for (const { i: n, of } of duplicates) {
            const o = outcomes[of];
            settle(n, "error" in o ? o : { result: { document: o.result.document, created: false } });
        }
        return outcomes;
    }

    /** Normalises and checks a document (InputError when it cannot be stored). */
    private prepare(doc: NewDocument): Prepared {
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
        const title = doc.title.trim().slice(0, 500) || text.slice(0, 60).split("\n")[0];
        return { ...doc, text, title, checksum: sha256(text) };
    }

    /** One transaction: the group's rows, the upserts of their vectors, commit. Records an outcome per document. */
    private async writeGroup(group: Pending[], vectors: number[][] | Error, settle: (i: number, o: IngestOutcome) => void): Promise<void> {
        try {
            if (vectors instanceof Error) {
                throw vectors;
            }
            const offsets: number[] = [];
            group.reduce((n, p) => (offsets.push(n), n + p.chunks.length), 0);
            const rows = await this.db.insertMany(
                group.map(({ doc, chunks }) => ({
                    title: doc.title,
                    source: doc.source,
                    checksum: doc.checksum,
                    contentType: doc.contentType,
                    bytes: doc.bytes,
                    chunkCount: chunks.length,
                    chunks: chunks.map((c) => c.text),
                })),
                async (inserted) => {
                    const byChecksum = new Map(inserted.map((r) => [r.checksum, r.id]));
                    const records: ChunkRecord[] = [];
                    group.forEach(({ doc, chunks }, g) => {
                        const id = byChecksum.get(doc.checksum);
                        if (id !== undefined) {
                            chunks.forEach((c, k) =>
                                records.push({
                                    id: uuidFrom(`${doc.checksum}:${c.index}`),
                                    documentId: id,
                                    chunkIndex: c.index,
                                    title: doc.title,
                                    text: c.text,
                                    vector: vectors[offsets[g] + k],
                                }),
                            );
                        }
                    });
                    try {
                        for (let i = 0; i < records.length; i += UPSERT_BATCH) {
                            await this.store.upsert(records.slice(i, i + UPSERT_BATCH));
                        }
                    } catch (err) {
                        // The rows are rolled back: remove whatever part of the vectors made it.
                        await Promise.all(inserted.map((r) => this.store.deleteDocument(r.id).catch(() => undefined)));
                        throw err;
                    }
                },
            );
            for (const [g, { i, doc }] of group.entries()) {
                const row = rows[g];
                if (row) {
                    settle(i, { result: { document: row, created: true } });
                    continue;
                }
                // Inserted concurrently by another request or indexer.
                const again = await this.db.findByChecksum(doc.checksum);
                settle(i, again ? { result: { document: again, created: false } } : { error: new Error("document vanished during insert") });
            }
            if (rows.some((r) => r !== undefined)) {
                await this.invalidateCache();
            }
        } catch (err) {
            if (group.length === 1) {
                settle(group[0].i, { error: err as Error });
                return;
            }
            // Each document on its own: a document that can be stored is, and a failure is its own.
            let offset = 0;
            for (const p of group) {
                const own =
                    vectors instanceof Error
                        ? await this.embedder.embed(p.chunks.map((c) => c.text)).catch((e: Error) => e)
                        : vectors.slice(offset, offset + p.chunks.length);
                await this.writeGroup([p], own, settle);
                offset += p.chunks.length;
            }
        }
    }

    /**
     * Embeds in slices of EMBED_SLICE, letting pending I/O run between two (the local embedder computes
     * synchronously): the group being written meanwhile sends its rows and vectors without waiting for these.
     */
    private async embedSlices(texts: string[]): Promise<number[][]> {
        const out: number[][] = [];
        for (let i = 0; i < texts.length; i += EMBED_SLICE) {
            if (i > 0) {
                await new Promise((resolve) => setImmediate(resolve));
            }
            out.push(...(await this.embedder.embed(texts.slice(i, i + EMBED_SLICE))));
        }
        return out;
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
        let generation: string | undefined;
        if (this.cache) {
            try {
                const hit = await this.cache.lookup(key);
                if (hit?.value) {
                    return { ...(JSON.parse(hit.value) as Answer), cached: true, topK };
                }
                generation = hit?.generation;
            } catch (err) {
                this.log.warn({ err: (err as Error).message }, "answer cache unavailable; answering without it");
            }
        }
        const [vector] = await this.embedder.embed([q]);
        const hits = await this.store.search(vector, topK);
        const answer = await this.answerer.build(q, hits);
        const cache = this.cache;
        if (cache) {
            // Under the generation the lookup saw: documents that changed since invalidate this answer too. After
            // the response is written (setImmediate runs once this turn's I/O is done), not in its way; a later
            // lookup, which needs a later request, follows it on the same connection.
            setImmediate(() => {
                cache.set(key, JSON.stringify(answer), generation).catch((err: Error) => this.log.warn({ err: err.message }, "could not cache the answer"));
            });
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
