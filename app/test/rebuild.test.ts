// PostgreSQL as the source of truth: chunks stored with the document, the vector index rebuilt from them
// (`indexer.js index --rebuild`), a model/dimension change switched to without a failed query, the backfill
// of documents stored before PostgreSQL kept their chunks. Against the real PostgreSQL of scripts/services.sh,
// with the in-process vector store and with the real Chroma it starts.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { ChromaClient } from "chromadb";
import { buildApi } from "../src/api/server";
import { CollectionRouter, RoutedEmbedder, RoutedVectorStore } from "../src/lib/collections";
import { chunkText } from "../src/lib/chunker";
import { secretValues, Settings } from "../src/lib/contract";
import { Database } from "../src/lib/db";
import { LocalEmbedder } from "../src/lib/embedder";
import { createLogger } from "../src/lib/logger";
import { migrate } from "../src/lib/migrations";
import { backfillChunks, rebuildIndex, RebuildRefused } from "../src/lib/rebuild";
import { createAnswerBuilder, createEmbedder, embedderFor } from "../src/lib/runtime";
import { INDEX_STATUS_TTL_MS, NewDocument, RagService } from "../src/lib/service";
import { createVectorStore } from "../src/lib/vector";
import { MemoryVectorStore } from "../src/lib/vector/memory";
import { ChunkRecord, VectorStore } from "../src/lib/vector/types";
import { createDatabase, services, testEnv, testSettings } from "./services";

const run = promisify(execFile);

const DOCS: Record<string, string> = {
    backups:
        "PostgreSQL backups are taken with pg_dump every night at two o'clock. Each backup is kept for fourteen days in object storage. " +
        "Restoring a backup means creating an empty database and loading the dump with pg_restore.",
    cache:
        "Redis holds the answer cache of the query endpoint. A cached answer lives for five minutes. " +
        "When a document is added or removed, the generation counter changes and older answers are no longer used.",
    ingress: "The ingress routes the API base path to the API service and everything else to the chat frontend. TLS certificates come from cert-manager.",
    lighthouse:
        "The lighthouse keeper climbs one hundred and twelve steps every evening to light the lamp. " +
        "The lamp burns paraffin and its lens was ground in Paris. Ships see the light twenty miles out.",
    orchard:
        "The orchard grows apples, pears and quinces. Apple trees are pruned in February, before the buds open. " +
        "Pears are picked while still hard and ripen indoors. Quince jelly is made in October.",
};
const QUESTIONS: [string, string][] = [
    ["How long is a PostgreSQL backup kept?", "backups"],
    ["How long does a cached answer live in Redis?", "cache"],
    ["Where do the ingress TLS certificates come from?", "ingress"],
    ["How many steps does the lighthouse keeper climb?", "lighthouse"],
    ["When are apple trees pruned in the orchard?", "orchard"],
];

const doc = (title: string, text: string): NewDocument => ({ title, source: "test", contentType: "text/plain", bytes: Buffer.byteLength(text), text });
const quiet = () => createLogger("error", [], "test", new Writable({ write: (_c, _e, cb) => cb() }));

/** One "process" (API or indexer): its own router and service over the shared database and vector store. */
interface Proc {
    settings: Settings;
    db: Database;
    router: CollectionRouter;
    service: RagService;
}

for (const engine of ["memory", "chroma"] as const) {
    describe(`app: PostgreSQL is the source of truth (${engine} vector store)`, function () {
        this.timeout(120_000);
        const procs: Proc[] = [];
        /** The in-process collections, shared by every process of a test (a server's collections, for memory). */
        const memory = new Map<string, MemoryVectorStore>();
        let url: string;
        let base: string;

        const open =
            (settings: Settings) =>
            (name: string, dimensions: number): VectorStore => {
                if (engine === "chroma") {
                    return createVectorStore(settings, name, dimensions);
                }
                let m = memory.get(name);
                if (!m) {
                    m = new MemoryVectorStore();
                    memory.set(name, m);
                }
                return m;
            };

        /** A process configured with these settings (EMBEDDING_DIMENSIONS…), its record cached 200 ms. */
        const proc = (overrides: Record<string, string> = {}, log = quiet()): Proc => {
            const settings = testSettings("api", {
                DATABASE_URL: url,
                VECTOR_DB_ENGINE: engine,
                VECTOR_COLLECTION: base,
                CHUNK_SIZE: "200",
                CHUNK_OVERLAP: "40",
                ...overrides,
            });
            const db = new Database(url);
            const configured = createEmbedder(settings);
            const router = new CollectionRouter({
                db,
                open: open(settings),
                embedderFor: (m, d) => embedderFor(settings, m, d),
                configured: { collection: base, embedder: configured },
                log,
                cacheMs: 200,
            });
            const service = new RagService(
                { chunkSize: 200, chunkOverlap: 40, topK: 4, maxTokens: 2048, maxDocumentBytes: 1 << 20 },
                db,
                new RoutedVectorStore(router, open(settings)(base, settings.EMBEDDING_DIMENSIONS)),
                new RoutedEmbedder(router, configured),
                createAnswerBuilder(settings),
                log,
            );
            const p = { settings, db, router, service };
            procs.push(p);
            return p;
        };

        const setup = async (name: string) => {
            memory.clear();
            url = createDatabase(`rag_sot_${engine}_${name}`);
            base = `sot_${engine}_${name}_${Date.now()}`;
            await migrate(url, quiet());
        };

        const ingestAll = async (p: Proc) => {
            const ids: Record<string, string> = {};
            for (const [title, text] of Object.entries(DOCS)) {
                ids[title] = (await p.service.ingest(doc(title, text))).document.id;
            }
            return ids;
        };

        /** Each question's answer and citations. */
        const answers = async (p: Proc) => {
            const out: { answer: string; citations: string[]; sources: string[] }[] = [];
            for (const [q] of QUESTIONS) {
                const a = await p.service.query(q);
                out.push({ answer: a.answer, citations: a.citations, sources: a.sources.map((s) => `${s.documentId}:${s.chunkIndex}`) });
            }
            return out;
        };

        const collectionExists = async (name: string): Promise<boolean> => {
            if (engine === "memory") {
                return (memory.get(name)?.size ?? 0) > 0;
            }
            const client = new ChromaClient({ host: "127.0.0.1", port: services.chromaPort });
            return (await client.listCollections()).some((c) => c.name === name);
        };

        const chunkRows = async (db: Database) =>
            (
                await db.pool.query<{ id: string; ordinal: number; text: string }>(
                    "SELECT document_id::text AS id, ordinal, text FROM document_chunks ORDER BY 1, 2",
                )
            ).rows;

        afterEach(async () => {
            await Promise.allSettled(procs.splice(0).map((p) => p.service.close()));
        });

        it("stores a document's chunks in PostgreSQL with it (not when its vectors fail) and removes them with it", async () => {
            await setup("chunks");
            const p = proc();
            const ids = await ingestAll(p);
            const rows = await chunkRows(p.db);
            for (const [title, id] of Object.entries(ids)) {
                const mine = rows.filter((r) => r.id === id);
                const expected = chunkText(DOCS[title], 200, 40).map((c) => c.text);
                assert.deepEqual(
                    mine.map((r) => r.text),
                    expected,
                    title,
                );
                assert.deepEqual(
                    mine.map((r) => r.ordinal),
                    expected.map((_, k) => k),
                );
                // the vector store's payloads hold the same text
                const stored = (await p.service.store.chunksOf(id)).sort((a, b) => a.chunkIndex - b.chunkIndex).map((c) => c.text);
                assert.deepEqual(stored, expected);
            }
            // a document whose vectors cannot be written is not stored: neither its row nor its chunks
            const failing = new (class extends MemoryVectorStore {
                override async upsert(_r: ChunkRecord[]): Promise<void> {
                    throw new Error("the store refused the vectors");
                }
            })();
            const broken = new RagService(p.service.opts, p.db, failing, p.service.embedder, p.service.answerer, p.service.log);
            await assert.rejects(broken.ingest(doc("refused", "A document that never makes it into the vector store.")), /refused the vectors/);
            assert.equal((await chunkRows(p.db)).length, rows.length);

            assert.equal(await p.service.remove(ids.cache), true);
            assert.equal((await chunkRows(p.db)).filter((r) => r.id === ids.cache).length, 0);
            assert.deepEqual(await p.service.store.chunksOf(ids.cache), []);
            assert.ok((await chunkRows(p.db)).some((r) => r.id === ids.backups));
        });

        it("rebuilds the index from PostgreSQL alone after the vector store was emptied: same answers, same citations; the old collection is dropped", async () => {
            await setup("rebuild");
            const api = proc();
            const ids = await ingestAll(api);
            const before = await answers(api);
            QUESTIONS.forEach(([q, title], i) => assert.equal(before[i].citations[0], ids[title], q));

            // the vector store loses everything
            const { active } = await api.router.current();
            assert.equal(active.row.name, base, "the configured collection is adopted as the first one");
            const chunks = (await chunkRows(api.db)).length;
            assert.deepEqual(await api.service.indexStatus(), { chunks, indexed: chunks, missing: 0 });
            await active.store.drop();
            assert.deepEqual(
                (await answers(api)).flatMap((a) => a.citations),
                [],
                "nothing is found in the emptied store",
            );
            // the platform notices: readiness reports the index incomplete (the pod stays Ready), the gauge says how much
            let later = Date.now() + INDEX_STATUS_TTL_MS;
            assert.deepEqual(await api.service.indexStatus(), { chunks, indexed: chunks, missing: 0 }, "within the TTL: the cached figure");
            assert.deepEqual(await api.service.indexStatus(later), { chunks, indexed: 0, missing: chunks });
            const http = await buildApi(api.settings, api.service, quiet());
            const ready = await http.app.inject({ method: "GET", url: "/ready" });
            assert.equal(ready.statusCode, 200);
            assert.equal(ready.json().status, "degraded");
            assert.deepEqual(ready.json().down, ["vectorIndex"]);
            assert.deepEqual(ready.json().vectorIndex, { chunks, indexed: 0, missing: chunks });
            assert.match((await http.app.inject({ method: "GET", url: "/metrics" })).body, new RegExp(`^rag_vector_index_missing_chunks ${chunks}$`, "m"));

            const indexer = proc();
            // two at once (two Jobs): one rebuilds, the other is refused and changes nothing
            const second = proc();
            const [first, other] = await Promise.allSettled([
                rebuildIndex(indexer.db, indexer.router, createEmbedder(indexer.settings), base, quiet(), { settleMs: 500 }),
                new Promise((r) => setTimeout(r, 100)).then(() =>
                    rebuildIndex(second.db, second.router, createEmbedder(second.settings), base, quiet(), { settleMs: 500 }),
                ),
            ]);
            assert.equal(other.status, "rejected");
            assert.ok(other.reason instanceof RebuildRefused && /another rebuild is running/.test(other.reason.message), String(other.reason));
            assert.equal(first.status, "fulfilled");
            const report = first.value;
            assert.equal(report.from, base);
            assert.equal(report.to, `${base}_g2`);
            assert.equal(report.documents, Object.keys(DOCS).length);
            assert.equal(report.chunks, (await chunkRows(indexer.db)).length);
            assert.deepEqual(await answers(api), before);
            later += INDEX_STATUS_TTL_MS;
            assert.deepEqual(await api.service.indexStatus(later), { chunks, indexed: chunks, missing: 0 }, "the rebuilt collection is complete");
            const readyAgain = (await http.app.inject({ method: "GET", url: "/ready" })).json();
            assert.equal(readyAgain.status, "ready", JSON.stringify(readyAgain));
            assert.equal(readyAgain.checks.vectorIndex, "ok");
            assert.match((await http.app.inject({ method: "GET", url: "/metrics" })).body, /^rag_vector_index_missing_chunks 0$/m);
            await http.shutdown(1000);
            assert.deepEqual(
                (await indexer.db.collections()).map((c) => [c.name, c.state]),
                [[`${base}_g2`, "active"]],
            );
            if (engine === "chroma") {
                assert.equal(await collectionExists(base), false, "the old collection is dropped");
                assert.equal(await collectionExists(`${base}_g2`), true);
            }
        });

        it("a collection that is gone with nothing asking for it since (a wiped volume): count() is 0, drop() resolves, the rebuild completes", async () => {
            await setup("gone");
            const api = proc();
            await ingestAll(api);
            const chunks = (await chunkRows(api.db)).length;
            const { active } = await api.router.current();
            await active.store.drop();
            assert.equal(await active.store.count(), 0);
            await active.store.drop(); // the collection does not exist: a no-op, as the rebuild's last step needs
            const indexer = proc();
            const report = await rebuildIndex(indexer.db, indexer.router, createEmbedder(indexer.settings), base, quiet(), { settleMs: 200 });
            assert.equal(report.chunks, chunks);
            assert.deepEqual(await api.service.indexStatus(Date.now() + INDEX_STATUS_TTL_MS), { chunks, indexed: chunks, missing: 0 });
        });

        it("a dimension change builds a new collection beside the old one and switches to it: no failed query during the rebuild; writes meanwhile reach it", async () => {
            await setup("switch");
            const api = proc();
            const http = await buildApi(api.settings, api.service, quiet());
            const ids = await ingestAll(api);
            // and, with the exact in-process search, 300 more documents (words of their own), so that the rebuild reads
            // and embeds several batches. (Not with Chroma: its approximate search ranks these nearly orthogonal
            // vectors unreliably, and would turn its recall, not the switch, into what is tested.)
            const filler = await api.service.ingestMany(
                Array.from({ length: engine === "memory" ? 300 : 0 }, (_, n) =>
                    doc(`filler ${n}`, Array.from({ length: 60 }, (_, k) => `zq${n}x${k % 17} ym${(n * k) % 31}`).join(" ") + "."),
                ),
            );
            assert.ok(filler.every((o) => "result" in o && o.result.created));
            const before = await answers(api);
            const { store: oldStore, row: oldRow } = (await api.router.current()).active;
            const oldName = oldRow.name;

            // queries issued all along, each checked for its citation
            let ok = 0;
            const failures: string[] = [];
            let stop = false;
            const worker = async (w: number) => {
                for (let n = w; !stop; n++) {
                    const [question, title] = QUESTIONS[n % QUESTIONS.length];
                    const res = await http.app.inject({ method: "POST", url: "/v1/query", payload: { question } });
                    const body = res.json() as { citations?: string[] };
                    // A failure is an answer other than 200, or one that does not cite the question's document (the ingress
                    // document is deleted during the rebuild: its question is then answered from the others).
                    if (res.statusCode === 200 && (title === "ingress" || body.citations?.[0] === ids[title])) {
                        ok++;
                    } else {
                        failures.push(`${res.statusCode} ${question}: ${res.body.slice(0, 200)}`);
                    }
                    await new Promise((r) => setTimeout(r, 5));
                }
            };
            const workers = [0, 1, 2, 3].map(worker);
            try {
                // the indexer is configured with the new dimensions; the API still with the old ones
                const indexer = proc({ EMBEDDING_DIMENSIONS: "256" });
                const started = Date.now();
                // a query vector made for the old collection just before the switch
                const [early] = await api.service.embedder.embed([QUESTIONS[3][0]]);
                let added = "";
                let inFlight: string[] = [];
                let inOld: string[] = [];
                const rebuilding = rebuildIndex(indexer.db, indexer.router, new LocalEmbedder(256), base, quiet(), {
                    settleMs: 600,
                    batch: 100,
                    // every chunk read: a document is added and one removed through the API, before the switch
                    beforeSwitch: async (building) => {
                        assert.deepEqual(
                            (await api.db.collections()).map((c) => [c.name, c.state]),
                            [
                                [oldName, "active"],
                                [building, "building"],
                            ],
                        );
                        assert.equal(await collectionExists(oldName), true, "beside the old one");
                        await new Promise((r) => setTimeout(r, 300)); // the API reads the record again
                        added = (
                            await api.service.ingest(
                                doc("volcano", "The volcano erupted in 1783 and its ash darkened the summer. Farmers lost the harvest across the island."),
                            )
                        ).document.id;
                        assert.equal(await api.service.remove(ids.ingress), true);
                    },
                    // switched; the API has read it: the query embedded before still searches the old collection
                    afterSwitch: async () => {
                        await api.router.refresh();
                        inFlight = (await api.service.store.search(early, 4)).map((h) => `${h.documentId}:${h.chunkIndex}:${h.score}`);
                        inOld = (await oldStore.search(early, 4)).map((h) => `${h.documentId}:${h.chunkIndex}:${h.score}`);
                    },
                });
                const report = await rebuilding;
                const seconds = (Date.now() - started) / 1000;
                assert.equal(report.dimensions, 256);
                if (engine === "memory") {
                    assert.ok(report.documents > 300 && report.chunks > 600, `${report.documents} documents, ${report.chunks} chunks`);
                }
                // (what the old collection itself answers: Chroma's approximate search may rank differently after the
                // deletes above, so the document is checked only where the search is exact)
                assert.ok(inFlight.length > 0);
                assert.deepEqual(inFlight, inOld, "a query embedded for the old collection searched it after the switch");
                if (engine === "memory") {
                    assert.equal(inFlight[0].split(":")[0], ids.lighthouse);
                }
                // queries go on after the switch, now against the new collection
                await new Promise((r) => setTimeout(r, 600));
                const okBeforeEnd = ok;
                await new Promise((r) => setTimeout(r, 300));
                stop = true;
                await Promise.all(workers);
                console.log(
                    `      ${ok} queries during and after the switch, ${failures.length} failed; rebuild of ${report.documents} documents (${report.chunks} chunks) in ${seconds} s`,
                );
                assert.deepEqual(failures, []);
                assert.ok(okBeforeEnd > 20, `${okBeforeEnd} queries answered`);

                const active = (await api.router.current()).active;
                assert.equal(active.row.name, `${base}_g2`);
                assert.equal(active.row.dimensions, 256);
                assert.equal(api.service.embedder.dimensions, 256, "the API embeds with the new collection's dimensions");
                assert.deepEqual(
                    (await api.db.collections()).map((c) => c.name),
                    [`${base}_g2`],
                );
                assert.equal(await collectionExists(oldName), false, "the old collection is dropped");
                // what was written during the rebuild is in the new collection
                const volcano = await api.service.query("When did the volcano erupt?");
                assert.equal(volcano.citations[0], added);
                assert.deepEqual(await api.service.store.chunksOf(ids.ingress), []);
                const after = await answers(api);
                QUESTIONS.forEach(([q, title], i) => {
                    if (title !== "ingress") {
                        assert.deepEqual(after[i].citations, before[i].citations, q);
                    }
                });
            } finally {
                stop = true;
                await Promise.all(workers);
                await http.app.close();
            }
        });

        it("a process started with other EMBEDDING_DIMENSIONS keeps serving the recorded collection with its model, and logs that a rebuild is needed", async () => {
            await setup("changed");
            const old = proc();
            const ids = await ingestAll(old);
            const lines: string[] = [];
            const log = createLogger("info", [], "test", new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
            const changed = proc({ EMBEDDING_DIMENSIONS: "256" }, log);
            assert.equal((await changed.service.query(QUESTIONS[4][0])).citations[0], ids.orchard);
            assert.equal(changed.service.embedder.dimensions, 384);
            assert.equal((await changed.router.current()).active.row.name, base);
            const warning = lines.map((l) => JSON.parse(l)).find((l) => l.builtWith);
            assert.ok(warning, lines.join(""));
            assert.equal(warning.builtWith, "local-hash/384");
            assert.equal(warning.configured, "local-hash/256");
            assert.match(warning.msg, /index --rebuild/);
        });

        it("a collection built with an endpoint's model no longer configured: queries say so; a rebuild to the local embedding repairs it", async () => {
            await setup("endpoint");
            const api = proc();
            const ids = await ingestAll(api);
            // as if built by an embeddings endpoint, which EMBEDDING_BASE_URL no longer names
            await api.db.pool.query("UPDATE vector_collections SET embedding_model = 'text-embedding-3-small'");
            const later = proc();
            await assert.rejects(later.service.query(QUESTIONS[0][0]), /built with the model text-embedding-3-small.*EMBEDDING_BASE_URL is empty/);
            const indexer = proc();
            const report = await rebuildIndex(indexer.db, indexer.router, createEmbedder(indexer.settings), base, quiet(), { settleMs: 300 });
            assert.equal(report.model, "local-hash");
            assert.equal((await later.service.query(QUESTIONS[0][0])).citations[0], ids.backups);
        });

        it("upgrade: documents stored before PostgreSQL kept their chunks get them from the vector store; a rebuild refuses while one has none anywhere", async () => {
            await setup("backfill");
            const api = proc();
            const ids = await ingestAll(api);
            const before = await answers(api);
            const original = await chunkRows(api.db);
            // as before this version: no chunks in PostgreSQL, their text only in the vector store's payloads
            await api.db.pool.query("DELETE FROM document_chunks");
            // and one document whose chunks are nowhere any more (its vectors were lost)
            const lost = (
                await api.db.pool.query<{ id: string }>(
                    "INSERT INTO documents (title, source, checksum, chunk_count) VALUES ('lost', 'test', 'lost-checksum', 2) RETURNING id::text AS id",
                )
            ).rows[0].id;

            const indexer = proc();
            await assert.rejects(rebuildIndex(indexer.db, indexer.router, createEmbedder(indexer.settings), base, quiet(), { settleMs: 200 }), (err: Error) => {
                assert.ok(err instanceof RebuildRefused, err.message);
                assert.match(err.message, new RegExp(`ids ${lost}\\b`));
                assert.deepEqual(err.backfill!.copied.sort(), Object.values(ids).sort());
                return true;
            });
            // nothing was switched or dropped; the others' chunks were copied back, exactly
            assert.deepEqual(
                (await indexer.db.collections()).map((c) => [c.name, c.state]),
                [[base, "active"]],
            );
            assert.deepEqual(await chunkRows(api.db), original);
            assert.deepEqual(await answers(api), before);

            // the operator deletes (or re-uploads) it; the backfill has nothing left; the rebuild goes through
            assert.equal(await api.service.remove(lost), true);
            assert.deepEqual(await backfillChunks(indexer.db, indexer.router, quiet()), { copied: [], missing: [] });
            const report = await rebuildIndex(indexer.db, indexer.router, createEmbedder(indexer.settings), base, quiet(), { settleMs: 200 });
            assert.equal(report.to, `${base}_g2`);
            assert.deepEqual(await answers(api), before);
        });
    });
}

describe("app: indexer.js index --rebuild as a process", function () {
    this.timeout(120_000);
    const tsNode = ["-r", "ts-node/register/transpile-only"];
    const src = path.join(__dirname, "..", "src");

    it("rebuilds into a new collection (exit 0), refuses --source with it (exit 2)", async () => {
        const url = createDatabase("rag_cli_rebuild");
        const collection = `cli_rebuild_${Date.now()}`;
        const env = { ...process.env, ...testEnv({ DATABASE_URL: url, VECTOR_COLLECTION: collection }) };
        await migrate(url, quiet());
        const settings = testSettings("api", { DATABASE_URL: url, VECTOR_COLLECTION: collection });
        const log = createLogger("error", secretValues(settings), "test", new Writable({ write: (_c, _e, cb) => cb() }));
        const db = new Database(url);
        const router = new CollectionRouter({
            db,
            open: (n, d) => createVectorStore(settings, n, d),
            embedderFor: (m, d) => embedderFor(settings, m, d),
            configured: { collection, embedder: createEmbedder(settings) },
            log,
        });
        const service = new RagService(
            { chunkSize: 400, chunkOverlap: 80, topK: 4, maxTokens: 2048, maxDocumentBytes: 1 << 20 },
            db,
            new RoutedVectorStore(router, createVectorStore(settings)),
            new RoutedEmbedder(router, createEmbedder(settings)),
            createAnswerBuilder(settings),
            log,
        );
        try {
            const id = (await service.ingest(doc("lighthouse", DOCS.lighthouse))).document.id;
            await assert.rejects(
                run("node", [...tsNode, path.join(src, "indexer.ts"), "index", "--rebuild", "--source", "/tmp"], { env }),
                (e: any) => e.code === 2 && /no --source/.test(e.stderr),
            );
            const r = await run("node", [...tsNode, path.join(src, "indexer.ts"), "index", "--rebuild"], { env: { ...env, EMBEDDING_DIMENSIONS: "128" } });
            assert.match(
                r.stdout,
                new RegExp(
                    `rebuilt the vector index from PostgreSQL: \\d+ chunks of 1 document\\(s\\) into ${collection}_g2 \\(local-hash/128\\).*dropped ${collection}"`,
                ),
            );
            assert.ok(!r.stdout.includes(services.postgresPassword));
            await router.refresh();
            assert.equal((await service.query("How many steps does the lighthouse keeper climb?")).citations[0], id);
            assert.equal(service.embedder.dimensions, 128);
        } finally {
            await service.close();
        }
    });
});
