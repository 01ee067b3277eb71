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

    /**
     * Inserts the document row, runs `store` (which writes the vectors) and records the chunk count, all in
     * one transaction: when `store` throws, no row remains. Returns undefined when the checksum exists already.
     */
    async insertWith(
        doc: { title: string; source: string; checksum: string; contentType: string; bytes: number },
        store: (id: string) => Promise<number>,
    ): Promise<DocumentRow | undefined> {
        let client: pg.PoolClient;
        try {
            client = await this.pool.connect();
        } catch (err) {
            throw new DatabaseError(err);
        }
        try {
            await this.q("BEGIN", [], client);
            const ins = await this.q<{ id: string }>(
                `INSERT INTO documents (title, source, checksum, content_type, bytes) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (checksum) DO NOTHING RETURNING id::text AS id`,
                [doc.title, doc.source, doc.checksum, doc.contentType, doc.bytes],
                client,
            );
            if (ins.rows.length === 0) {
                await this.q("ROLLBACK", [], client);
                return undefined;
            }
            const id = ins.rows[0].id;
            const chunks = await store(id);
            const row = await this.q<DocumentRow>(
                `UPDATE documents SET chunk_count = $2, indexed_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
                [id, chunks],
                client,
            );
            await this.q("COMMIT", [], client);
            return row.rows[0];
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
