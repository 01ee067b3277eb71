// A bounded write load for the HA tier's PostgreSQL failover check (e2e/ha/pg-failover.sh): one document posted
// every INTERVAL_MS to one API pod (URL), without waiting for the one before (a slow request never delays the
// next); one line per request in OUT: sent-at, done-at (epoch seconds), HTTP status (0: no answer), document id,
// why it failed ("-" when it did not): the API's `error` and the dependency its message names, or the client's
// error (a timeout, a refused or reset connection).
// Stops when the file STOP exists, then waits for the requests in flight (each times out after 30 s).
//
//   node pg-writer.js URL KEY INTERVAL_MS OUT STOP
"use strict";
const fs = require("fs");

const [url, key, intervalMs, out, stop] = process.argv.slice(2);
const secs = (ms) => (ms / 1000).toFixed(3);
const inFlight = new Set();

async function post(n) {
    const sent = Date.now();
    const text = `Failover ledger entry ${n}: parcel ${(n * 7919) % 100003} left bay ${n % 17}.`;
    let status = 0;
    let id = "-";
    let why = "-";
    try {
        const res = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
            body: JSON.stringify({ title: `failover-${n}`, text }),
            signal: AbortSignal.timeout(30000),
        });
        status = res.status;
        const body = await res.json().catch(() => ({}));
        if (res.ok && body.document) id = String(body.document.id);
        else
            why = `${body.error ?? "no-body"}:${String(body.message ?? "")
                .split(" is unavailable")[0]
                .replace(/\s+/g, "_")
                .slice(0, 40)}`;
    } catch (err) {
        status = 0; // refused, reset or timed out
        why = String(err?.cause?.code ?? err?.name ?? "error");
    }
    fs.appendFileSync(out, `${secs(sent)} ${secs(Date.now())} ${status} ${id} ${why}\n`);
}

async function main() {
    const start = Date.now();
    for (let n = 1; !fs.existsSync(stop); n++) {
        const p = post(n).finally(() => inFlight.delete(p));
        inFlight.add(p);
        await new Promise((r) => setTimeout(r, Math.max(0, start + n * Number(intervalMs) - Date.now())));
    }
    await Promise.all(inFlight);
}
main();
