import assert from "node:assert/strict";
import http from "node:http";
import { AddressInfo } from "node:net";
import path from "node:path";
import { createFrontend } from "../src/frontend";
import { loadSettings } from "../src/lib/contract";

const listen = (server: http.Server) =>
    new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
const close = (server: http.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe("app: frontend server", () => {
    const publicDir = path.join(__dirname, "..", "public");

    it("serves the chat page, /healthz and /config.js with API_BASE_PATH, nothing else", async () => {
        const server = createFrontend(loadSettings("frontend", { API_BASE_PATH: "/rag-api" }), publicDir);
        const base = await listen(server);
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
        } finally {
            await close(server);
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
