import pg from "pg";

// BIGINT ids come back as strings (exact); counts are small.
export interface DocumentRow {
    id: string;
    title: string;
    source: string;
    checksum: string;
    contentType: string;
    bytes: number;
    chunkCount: number;
    indexedAt: string;
}

/** PostgreSQL is unreachable or failed: 503 from the API. */
export class DatabaseError extends Error {
    constructor(cause: unknown) {
        super(`postgresql: ${cause instanceof Error ? cause.message : String(cause)}`);
        this.name = "DatabaseError";
    }
}

/** A document row to insert; its chunk count is known before the transaction. */
export interface NewRow {
    title: string;
    source: string;
    checksum: string;
    contentType: string;
    bytes: number;
    chunkCount: number;
    /** The chunks' text, in order (document_chunks: the source of truth the vector index is rebuilt from). */
    chunks: string[];
}

/** A chunk as PostgreSQL holds it, with what the vector store needs to cite it. */
export interface StoredChunk {
    documentId: string;
    ordinal: number;
    text: string;
    title: string;
    checksum: string;
}

/** A row of vector_collections: a collection built (or being built) from document_chunks. */
export interface CollectionRow {
    name: string;
    generation: number;
    model: string;
    dimensions: number;
    state: "building" | "active" | "retired" | "dropped";
}

const COLLECTION_COLUMNS = `name, generation, embedding_model AS model, dimensions, state`;

/** Chunk rows per INSERT (three arrays of this length per statement). */
const CHUNK_INSERT_BATCH = 5000;

const COLUMNS = `id::text AS id, title, source, checksum, content_type AS "contentType", bytes, chunk_count AS "chunkCount", indexed_at AS "indexedAt"`;

/** The `documents` table. The pool connects lazily and reconnects by itself: an outage never crashes the process. */
export class Database {
    readonly pool: pg.Pool;

    constructor(databaseUrl: string, max = 10) {
        this.pool = new pg.Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 3000, idleTimeoutMillis: 30_000, query_timeout: 15_000 });
        // An idle client losing its connection emits 'error' on the pool: it is dropped, the next query reconnects.
        this.pool.on("error", () => undefined);
    }

    private async q<R extends pg.QueryResultRow>(text: string, values: unknown[] = [], client?: pg.PoolClient): Promise<pg.QueryResult<R>> {
        try {
            return await (client ?? this.pool).query<R>(text, values);
        } catch (err) {
            throw new DatabaseError(err);
        }
    }

    /** A client of the pool of its own (a transaction or a session lock needs one connection throughout). */
    private async connect(): Promise<pg.PoolClient> {
        try {
            return await this.pool.connect();
        } catch (err) {
            throw new DatabaseError(err);
        }
    }

    /** Runs `fn` inside BEGIN … COMMIT on a client of its own; ROLLBACK when it throws. */
    private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
        const client = await this.connect();
        try {
            await this.q("BEGIN", [], client);
            const value = await fn(client);
            await this.q("COMMIT", [], client);
            return value;
        } catch (err) {
            await client.query("ROLLBACK").catch(() => undefined);
            throw err;
        } finally {
            client.release();
        }
    }

    async ping(): Promise<void> {
        await this.q("SELECT 1");
    }

    async findByChecksum(checksum: string): Promise<DocumentRow | undefined> {
        return (await this.q<DocumentRow>(`SELECT ${COLUMNS} FROM documents WHERE checksum = $1`, [checksum])).rows[0];
    }

    async get(id: string): Promise<DocumentRow | undefined> {
        return (await this.q<DocumentRow>(`SELECT ${COLUMNS} FROM documents WHERE id = $1`, [id])).rows[0];
    }

    async list(limit: number, offset: number): Promise<{ total: number; documents: DocumentRow[] }> {
        const rows = await this.q<DocumentRow>(`SELECT ${COLUMNS} FROM documents ORDER BY id DESC LIMIT $1 OFFSET $2`, [limit, offset]);
        const total = await this.q<{ n: string }>("SELECT count(*)::text AS n FROM documents");
        return { total: Number(total.rows[0].n), documents: rows.rows };
    }

    /** The rows with these checksums, by checksum (one query for a whole batch of documents). */
    async findByChecksums(checksums: string[]): Promise<Map<string, DocumentRow>> {
        if (checksums.length === 0) {
            return new Map();
        }
        const res = await this.q<DocumentRow>(`SELECT ${COLUMNS} FROM documents WHERE checksum = ANY($1::text[])`, [checksums]);
        return new Map(res.rows.map((r) => [r.checksum, r]));
    }

    /**
     * Inserts the document rows (one multi-row INSERT, ids in the order of `docs`), runs `store` with the rows
     * inserted (which writes their vectors) and commits, all in one transaction: when `store` throws, no row
     * remains. A document whose checksum exists already is not inserted: its entry is undefined.
     */
    async insertMany(docs: NewRow[], store: (inserted: DocumentRow[]) => Promise<void>): Promise<(DocumentRow | undefined)[]> {
        return this.transaction(async (client) => {
            const ins = await this.q<DocumentRow>(
                `INSERT INTO documents (title, source, checksum, content_type, bytes, chunk_count)
                 SELECT title, source, checksum, content_type, bytes, chunk_count
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[])
                      WITH ORDINALITY AS d (title, source, checksum, content_type, bytes, chunk_count, n)
                 ORDER BY n
                 ON CONFLICT (checksum) DO NOTHING RETURNING ${COLUMNS}`,
                [
                    docs.map((d) => d.title),
                    docs.map((d) => d.source),
                    docs.map((d) => d.checksum),
                    docs.map((d) => d.contentType),
                    docs.map((d) => d.bytes),
                    docs.map((d) => d.chunkCount),
                ],
                client,
            );
            if (ins.rows.length > 0) {
                // The chunks' text first, in the same transaction: a document is never stored without them.
                const chunksOf = new Map(docs.map((d) => [d.checksum, d.chunks]));
                const ids: string[] = [];
                const ordinals: number[] = [];
                const texts: string[] = [];
                for (const r of ins.rows) {
                    (chunksOf.get(r.checksum) ?? []).forEach((t, k) => (ids.push(r.id), ordinals.push(k), texts.push(t)));
                }
                for (let i = 0; i < ids.length; i += CHUNK_INSERT_BATCH) {
                    const end = i + CHUNK_INSERT_BATCH;
                    await this.q(
                        "INSERT INTO document_chunks (document_id, ordinal, text) SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[])",
                        [ids.slice(i, end), ordinals.slice(i, end), texts.slice(i, end)],
                        client,
                    );
                }
                await store(ins.rows);
            }
            const byChecksum = new Map(ins.rows.map((r) => [r.checksum, r]));
            return docs.map((d) => byChecksum.get(d.checksum));
        });
    }

    /** Chunks in (document, ordinal) order after `after` (keyset pagination), at most `limit`. */
    async chunksAfter(after: { documentId: string; ordinal: number } | undefined, limit: number): Promise<StoredChunk[]> {
        const res = await this.q<StoredChunk>(
            `SELECT c.document_id::text AS "documentId", c.ordinal, c.text, d.title, d.checksum
             FROM document_chunks c JOIN documents d ON d.id = c.document_id
             WHERE (c.document_id, c.ordinal) > ($1::bigint, $2::int)
             ORDER BY c.document_id, c.ordinal LIMIT $3`,
            [after?.documentId ?? "0", after?.ordinal ?? -1, limit],
        );
        return res.rows;
    }

    /** Every chunk PostgreSQL holds (the source the vector index is built from). */
    async chunkCount(): Promise<number> {
        const res = await this.q<{ n: number }>("SELECT count(*)::int AS n FROM document_chunks");
        return res.rows[0].n;
    }

    /** Documents with chunks (chunk_count > 0) of which PostgreSQL holds none: stored before document_chunks existed. */
    async documentsWithoutChunks(): Promise<DocumentRow[]> {
        const res = await this.q<DocumentRow>(
            `SELECT ${COLUMNS} FROM documents d
             WHERE chunk_count > 0 AND NOT EXISTS (SELECT 1 FROM document_chunks c WHERE c.document_id = d.id) ORDER BY id`,
        );
        return res.rows;
    }

    /** Stores the chunks of a document that has none yet (the backfill); false when it has some, or is gone. */
    async addChunks(documentId: string, texts: string[]): Promise<boolean> {
        const res = await this.q(
            `INSERT INTO document_chunks (document_id, ordinal, text)
             SELECT $1::bigint, ordinal - 1, text FROM unnest($2::text[]) WITH ORDINALITY AS t (text, ordinal)
             WHERE EXISTS (SELECT 1 FROM documents WHERE id = $1::bigint)
               AND NOT EXISTS (SELECT 1 FROM document_chunks WHERE document_id = $1::bigint)`,
            [documentId, texts],
        );
        return (res.rowCount ?? 0) > 0;
    }

    /** The ids among `ids` that are still documents. */
    async existingIds(ids: string[]): Promise<Set<string>> {
        const res = await this.q<{ id: string }>("SELECT id::text AS id FROM documents WHERE id = ANY($1::bigint[])", [ids]);
        return new Set(res.rows.map((r) => r.id));
    }

    /** The collections not yet dropped (the active one, one being built, retired ones awaiting their drop). */
    async collections(): Promise<CollectionRow[]> {
        return (await this.q<CollectionRow>(`SELECT ${COLLECTION_COLUMNS} FROM vector_collections WHERE state <> 'dropped' ORDER BY generation`)).rows;
    }

    /** Records `c` as the active collection when none is (the first run after the upgrade adopts the configured one). */
    async adoptCollection(c: { name: string; model: string; dimensions: number }): Promise<void> {
        await this.q(
            `INSERT INTO vector_collections (name, generation, embedding_model, dimensions, state, activated_at)
             SELECT $1, COALESCE((SELECT max(generation) FROM vector_collections), 0) + 1, $2, $3, 'active', now()
             WHERE NOT EXISTS (SELECT 1 FROM vector_collections WHERE state IN ('active', 'building'))
             ON CONFLICT DO NOTHING`,
            [c.name, c.model, c.dimensions],
        );
    }

    /** Records a new collection being built: the next generation, named `<base>_g<generation>`. */
    async startCollection(base: string, model: string, dimensions: number): Promise<CollectionRow> {
        const res = await this.q<CollectionRow>(
            `WITH g AS (SELECT COALESCE(max(generation), 0) + 1 AS n FROM vector_collections)
             INSERT INTO vector_collections (name, generation, embedding_model, dimensions, state)
             SELECT $1 || '_g' || g.n, g.n, $2, $3, 'building' FROM g RETURNING ${COLLECTION_COLUMNS}`,
            [base, model, dimensions],
        );
        return res.rows[0];
    }

    /** Makes `name` (being built) the active collection and retires the previous one, in one transaction. */
    async switchCollection(name: string): Promise<void> {
        await this.transaction(async (client) => {
            await this.q("UPDATE vector_collections SET state = 'retired' WHERE state = 'active' AND name <> $1", [name], client);
            const res = await this.q(
                "UPDATE vector_collections SET state = 'active', activated_at = now() WHERE name = $1 AND state = 'building'",
                [name],
                client,
            );
            if ((res.rowCount ?? 0) !== 1) {
                throw new Error(`collection ${name} is not being built: not switched`);
            }
        });
    }

    /**
     * Runs `fn` holding the session-level advisory lock `key` on a connection of its own (released when `fn`
     * ends, or by PostgreSQL when the process dies); `{ locked: false }` at once when another session holds it.
     */
    async withAdvisoryLock<T>(key: number, fn: () => Promise<T>): Promise<{ locked: false } | { locked: true; value: T }> {
        const client = await this.connect();
        try {
            const got = await this.q<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [key], client);
            if (!got.rows[0].ok) {
                return { locked: false };
            }
            try {
                return { locked: true, value: await fn() };
            } finally {
                await client.query("SELECT pg_advisory_unlock($1)", [key]).catch(() => undefined);
            }
        } finally {
            client.release();
        }
    }

    async setCollectionState(name: string, state: CollectionRow["state"]): Promise<void> {
        await this.q("UPDATE vector_collections SET state = $2 WHERE name = $1", [name, state]);
    }

    async delete(id: string): Promise<boolean> {
        return ((await this.q("DELETE FROM documents WHERE id = $1", [id])).rowCount ?? 0) > 0;
    }

    async close(): Promise<void> {
        await this.pool.end();
    }
}
