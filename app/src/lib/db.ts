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
}

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
        let client: pg.PoolClient;
        try {
            client = await this.pool.connect();
        } catch (err) {
            throw new DatabaseError(err);
        }
        try {
            await this.q("BEGIN", [], client);
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
                await store(ins.rows);
            }
            await this.q("COMMIT", [], client);
            const byChecksum = new Map(ins.rows.map((r) => [r.checksum, r]));
            return docs.map((d) => byChecksum.get(d.checksum));
        } catch (err) {
            await client.query("ROLLBACK").catch(() => undefined);
            throw err;
        } finally {
            client.release();
        }
    }

    async delete(id: string): Promise<boolean> {
        return ((await this.q("DELETE FROM documents WHERE id = $1", [id])).rowCount ?? 0) > 0;
    }

    async close(): Promise<void> {
        await this.pool.end();
    }
}
