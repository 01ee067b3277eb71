import assert from "node:assert/strict";
import http from "node:http";
import { AddressInfo } from "node:net";
import path from "node:path";
import client from "prom-client";
import { createFrontend, createMetricsServer } from "../src/frontend";
import { loadSettings } from "../src/lib/contract";

/** public/chat-logic.js: the page's logic, the same file the browser loads (window.RagChat). */
interface ChatLogic {
    count(n: number, word: string): string;
    parseJson(text: string): any;
    checkQuestion(raw: unknown): { question?: string; error?: string };
    checkUpload(file: unknown, key: unknown): { error?: string };
    failureMessage(action: string, status: number, body: unknown): string;
    uploadMessage(body: unknown): string;
    citedDocuments(result: unknown): { id: string; title: string }[];
}
const chat = require("../public/chat-logic.js") as ChatLogic;

const listen = (server: http.Server) =>
    new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
const close = (server: http.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe("app: frontend server", () => {
    const publicDir = path.join(__dirname, "..", "public");

    it("serves the chat page, /healthz and /config.js with API_BASE_PATH, nothing else (no /metrics: that has its own port)", async () => {
        const registry = new client.Registry();
        const server = createFrontend(loadSettings("frontend", { API_BASE_PATH: "/rag-api" }), publicDir, () => undefined, registry);
        const metrics = createMetricsServer(registry);
        const base = await listen(server);
        const metricsBase = await listen(metrics);
        try {
            assert.equal((await fetch(`${base}/healthz`)).status, 200);
            const page = await fetch(`${base}/`);
            assert.equal(page.status, 200);
            assert.match(page.headers.get("content-type") ?? "", /text\/html/);
            assert.match(await page.text(), /<script src="\/app.js">/);
            assert.equal(await (await fetch(`${base}/config.js`)).text(), 'window.RAG_CONFIG = {"apiBasePath":"/rag-api"};\n');
            assert.equal((await fetch(`${base}/app.js`)).status, 200);
            assert.equal((await fetch(`${base}/../package.json`)).status, 404);
            assert.equal((await fetch(`${base}/api/v1/query`, { method: "POST" })).status, 405);
            assert.equal((await fetch(`${base}/metrics`)).status, 404, "the public port serves no metrics");
            const text = await (await fetch(`${metricsBase}/metrics`)).text();
            assert.match(text, /http_requests_total\{method="GET",handler="\/healthz",status="2xx"\} 1/);
            assert.match(text, /http_requests_total\{method="GET",handler="unmatched",status="4xx"\} 2/); // /package.json, /metrics
            assert.equal((await fetch(`${metricsBase}/`)).status, 404, "the metrics port serves nothing else");
            assert.equal(loadSettings("frontend").FRONTEND_METRICS_PORT, 9090);
        } finally {
            await close(server);
            await close(metrics);
        }
    });

    it("forwards API_BASE_PATH/* to API_UPSTREAM when set", async () => {
        const upstream = http.createServer((req, res) => {
            let body = "";
            req.on("data", (c) => (body += c));
            req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ method: req.method, url: req.url, body })));
        });
        const upstreamUrl = await listen(upstream);
        const server = createFrontend(loadSettings("frontend", { API_UPSTREAM: upstreamUrl }), publicDir);
        const base = await listen(server);
        try {
            const res = await fetch(`${base}/api/v1/query?x=1`, { method: "POST", body: '{"question":"q"}', headers: { "content-type": "application/json" } });
            assert.deepEqual(await res.json(), { method: "POST", url: "/api/v1/query?x=1", body: '{"question":"q"}' });
        } finally {
            await close(server);
            await close(upstream);
        }
    });
});

describe("app: chat page logic (public/chat-logic.js)", () => {
    it("refuses an empty or blank question on the page, with a message, and sends the trimmed question otherwise", () => {
        for (const raw of ["", "   ", "\n\t ", undefined]) {
            const r = chat.checkQuestion(raw);
            assert.equal(r.question, undefined, JSON.stringify(raw));
            assert.match(r.error ?? "", /Type a question first: an empty question is not sent/);
        }
        assert.deepEqual(chat.checkQuestion("  What colour is the lighthouse?  "), { question: "What colour is the lighthouse?" });
    });

    it("refuses an upload without a file or without a key before sending it", () => {
        const file = { name: "a.txt" };
        assert.match(chat.checkUpload(undefined, "k").error ?? "", /Choose a file/);
        assert.match(chat.checkUpload(file, "").error ?? "", /Enter the API key to upload.*Nothing was sent/);
        assert.match(chat.checkUpload(file, "   ").error ?? "", /Enter the API key/);
        assert.match(chat.checkUpload(file, "Bearer abc").error ?? "", /has a space in it/);
        assert.deepEqual(chat.checkUpload(file, " 0123abcd "), {});
    });

    it("turns the API's 401 into a readable message saying the key was refused and nothing was stored", () => {
        const body = { error: "unauthorized", message: "a valid API key is required: Authorization: Bearer <key>" };
        assert.equal(
            chat.failureMessage("upload", 401, body),
            "Upload refused (401 unauthorized): the API key was not accepted. Check the key and try again. Nothing was stored.",
        );
        // an ingress or proxy answering 401 with an HTML page: still readable, from the status alone
        assert.equal(
            chat.failureMessage("upload", 401, chat.parseJson("<html>401</html>")),
            "Upload refused (401): the API key was not accepted. Check the key and try again. Nothing was stored.",
        );
    });

    it("shows the API's own message for the other refusals, and the status when the body is not JSON", () => {
        assert.equal(
            chat.failureMessage("question", 400, { error: "empty_question", message: "question must be a non-empty string" }),
            "Question refused (400 empty_question): question must be a non-empty string.",
        );
        assert.equal(
            chat.failureMessage("upload", 415, { error: "unsupported_type", message: 'unsupported file type "a.pdf": upload .txt, .md, .html or .json' }),
            'Upload refused (415 unsupported_type): unsupported file type "a.pdf": upload .txt, .md, .html or .json. Nothing was stored.',
        );
        assert.equal(
            chat.failureMessage("upload", 413, { error: "document_too_large", message: "the file exceeds 4096 bytes (MAX_DOCUMENT_BYTES)" }),
            "Upload refused (413): too large: the file exceeds 4096 bytes (MAX_DOCUMENT_BYTES). Nothing was stored.",
        );
        assert.equal(chat.failureMessage("upload", 413, undefined), "Upload refused (413): too large. Nothing was stored.");
        assert.equal(chat.failureMessage("question", 429, undefined), "Question refused (429): too many requests; wait a moment and try again.");
        assert.equal(
            chat.failureMessage("question", 503, { error: "unavailable", message: "postgresql is unavailable; retry later" }),
            "The API could not answer (503 unavailable): postgresql is unavailable; retry later.",
        );
        assert.equal(chat.failureMessage("question", 502, chat.parseJson("")), "The API could not answer (502); try again later.");
        assert.equal(chat.failureMessage("list", 404, undefined), "Listing the documents failed (404).");
    });

    it("counts in words: 1 document, 0 and 2 documents", () => {
        assert.equal(chat.count(1, "document"), "1 document");
        assert.equal(chat.count(0, "document"), "0 documents");
        assert.equal(chat.count(2, "chunk"), "2 chunks");
    });

    it("parses JSON bodies only", () => {
        assert.deepEqual(chat.parseJson('{"a":1}'), { a: 1 });
        for (const t of ["", "not json", "<html></html>", "42", "null"]) {
            assert.equal(chat.parseJson(t), undefined, t);
        }
    });

    it("says what an upload stored: a new document, or the one already indexed with the same content", () => {
        assert.equal(
            chat.uploadMessage({ created: true, document: { id: "7", title: "lighthouse.txt", chunkCount: 2 } }),
            "Indexed \u201clighthouse.txt\u201d as #7, 2 chunks.",
        );
        assert.equal(
            chat.uploadMessage({ created: true, document: { id: "8", title: "one.md", chunkCount: 1 } }),
            "Indexed \u201cone.md\u201d as #8, 1 chunk.",
        );
        assert.equal(
            chat.uploadMessage({ created: false, document: { id: "7", title: "lighthouse.txt", chunkCount: 2 } }),
            "Already indexed as #7 (\u201clighthouse.txt\u201d, same content); nothing new was stored.",
        );
    });

    it("lists the documents an answer cites, in the citations' order, with their titles from the sources", () => {
        const result = {
            citations: ["12", "3"],
            sources: [
                { documentId: "3", title: "backups.md", chunkIndex: 0, score: 0.8 },
                { documentId: "12", title: "lighthouse.txt", chunkIndex: 1, score: 0.7 },
                { documentId: "12", title: "lighthouse.txt", chunkIndex: 0, score: 0.6 },
            ],
        };
        assert.deepEqual(chat.citedDocuments(result), [
            { id: "12", title: "lighthouse.txt" },
            { id: "3", title: "backups.md" },
        ]);
        assert.deepEqual(chat.citedDocuments({ citations: ["9"], sources: [] }), [{ id: "9", title: "" }]);
        assert.deepEqual(chat.citedDocuments({ answer: "No indexed document matches this question.", citations: [], sources: [] }), []);
    });
});
