// Batch ingestion (RagService.ingestMany, the indexer's path) and the answer cache's generations, against
// real PostgreSQL and Redis (scripts/services.sh) and an in-process vector store that records its calls.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { AnswerCache } from "../src/lib/cache";
import { normaliseText } from "../src/lib/chunker";
import { redisUrl, secretValues, Settings } from "../src/lib/contract";
import { InputError } from "../src/lib/documents";
import { indexDirectory } from "../src/lib/indexer";
import { createLogger } from "../src/lib/logger";
import { migrate } from "../src/lib/migrations";
import { createService } from "../src/lib/runtime";
import { NewDocument, RagService, UPSERT_BATCH } from "../src/lib/service";
import { sha256 } from "../src/lib/text";
import { MemoryVectorStore } from "../src/lib/vector/memory";
import { ChunkRecord } from "../src/lib/vector/types";
import { createDatabase, testSettings } from "./services";

/** A memory store that records each upsert's size and fails (after writing part of it) on a poisoned text. */
class RecordingStore extends MemoryVectorStore {
    readonly upserts: number[] = [];
    readonly stored = new Map<string, ChunkRecord>();

    override async upsert(records: ChunkRecord[]): Promise<void> {
        this.upserts.push(records.length);
        const poisoned = records.findIndex((r) => r.text.includes("POISON"));
        const ok = poisoned === -1 ? records : records.slice(0, Math.max(1, poisoned));
        for (const r of ok) {
            this.stored.set(r.id, r);
        }
        await super.upsert(ok);
        if (poisoned !== -1) {
            throw new Error("the store refused a record");
        }
    }

    override async deleteDocument(documentId: string): Promise<void> {
        for (const [id, r] of this.stored) {
            if (r.documentId === documentId) {
                this.stored.delete(id);
            }
        }
        await super.deleteDocument(documentId);
    }
}

const text = (n: number, words = 1000) => Array.from({ length: words }, (_, i) => `topic${n} word${(i * 7 + n) % 97}`).join(" ") + ".";
const doc = (t: string, title = ""): NewDocument => ({ title, source: "test", contentType: "text/plain", bytes: Buffer.byteLength(t), text: t });

describe("app: batch ingestion (the indexer's path)", function () {
    this.timeout(60_000);
    let settings: Settings;
    const services: RagService[] = [];
    const quiet = createLogger("error", [], "test", new Writable({ write: (_c, _e, cb) => cb() }));

    const make = async (name: string, overrides: Record<string, string> = {}) => {
        const url = createDatabase(name);
        settings = testSettings("indexer", { DATABASE_URL: url, CHUNK_SIZE: "200", CHUNK_OVERLAP: "20", ...overrides });
        await migrate(url, quiet);
        const base = createService(settings, createLogger("error", secretValues(settings), "test", new Writable({ write: (_c, _e, cb) => cb() })));
        const store = new RecordingStore();
        const service = new RagService(base.opts, base.db, store, base.embedder, base.answerer, base.log, base.cache);
        services.push(service);
        return { service, store };
    };
    const rows = async (service: RagService) =>
        (
            await service.db.pool.query<{ id: string; checksum: string; chunk_count: number }>(
                "SELECT id::text AS id, checksum, chunk_count FROM documents ORDER BY id",
            )
        ).rows;

    after(async () => {
        await Promise.all(services.map((s) => s.close()));
    });

    it("stores a batch with one upsert per thousand chunks; one outcome per document, in order, ids in batch order", async () => {
        const { service, store } = await make("rag_ingest_batch");
        const stored = await service.ingest(doc(text(0), "stored first"));
        const batch = [
            ...Array.from({ length: 30 }, (_, n) => doc(text(n + 1), `doc ${n + 1}`)),
            doc("  \n "),
            doc(text(0)),
            doc(`${text(5)}\n`),
            doc("x ".repeat(settings.MAX_DOCUMENT_BYTES)),
        ];
        store.upserts.length = 0;
        const outcomes = await service.ingestMany(batch);
        assert.equal(outcomes.length, batch.length);
        const created = outcomes.slice(0, 30).map((o) => {
            assert.ok("result" in o && o.result.created, JSON.stringify(o));
            return o.result.document;
        });
        const ids = created.map((d) => Number(d.id));
        assert.deepEqual(
            ids,
            [...ids].sort((a, b) => a - b),
            "ids follow the batch order",
        );
        assert.deepEqual(
            created.map((d) => d.title),
            Array.from({ length: 30 }, (_, n) => `doc ${n + 1}`),
        );
        const [empty, again, sameText, tooLarge] = outcomes.slice(30);
        assert.ok("error" in empty && empty.error instanceof InputError && empty.error.code === "empty_document");
        assert.ok("result" in again && !again.result.created && again.result.document.id === stored.document.id);
        assert.ok("result" in sameText && !sameText.result.created && sameText.result.document.id === created[4].id);
        assert.ok("error" in tooLarge && tooLarge.error instanceof InputError && tooLarge.error.code === "document_too_large");

        const chunks = created.reduce((n, d) => n + d.chunkCount, 0);
        assert.equal(store.stored.size - stored.document.chunkCount, chunks);
        assert.ok(chunks > 2 * UPSERT_BATCH, `the batch has ${chunks} chunks`);
        assert.ok(
            store.upserts.every((n) => n <= UPSERT_BATCH),
            `upserts of ${store.upserts.join(", ")}`,
        );
        // Whole documents per upsert: at most one call more than the chunks strictly need, never one per document.
        assert.equal(
            store.upserts.reduce((a, b) => a + b, 0),
            chunks,
        );
        assert.ok(store.upserts.length <= Math.ceil(chunks / UPSERT_BATCH) + 1, `upserts of ${store.upserts.join(", ")}`);
        const table = await rows(service);
        assert.equal(table.length, 31);
        for (const d of created) {
            assert.equal(table.find((r) => r.id === d.id)!.chunk_count, d.chunkCount);
            assert.equal([...store.stored.values()].filter((r) => r.documentId === d.id).length, d.chunkCount);
        }
    });

    it("upserts a document of more than a thousand chunks in several calls", async () => {
        const { service, store } = await make("rag_ingest_large", { CHUNK_SIZE: "50", CHUNK_OVERLAP: "0" });
        const res = await service.ingest(doc(text(1, 6000)));
        assert.ok(res.document.chunkCount > UPSERT_BATCH, `${res.document.chunkCount} chunks`);
        assert.equal(store.upserts.length, Math.ceil(res.document.chunkCount / UPSERT_BATCH));
        assert.equal(store.stored.size, res.document.chunkCount);
    });

    it("embeds the next group while a group is being written", async () => {
        const { service } = await make("rag_ingest_pipeline");
        const embedded: string[] = [];
        const embedder = service.embedder;
        const slow = new (class extends RecordingStore {
            first = true;
            overlapped = false;
            override async upsert(records: ChunkRecord[]): Promise<void> {
                if (this.first) {
                    this.first = false;
                    const mine = new Set(records.map((r) => r.text.split(" ")[0]));
                    // Held until a text of a document not in this upsert is embedded (or 10 s).
                    for (let i = 0; i < 1000 && !this.overlapped; i++) {
                        this.overlapped = embedded.some((t) => !mine.has(t.split(" ")[0]));
                        await new Promise((r) => setTimeout(r, 10));
                    }
                }
                return super.upsert(records);
            }
        })();
        const pipelined = new RagService(
            service.opts,
            service.db,
            slow,
            {
                model: embedder.model,
                dimensions: embedder.dimensions,
                embed: (texts) => (embedded.push(...texts), embedder.embed(texts)),
            },
            service.answerer,
            service.log,
            service.cache,
        );
        const outcomes = await pipelined.ingestMany(Array.from({ length: 40 }, (_, n) => doc(text(n + 100), `doc ${n}`)));
        assert.ok(outcomes.every((o) => "result" in o && o.result.created));
        assert.ok(slow.upserts.length >= 2, `upserts of ${slow.upserts.join(", ")}`);
        assert.ok(slow.overlapped, "the second group was embedded only after the first was written");
    });

    it("when the store refuses a document of a batch, that document alone fails and leaves nothing; the indexer reports files in order", async () => {
        const { service, store } = await make("rag_ingest_failure");
        const dir = mkdtempSync(path.join(os.tmpdir(), "rag-ingest-"));
        try {
            writeFileSync(path.join(dir, "a.md"), text(1));
            writeFileSync(path.join(dir, "b.md"), `${text(2)} POISON ${text(3)}`);
            writeFileSync(path.join(dir, "c.png"), Buffer.from([0x89, 0x50]));
            writeFileSync(path.join(dir, "d.txt"), " \n ");
            writeFileSync(path.join(dir, "e.md"), text(1));
            writeFileSync(path.join(dir, "f.md"), text(4));
            const report = await indexDirectory(service, dir, service.log);
            assert.deepEqual(report.skipped, [
                { file: "c.png", reason: "unsupported file type" },
                { file: "d.txt", reason: "the document has no text" },
            ]);
            assert.deepEqual(report.failed, [{ file: "b.md", reason: "the store refused a record" }]);
            assert.equal(report.indexed, 2);
            assert.equal(report.unchanged, 1);
            assert.equal(report.scanned, 6);
            const table = await rows(service);
            assert.deepEqual(table.map((r) => r.checksum).sort(), [sha256(normaliseText(text(1))), sha256(normaliseText(text(4)))].sort());
            assert.equal(
                report.chunks,
                table.reduce((n, r) => n + r.chunk_count, 0),
            );
            // Nothing of b.md in the store: what made it before the failure was removed.
            assert.equal(store.stored.size, report.chunks);
            assert.ok([...store.stored.values()].every((r) => table.some((t) => t.id === r.documentId)));
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("app: answer cache generations", function () {
    it("a lookup gives the generation; an answer stored under it is not served once documents changed", async () => {
        const settings = testSettings("api");
        const cache = new AnswerCache(redisUrl(settings), 60);
        try {
            const key = `test-${Date.now()}`;
            const miss = await cache.lookup(key);
            assert.ok(miss && miss.value === undefined);
            // A document changes while the answer is being computed: it is stored under the old generation.
            await cache.invalidate();
            await cache.set(key, "stale", miss.generation);
            const after = await cache.lookup(key);
            assert.equal(after!.value, undefined);
            assert.equal(Number(after!.generation), Number(miss.generation) + 1);
            await cache.set(key, "fresh", after!.generation);
            assert.deepEqual(await cache.lookup(key), { generation: after!.generation, value: "fresh" });
            // Without a generation, set uses the current one.
            await cache.set(`${key}-b`, "current");
            assert.equal((await cache.lookup(`${key}-b`))!.value, "current");
        } finally {
            await cache.close();
        }
        const off = new AnswerCache(redisUrl(settings), 0);
        assert.equal(await off.lookup("anything"), undefined);
        await off.close();
    });
});
