// `npm run bench` (app part): the app's query latency and indexing throughput in local mode, each next to the
// same operation straight against the vector store (the floor), as a ratio. Runs against the real Chroma,
// PostgreSQL and Redis that scripts/services.sh starts (npm run bench wraps it in with-services.sh).
// Figures, not a test: nothing asserts a bound (the target: query p50 ≤ 2× the floor).
import { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";
import { buildApi } from "../src/api/server";
import { chunkText } from "../src/lib/chunker";
import { secretValues } from "../src/lib/contract";
import { LocalEmbedder } from "../src/lib/embedder";
import { createLogger } from "../src/lib/logger";
import { migrate } from "../src/lib/migrations";
import { createService } from "../src/lib/runtime";
import { uuidFrom } from "../src/lib/text";
import { createVectorStore } from "../src/lib/vector";
import { createDatabase, testSettings } from "../test/services";

const CHUNKS = 1000;
const QUERIES = 300;

/** Deterministic pseudo-random text (an LCG over a fixed vocabulary): no data set is downloaded. */
function corpus(): { title: string; text: string }[] {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const vocab = Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)}${"aeiou"[i % 5]}${"nrst"[i % 4]}`);
    const sentence = () => Array.from({ length: 8 + Math.floor(rnd() * 10) }, () => vocab[Math.floor(rnd() ** 2 * vocab.length)]).join(" ") + ".";
    // 100 documents of ~10 chunks of ~450 characters (CHUNK_SIZE 500, overlap 50).
    return Array.from({ length: 100 }, (_, d) => ({ title: `doc ${d}`, text: Array.from({ length: 60 }, sentence).join(" ") }));
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
    const url = createDatabase("rag_bench");
    const collection = `bench_${Date.now()}`;
    const settings = testSettings("api", { DATABASE_URL: url, VECTOR_COLLECTION: collection, CHUNK_SIZE: "500", CHUNK_OVERLAP: "50", LOG_LEVEL: "error" });
    const quiet = new Writable({ write: (_c, _e, cb) => cb() });
    const log = createLogger("error", secretValues(settings), "bench", quiet);
    await migrate(url, log);
    const service = createService(settings, log);
    const floorStore = createVectorStore({ ...settings, VECTOR_COLLECTION: `${collection}_floor` });
    const embedder = new LocalEmbedder(settings.EMBEDDING_DIMENSIONS);

    // Indexing: the app (chunk, embed, PostgreSQL row, upsert, commit) vs the vector store's upsert alone.
    const docs = corpus();
    let chunks = 0;
    let t = performance.now();
    for (const d of docs) {
        const res = await service.ingest({ title: d.title, source: "bench", contentType: "text/plain", bytes: d.text.length, text: d.text });
        chunks += res.document.chunkCount;
        if (chunks >= CHUNKS) {
            break;
        }
    }
    const appIndexSeconds = (performance.now() - t) / 1000;
    const records = docs.flatMap((d, i) =>
        chunkText(d.text, 500, 50).map((c) => ({
            id: uuidFrom(`floor:${i}:${c.index}`),
            documentId: String(i),
            chunkIndex: c.index,
            title: d.title,
            text: c.text,
            vector: embedder.embedOne(c.text),
        })),
    );
    const floorRecords = records.slice(0, chunks);
    await floorStore.upsert(floorRecords.slice(0, 1)); // collection creation outside the timing
    const perDoc = Math.ceil(floorRecords.length / 100);
    t = performance.now();
    for (let i = 0; i < floorRecords.length; i += perDoc) {
        await floorStore.upsert(floorRecords.slice(i, i + perDoc));
    }
    const floorIndexSeconds = (performance.now() - t) / 1000;

    // Queries: distinct questions (every one a cache miss) through the HTTP API vs a search with a precomputed vector.
    const api = await buildApi(settings, service, log);
    await api.app.listen({ host: "127.0.0.1", port: 0 });
    const base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
    const questions = Array.from({ length: QUERIES + 20 }, (_, i) => records[(i * 37) % records.length].text.split(" ").slice(3, 12).join(" ") + ` q${i}`);
    const appMs: number[] = [];
    const floorMs: number[] = [];
    for (let i = 0; i < questions.length; i++) {
        const body = JSON.stringify({ question: questions[i], topK: 4 });
        let s = performance.now();
        const res = await fetch(`${base}/v1/query`, { method: "POST", headers: { "content-type": "application/json" }, body });
        const json = (await res.json()) as { cached: boolean; mode: string };
        const app = performance.now() - s;
        if (res.status !== 200 || json.cached || json.mode !== "local-extractive") {
            throw new Error(`unexpected answer ${res.status} ${JSON.stringify(json)}`);
        }
        const vector = embedder.embedOne(questions[i]);
        s = performance.now();
        await floorStore.search(vector, 4);
        const floor = performance.now() - s;
        if (i >= 20) {
            appMs.push(app);
            floorMs.push(floor);
        }
    }

    const f = (n: number) => n.toFixed(2);
    console.log(`\napp (local mode, ${service.store.engine} started by scripts/services.sh, ${chunks} chunks indexed, ${QUERIES} distinct questions)`);
    console.log("| operation | app | floor (vector store alone) | ratio |");
    console.log("|---|---|---|---|");
    console.log(`| query p50 (ms) | ${f(pct(appMs, 50))} | ${f(pct(floorMs, 50))} | ${f(pct(appMs, 50) / pct(floorMs, 50))}× |`);
    console.log(`| query p99 (ms) | ${f(pct(appMs, 99))} | ${f(pct(floorMs, 99))} | ${f(pct(appMs, 99) / pct(floorMs, 99))}× |`);
    const appRate = chunks / appIndexSeconds;
    const floorRate = floorRecords.length / floorIndexSeconds;
    console.log(`| indexing (chunks/s) | ${appRate.toFixed(0)} | ${floorRate.toFixed(0)} | ${f(floorRate / appRate)}× slower |`);
    console.log("app query = HTTP POST /v1/query (embed, search, extractive answer, Redis cache lookup and store);");
    console.log("floor query = the adapter's search with a precomputed vector; app indexing = chunk, embed, PostgreSQL row, upsert, commit per document;");
    console.log("floor indexing = the adapter's upsert of the same chunks with precomputed vectors, in batches of the same size.");

    await service.store.drop();
    await floorStore.drop();
    await api.shutdown(5000);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
