// The chat page in a real browser (e2e/browser/chat.ts, Debian's Chromium through playwright-core) against the
// app on loopback: API and frontend in-process, real PostgreSQL, Redis and Chroma (app/scripts/with-services.sh).
// Here the frontend forwards /api itself (API_UPSTREAM); e2e/browser/local.sh and the node e2e test take the
// ingress path. `npm test` installs Debian's chromium first when it is missing (e2e/browser/install.sh), as the
// app's test services install PostgreSQL and Redis; without it this suite fails, it is never skipped.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readNetLog, runChat } from "../e2e/browser/chat";
import { startLocalApp } from "../e2e/browser/local";

const CHROMIUM = "/usr/bin/chromium";

describe("browser driver: Chromium's net log", () => {
    it("counts what left the browser (DNS queries, TCP attempts, UDP datagrams by their socket's peer) apart from requests stopped inside it", () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), "netlog-test-"));
        try {
            const file = path.join(dir, "netlog.json");
            const types = { REQUEST_ALIVE: 1, DNS_TRANSACTION_QUERY: 2, TCP_CONNECT_ATTEMPT: 3, UDP_CONNECT: 4, UDP_BYTES_SENT: 5, SOCKET_ALIVE: 6 };
            const ev = (type: number, id: number, params?: object, phase = 1) => ({ type, phase, source: { id, type: 0 }, ...(params ? { params } : {}) });
            const events = [
                ev(1, 1, { url: "http://127.0.0.1:8080/" }),
                ev(1, 2, { url: "https://accounts.google.com/ListAccounts?x=1" }),
                ev(3, 3, { address: "127.0.0.1:8080" }),
                ev(3, 3, undefined, 2), // the attempt's end event names nothing
                ev(4, 4, { address: "10.255.255.53:53" }),
                ev(2, 5, { qname: "update.googleapis.com" }),
                ev(5, 4, { byte_count: 39 }),
                ev(4, 6, { address: "[2001:4860:4860::8888]:443" }), // connect() alone: nothing sent
                ev(6, 7, { address: "ignored" }),
            ];
            // a browser killed before its clean exit leaves the events array open
            writeFileSync(file, JSON.stringify({ constants: { logEventTypes: types }, events }).replace(/\]\}$/, ","));
            const { wire, requests } = readNetLog(file);
            assert.deepEqual(Object.fromEntries(wire), { "tcp 127.0.0.1:8080": 1, "dns update.googleapis.com": 1, "udp 10.255.255.53:53": 1 });
            assert.deepEqual(Object.fromEntries(requests), { "127.0.0.1:8080": 1, "accounts.google.com": 1 });
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("the chat page in headless Chromium (e2e/browser/chat.ts) against the app on loopback", function () {
    this.timeout(180_000);

    before(() => assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: npm test installs it first (e2e/browser/install.sh: Debian's chromium, as root)`));

    it("uploads, asks and shows the cited answer; a wrong key and an empty question are refused on the page with nothing stored; Chromium stays off the network", async () => {
        const artifacts = mkdtempSync(path.join(os.tmpdir(), "rag-browser-test-"));
        const app = await startLocalApp({ database: "rag_browser_test", upstream: true });
        const lines: string[] = [];
        try {
            const r = await runChat({ url: app.frontendUrl, key: app.key, artifacts, print: (l) => lines.push(l) });
            const all = lines.join("\n");
            assert.deepEqual(r.failed, [], `${all}\n--- app log:\n${app.logs.slice(-10).join("")}`);
            for (const check of [
                /^ok {3}- browser: a document uploaded through the page .*-> 201/m,
                /^ok {3}- browser: asked on the page, answered in [\d.]+ s .*\[doc:1\].*Cited: \[doc:1\] skerry-tide-mill-/m,
                /^ok {3}- browser: a wrong key: the API answered 401 and the page shows "Upload refused \(401 unauthorized\)/m,
                /^ok {3}- browser: an empty question: refused on the page without a request/m,
                /^ok {3}- browser: Chromium's network log: \d+ requests to 127\.0\.0\.1:\d+ .*nothing else left the browser/m,
            ]) {
                assert.match(all, check);
            }
            assert.equal(r.screenshots.length, 2, all);
            for (const f of r.screenshots) {
                assert.deepEqual([...readFileSync(f).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], f);
            }
            assert.ok(r.answerSeconds !== undefined && r.answerSeconds > 0, all);
        } finally {
            await app.close();
            rmSync(artifacts, { recursive: true, force: true });
        }
    });
});
