// Which vector collection the app uses. PostgreSQL records the collections built from its chunks
// (vector_collections: the active one, and one being built by `indexer.js index --rebuild`, with the embedding
// model and dimensions of each). The API and the indexer read that record (cached for a few seconds, the last
// one read kept while PostgreSQL is away) and route to it: queries search the active collection, embedded
// with its own model; writes go to the active one and to the one being built, so that a rebuild misses
// nothing written meanwhile. A switch is one PostgreSQL transaction; every process follows it within the
// cache's lifetime, and the rebuild drops the old collection only after that.
import type { Logger } from "pino";
import { CollectionRow, Database } from "./db";
import { Embedder } from "./embedder";
import { ChunkRecord, SearchHit, VectorStore } from "./vector/types";

/** How long a process trusts the record it read (API and indexer): the rebuild waits twice this before it relies on every process having followed. */
export const COLLECTION_CACHE_MS = 2000;

/** A collection with its store and the embedder of its model. */
export interface Target {
    row: CollectionRow;
    store: VectorStore;
    embedder: Embedder;
    /** `<model>/<dimensions>`: vectors made by `embedder`. */
    key: string;
}

export interface RouterOptions {
    db: Database;
    /** A store for a collection of these dimensions (one per name: the router keeps them). */
    open: (collection: string, dimensions: number) => VectorStore;
    /** The embedder of a recorded model, or an Error saying why this process cannot embed with it. */
    embedderFor: (model: string, dimensions: number) => Embedder | Error;
    /** The configured collection (VECTOR_COLLECTION) and embedder: adopted as the active collection when none is recorded. */
    configured: { collection: string; embedder: Embedder };
    log: Logger;
    cacheMs?: number;
}

const keyOf = (model: string, dimensions: number) => `${model}/${dimensions}`;

/** The vectors a routed embedder made, by the collection they were made for. */
const madeWith = new WeakMap<number[], Target>();

export class CollectionRouter {
    private cached?: { active: Target; building: Target[]; until: number };
    private reading?: Promise<{ active: Target; building: Target[] }>;
    private readonly stores = new Map<string, VectorStore>();
    private readonly targets = new Map<string, Target>();
    private warned = new Set<string>();
    readonly cacheMs: number;

    constructor(readonly opts: RouterOptions) {
        this.cacheMs = opts.cacheMs ?? COLLECTION_CACHE_MS;
    }

    storeFor(name: string, dimensions: number): VectorStore {
        let s = this.stores.get(name);
        if (!s) {
            s = this.opts.open(name, dimensions);
            this.stores.set(name, s);
        }
        return s;
    }

    /** Forgets a dropped collection's store. */
    forget(name: string): void {
        this.stores.delete(name);
        this.targets.delete(name);
    }

    private target(row: CollectionRow): Target {
        const known = this.targets.get(row.name);
        if (known && known.row.model === row.model && known.row.dimensions === row.dimensions) {
            known.row = row;
            return known;
        }
        const made = this.opts.embedderFor(row.model, row.dimensions);
        // A model this process cannot embed with: its queries and writes fail saying so, while the rest (a
        // rebuild to another model, the backfill) goes on.
        const embedder: Embedder =
            made instanceof Error
                ? {
                      model: row.model,
                      dimensions: row.dimensions,
                      embed: () => Promise.reject(made),
                  }
                : made;
        const t: Target = { row, store: this.storeFor(row.name, row.dimensions), embedder, key: keyOf(row.model, row.dimensions) };
        this.targets.set(row.name, t);
        return t;
    }

    /** Reads the record now (adopting the configured collection when none is recorded). */
    async refresh(): Promise<{ active: Target; building: Target[] }> {
        const { db, configured, log } = this.opts;
        let rows = await db.collections();
        if (!rows.some((r) => r.state === "active")) {
            await db.adoptCollection({ name: configured.collection, model: configured.embedder.model, dimensions: configured.embedder.dimensions });
            rows = await db.collections();
        }
        const activeRow = rows.find((r) => r.state === "active");
        if (!activeRow) {
            throw new Error("no active vector collection is recorded (a rebuild that never finished?): run `indexer.js index --rebuild`");
        }
        const active = this.target(activeRow);
        const building = rows.filter((r) => r.state === "building").map((r) => this.target(r));
        const want = keyOf(configured.embedder.model, configured.embedder.dimensions);
        if (active.key !== want && !this.warned.has(active.row.name)) {
            this.warned.add(active.row.name);
            log.warn(
                { collection: active.row.name, builtWith: active.key, configured: want },
                `the vector collection was built with ${active.key}, not the configured ${want}: queries keep using it (embedded with ${active.key}) until \`indexer.js index --rebuild\` builds and switches to one with ${want}`,
            );
        }
        const value = { active, building };
        this.cached = { ...value, until: Date.now() + this.cacheMs };
        return value;
    }

    /**
     * The active collection and those being built: the cached record while fresh; read again after that, or
     * the last one read when PostgreSQL does not answer (queries go on during a PostgreSQL outage).
     */
    async current(): Promise<{ active: Target; building: Target[] }> {
        const c = this.cached;
        if (c && Date.now() < c.until) {
            return c;
        }
        if (!this.reading) {
            this.reading = this.refresh().finally(() => (this.reading = undefined));
        }
        try {
            return await this.reading;
        } catch (err) {
            if (c) {
                c.until = Date.now() + Math.min(this.cacheMs, 1000);
                this.opts.log.warn(
                    { err: (err as Error).message, collection: c.active.row.name },
                    "could not read the active vector collection: using the last one read",
                );
                return c;
            }
            throw err;
        }
    }

    /** The active collection as last read (undefined before the first read). */
    lastActive(): Target | undefined {
        return this.cached?.active;
    }

    async close(): Promise<void> {
        await Promise.allSettled([...this.stores.values()].map((s) => s.close()));
    }
}

/** Embeds with the active collection's model (so a query vector matches the collection it searches). */
export class RoutedEmbedder implements Embedder {
    constructor(
        private readonly router: CollectionRouter,
        private readonly configured: Embedder,
    ) {}

    /** The active collection's model as last read (the configured one before the first read). */
    get model(): string {
        return this.router.lastActive()?.row.model ?? this.configured.model;
    }

    get dimensions(): number {
        return this.router.lastActive()?.row.dimensions ?? this.configured.dimensions;
    }

    async embed(texts: string[]): Promise<number[][]> {
        const { active } = await this.router.current();
        const vectors = await active.embedder.embed(texts);
        for (const v of vectors) {
            madeWith.set(v, active);
        }
        return vectors;
    }
}

/**
 * The vector store of the active collection: searches go to the collection the query vector was embedded for
 * (the active one, or the one just switched from, which the rebuild drops only after every process followed);
 * upserts and deletes go to the active collection and to any being built, whose vectors are embedded with
 * their own model.
 */
export class RoutedVectorStore implements VectorStore {
    readonly engine: string;

    constructor(
        readonly router: CollectionRouter,
        /** The configured collection's store: its engine, and the ping of the readiness check. */
        private readonly base: VectorStore,
    ) {
        this.engine = base.engine;
    }

    ping(): Promise<void> {
        return this.base.ping();
    }

    private async writeTargets(): Promise<Target[]> {
        const { active, building } = await this.router.current();
        return [active, ...building];
    }

    async upsert(records: ChunkRecord[]): Promise<void> {
        for (const t of await this.writeTargets()) {
            const own = records.every((r) => madeWith.get(r.vector)?.key === t.key);
            if (own) {
                await t.store.upsert(records);
            } else {
                const vectors = await t.embedder.embed(records.map((r) => r.text));
                await t.store.upsert(records.map((r, i) => ({ ...r, vector: vectors[i] })));
            }
        }
    }

    async search(vector: number[], k: number): Promise<SearchHit[]> {
        const { active } = await this.router.current();
        // A vector made for the collection just switched from searches it (not yet dropped): same model, same vectors.
        const made = madeWith.get(vector);
        return (made && made.key !== active.key ? made : active).store.search(vector, k);
    }

    async chunksOf(documentId: string): Promise<{ chunkIndex: number; text: string }[]> {
        return (await this.router.current()).active.store.chunksOf(documentId);
    }

    /** The active collection's chunks (the one queries search). */
    async count(): Promise<number> {
        return (await this.router.current()).active.store.count();
    }

    async deleteDocument(documentId: string): Promise<void> {
        for (const t of await this.writeTargets()) {
            await t.store.deleteDocument(documentId);
        }
    }

    async drop(): Promise<void> {
        await (await this.router.current()).active.store.drop();
    }

    async close(): Promise<void> {
        await Promise.allSettled([this.base.close(), this.router.close()]);
    }
}
