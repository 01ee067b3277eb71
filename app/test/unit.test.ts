import { createHmac } from "node:crypto";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { ExtractiveAnswerBuilder } from "../src/lib/answer";
import { checkBearer, deriveApiKey } from "../src/lib/auth";
import { chunkNormalised, chunkText, normaliseText } from "../src/lib/chunker";
import { ConfigError, databaseUrl, KEYS, keysReadBy, loadSettings, redisUrl, secretValues } from "../src/lib/contract";
import { contentTypeOf, extractText, InputError } from "../src/lib/documents";
import { LocalEmbedder } from "../src/lib/embedder";
import { redactAll } from "../src/lib/logger";
import { estimateTokens, uuidFrom } from "../src/lib/text";
import { MemoryVectorStore } from "../src/lib/vector/memory";

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

describe("app: chunker", () => {
    it("covers the whole text in chunks no longer than the size, overlapping by about the overlap", () => {
        const text = Array.from({ length: 300 }, (_, i) => `Sentence number ${i} talks about topic ${i % 7}.`).join(" ");
        const chunks = chunkText(text, 200, 40);
        assert.ok(chunks.length > 10);
        for (const c of chunks) {
            assert.ok(c.text.length <= 200, `chunk ${c.index} has ${c.text.length} chars`);
        }
        for (let i = 1; i < chunks.length; i++) {
            assert.ok(chunks[i].start < chunks[i - 1].end, "consecutive chunks overlap");
            assert.ok(chunks[i].start > chunks[i - 1].start, "progress");
        }
        assert.equal(chunks[chunks.length - 1].end, normaliseText(text).length);
        // Every word of the text is in some chunk.
        const all = chunks.map((c) => c.text).join(" ");
        for (let i = 0; i < 300; i += 37) {
            assert.ok(all.includes(`Sentence number ${i} `));
        }
    });

    it("does not cut words when a boundary exists, and handles short, empty and boundary-free text", () => {
        const chunks = chunkText("alpha beta gamma delta epsilon zeta eta theta iota kappa", 20, 5);
        for (const c of chunks) {
            assert.match(c.text, /^[a-z]+( [a-z]+)*$/);
        }
        assert.deepEqual(
            chunkText("short", 100, 10).map((c) => c.text),
            ["short"],
        );
        assert.deepEqual(chunkText("   \n\n ", 100, 10), []);
        const long = "x".repeat(250);
        assert.deepEqual(
            chunkText(long, 100, 0).map((c) => c.text.length),
            [100, 100, 50],
        );
    });

    it("normalises as the plain definition does, idempotently, so chunks of normalised text need no second pass", () => {
        const plain = (t: string) =>
            t
                .replace(/\r\n?/g, "\n")
                .replace(/[ \t\f\v]+/g, " ")
                .replace(/ *\n */g, "\n")
                .replace(/\n{3,}/g, "\n\n")
                .trim();
        let seed = 5;
        const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
        const alphabet = [" ", " ", "\t", "\n", "\n", "\r", "\f", "\v", "a", "b", ".", "\u00a0"];
        for (let i = 0; i < 20_000; i++) {
            const t = Array.from({ length: Math.floor(rnd() * 24) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join("");
            const n = normaliseText(t);
            assert.equal(n, plain(t), JSON.stringify(t));
            assert.equal(normaliseText(n), n, JSON.stringify(t));
        }
        const text = "A  first\tparagraph. \r\n \r\n\n\n Second one, with  spaces . \n" + "word ".repeat(200);
        assert.deepEqual(chunkNormalised(normaliseText(text), 120, 30), chunkText(text, 120, 30));
    });

    it("rejects an overlap not smaller than the size", () => {
        assert.throws(() => chunkText("text", 10, 10), RangeError);
        assert.throws(() => chunkText("text", 0, 0), RangeError);
    });
});

describe("app: local embedder", () => {
    const e = new LocalEmbedder(384);

    it("is deterministic, has the configured dimension and unit length", async () => {
        const [a, b] = await e.embed(["Kubernetes schedules pods onto nodes", "Kubernetes schedules pods onto nodes"]);
        assert.equal(a.length, 384);
        assert.deepEqual(a, b);
        assert.ok(Math.abs(cosine(a, a) - 1) < 1e-9);
        assert.equal(new LocalEmbedder(64).embedOne("hello").length, 64);
    });

    it("puts texts sharing words closer than unrelated texts", () => {
        const q = e.embedOne("How does the indexer compute checksums?");
        const related = e.embedOne("The indexer computes a SHA-256 checksum of every document.");
        const unrelated = e.embedOne("Grafana dashboards show request latency percentiles.");
        assert.ok(cosine(q, related) > cosine(q, unrelated) + 0.2, `${cosine(q, related)} vs ${cosine(q, unrelated)}`);
    });

    it("gives a unit vector even for text without words", () => {
        const v = e.embedOne("!!! ...");
        assert.ok(Math.abs(cosine(v, v) - 1) < 1e-9);
    });
});

describe("app: extractive answer builder", () => {
    it("quotes the sentences that match the question and cites their documents", async () => {
        const hits = [
            { id: "1", documentId: "7", chunkIndex: 0, title: "redis", text: "Redis keeps the answer cache. Its TTL is five minutes.", score: 0.8 },
            { id: "2", documentId: "9", chunkIndex: 2, title: "pg", text: "PostgreSQL stores document metadata. Backups run nightly.", score: 0.3 },
        ];
        const a = await new ExtractiveAnswerBuilder(2).build("What is the TTL of the answer cache?", hits);
        assert.equal(a.mode, "local-extractive");
        assert.match(a.answer, /answer cache/);
        assert.match(a.answer, /TTL is five minutes\. \[doc:7\]/);
        assert.deepEqual(a.citations, ["7"]);
        assert.equal(a.sources[0].documentId, "7");
    });

    it("says so when nothing matches", async () => {
        const a = await new ExtractiveAnswerBuilder().build("anything", []);
        assert.deepEqual(a.citations, []);
        assert.match(a.answer, /No indexed document/);
    });
});

describe("app: retrieval in local mode", () => {
    it("returns the chunks of the document a question is about first", async () => {
        const e = new LocalEmbedder(384);
        const store = new MemoryVectorStore();
        const docs: Record<string, string> = {
            "1": "The vector store keeps one collection of chunks. Qdrant checks an api-key header on every request.",
            "2": "Rolling updates replace API pods one at a time; the PodDisruptionBudget keeps capacity during node drains.",
            "3": "PostgreSQL backups are taken with pg_dump every night and kept for fourteen days in object storage.",
        };
        for (const [id, text] of Object.entries(docs)) {
            await store.upsert(
                chunkText(text, 60, 10).map((c) => ({
                    id: uuidFrom(`${id}:${c.index}`),
                    documentId: id,
                    chunkIndex: c.index,
                    title: id,
                    text: c.text,
                    vector: e.embedOne(c.text),
                })),
            );
        }
        const ask = async (q: string) => (await store.search(e.embedOne(q), 2))[0].documentId;
        assert.equal(await ask("How long are PostgreSQL backups kept?"), "3");
        assert.equal(await ask("what happens to pods during a rolling update"), "2");
        assert.equal(await ask("Which header does Qdrant check?"), "1");
    });
});

describe("app: contract (environment keys)", () => {
    it("parses every key with its default, and typed values from the environment", () => {
        const s = loadSettings("api", { API_SIGNING_KEY: "k".repeat(32), POSTGRES_PASSWORD: "pw", MAX_TOKENS: "512", VECTOR_DB_AUTH_REQUIRED: "false" });
        assert.equal(s.MAX_TOKENS, 512);
        assert.equal(s.CHUNK_SIZE, 1000);
        assert.equal(s.API_PORT, 8000);
        assert.equal(s.API_BASE_PATH, "/api");
        assert.equal(s.VECTOR_DB_AUTH_REQUIRED, false);
        assert.equal(databaseUrl(s), "postgresql://rag:pw@127.0.0.1:5432/rag");
        assert.equal(redisUrl(s), "redis://127.0.0.1:6379/0");
    });

    it("names every bad key, never a secret value", () => {
        const err = (() => {
            try {
                loadSettings("api", {
                    API_SIGNING_KEY: "short",
                    MAX_TOKENS: "lots",
                    CHUNK_SIZE: "100",
                    CHUNK_OVERLAP: "100",
                    VECTOR_DB_ENGINE: "pinecone",
                    DATABASE_URL: "not a url s3cr3t",
                });
            } catch (e) {
                return e as ConfigError;
            }
            throw new Error("expected a ConfigError");
        })();
        assert.ok(err instanceof ConfigError);
        for (const key of ["API_SIGNING_KEY", "MAX_TOKENS", "CHUNK_OVERLAP", "VECTOR_DB_ENGINE", "DATABASE_URL"]) {
            assert.match(err.message, new RegExp(`${key}`), key);
        }
        assert.doesNotMatch(err.message, /s3cr3t|short/);
    });

    it("reads only the keys an entry point declares (the indexer ignores API keys)", () => {
        const s = loadSettings("indexer", { POSTGRES_PASSWORD: "pw", API_PORT: "not-a-port", TOP_K: "9" });
        assert.equal(s.API_PORT, 8000);
        assert.equal(s.TOP_K, 4);
        assert.ok(!keysReadBy("indexer").includes("API_SIGNING_KEY"));
        assert.deepEqual(keysReadBy("frontend").sort(), ["API_BASE_PATH", "API_UPSTREAM", "FRONTEND_METRICS_PORT", "FRONTEND_PORT"]);
    });

    it("lists the secret values, including passwords inside URLs, for the logger to redact", () => {
        const s = loadSettings("api", {
            API_SIGNING_KEY: "signing-key-0123456789",
            DATABASE_URL: "postgresql://u:p%40ssw0rd@h:5432/d",
            REDIS_URL: "redis://:redispw1@h:6379/0",
        });
        const secrets = secretValues(s);
        assert.ok(secrets.includes("signing-key-0123456789"));
        assert.ok(secrets.includes("p@ssw0rd"));
        assert.ok(secrets.includes("redispw1"));
    });

    it("no module but contract.ts reads process.env", () => {
        const root = path.join(__dirname, "..", "src");
        const offenders: string[] = [];
        const walk = (d: string) => {
            for (const f of readdirSync(d)) {
                const full = path.join(d, f);
                if (statSync(full).isDirectory()) {
                    walk(full);
                } else if (f.endsWith(".ts") && f !== "contract.ts" && /process\.env\b/.test(readFileSync(full, "utf8"))) {
                    offenders.push(path.relative(root, full));
                }
            }
        };
        walk(root);
        assert.deepEqual(offenders, []);
        assert.ok(Object.keys(KEYS).length > 30);
    });
});

describe("app: API key, documents, tokens, log redaction", () => {
    it("derives the write key as HMAC-SHA256(signing key, 'rag-api-key:v1') and checks bearer headers", () => {
        const key = deriveApiKey("signing");
        assert.match(key, /^[0-9a-f]{64}$/);
        assert.equal(key, createHmac("sha256", "signing").update("rag-api-key:v1").digest("hex"));
        assert.ok(checkBearer(`Bearer ${key}`, key));
        assert.ok(!checkBearer(`Bearer ${key.slice(1)}x`, key));
        assert.ok(!checkBearer(undefined, key));
        assert.ok(!checkBearer(key, key));
    });

    it("accepts text formats by extension or MIME type and rejects binary", () => {
        assert.equal(contentTypeOf("notes.md", "application/octet-stream"), "text/markdown");
        assert.equal(contentTypeOf("page.HTML", undefined), "text/html");
        assert.equal(contentTypeOf("blob", "text/plain"), "text/plain");
        assert.equal(contentTypeOf("image.png", "image/png"), undefined);
        assert.equal(contentTypeOf("archive.zip", "text/plain"), undefined);
        assert.equal(extractText(Buffer.from("<p>Hello <b>world</b></p><script>x()</script>"), "text/html").replace(/\s+/g, " ").trim(), "Hello world");
        assert.match(extractText(Buffer.from('{"title":"T","body":["a","b"]}'), "application/json"), /title: T\nbody: a\nbody: b/);
        assert.throws(() => extractText(Buffer.from([0x50, 0x4b, 0x03, 0x00]), "text/plain"), InputError);
        assert.throws(() => extractText(Buffer.from([0xff, 0xfe, 0xfd]), "text/plain"), InputError);
    });

    it("estimates tokens on the high side", () => {
        assert.equal(estimateTokens("one two three"), 4);
        assert.ok(estimateTokens("word ".repeat(1000)) >= 1000);
    });

    it("redacts secret values wherever they appear in a log line", () => {
        const lines: string[] = [];
        const sink = new Writable({
            write(chunk, _enc, cb) {
                lines.push(String(chunk));
                cb();
            },
        });
        const secret = "hunter2-secret-value";
        const log = pino({ hooks: { streamWrite: (l: string) => redactAll(l, [secret]) } }, sink);
        log.error({ err: `connect to postgresql://rag:${secret}@db failed` }, `oops ${secret}`);
        assert.equal(lines.length, 1);
        assert.doesNotMatch(lines[0], /hunter2/);
        assert.match(lines[0], /\[REDACTED\]/);
    });
});
