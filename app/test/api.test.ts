// The whole API in-process against real PostgreSQL, Redis and Chroma (started by scripts/services.sh).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { Api, buildApi } from "../src/api/server";
import { deriveApiKey } from "../src/lib/auth";
import { Settings, secretValues } from "../src/lib/contract";
import { indexDirectory } from "../src/lib/indexer";
import { createLogger } from "../src/lib/logger";
import { migrate } from "../src/lib/migrations";
import { createService } from "../src/lib/runtime";
import { INDEX_STATUS_TTL_MS, RagService } from "../src/lib/service";
import { MemoryVectorStore } from "../src/lib/vector/memory";
import { createDatabase, services, startRedis, stopRedis, testEnv, testSettings } from "./services";

const run = promisify(execFile);

const DOCS = {
    backups:
        "PostgreSQL backups are taken with pg_dump every night at two o'clock. Each backup is kept for fourteen days in object storage. " +
        "Restoring a backup means creating an empty database and loading the dump with pg_restore.",
    cache:
        "Redis holds the answer cache of the query endpoint. A cached answer lives for five minutes. " +
        "When a document is added or removed, the generation counter changes and older answers are no longer used.",
    upload: "# Ingress\n\nThe ingress routes the API base path to the API service and everything else to the chat frontend. TLS certificates come from cert-manager.",
};

describe("app: API against real PostgreSQL, Redis and Chroma", function () {
    this.timeout(60_000);
    let settings: Settings;
    let service: RagService;
    let api: Api;
    let base: string;
    let key: string;
    const logLines: string[] = [];
    const ids: Record<string, string> = {};

    const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
        const init: RequestInit = { method, headers: { ...headers } };
        if (body instanceof FormData) {
            init.body = body;
        } else if (typeof body === "string") {
            init.body = body;
            (init.headers as Record<string, string>)["content-type"] = "application/json";
        } else if (body !== undefined) {
            init.body = JSON.stringify(body);
            (init.headers as Record<string, string>)["content-type"] = "application/json";
        }
        const res = await fetch(`${base}${url}`, init);
        const text = await res.text();
        let json: any;
        try {
            json = text ? JSON.parse(text) : undefined;
        } catch {
            json = text;
        }
        return { status: res.status, body: json, headers: res.headers };
    };
    const auth = () => ({ authorization: `Bearer ${key}` });

    before(async () => {
        const url = createDatabase("rag_api_test");
        settings = testSettings("api", { DATABASE_URL: url, VECTOR_COLLECTION: `api_test_${Date.now()}`, MAX_DOCUMENT_BYTES: "4096", MAX_TOKENS: "64" });
        const sink = new Writable({
            write(chunk, _enc, cb) {
                logLines.push(String(chunk));
                cb();
            },
        });
        const log = createLogger("debug", secretValues(settings), "rag-api", sink);
        assert.deepEqual(await migrate(url, log), ["1700000000000_initial-schema", "1700000000001_document-details", "1700000000002_source-of-truth"]);
        service = createService(settings, log);
        api = await buildApi(settings, service, log);
        await api.app.listen({ host: "127.0.0.1", port: 0 });
        base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
        key = deriveApiKey(settings.API_SIGNING_KEY);
    });

    after(async () => {
        await service?.store.drop().catch(() => undefined);
        await api?.shutdown(5000);
    });

    it("migrations are idempotent: a second run applies nothing", async () => {
        const log = createLogger("error", [], "test", new Writable({ write: (_c, _e, cb) => cb() }));
        assert.deepEqual(await migrate(settings.DATABASE_URL, log), []);
    });

    it("concurrent migration runs wait for each other (the API's and the indexer's migrate steps start together)", async () => {
        const log = createLogger("error", [], "test", new Writable({ write: (_c, _e, cb) => cb() }));
        const url = createDatabase("rag_migrate_race");
        const runs = await Promise.all([1, 2, 3, 4].map(() => migrate(url, log)));
        // the schema applied exactly once, by one of them; none failed on node-pg-migrate's lock
        assert.deepEqual(runs.flat().sort(), ["1700000000000_initial-schema", "1700000000001_document-details", "1700000000002_source-of-truth"]);
    });

    it("GET /health is alive and GET /ready checks PostgreSQL, Redis and Chroma", async () => {
        assert.equal((await call("GET", "/health")).status, 200);
        const ready = await call("GET", "/ready");
        assert.equal(ready.status, 200, JSON.stringify(ready.body));
        assert.deepEqual(ready.body.checks, { postgresql: "ok", redis: "ok", vectorStore: "ok", vectorIndex: "ok" });
        assert.deepEqual(ready.body.vectorIndex, { chunks: 0, indexed: 0, missing: 0 });
    });

    it("write endpoints need the derived API key", async () => {
        const none = await call("POST", "/v1/documents", { text: DOCS.backups });
        assert.equal(none.status, 401);
        assert.equal(none.body.error, "unauthorized");
        const wrong = await call("POST", "/v1/documents", { text: DOCS.backups }, { authorization: `Bearer ${deriveApiKey("another-signing-key-123")}` });
        assert.equal(wrong.status, 401);
        assert.equal((await call("DELETE", "/v1/documents/1")).status, 401);
        assert.equal((await call("GET", "/v1/documents")).body.total, 0);
    });

    it("POST /v1/documents stores JSON documents and file uploads, idempotently by checksum", async () => {
        const a = await call("POST", "/v1/documents", { title: "Backups", text: DOCS.backups }, auth());
        assert.equal(a.status, 201, JSON.stringify(a.body));
        assert.equal(a.body.created, true);
        assert.ok(a.body.document.chunkCount >= 1);
        ids.backups = a.body.document.id;
        const b = await call("POST", "/api/v1/documents", { title: "Cache", text: DOCS.cache }, auth());
        assert.equal(b.status, 201);
        ids.cache = b.body.document.id;
        const again = await call("POST", "/v1/documents", { title: "Backups (again)", text: `  ${DOCS.backups}\n` }, auth());
        assert.equal(again.status, 200);
        assert.equal(again.body.created, false);
        assert.equal(again.body.document.id, ids.backups);

        const form = new FormData();
        form.append("file", new Blob([DOCS.upload], { type: "text/markdown" }), "ingress.md");
        const up = await call("POST", "/v1/documents", form, auth());
        assert.equal(up.status, 201, JSON.stringify(up.body));
        assert.equal(up.body.document.contentType, "text/markdown");
        assert.equal(up.body.document.title, "ingress.md");
        ids.upload = up.body.document.id;

        const list = await call("GET", "/v1/documents");
        assert.equal(list.body.total, 3);
        assert.deepEqual(list.body.documents.map((d: any) => d.id).sort(), [ids.backups, ids.cache, ids.upload].sort());
    });

    it("bad input gets a clear 4xx JSON error and stores nothing", async () => {
        const cases: [string, unknown, number, string][] = [
            ["empty", { text: "   \n " }, 400, "empty_document"],
            ["oversize", { text: "x ".repeat(3000) }, 413, "document_too_large"],
            ["malformed JSON", '{"text": "unterminated', 400, "malformed_json"],
            ["missing text", { title: "no text" }, 400, "invalid_request"],
        ];
        for (const [what, body, status, error] of cases) {
            const res = await call("POST", "/v1/documents", body, auth());
            assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
            assert.equal(res.body.error, error, what);
        }
        const png = new FormData();
        png.append("file", new Blob([Buffer.from([0x89, 0x50, 0x4e, 0x47])], { type: "image/png" }), "diagram.png");
        const unsupported = await call("POST", "/v1/documents", png, auth());
        assert.equal(unsupported.status, 415);
        assert.equal(unsupported.body.error, "unsupported_type");
        const big = new FormData();
        big.append("file", new Blob(["word ".repeat(2000)], { type: "text/plain" }), "big.txt");
        const tooBig = await call("POST", "/v1/documents", big, auth());
        assert.equal(tooBig.status, 413, JSON.stringify(tooBig.body));
        const long = await call("POST", "/v1/query", { question: "why ".repeat(100) });
        assert.equal(long.status, 400);
        assert.equal(long.body.error, "question_too_long");
        const badQuery = await call("POST", "/v1/query", { question: 42 });
        assert.equal(badQuery.status, 400);
        assert.equal((await call("GET", "/v1/documents")).body.total, 3);
        assert.equal((await call("GET", "/nowhere")).status, 404);
    });

    it("POST /v1/query retrieves the document a question is about, cites it, and caches the answer", async () => {
        const q = { question: "How long is a PostgreSQL backup kept?" };
        const first = await call("POST", "/v1/query", q);
        assert.equal(first.status, 200, JSON.stringify(first.body));
        assert.equal(first.body.mode, "local-extractive");
        assert.equal(first.body.cached, false);
        assert.equal(first.body.sources[0].documentId, ids.backups);
        assert.equal(first.body.citations[0], ids.backups);
        assert.match(first.body.answer, /fourteen days/);
        assert.match(first.body.answer, new RegExp(`\\[doc:${ids.backups}\\]`));
        const second = await call("POST", "/api/v1/query", q);
        assert.equal(second.body.cached, true);
        assert.equal(second.body.answer, first.body.answer);

        const ingress = await call("POST", "/v1/query", { question: "Where do the TLS certificates of the ingress come from?", topK: 1 });
        assert.deepEqual(ingress.body.citations, [ids.upload]);
        assert.equal(ingress.body.sources.length, 1);
    });

    it("DELETE /v1/documents/:id removes the document and its vectors and invalidates cached answers", async () => {
        const q = { question: "How long does a cached answer live in Redis?" };
        const before = await call("POST", "/v1/query", q);
        assert.equal(before.body.sources[0].documentId, ids.cache);
        assert.equal((await call("DELETE", `/v1/documents/${ids.cache}`, undefined, auth())).status, 204);
        assert.equal((await call("DELETE", `/v1/documents/${ids.cache}`, undefined, auth())).status, 404);
        assert.equal((await call("DELETE", "/v1/documents/abc", undefined, auth())).status, 400);
        const after = await call("POST", "/v1/query", q);
        assert.equal(after.body.cached, false);
        assert.ok(after.body.sources.every((s: any) => s.documentId !== ids.cache));
        assert.equal((await call("GET", "/v1/documents")).body.total, 2);
    });

    it("GET /metrics exposes the names and labels the platform's alerts and dashboard query", async () => {
        const res = await fetch(`${base}/metrics`);
        const text = await res.text();
        assert.match(text, /http_request_duration_seconds_bucket\{le="[^"]+",method="POST",handler="\/v1\/query",status="2xx"\}/);
        assert.match(text, /http_requests_total\{method="POST",handler="\/v1\/documents",status="4xx"\} \d+/);
        assert.match(text, /^rag_queue_length 0$/m);
        // The Ingress forwards only API_BASE_PATH/* to the API: /metrics is not under it, so not public
        assert.equal(settings.API_BASE_PATH, "/api");
        assert.equal((await fetch(`${base}${settings.API_BASE_PATH}/metrics`)).status, 404);
        assert.equal((await fetch(`${base}${settings.API_BASE_PATH}/v1/documents`)).status, 200);
    });

    it("a Redis outage: /ready stays 200 (the pod itself is fine) and reports it degraded, queries still answer, it recovers by itself", async () => {
        stopRedis();
        try {
            const ready = await call("GET", "/ready");
            assert.equal(ready.status, 200, "a shared dependency's outage must not take every replica out of the Service");
            assert.equal(ready.body.status, "degraded");
            assert.deepEqual(ready.body.down, ["redis"]);
            const q = await call("POST", "/v1/query", { question: "When are PostgreSQL backups taken?" });
            assert.equal(q.status, 200);
            assert.equal(q.body.sources[0].documentId, ids.backups);
        } finally {
            startRedis();
        }
        let status = "";
        for (let i = 0; i < 50 && status !== "ready"; i++) {
            await new Promise((r) => setTimeout(r, 200));
            status = (await call("GET", "/ready")).body.status;
        }
        assert.equal(status, "ready");
    });

    it("no credential appears in any log line", () => {
        const all = logLines.join("");
        assert.ok(logLines.length > 20);
        for (const secret of [services.postgresPassword, services.redisPassword, settings.API_SIGNING_KEY, key]) {
            assert.ok(!all.includes(secret), "a secret value was logged");
        }
    });

    it("the indexer indexes a directory once: a second run indexes nothing", async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), "rag-docs-"));
        try {
            writeFileSync(path.join(dir, "scaling.md"), "# Scaling\n\nThe HPA scales API pods between three and ten replicas on CPU and memory.");
            writeFileSync(path.join(dir, "backups.txt"), DOCS.backups);
            writeFileSync(path.join(dir, "logo.png"), Buffer.from([0x89, 0x50]));
            const first = await indexDirectory(service, dir, service.log);
            assert.equal(first.indexed, 1);
            assert.equal(first.unchanged, 1); // same text as the document posted above
            assert.deepEqual(first.skipped, [{ file: "logo.png", reason: "unsupported file type" }]);
            const second = await indexDirectory(service, dir, service.log);
            assert.equal(second.indexed, 0);
            assert.equal(second.unchanged, 2);
            const q = await call("POST", "/v1/query", { question: "How many replicas does the HPA scale API pods to?" });
            assert.equal(q.body.cached, false);
            assert.match(q.body.sources[0].title, /scaling/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("app: the CLIs (migrate, indexer) as processes", function () {
    this.timeout(90_000);
    const tsNode = ["-r", "ts-node/register/transpile-only"];
    const src = path.join(__dirname, "..", "src");

    it("migrate.js applies then finds nothing to apply; indexer.js indexes then says nothing to index; bad config exits 78", async () => {
        const url = createDatabase("rag_cli_test");
        const env = { ...process.env, ...testEnv({ DATABASE_URL: url, VECTOR_COLLECTION: `cli_test_${Date.now()}` }) };
        const m1 = await run("node", [...tsNode, path.join(src, "migrate.ts")], { env });
        assert.match(m1.stdout, /applied 3 migration/);
        const m2 = await run("node", [...tsNode, path.join(src, "migrate.ts")], { env });
        assert.match(m2.stdout, /nothing to apply/);

        const dir = mkdtempSync(path.join(os.tmpdir(), "rag-cli-docs-"));
        try {
            writeFileSync(path.join(dir, "a.md"), "Alpha document about canary releases.");
            writeFileSync(path.join(dir, "b.txt"), "Beta document about blue green deployments.");
            const i1 = await run("node", [...tsNode, path.join(src, "indexer.ts"), "index", "--source", dir], { env });
            assert.match(i1.stdout, /indexed 2 document/);
            const i2 = await run("node", [...tsNode, path.join(src, "indexer.ts"), "index", "--source", dir], { env });
            assert.match(i2.stdout, /nothing to index: 2 document\(s\) already indexed/);
            // a fresh app-data volume (no documents directory yet): nothing to index, exit 0, said in the log
            const empty = await run("node", [...tsNode, path.join(src, "indexer.ts"), "index", "--source", path.join(dir, "missing")], { env });
            assert.match(empty.stdout, /nothing to index: .*missing does not exist yet/);
            // no volume at all (the parent is missing too): a failure
            await assert.rejects(
                run("node", [...tsNode, path.join(src, "indexer.ts"), "index", "--source", path.join(dir, "no-volume", "documents")], { env }),
                (e: any) => e.code === 1,
            );
            await assert.rejects(
                run("node", [...tsNode, path.join(src, "indexer.ts"), "index"], { env: { ...env, CHUNK_SIZE: "ten" } }),
                (e: any) => e.code === 78 && /CHUNK_SIZE/.test(e.stderr),
            );
            for (const out of [m1.stdout, m2.stdout, i1.stdout, i2.stdout]) {
                assert.ok(!out.includes(services.postgresPassword));
            }
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("app: graceful shutdown", function () {
    this.timeout(30_000);

    it("turns /ready to 503, lets an in-flight request finish, then closes", async () => {
        const url = createDatabase("rag_shutdown_test");
        const settings = testSettings("api", { DATABASE_URL: url, VECTOR_DB_ENGINE: "memory" });
        const log = createLogger("error", secretValues(settings), "rag-api", new Writable({ write: (_c, _e, cb) => cb() }));
        await migrate(url, log);
        const base = createService(settings, log);
        // A vector store whose searches take 800 ms: a request is still running when shutdown starts.
        const slow = new MemoryVectorStore();
        const search = slow.search.bind(slow);
        slow.search = async (v, k) => {
            await new Promise((r) => setTimeout(r, 800));
            return search(v, k);
        };
        const service = new RagService(base.opts, base.db, slow, base.embedder, base.answerer, log, base.cache);
        const api = await buildApi(settings, service, log);
        await api.app.listen({ host: "127.0.0.1", port: 0 });
        const addr = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;

        const inFlight = fetch(`${addr}/v1/query`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ question: "anything" }),
        });
        await new Promise((r) => setTimeout(r, 200));
        const started = Date.now();
        const stopped = api.shutdown(10_000);
        const ready = await api.app.inject({ method: "GET", url: "/ready" });
        assert.equal(ready.statusCode, 503);
        const res = await inFlight;
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as { mode: string }).mode, "local-extractive");
        await stopped;
        const took = Date.now() - started;
        assert.ok(took >= 400, "shutdown waited for the in-flight request");
        assert.ok(took < 5000, `shutdown took ${took} ms: kept-alive connections held it`);
        // Nothing is served any more: a new connection is refused (or, on a kept-alive one, a 503).
        const after = await fetch(`${addr}/health`).then(
            (r) => r.status,
            () => "refused",
        );
        assert.ok(after === "refused" || after === 503, `after shutdown: ${after}`);
        assert.equal(api.app.server.listening, false);
    });
});

describe("app: the vector index check during an outage", function () {
    this.timeout(30_000);

    it("a failed comparison is reported (readiness unavailable, the gauge NaN) and kept for the TTL: probes and scrapes do not each ask the store again", async () => {
        const url = createDatabase("rag_index_check_test");
        const settings = testSettings("api", { DATABASE_URL: url, VECTOR_DB_ENGINE: "memory" });
        const log = createLogger("error", secretValues(settings), "rag-api", new Writable({ write: (_c, _e, cb) => cb() }));
        await migrate(url, log);
        const base = createService(settings, log);
        // a store that answers its heartbeat but cannot count (an index being repaired, say)
        const store = new MemoryVectorStore();
        const count = store.count.bind(store);
        let asked = 0;
        let failing = true;
        store.count = async () => {
            asked++;
            if (failing) throw new Error("count: no answer");
            return count();
        };
        const service = new RagService(base.opts, base.db, store, base.embedder, base.answerer, log, base.cache);
        const api = await buildApi(settings, service, log);
        try {
            for (let i = 0; i < 3; i++) {
                const ready = await api.app.inject({ method: "GET", url: "/ready" });
                assert.equal(ready.statusCode, 200);
                assert.equal(ready.json().checks.vectorIndex, "unavailable", ready.body);
                // prom-client writes "Nan"; Prometheus reads NaN in any case (Go's ParseFloat)
                assert.match((await api.app.inject({ method: "GET", url: "/metrics" })).body, /^rag_vector_index_missing_chunks nan$/im);
            }
            assert.equal(asked, 1, "three probes and three scrapes within the TTL asked the store once");
            failing = false;
            assert.deepEqual(await service.indexStatus(Date.now() + INDEX_STATUS_TTL_MS), { chunks: 0, indexed: 0, missing: 0 }, "asked again after the TTL");
            assert.equal(asked, 2);
        } finally {
            await api.shutdown(1000);
        }
    });
});
