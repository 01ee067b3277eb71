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
    /** How long a read may take (searches, heartbeats). @default VECTOR_READ_TIMEOUT_MS */
    readTimeoutMs?: number;
}

/** The vector store failed or is unreachable: 503 from the API. */
export class VectorStoreError extends Error {
    constructor(engine: string, op: string, cause: unknown) {
        super(`${engine} ${op} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
        this.name = "VectorStoreError";
    }
}

/**
 * The longest a search, a heartbeat or a read waits on the vector store before it is a VectorStoreError (503
 * from the API). A store whose pod went away with a request on its socket (a drain, a lost node) can leave that
 * request waiting on TCP's retransmissions for minutes: the HA tier's load client saw queries time out at its
 * 30 s while a drained node's vector store moved. Chroma's client has no timeout of its own.
 */
export const VECTOR_READ_TIMEOUT_MS = 10_000;
/** The same bound for writes (an indexer group's upsert, a document's removal), as Qdrant's and Milvus' clients' own. */
export const VECTOR_WRITE_TIMEOUT_MS = 30_000;

/** The read bound of a store's options: its `readTimeoutMs`, else VECTOR_READ_TIMEOUT_MS. */
export function readTimeoutMs(opts: Pick<VectorStoreOptions, "readTimeoutMs">): number {
    return opts.readTimeoutMs ?? VECTOR_READ_TIMEOUT_MS;
}

/** Runs `op`, wrapping any failure in a VectorStoreError. */
export async function wrap<T>(engine: string, op: string, fn: () => Promise<T>): Promise<T> {
    try {
        return await fn();
    } catch (err) {
        throw err instanceof VectorStoreError ? err : new VectorStoreError(engine, op, err);
    }
}

/**
 * As wrap, and its not settling within `timeoutMs` is a VectorStoreError too (the operation itself is left to
 * finish or fail on its own: the clients take no per-request signal). Its message says "timeout": a batch process
 * waiting for the store at start retries it (startup.ts).
 */
export function bounded<T>(timeoutMs: number, engine: string, op: string, fn: () => Promise<T>): Promise<T> {
    return wrap(engine, op, async () => {
        const work = fn();
        work.catch(() => undefined); // settles after the bound: not an unhandled rejection
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timeout: no answer within ${timeoutMs / 1000} s`)), timeoutMs);
        });
        try {
            return await Promise.race([work, late]);
        } finally {
            clearTimeout(timer);
        }
    });
}
