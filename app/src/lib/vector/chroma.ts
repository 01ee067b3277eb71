import { ChromaClient, Collection } from "chromadb";
import { ChunkRecord, SearchHit, VectorStore, VectorStoreOptions, readTimeoutMs, VECTOR_WRITE_TIMEOUT_MS, bounded } from "./types";

/** A collection that does not exist: chromadb 3 throws ChromaNotFoundError, "The requested resource could not be found". */
function isNotFound(err: unknown): boolean {
    return (err as Error)?.name === "ChromaNotFoundError" || /not (be )?found|does not exist/i.test((err as Error)?.message ?? "");
}

/** Chroma 1.x through the `chromadb` JS client (v2 HTTP API). Chroma has no API key: none is sent. */
export class ChromaVectorStore implements VectorStore {
    readonly engine = "chroma";
    private readonly client: ChromaClient;
    private collection?: Promise<Collection>;

    constructor(private readonly opts: VectorStoreOptions) {
        this.client = new ChromaClient({ host: opts.host, port: opts.port, ssl: opts.tls === true });
    }

    private coll(): Promise<Collection> {
        if (!this.collection) {
            this.collection = this.client.getOrCreateCollection({
                name: this.opts.collection,
                embeddingFunction: null,
                configuration: { hnsw: { space: "cosine" } },
                metadata: { dimensions: this.opts.dimensions },
            });
            // A failed attempt is retried on the next call.
            this.collection.catch(() => (this.collection = undefined));
        }
        return this.collection;
    }

    ping(): Promise<void> {
        return bounded(readTimeoutMs(this.opts), this.engine, "heartbeat", async () => {
            await this.client.heartbeat();
        });
    }

    upsert(records: ChunkRecord[]): Promise<void> {
        return bounded(VECTOR_WRITE_TIMEOUT_MS, this.engine, "upsert", async () => {
            if (records.length === 0) {
                return;
            }
            const c = await this.coll();
            await c.upsert({
                ids: records.map((r) => r.id),
                embeddings: records.map((r) => r.vector),
                documents: records.map((r) => r.text),
                metadatas: records.map((r) => ({ document_id: r.documentId, chunk_index: r.chunkIndex, title: r.title })),
            });
        });
    }

    search(vector: number[], k: number): Promise<SearchHit[]> {
        return bounded(readTimeoutMs(this.opts), this.engine, "query", async () => {
            const c = await this.coll();
            const res = await c.query({ queryEmbeddings: [vector], nResults: k, include: ["documents", "metadatas", "distances"] });
            const ids = res.ids[0] ?? [];
            return ids.map((id, i) => {
                const m = (res.metadatas[0]?.[i] ?? {}) as Record<string, unknown>;
                return {
                    id,
                    documentId: String(m.document_id),
                    chunkIndex: Number(m.chunk_index),
                    title: String(m.title ?? ""),
                    text: res.documents[0]?.[i] ?? "",
                    // cosine distance = 1 - cosine similarity
                    score: 1 - (res.distances[0]?.[i] ?? 1),
                };
            });
        });
    }

    chunksOf(documentId: string): Promise<{ chunkIndex: number; text: string }[]> {
        return bounded(readTimeoutMs(this.opts), this.engine, "get", async () => {
            const c = await this.coll();
            const res = await c.get({ where: { document_id: documentId }, include: ["documents", "metadatas"] });
            return res.ids.map((_, i) => ({ chunkIndex: Number((res.metadatas[i] ?? {}).chunk_index), text: res.documents[i] ?? "" }));
        });
    }

    count(): Promise<number> {
        return bounded(readTimeoutMs(this.opts), this.engine, "count", async () => {
            // looked up afresh: a handle cached before the store lost the collection would fail, not count 0
            let c: Collection;
            try {
                c = await this.client.getCollection({ name: this.opts.collection });
            } catch (err) {
                if (isNotFound(err)) {
                    this.collection = undefined;
                    return 0;
                }
                throw err;
            }
            return c.count();
        });
    }

    deleteDocument(documentId: string): Promise<void> {
        return bounded(VECTOR_WRITE_TIMEOUT_MS, this.engine, "delete", async () => {
            const c = await this.coll();
            await c.delete({ where: { document_id: documentId } });
        });
    }

    drop(): Promise<void> {
        return bounded(VECTOR_WRITE_TIMEOUT_MS, this.engine, "drop", async () => {
            this.collection = undefined;
            try {
                await this.client.deleteCollection({ name: this.opts.collection });
            } catch (err) {
                if (!isNotFound(err)) {
                    throw err;
                }
            }
        });
    }

    async close(): Promise<void> {}
}
