// The vector index is derived from PostgreSQL (document_chunks). `indexer.js index --rebuild` builds a new
// collection from it beside the active one, switches to it, then drops the old one; the backfill copies the
// chunks of documents stored before PostgreSQL kept them from the active collection's payloads.
import type { Logger } from "pino";
import { CollectionRouter } from "./collections";
import { Database } from "./db";
import { Embedder } from "./embedder";
import { UPSERT_BATCH } from "./service";
import { uuidFrom } from "./text";
import { ChunkRecord } from "./vector/types";

export interface BackfillReport {
    /** Documents whose chunks were copied from the vector store into PostgreSQL. */
    copied: string[];
    /** Documents whose chunks are in neither (or not all of them in the vector store): re-upload or delete them. */
    missing: { id: string; title: string; source: string; chunkCount: number; found: number }[];
}

/**
 * Copies into PostgreSQL the chunks of documents that have none there (stored before document_chunks existed),
 * from the active collection's payloads, when it holds every one of them (ordinals 0 … chunk_count - 1). The
 * others are reported missing; nothing is deleted.
 */
export async function backfillChunks(db: Database, router: CollectionRouter, log: Logger): Promise<BackfillReport> {
    const report: BackfillReport = { copied: [], missing: [] };
    const todo = await db.documentsWithoutChunks();
    if (todo.length === 0) {
        return report;
    }
    const { active } = await router.current();
    log.info({ documents: todo.length, collection: active.row.name }, "documents without chunks in PostgreSQL: copying them from the vector store");
    for (const d of todo) {
        const found = await active.store.chunksOf(d.id);
        const byIndex = new Map(found.map((c) => [c.chunkIndex, c.text]));
        const texts = Array.from({ length: d.chunkCount }, (_, k) => byIndex.get(k));
        if (byIndex.size !== d.chunkCount || texts.some((t) => t === undefined)) {
            report.missing.push({ id: d.id, title: d.title, source: d.source, chunkCount: d.chunkCount, found: byIndex.size });
            continue;
        }
        if (await db.addChunks(d.id, texts as string[])) {
            report.copied.push(d.id);
        }
    }
    if (report.copied.length > 0) {
        log.info({ copied: report.copied.length }, `copied the chunks of ${report.copied.length} document(s) from the vector store into PostgreSQL`);
    }
    for (const m of report.missing) {
        log.error(
            { id: m.id, title: m.title, source: m.source, chunks: m.chunkCount, inVectorStore: m.found },
            "document without its chunks in PostgreSQL nor in the vector store: upload it again (or delete it)",
        );
    }
    return report;
}

export interface RebuildOptions {
    /** Chunks read from PostgreSQL per batch (and per upsert). @default UPSERT_BATCH */
    batch?: number;
    /** How long to wait for every process to follow a change of the record. @default twice the router's cache */
    settleMs?: number;
    /** Called once every chunk is in the new collection, before the switch (tests write meanwhile). */
    beforeSwitch?: (building: string) => Promise<void>;
    /** Called right after the switch, before the wait and the drop (tests query the old collection then). */
    afterSwitch?: (active: string) => Promise<void>;
}

export interface RebuildReport {
    from: string;
    to: string;
    model: string;
    dimensions: number;
    chunks: number;
    documents: number;
    seconds: number;
    backfill: BackfillReport;
}

/** Why a rebuild did not start: exit 1 with the message. */
export class RebuildRefused extends Error {
    constructor(
        message: string,
        readonly backfill?: BackfillReport,
    ) {
        super(message);
        this.name = "RebuildRefused";
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Builds a new collection (`<VECTOR_COLLECTION>_g<generation>`, with `embedder`'s model and dimensions) from
 * the chunks in PostgreSQL, switches the record to it in one transaction, waits until every process follows
 * (the record is cached for a few seconds), then drops the old collection. Refuses (RebuildRefused, before
 * anything is built) when a document's chunks are in neither PostgreSQL nor the active collection: a rebuild
 * never drops the only copy of a chunk. Ingests and deletes during the rebuild also reach the new collection (RoutedVectorStore).
 */
export async function rebuildIndex(
    db: Database,
    router: CollectionRouter,
    embedder: Embedder,
    base: string,
    log: Logger,
    opts: RebuildOptions = {},
): Promise<RebuildReport> {
    // One rebuild at a time: a second one would take the first's collection for an interrupted run's.
    const run = await db.withAdvisoryLock(REBUILD_LOCK, () => rebuild(db, router, embedder, base, log, opts));
    if (!run.locked) {
        throw new RebuildRefused("another rebuild is running (it holds the rebuild's advisory lock in PostgreSQL): nothing was changed");
    }
    return run.value;
}

/** pg_advisory_lock key of `index --rebuild` ("ragb" in 32 bits). */
export const REBUILD_LOCK = 0x72616762;

async function rebuild(db: Database, router: CollectionRouter, embedder: Embedder, base: string, log: Logger, opts: RebuildOptions): Promise<RebuildReport> {
    const started = Date.now();
    const batch = opts.batch ?? UPSERT_BATCH;
    const settleMs = opts.settleMs ?? 2 * router.cacheMs;
    const { active: old } = await router.refresh();
    const backfill = await backfillChunks(db, router, log);
    if (backfill.missing.length > 0) {
        throw new RebuildRefused(
            `${backfill.missing.length} document(s) have their chunks neither in PostgreSQL nor (all of them) in the vector store (ids ${backfill.missing
                .map((m) => m.id)
                .join(", ")}): upload them again or delete them, then rebuild; nothing was changed`,
            backfill,
        );
    }
    // A rebuild interrupted earlier left a collection being built: drop it (it was never active).
    for (const left of (await db.collections()).filter((r) => r.state === "building")) {
        log.warn({ collection: left.name }, "dropping the collection an interrupted rebuild left");
        await router.storeFor(left.name, left.dimensions).drop();
        await db.setCollectionState(left.name, "dropped");
        router.forget(left.name);
    }
    const next = await db.startCollection(base, embedder.model, embedder.dimensions);
    const store = router.storeFor(next.name, next.dimensions);
    log.info({ from: old.row.name, to: next.name, model: next.model, dimensions: next.dimensions }, "rebuilding the vector index from PostgreSQL");
    let chunks = 0;
    const documents = new Set<string>();
    try {
        // From now on every process writes to the new collection too, once it has read the record again.
        await sleep(settleMs);
        let after: { documentId: string; ordinal: number } | undefined;
        for (;;) {
            const rows = await db.chunksAfter(after, batch);
            if (rows.length === 0) {
                break;
            }
            const vectors = await embedder.embed(rows.map((r) => r.text));
            const records: ChunkRecord[] = rows.map((r, i) => ({
                id: uuidFrom(`${r.checksum}:${r.ordinal}`),
                documentId: r.documentId,
                chunkIndex: r.ordinal,
                title: r.title,
                text: r.text,
                vector: vectors[i],
            }));
            await store.upsert(records);
            rows.forEach((r) => documents.add(r.documentId));
            chunks += rows.length;
            const last = rows[rows.length - 1];
            after = { documentId: last.documentId, ordinal: last.ordinal };
            log.debug({ chunks, documents: documents.size }, "rebuild progress");
        }
        await opts.beforeSwitch?.(next.name);
        // A document deleted after its chunks were read may have been written after its delete: remove it.
        const ids = [...documents];
        const still = await db.existingIds(ids);
        for (const id of ids.filter((i) => !still.has(i))) {
            await store.deleteDocument(id);
        }
        await db.switchCollection(next.name);
    } catch (err) {
        // Not switched: the active collection is untouched; drop the partial one.
        log.error({ err: (err as Error).message, collection: next.name }, "rebuild failed: the active collection is unchanged; dropping the partial one");
        await store.drop().catch(() => undefined);
        await db.setCollectionState(next.name, "dropped").catch(() => undefined);
        router.forget(next.name);
        throw err;
    }
    log.info({ collection: next.name, chunks, documents: documents.size }, "switched to the new collection");
    await router.refresh();
    await opts.afterSwitch?.(next.name);
    // Queries that read the old record (or embedded for the old collection) finish before it is dropped.
    await sleep(settleMs);
    for (const r of (await db.collections()).filter((c) => c.state === "retired")) {
        await router.storeFor(r.name, r.dimensions).drop();
        await db.setCollectionState(r.name, "dropped");
        router.forget(r.name);
        log.info({ collection: r.name }, "dropped the old collection");
    }
    return {
        from: old.row.name,
        to: next.name,
        model: next.model,
        dimensions: next.dimensions,
        chunks,
        documents: documents.size,
        seconds: (Date.now() - started) / 1000,
        backfill,
    };
}
