import { QdrantClient } from "@qdrant/js-client-rest";
import { ChunkRecord, SearchHit, VectorStore, VectorStoreOptions, readTimeoutMs, bounded, wrap } from "./types";

/** Qdrant over its REST API (`@qdrant/js-client-rest`), API key in the `api-key` header. */
export class QdrantVectorStore implements VectorStore {
    readonly engine = "qdrant";
    private readonly client: QdrantClient;
    private ready?: Promise<void>;

    constructor(private readonly opts: VectorStoreOptions) {
        this.client = new QdrantClient({ host: opts.host, port: opts.port, https: opts.tls === true, apiKey: opts.apiKey || undefined, timeout: 30_000 });
    }

    private ensure(): Promise<void> {
        if (!this.ready) {
            this.ready = (async () => {
                const { exists } = await this.client.collectionExists(this.opts.collection);
                if (!exists) {
                    await this.client.createCollection(this.opts.collection, { vectors: { size: this.opts.dimensions, distance: "Cosine" } });
                    await this.client.createPayloadIndex(this.opts.collection, { field_name: "document_id", field_schema: "keyword", wait: true });
                }
            })();
            this.ready.catch(() => (this.ready = undefined));
        }
        return this.ready;
    }

    ping(): Promise<void> {
        return bounded(readTimeoutMs(this.opts), this.engine, "ping", async () => {
            await this.client.getCollections();
        });
    }

    upsert(records: ChunkRecord[]): Promise<void> {
        return wrap(this.engine, "upsert", async () => {
            if (records.length === 0) {
                return;
            }
            await this.ensure();
            await this.client.upsert(this.opts.collection, {
                wait: true,
                points: records.map((r) => ({
                    id: r.id,
                    vector: r.vector,
                    payload: { document_id: r.documentId, chunk_index: r.chunkIndex, title: r.title, text: r.text },
                })),
            });
        });
    }

    search(vector: number[], k: number): Promise<SearchHit[]> {
        return bounded(readTimeoutMs(this.opts), this.engine, "search", async () => {
            await this.ensure();
            const hits = await this.client.search(this.opts.collection, { vector, limit: k, with_payload: true });
            return hits.map((h) => {
                const p = (h.payload ?? {}) as Record<string, unknown>;
                return {
                    id: String(h.id),
                    documentId: String(p.document_id),
                    chunkIndex: Number(p.chunk_index),
                    title: String(p.title ?? ""),
                    text: String(p.text ?? ""),
                    score: h.score,
                };
            });
        });
    }

    chunksOf(documentId: string): Promise<{ chunkIndex: number; text: string }[]> {
        return wrap(this.engine, "scroll", async () => {
            await this.ensure();
            const out: { chunkIndex: number; text: string }[] = [];
            let offset: string | number | undefined;
            do {
                const page = await this.client.scroll(this.opts.collection, {
                    filter: { must: [{ key: "document_id", match: { value: documentId } }] },
                    limit: 1000,
                    with_payload: ["chunk_index", "text"],
                    with_vector: false,
                    ...(offset !== undefined ? { offset } : {}),
                });
                for (const p of page.points) {
                    const payload = (p.payload ?? {}) as Record<string, unknown>;
                    out.push({ chunkIndex: Number(payload.chunk_index), text: String(payload.text ?? "") });
                }
                const next = page.next_page_offset;
                offset = typeof next === "string" || typeof next === "number" ? next : undefined;
            } while (offset !== undefined);
            return out;
        });
    }

    count(): Promise<number> {
        return wrap(this.engine, "count", async () => {
            const { exists } = await this.client.collectionExists(this.opts.collection);
            if (!exists) {
                this.ready = undefined;
                return 0;
            }
            return (await this.client.count(this.opts.collection, { exact: true })).count;
        });
    }

    deleteDocument(documentId: string): Promise<void> {
        return wrap(this.engine, "delete", async () => {
            await this.ensure();
            await this.client.delete(this.opts.collection, { wait: true, filter: { must: [{ key: "document_id", match: { value: documentId } }] } });
        });
    }

    drop(): Promise<void> {
        return wrap(this.engine, "drop", async () => {
            this.ready = undefined;
            await this.client.deleteCollection(this.opts.collection);
        });
    }

    async close(): Promise<void> {}
}
