import { DataType, MilvusClient } from "@zilliz/milvus2-sdk-node";
import { ChunkRecord, SearchHit, VectorStore, VectorStoreOptions, readTimeoutMs, bounded, wrap } from "./types";

interface Status {
    error_code?: string | number;
    code?: number;
    reason?: string;
}

function check(op: string, status: Status | undefined): void {
    if (status && status.error_code !== undefined && status.error_code !== "Success" && status.error_code !== 0) {
        throw new Error(`${op}: ${status.error_code} ${status.reason ?? ""}`.trim());
    }
}

/** Milvus standalone over gRPC (`@zilliz/milvus2-sdk-node`), with a token when one is configured. */
export class MilvusVectorStore implements VectorStore {
    readonly engine = "milvus";
    private client?: MilvusClient;
    private ready?: Promise<void>;

    constructor(private readonly opts: VectorStoreOptions) {}

    private get c(): MilvusClient {
        if (!this.client) {
            // The client connects lazily on its first call and reconnects by itself.
            this.client = new MilvusClient({
                address: `${this.opts.host}:${this.opts.port}`,
                token: this.opts.apiKey || undefined,
                ssl: this.opts.tls === true,
                timeout: 30_000,
            });
        }
        return this.client;
    }

    private ensure(): Promise<void> {
        if (!this.ready) {
            const collection_name = this.opts.collection;
            this.ready = (async () => {
                const has = await this.c.hasCollection({ collection_name });
                check("hasCollection", has.status);
                if (!has.value) {
                    check(
                        "createCollection",
                        await this.c.createCollection({
                            collection_name,
                            fields: [
                                { name: "id", data_type: DataType.VarChar, is_primary_key: true, max_length: 64 },
                                { name: "document_id", data_type: DataType.VarChar, max_length: 64 },
                                { name: "chunk_index", data_type: DataType.Int64 },
                                { name: "title", data_type: DataType.VarChar, max_length: 1024 },
                                { name: "text", data_type: DataType.VarChar, max_length: 65535 },
                                { name: "vector", data_type: DataType.FloatVector, dim: this.opts.dimensions },
                            ],
                        }),
                    );
                    check(
                        "createIndex",
                        await this.c.createIndex({
                            collection_name,
                            field_name: "vector",
                            index_type: "HNSW",
                            metric_type: "COSINE",
                            params: { M: 16, efConstruction: 200 },
                        }),
                    );
                }
                check("loadCollection", await this.c.loadCollectionSync({ collection_name }));
            })();
            this.ready.catch(() => (this.ready = undefined));
        }
        return this.ready;
    }

    ping(): Promise<void> {
        return bounded(readTimeoutMs(this.opts), this.engine, "checkHealth", async () => {
            const res = await this.c.checkHealth();
            if (!res.isHealthy) {
                throw new Error(`unhealthy: ${(res.reasons ?? []).join("; ")}`);
            }
        });
    }

    upsert(records: ChunkRecord[]): Promise<void> {
        return wrap(this.engine, "upsert", async () => {
            if (records.length === 0) {
                return;
            }
            await this.ensure();
            const res = await this.c.upsert({
                collection_name: this.opts.collection,
                data: records.map((r) => ({ id: r.id, document_id: r.documentId, chunk_index: r.chunkIndex, title: r.title, text: r.text, vector: r.vector })),
            });
            check("upsert", res.status);
        });
    }

    search(vector: number[], k: number): Promise<SearchHit[]> {
        return bounded(readTimeoutMs(this.opts), this.engine, "search", async () => {
            await this.ensure();
            const res = await this.c.search({
                collection_name: this.opts.collection,
                data: [vector],
                limit: k,
                metric_type: "COSINE",
                output_fields: ["document_id", "chunk_index", "title", "text"],
            });
            check("search", res.status);
            return (res.results as Record<string, unknown>[]).map((h) => ({
                id: String(h.id),
                documentId: String(h.document_id),
                chunkIndex: Number(h.chunk_index),
                title: String(h.title ?? ""),
                text: String(h.text ?? ""),
                score: Number(h.score),
            }));
        });
    }

    chunksOf(documentId: string): Promise<{ chunkIndex: number; text: string }[]> {
        return wrap(this.engine, "query", async () => {
            await this.ensure();
            const res = await this.c.query({
                collection_name: this.opts.collection,
                filter: `document_id == ${JSON.stringify(documentId)}`,
                output_fields: ["chunk_index", "text"],
                limit: 16384,
            });
            check("query", res.status);
            return (res.data as Record<string, unknown>[]).map((r) => ({ chunkIndex: Number(r.chunk_index), text: String(r.text ?? "") }));
        });
    }

    count(): Promise<number> {
        return wrap(this.engine, "count", async () => {
            const has = await this.c.hasCollection({ collection_name: this.opts.collection });
            check("hasCollection", has.status);
            if (!has.value) {
                this.ready = undefined;
                return 0;
            }
            const res = await this.c.count({ collection_name: this.opts.collection });
            check("count", res.status);
            return Number(res.data);
        });
    }

    deleteDocument(documentId: string): Promise<void> {
        return wrap(this.engine, "delete", async () => {
            await this.ensure();
            const res = await this.c.delete({ collection_name: this.opts.collection, filter: `document_id == ${JSON.stringify(documentId)}` });
            check("delete", res.status);
        });
    }

    drop(): Promise<void> {
        return wrap(this.engine, "drop", async () => {
            this.ready = undefined;
            check("dropCollection", await this.c.dropCollection({ collection_name: this.opts.collection }));
        });
    }

    async close(): Promise<void> {
        await this.client?.closeConnection();
    }
}
