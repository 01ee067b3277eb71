/** A chunk as stored in the vector store: the vector and what is needed to cite it. */
export interface ChunkRecord {
    /** UUID-shaped, deterministic (document checksum + chunk index). */
    id: string;
    documentId: string;
    chunkIndex: number;
    title: string;
    text: string;
    vector: number[];
}

export interface SearchHit {
    id: string;
    documentId: string;
    chunkIndex: number;
    title: string;
    text: string;
    /** Cosine similarity, higher is closer. */
    score: number;
}

/**
 * One interface over the engines the platform deploys. The collection is created on first use with the
 * embedding dimension and cosine distance.
 */
export interface VectorStore {
    readonly engine: string;
    /** Throws when the engine is unreachable. */
    ping(): Promise<void>;
    upsert(records: ChunkRecord[]): Promise<void>;
    search(vector: number[], k: number): Promise<SearchHit[]>;
    /**
     * The chunks of a document as the collection stores them (its text is in their payloads), in no given
     * order: how documents stored before PostgreSQL kept their chunks get them back (the backfill).
     */
    chunksOf(documentId: string): Promise<{ chunkIndex: number; text: string }[]>;
    /**
     * How many chunks the collection holds: 0 when it does not exist (a wiped volume, a collection deleted by
     * hand). Compared with PostgreSQL's chunks by the readiness report and `rag_vector_index_missing_chunks`.
     */
    count(): Promise<number>;
    /** Removes every chunk of a document. */
    deleteDocument(documentId: string): Promise<void>;
    /** Drops the whole collection (tests, re-index from scratch). */
    drop(): Promise<void>;
    close(): Promise<void>;
}

export interface VectorStoreOptions {
    host: string;
    port: number;
    apiKey: string;
    collection: string;
    dimensions: number;
    /** Connect over TLS (HTTPS, TLS gRPC). @default false */
    tls?: boolean;
}

/** The vector store failed or is unreachable: 503 from the API. */
export class VectorStoreError extends Error {
    constructor(engine: string, op: string, cause: unknown) {
        super(`${engine} ${op} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
        this.name = "VectorStoreError";
    }
}

/** Runs `op`, wrapping any failure in a VectorStoreError. */
export async function wrap<T>(engine: string, op: string, fn: () => Promise<T>): Promise<T> {
    try {
        return await fn();
    } catch (err) {
        throw err instanceof VectorStoreError ? err : new VectorStoreError(engine, op, err);
    }
}
