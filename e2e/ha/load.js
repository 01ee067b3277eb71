// The HA tier's load generator, run in a pod in the test's namespace (the node image built here): POST
// /v1/query (or GET any other URL, e.g. the document listing) at a bounded rate to the API Service only, for a bounded time and count. Every question is worded
// differently (a counter in it), so the API's Redis cache answers none of them and each one really embeds
// and searches. Output, one JSON object per line on stdout:
//   {"t": <epoch ms>, "tick": {"ok": n, "failed": n, "inFlight": n, "p50": ms, "p99": ms}}   every second
//   {"t": <epoch ms>, "failure": "<status or error>"}                                         each failure
//   {"summary": {"sent": n, "ok": n, "failed": n, "p50": ms, "p99": ms, "seconds": s, "reasons": {...}}}
// It stops at DURATION seconds, MAX_REQUESTS requests or when the file STOP_FILE exists (an emptyDir the
// test touches with kubectl exec), whichever comes first. Environment: URL (the query endpoint), RATE
// (requests per second), DURATION, MAX_REQUESTS, TIMEOUT_MS (per request), MAX_IN_FLIGHT, QUESTION_WORDS
// (words per question: longer questions cost the API more CPU), STOP_FILE, AUTHORIZATION (a header value).
"use strict";
const fs = require("fs");
const http = require("http");

const env = (k, d) => (process.env[k] === undefined || process.env[k] === "" ? d : process.env[k]);
const URL_ = env("URL");
const RATE = Number(env("RATE", "10"));
const DURATION = Number(env("DURATION", "60"));
const MAX_REQUESTS = Number(env("MAX_REQUESTS", String(RATE * DURATION)));
const TIMEOUT_MS = Number(env("TIMEOUT_MS", "30000"));
const MAX_IN_FLIGHT = Number(env("MAX_IN_FLIGHT", "200"));
const WORDS = Number(env("QUESTION_WORDS", "12"));
const STOP_FILE = env("STOP_FILE", "/tmp/stop");
const AUTHORIZATION = env("AUTHORIZATION", ""); // e.g. "Bearer <key>" when the API requires a key
const QUERY = URL_ !== undefined && new URL(URL_).pathname.endsWith("/v1/query");
if (!URL_) {
    console.error("URL is required");
    process.exit(2);
}

const vocabulary = (
    "lighthouse keeper weather colour painted band built harbour storm signal lamp tower rocks tide " +
    "ship coast island north south beacon fog horn granite stairs gallery lens night watch log"
).split(" ");
let sent = 0;
let ok = 0;
let failed = 0;
let inFlight = 0;
const reasons = {};
const all = [];
let tick = [];
const start = Date.now();
const out = (o) => process.stdout.write(JSON.stringify({ t: Date.now(), ...o }) + "\n");
const pct = (xs, p) => {
    if (xs.length === 0) return 0;
    const s = [...xs].sort((a, b) => a - b);
    return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]);
};

function question(n) {
    const words = [];
    for (let i = 0; i < WORDS; i++) words.push(vocabulary[(n * 7 + i * 13) % vocabulary.length]);
    return `Question ${n}: what about the ${words.join(" ")}?`;
}

/**
 * One request on a NEW connection (no keep-alive): each request is a new connection, so kube-proxy picks a
 * backend for each one, as it does for many independent clients; a pooled connection would stay on one pod and
 * never meet a pod that has gone away. Resolves to the status code; rejects with the socket error or "timeout".
 */
function request(body) {
    return new Promise((resolve, reject) => {
        const u = new URL(URL_);
        const req = http.request(
            {
                host: u.hostname,
                port: u.port || 80,
                path: u.pathname + u.search,
                method: body === undefined ? "GET" : "POST",
                agent: false,
                headers: {
                    ...(AUTHORIZATION ? { authorization: AUTHORIZATION } : {}),
                    ...(body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }),
                },
                timeout: TIMEOUT_MS,
            },
            (res) => {
                res.resume();
                res.on("end", () => resolve(res.statusCode));
                res.on("error", reject);
            },
        );
        req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "timeout" })));
        req.on("error", reject);
        req.end(body);
    });
}

async function one(n) {
    inFlight++;
    const t0 = Date.now();
    let reason = null;
    try {
        // a query endpoint gets a question; any other path (the document listing) a plain GET
        const status = await request(QUERY ? JSON.stringify({ question: question(n) }) : undefined);
        if (status !== 200) reason = `HTTP ${status}`;
    } catch (e) {
        reason = String((e && (e.code || e.message)) || e);
    }
    const ms = Date.now() - t0;
    inFlight--;
    if (reason) {
        failed++;
        reasons[reason] = (reasons[reason] || 0) + 1;
        out({ failure: reason, ms });
    } else {
        ok++;
        all.push(ms);
        tick.push(ms);
    }
}

const ticker = setInterval(() => {
    out({ tick: { ok, failed, inFlight, p50: pct(tick, 50), p99: pct(tick, 99) } });
    tick = [];
}, 1000);

const interval = 1000 / RATE;
let next = Date.now();
function schedule() {
    const elapsed = (Date.now() - start) / 1000;
    if (elapsed >= DURATION || sent >= MAX_REQUESTS || fs.existsSync(STOP_FILE)) return finish();
    while (Date.now() >= next && sent < MAX_REQUESTS) {
        if (inFlight < MAX_IN_FLIGHT) {
            one(sent++);
        } else {
            failed++;
            reasons["client: too many in flight"] = (reasons["client: too many in flight"] || 0) + 1;
            sent++;
        }
        next += interval;
    }
    setTimeout(schedule, Math.max(1, next - Date.now()));
}

function finish() {
    const wait = setInterval(() => {
        if (inFlight > 0) return;
        clearInterval(wait);
        clearInterval(ticker);
        const seconds = Math.round((Date.now() - start) / 100) / 10;
        process.stdout.write(JSON.stringify({ summary: { sent, ok, failed, p50: pct(all, 50), p99: pct(all, 99), seconds, reasons } }) + "\n");
        process.exit(0);
    }, 100);
}

schedule();
