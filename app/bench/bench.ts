// `npm run bench` (app part): the app at 10,000 chunks against the vector store alone (the floor), in local
// mode, on the real Chroma, PostgreSQL and Redis that scripts/services.sh starts (npm run bench wraps it in
// with-services.sh). Figures, not a test: a missed goal is printed, never a failure.
//
// - Indexing: the indexer's path (indexDirectory over Markdown files: read, normalise, checksum, dedupe
//   against PostgreSQL, chunk, embed, PostgreSQL rows and vector upserts in one transaction, cache
//   invalidation) against Chroma's bulk upsert of the same chunks with their vectors precomputed, in
//   batches of UPSERT_BATCH; the corpus in PARTS parts, run A-B-B-A (floor, app, app, floor, ...; the page
//   cache synced before each) so that the machine's load drifting during the run weighs on both alike.
// - Queries: HTTP POST /v1/query to the API process (node dist/api.js, as in the pod: embed, Redis cache
//   lookup, search, extractive answer, cache store, JSON) against Chroma's query with the same vector, the
//   same collection, top-k and included fields, through the same client library; every question distinct
//   (a cache miss), the two alternating which goes first.
// - Memory: the API process's RSS and V8 heap at 10,000 chunks, from /proc and from its own /metrics (the
//   series the cluster's Prometheus scrapes); then its peak while two 1 MB documents are uploaded at once
//   (the API's own ingest path at its largest).
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";
import { ChromaClient } from "chromadb";
import { chunkText, normaliseText } from "../src/lib/chunker";
import { deriveApiKey } from "../src/lib/auth";
import { secretValues } from "../src/lib/contract";
import { LocalEmbedder } from "../src/lib/embedder";
import { indexDirectory } from "../src/lib/indexer";
import { createLogger } from "../src/lib/logger";
import { migrate } from "../src/lib/migrations";
import { createService } from "../src/lib/runtime";
import { sha256, uuidFrom } from "../src/lib/text";
import { createDatabase, services, testEnv, testSettings } from "../test/services";
import { CorpusDocument, documents, prng } from "./corpus";

const TARGET_CHUNKS = 10_000;
const QUERIES = 500;
const WARMUP = 20;
/** The corpus is indexed in parts, app and floor alternating A-B-B-A over them (drift weighs on both alike). */
const PARTS = 4;
const TOP_K = 4;
/** The floor's records per upsert call (Chroma's throughput is flat from 500 to 2,500 here; its limit is 5,461). */
const UPSERT_BATCH = 1000;
// The platform's defaults (components/config/defaults.ts app.chunkSize, app.chunkOverlap).
const CHUNK_SIZE = 1000;
const CHUNK_OVERLAP = 200;
const GOALS = { p50: 1.3, p99: 1.5, indexing: 0.9 };

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const mib = (bytes: number) => bytes / 2 ** 20;

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = createServer();
        s.on("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as { port: number }).port;
            s.close(() => resolve(port));
        });
    });
}

/** VmRSS (now) and VmHWM (peak) of a process, in bytes. */
function procMemory(pid: number): { rss: number; peak: number } {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/** The process metrics of the API's /metrics (prom-client's default metrics). */
async function promMemory(base: string): Promise<Record<string, number>> {
    const text = await (await fetch(`${base}/metrics`)).text();
    const out: Record<string, number> = {};
    for (const name of ["process_resident_memory_bytes", "nodejs_heap_size_used_bytes", "nodejs_heap_size_total_bytes", "nodejs_external_memory_bytes"]) {
        out[name] = Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? NaN);
    }
    return out;
}

async function startApi(env: NodeJS.ProcessEnv, port: number): Promise<{ child: ChildProcess; base: string; stderr: () => string }> {
    const entry = path.join(__dirname, "..", "dist", "api.js");
    // BENCH_API_NODE_ARGS: node flags for the API process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const flags = (process.env.BENCH_API_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
    const child = spawn(process.execPath, [...flags, entry], { env, stdio: ["ignore", "ignore", "pipe"] });
    // Never left behind, whatever the bench's end.
    process.on("exit", () => child.kill("SIGKILL"));
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 150; i++) {
        if (child.exitCode !== null) {
            throw new Error(`the API exited with ${child.exitCode}: ${err}`);
        }
        const ok = await fetch(`${base}/ready`).then(
            (r) => r.ok,
            () => false,
        );
        if (ok) {
            return { child, base, stderr: () => err };
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the API did not become ready: ${err}`);
}

// The bench's HTTP client for the app: node:http on one kept-alive connection. fetch (undici, WHATWG streams)
// costs the client about half a millisecond of CPU per request on this machine: the bench's, not the app's.
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            url,
            { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers } },
            (res) => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", (c: string) => (text += c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
                res.on("error", reject);
            },
        );
        req.on("error", reject);
        req.end(body);
    });
}

interface Prepared {
    doc: CorpusDocument;
    chunks: { id: string; text: string; index: number; vector: number[] }[];
}

async function main(): Promise<void> {
    const url = createDatabase("rag_bench");
    const collection = `bench_${Date.now()}`;
    const overrides = {
        DATABASE_URL: url,
        VECTOR_COLLECTION: collection,
        CHUNK_SIZE: String(CHUNK_SIZE),
        CHUNK_OVERLAP: String(CHUNK_OVERLAP),
        LOG_LEVEL: "error",
    };
    const settings = testSettings("indexer", overrides);
    const quiet = new Writable({ write: (_c, _e, cb) => cb() });
    const log = createLogger("error", secretValues(settings), "bench", quiet);
    await migrate(url, log);
    const embedder = new LocalEmbedder(settings.EMBEDDING_DIMENSIONS);

    // The corpus, to TARGET_CHUNKS, with what the floor gets for free: the app's chunks and vectors.
    const prepared: Prepared[] = [];
    let total = 0;
    for (const doc of documents()) {
        const text = normaliseText(doc.text);
        const checksum = sha256(text);
        const chunks = chunkText(text, CHUNK_SIZE, CHUNK_OVERLAP).map((c) => ({
            id: uuidFrom(`${checksum}:${c.index}`),
            text: c.text,
            index: c.index,
            vector: embedder.embedOne(c.text),
        }));
        prepared.push({ doc, chunks });
        total += chunks.length;
        if (total >= TARGET_CHUNKS) {
            break;
        }
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), "rag-bench-docs-"));
    // PARTS parts of the corpus (by chunks), each a directory the indexer reads.
    const parts: Prepared[][] = Array.from({ length: PARTS }, () => []);
    let acc = 0;
    for (const p of prepared) {
        parts[Math.min(PARTS - 1, Math.floor((acc * PARTS) / total))].push(p);
        acc += p.chunks.length;
    }
    parts.forEach((part, k) => {
        for (const p of part) {
            const file = path.join(dir, `part-${k}`, p.doc.file);
            mkdirSync(path.dirname(file), { recursive: true });
            writeFileSync(file, p.doc.text);
        }
    });
    const bytes = prepared.reduce((n, p) => n + Buffer.byteLength(p.doc.text), 0);

    const apiPort = await freePort();
    const api = await startApi({ PATH: process.env.PATH, NODE_ENV: "production", ...testEnv({ ...overrides, API_PORT: String(apiPort) }) }, apiPort);
    const idle = procMemory(api.child.pid!);

    const chroma = new ChromaClient({ host: "127.0.0.1", port: services.chromaPort });
    const floorName = `${collection}_floor`;
    const floor = await chroma.getOrCreateCollection({ name: floorName, embeddingFunction: null, configuration: { hnsw: { space: "cosine" } } });
    const floorPart = async (k: number): Promise<number> => {
        const docBase = parts.slice(0, k).reduce((n, part) => n + part.length, 0);
        const records = parts[k].flatMap((p, i) => p.chunks.map((c) => ({ c, documentId: String(docBase + i), title: path.basename(p.doc.file, ".md") })));
        const t = performance.now();
        for (let i = 0; i < records.length; i += UPSERT_BATCH) {
            const batch = records.slice(i, i + UPSERT_BATCH);
            await floor.upsert({
                ids: batch.map((r) => r.c.id),
                embeddings: batch.map((r) => r.c.vector),
                documents: batch.map((r) => r.c.text),
                metadatas: batch.map((r) => ({ document_id: r.documentId, chunk_index: r.c.index, title: r.title })),
            });
        }
        return (performance.now() - t) / 1000;
    };
    const service = createService(settings, log);
    let appChunks = 0;
    let appDocs = 0;
    const appPart = async (k: number): Promise<number> => {
        const t = performance.now();
        const report = await indexDirectory(service, path.join(dir, `part-${k}`), log);
        const seconds = (performance.now() - t) / 1000;
        if (report.failed.length > 0 || report.skipped.length > 0 || report.unchanged > 0) {
            throw new Error(`the indexer did not index everything: ${JSON.stringify({ ...report, failed: report.failed.slice(0, 3) })}`);
        }
        appChunks += report.chunks;
        appDocs += report.indexed;
        return seconds;
    };
    // Collection creation outside the timing, for both.
    await service.store.ping();
    // Before each phase, the page cache the previous one dirtied goes to disk (untimed): Chroma writes tens
    // of megabytes per thousand chunks, and their writeback would otherwise land on the next phase.
    const settled = <T>(phase: () => Promise<T>): Promise<T> => {
        execFileSync("sync");
        return phase();
    };
    // A-B-B-A, repeated: floor, app, app, floor, floor, app, app, floor (each side part k at its k-th turn).
    const floorSeconds: number[] = [];
    const appSeconds: number[] = [];
    for (let k = 0; k < PARTS; k++) {
        if (k % 2 === 0) {
            floorSeconds.push(await settled(() => floorPart(k)));
            appSeconds.push(await settled(() => appPart(k)));
        } else {
            appSeconds.push(await settled(() => appPart(k)));
            floorSeconds.push(await settled(() => floorPart(k)));
        }
    }
    if (appChunks !== total || appDocs !== prepared.length) {
        throw new Error(`the app indexed ${appChunks} chunks of ${appDocs} documents; expected ${total} of ${prepared.length}`);
    }
    await chroma.deleteCollection({ name: floorName });
    await service.close();
    rmSync(dir, { recursive: true, force: true });
    const afterIndexing = procMemory(api.child.pid!);

    // Queries: a phrase from a chunk of the corpus, every one distinct.
    const rnd = prng(7);
    const chunks = prepared.flatMap((p) => p.chunks);
    const questions = Array.from({ length: QUERIES + WARMUP }, (_, i) => {
        const words = chunks[Math.floor(rnd() * chunks.length)].text.split(/\s+/);
        const from = Math.floor(rnd() * Math.max(1, words.length - 10));
        return `How does ${words.slice(from, from + 4 + Math.floor(rnd() * 6)).join(" ")} work (${i})?`;
    });
    const app = await chroma.getCollection({ name: collection });
    const appMs: number[] = [];
    const floorMs: number[] = [];
    let differ = 0;
    for (let i = 0; i < questions.length; i++) {
        const body = JSON.stringify({ question: questions[i], topK: TOP_K });
        // The vector the app computes for this question (RagService.query embeds the trimmed question).
        const [vector] = await embedder.embed([questions[i].trim()]);
        const runApp = async () => {
            const s = performance.now();
            const res = await post(`${api.base}/v1/query`, body);
            const ms = performance.now() - s;
            const json = JSON.parse(res.body) as { cached: boolean; mode: string; sources: { documentId: string; chunkIndex: number }[] };
            if (res.status !== 200 || json.cached || json.mode !== "local-extractive") {
                throw new Error(`unexpected answer ${res.status} ${res.body}`);
            }
            return { ms, hits: json.sources.map((h) => `${h.documentId}:${h.chunkIndex}`) };
        };
        const runFloor = async () => {
            const s = performance.now();
            const res = await app.query({ queryEmbeddings: [vector], nResults: TOP_K, include: ["documents", "metadatas", "distances"] });
            const ms = performance.now() - s;
            // The app's sources are the hits with a score > 0 (all of them when there is none); so is the comparison.
            const all = res.ids[0].map((_, j) => ({
                key: `${res.metadatas[0][j]?.document_id}:${res.metadatas[0][j]?.chunk_index}`,
                score: 1 - (res.distances[0][j] ?? 1),
            }));
            const relevant = all.filter((h) => h.score > 0);
            return { ms, hits: (relevant.length > 0 ? relevant : all).map((h) => h.key) };
        };
        const [a, f] = i % 2 === 0 ? [await runApp(), await runFloor()] : [await runFloor(), await runApp()].reverse();
        if (a.hits.join() !== f.hits.join()) {
            differ++;
        }
        if (i >= WARMUP) {
            appMs.push(a.ms);
            floorMs.push(f.ms);
        }
    }
    const after = procMemory(api.child.pid!);
    const prom = await promMemory(api.base);

    // Then the API's own ingest path at its largest: two 1 MB documents (MAX_DOCUMENT_BYTES) uploaded at once
    // (WORKERS is 2), for the peak it reaches; outside the 10,000 chunks above.
    const big: string[] = [];
    const more = documents(99);
    for (let k = 0; k < 2; k++) {
        let text = "";
        for (let next = more.next().value!.text; Buffer.byteLength(text) + next.length + 2 < 1_000_000; next = more.next().value!.text) {
            text += `${next}\n\n`;
        }
        big.push(text);
    }
    const key = deriveApiKey(testSettings("api", overrides).API_SIGNING_KEY);
    const u = performance.now();
    const uploads = await Promise.all(
        big.map((text, k) => post(`${api.base}/v1/documents`, JSON.stringify({ title: `upload ${k}`, text }), { authorization: `Bearer ${key}` })),
    );
    const uploadSeconds = (performance.now() - u) / 1000;
    if (uploads.some((r) => r.status !== 201)) {
        throw new Error(`uploads answered ${uploads.map((r) => `${r.status} ${r.body.slice(0, 200)}`).join(", ")}`);
    }
    const uploadChunks = uploads.reduce((n, r) => n + (JSON.parse(r.body) as { document: { chunkCount: number } }).document.chunkCount, 0);
    const afterUploads = procMemory(api.child.pid!);

    const fmt = (n: number) => n.toFixed(2);
    const verdict = (met: boolean) => (met ? "met" : "MISSED");
    const appRate = total / appSeconds.reduce((a, b) => a + b, 0);
    const floorRate = total / floorSeconds.reduce((a, b) => a + b, 0);
    const p50 = pct(appMs, 50) / pct(floorMs, 50);
    const p99 = pct(appMs, 99) / pct(floorMs, 99);
    const indexing = appRate / floorRate;
    console.log(
        `\napp at ${total} chunks (${prepared.length} Markdown documents, ${(bytes / 1e6).toFixed(1)} MB, CHUNK_SIZE ${CHUNK_SIZE}/${CHUNK_OVERLAP}; ` +
            `local mode; Chroma, PostgreSQL, Redis of scripts/services.sh; ${QUERIES} distinct questions, top-k ${TOP_K})`,
    );
    console.log("| measure | app | floor (Chroma alone) | ratio | goal | |");
    console.log("|---|---|---|---|---|---|");
    console.log(`| query p50 (ms) | ${fmt(pct(appMs, 50))} | ${fmt(pct(floorMs, 50))} | ${fmt(p50)}× | ≤ ${GOALS.p50}× | ${verdict(p50 <= GOALS.p50)} |`);
    console.log(`| query p99 (ms) | ${fmt(pct(appMs, 99))} | ${fmt(pct(floorMs, 99))} | ${fmt(p99)}× | ≤ ${GOALS.p99}× | ${verdict(p99 <= GOALS.p99)} |`);
    console.log(
        `| indexing (chunks/s) | ${appRate.toFixed(0)} | ${floorRate.toFixed(0)} | ${fmt(indexing)}× | ≥ ${GOALS.indexing}× | ${verdict(indexing >= GOALS.indexing)} |`,
    );
    console.log(
        `indexing parts (s, floor/app): ${floorSeconds.map((f, k) => `${f.toFixed(1)}/${appSeconds[k].toFixed(1)}`).join(", ")}; ` +
            `top-k differing between app and floor: ${differ} of ${questions.length} questions`,
    );
    console.log("app query = HTTP POST /v1/query to node dist/api.js; floor query = the chromadb client's query of the same collection with the same vector;");
    console.log(
        `app indexing = indexDirectory (the indexer's path) over the files; floor indexing = the chromadb client's upsert of the same chunks and vectors, ${UPSERT_BATCH} per call.`,
    );
    const mi = (bytes: number) => `${mib(bytes).toFixed(0)} MiB`;
    console.log(
        `API process (node dist/api.js, node ${process.version}, NODE_ENV=production) at ${total} chunks: RSS ${mi(after.rss)}, ` +
            `V8 heap used ${mi(prom.nodejs_heap_size_used_bytes)} of ${mi(prom.nodejs_heap_size_total_bytes)}, external ${mi(prom.nodejs_external_memory_bytes)}; ` +
            `RSS idle after start ${mi(idle.rss)}, after the indexing ${mi(afterIndexing.rss)}, peak (VmHWM) ${mi(after.peak)}`,
    );
    console.log(
        `  two concurrent 1 MB uploads through POST /v1/documents (${uploadChunks} chunks, ${uploadSeconds.toFixed(1)} s): peak RSS ${mi(afterUploads.peak)}, RSS after ${mi(afterUploads.rss)}`,
    );
    console.log(
        `  in the cluster: process_resident_memory_bytes here ${prom.process_resident_memory_bytes} (${Math.ceil(mib(prom.process_resident_memory_bytes))}Mi) ` +
            `against the API pod's process_resident_memory_bytes (its /metrics) or container_memory_working_set_bytes{container="api"} ` +
            `(kubectl top, the dashboard; it adds the page cache the container touched); the API requests 512Mi in dev, 2Gi in prod`,
    );

    api.child.kill("SIGTERM");
    await once(api.child, "exit");
    await chroma.deleteCollection({ name: collection });
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
