// The chat page in a real browser: Debian's Chromium, headless, driven by playwright-core (which never
// downloads a browser; e2e/browser/install.sh installs /usr/bin/chromium). Used by the node e2e test against
// the deployed frontend, by e2e/browser/local.sh against the app on loopback, and by test/browser.test.ts.
//
//   RAG_API_KEY=<write key> node -r ts-node/register/transpile-only e2e/browser/chat.ts \
//       --url http://<frontend> [--api http://<api>] --artifacts <dir> [--chromium /usr/bin/chromium] [--keep]
//       [--timeout-ms 30000]   (each wait for the page)
//
// --url      the frontend's base URL (what the browser opens).
// --api      the API's base URL, when nothing routes the page's API_BASE_PATH (/api) to the API at --url:
//            a node without an ingress controller. The driver then stands in for the platform's Ingress on
//            127.0.0.1 (API_BASE_PATH/* -> --api, path unchanged; everything else -> --url) and the browser
//            opens that. Without --api the browser opens --url itself (an ingress, or a frontend with
//            API_UPSTREAM set).
// the key    from $RAG_API_KEY or --key-file <file> (never on the command line, never printed).
//
// What it does, all through the page (upload included: the page's file input and key field):
// uploads a new document, asks a question about it, waits for the answer and its citation, saves
// chat-answer.png; then a wrong key (the API's 401 as a readable message), no key and an empty question (both
// refused on the page, no request sent), saves chat-refusals.png; the document count must not change
// through the refusals; no uncaught error on the page; Chromium's own network log must show no host but the
// page's. Finally the uploaded document is deleted again (--keep leaves it).
//
// Output (the e2e drivers' protocol): `ok   - ...` / `FAIL - ...` per check, `# ...` notes, `time\t<label>\t<s>`,
// `summary\t<passed>\t<failed>`; exit 1 when a check failed, 2 on bad usage.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium, BrowserContext, Page } from "playwright-core";

/**
 * Keeps Chromium off the network: no background requests, no component or field-trial downloads, no QUIC, no
 * proxy. Chromium 156 still starts a few requests of its own with these (accounts.google.com/ListAccounts, the
 * optimization guide's model manifest from update.googleapis.com, autofill hints once a form is filled), so
 * chromiumArgs() adds --host-resolver-rules: every name but the page's host resolves to nothing inside
 * Chromium, without a DNS query; the net log check proves nothing else left the process.
 */
export const CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
];

/** The flags for a page on `site`, plus a net log file. */
export function chromiumArgs(site: URL, netLog: string): string[] {
    return [...CHROMIUM_FLAGS, `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${site.hostname}`, `--log-net-log=${netLog}`];
}

export interface ChatOptions {
    url: string;
    api?: string;
    key: string;
    artifacts: string;
    chromium?: string;
    /** leave the uploaded document in place (default: delete it at the end) */
    keep?: boolean;
    /** each wait on the page, ms (default 30 s) */
    timeoutMs?: number;
    /** where the lines go (default console.log) */
    print?: (line: string) => void;
}

export interface ChatResult {
    passed: number;
    failed: string[];
    screenshots: string[];
    answerSeconds?: number;
}

interface Exchange {
    status: number;
    body: any;
}

/** A JSON request from the driver itself (not the browser): the document count, the API's own refusal. */
async function call(method: string, url: string, body?: unknown, key?: string): Promise<Exchange> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
    const text = await res.text();
    let json: any;
    try {
        json = text ? JSON.parse(text) : undefined;
    } catch {
        json = text;
    }
    return { status: res.status, body: json };
}

/** The platform's Ingress in miniature, on 127.0.0.1: `basePath` and `basePath/*` to the API (path unchanged), the rest to the frontend. */
async function startIngressStandIn(frontend: URL, api: URL, basePath: string): Promise<{ url: string; close: () => Promise<void> }> {
    const server = http.createServer((req, res) => {
        const p = (req.url ?? "/").split("?")[0];
        const target = p === basePath || p.startsWith(`${basePath}/`) ? api : frontend;
        const dest = new URL(req.url ?? "/", target);
        const mod = dest.protocol === "https:" ? https : http;
        const up = mod.request(dest, { method: req.method, headers: { ...req.headers, host: dest.host } }, (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
        });
        up.on("error", (err) => {
            if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
            res.end(JSON.stringify({ error: "bad_gateway", message: `ingress stand-in: ${dest.origin} unreachable (${err.message})` }));
        });
        req.pipe(up);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/**
 * What Chromium's net log (--log-net-log) says it did. `wire`: what left the process, destination -> count: DNS
 * queries (`dns <name>`), TCP connection attempts and UDP datagrams sent (`tcp|udp <address:port>`; a UDP
 * socket's datagrams go to the address it was connected to). `requests`: the URL requests it created, host ->
 * count, including those that never got an address (its own background requests stopped by --host-resolver-rules).
 */
export function readNetLog(file: string): { wire: Map<string, number>; requests: Map<string, number> } {
    const text = readFileSync(file, "utf8");
    let log: any;
    try {
        log = JSON.parse(text);
    } catch {
        // Chromium ends the file with "]}" on a clean exit; a killed browser leaves it open
        log = JSON.parse(text.replace(/,?\s*$/, "") + "]}");
    }
    const names: Record<number, string> = {};
    for (const [k, v] of Object.entries(log.constants?.logEventTypes ?? {})) names[v as number] = k;
    const wire = new Map<string, number>();
    const requests = new Map<string, number>();
    const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    const udpPeer = new Map<number, string>();
    for (const e of log.events ?? []) {
        const p = e.params ?? {};
        switch (names[e.type]) {
            case "REQUEST_ALIVE":
                if (typeof p.url === "string" && /^(https?|wss?):/.test(p.url)) bump(requests, new URL(p.url).host);
                break;
            case "DNS_TRANSACTION_QUERY":
                bump(wire, `dns ${p.qname}`);
                break;
            case "TCP_CONNECT_ATTEMPT": // its begin event names the address, its end event nothing
                if (typeof p.address === "string") bump(wire, `tcp ${p.address}`);
                break;
            case "UDP_CONNECT": // a connect() alone sends nothing (Chromium probes routes this way)
                if (typeof p.address === "string") udpPeer.set(e.source?.id, p.address);
                break;
            case "UDP_BYTES_SENT":
                bump(wire, `udp ${p.address ?? udpPeer.get(e.source?.id) ?? "?"}`);
                break;
        }
    }
    return { wire, requests };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChat(o: ChatOptions): Promise<ChatResult> {
    const print = o.print ?? ((l: string) => console.log(l));
    const timeout = o.timeoutMs ?? 30_000;
    const result: ChatResult = { passed: 0, failed: [], screenshots: [] };
    const ok = (msg: string) => {
        result.passed++;
        print(`ok   - browser: ${msg}`);
    };
    const fail = (msg: string) => {
        result.failed.push(msg);
        print(`FAIL - browser: ${msg}`);
    };
    const exe = o.chromium ?? "/usr/bin/chromium";
    mkdirSync(o.artifacts, { recursive: true });
    if (!existsSync(exe)) {
        fail(`${exe} is missing: install Debian's chromium (bash e2e/browser/install.sh)`);
        return result;
    }
    const frontend = new URL(o.url);
    const cleanups: (() => Promise<void> | void)[] = [];
    const token = randomBytes(4).toString("hex");
    let ctx: BrowserContext | undefined;
    let page: Page | undefined;
    try {
        // where the page finds the API: the frontend's /config.js (the platform's API_BASE_PATH)
        const configUrl = new URL("/config.js", frontend);
        const configJs = await fetch(configUrl, { signal: AbortSignal.timeout(20_000) }).then(
            (r) => (r.ok ? r.text() : Promise.reject(new Error(`GET ${configUrl.href}: HTTP ${r.status}`))),
            (err) => Promise.reject(new Error(`GET ${configUrl.href}: ${err.message}${err.cause?.code ? ` (${err.cause.code})` : ""}`)),
        );
        const basePath = /"apiBasePath":"([^"]*)"/.exec(configJs)?.[1] || "/api";
        print(`# ${configUrl.href}: the page calls the API at ${basePath}`);
        let site = frontend.origin;
        if (o.api) {
            const ingress = await startIngressStandIn(frontend, new URL(o.api), basePath);
            cleanups.push(ingress.close);
            site = ingress.url;
            print(`# ingress stand-in on ${site}: ${basePath}/* -> ${new URL(o.api).origin}, / -> ${frontend.origin}`);
        }
        const apiUrl = (p: string) => `${site}${basePath}${p}`;
        const count = async () => {
            const r = await call("GET", apiUrl("/v1/documents?limit=1"));
            if (r.status !== 200 || typeof r.body?.total !== "number")
                throw new Error(`GET ${basePath}/v1/documents answered ${r.status}: ${JSON.stringify(r.body).slice(0, 200)}`);
            return r.body.total as number;
        };

        // Chromium, headless, a new empty profile, its own network log
        const profile = mkdtempSync(path.join(os.tmpdir(), "rag-chat-profile-"));
        const logDir = mkdtempSync(path.join(os.tmpdir(), "rag-chat-netlog-"));
        cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
        cleanups.push(() => rmSync(logDir, { recursive: true, force: true }));
        const netLog = path.join(logDir, "netlog.json");
        const launched = Date.now();
        // launchPersistentContext(profile) is how playwright-core takes --user-data-dir=<new empty dir>
        ctx = await chromium.launchPersistentContext(profile, {
            executablePath: exe,
            headless: true,
            args: chromiumArgs(new URL(site), netLog),
            viewport: { width: 1280, height: 860 },
            timeout: 60_000,
        });
        const version = ctx.browser()?.version() ?? "?";
        print(
            `# Chromium ${version} (${exe}) started in ${((Date.now() - launched) / 1000).toFixed(1)} s with ${CHROMIUM_FLAGS.join(" ")} ` +
                `--user-data-dir=<new empty dir> "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${new URL(site).hostname}" (and playwright-core's own)`,
        );
        page = ctx.pages()[0] ?? (await ctx.newPage());
        const pg = page;
        pg.setDefaultTimeout(timeout);
        const pageErrors: string[] = [];
        pg.on("pageerror", (err) => pageErrors.push(err.message));
        pg.on("console", (m) => {
            // a refused request is logged by Chromium as "Failed to load resource: ... 401": that one is expected
            if (m.type() === "error" && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) pageErrors.push(m.text());
        });
        const posts: string[] = [];
        pg.on("request", (r) => {
            if (r.method() !== "GET") posts.push(`${r.method()} ${new URL(r.url()).pathname}`);
        });
        const text = async (sel: string) => ((await pg.locator(sel).textContent()) ?? "").trim();
        /** Waits until `sel`'s text matches `re`; a timeout names what was awaited and what the page shows instead. */
        const waitText = async (sel: string, re: RegExp, what: string, ms = timeout) => {
            try {
                await pg.waitForFunction(
                    ([s, src]) => new RegExp(src).test(((globalThis as any).document.querySelector(s)?.textContent ?? "") as string),
                    [sel, re.source],
                    {
                        timeout: ms,
                    },
                );
            } catch {
                throw new Error(`${what}: after ${ms / 1000} s, ${sel} says "${await text(sel).catch(() => "?")}"`);
            }
            return text(sel);
        };

        // 1. the page, and the API behind it
        const before = await count();
        await pg.goto(site + "/", { waitUntil: "load" });
        await waitText("#status", /^\d+ documents?$/, "the page's document count");
        const status = await text("#status");
        if ((await pg.title()) === "RAG platform" && status === `${before} document${before === 1 ? "" : "s"}`) {
            ok(`the chat page loaded (${site}/) and lists the API's documents: header says "${status}"`);
        } else {
            fail(`the chat page: title "${await pg.title()}", header "${status}", API total ${before}`);
        }

        // 2. a new document, uploaded through the page (file input + key field)
        const title = `skerry-tide-mill-${token}.txt`;
        const doc =
            `The tide mill at Varnholm Skerry (${token}) grinds barley for the island bakery. ` +
            "Its wheel is painted saffron yellow and turns only on the ebb tide. " +
            "The miller, Ingrid Halvorsen, opens the sluice gate two hours after high water.";
        await pg.setInputFiles("#file", { name: title, mimeType: "text/plain", buffer: Buffer.from(doc) });
        await pg.fill("#apikey", o.key);
        const uploaded = pg.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith(`${basePath}/v1/documents`));
        await pg.click("#upload button[type=submit]");
        const up = await uploaded;
        const upMsg = await waitText("#upload-result", /Indexed|refused|unreachable|Already/, "the page's upload result");
        const docId = /as #(\S+?)[,.\s]/.exec(upMsg)?.[1];
        const afterUpload = await count();
        let listed = false;
        if (docId) {
            listed = await pg
                .locator(`#documents li[data-document-id="${docId}"]`)
                .waitFor({ timeout })
                .then(() => true)
                .catch(() => false);
        }
        if (up.status() === 201 && docId && /^Indexed/.test(upMsg) && afterUpload === before + 1 && listed) {
            ok(
                `a document uploaded through the page (file input + key field, multipart POST ${basePath}/v1/documents -> 201): "${upMsg}", documents ${before} -> ${afterUpload}, listed on the page`,
            );
        } else {
            fail(`upload through the page: status ${up.status()}, message "${upMsg}", documents ${before} -> ${afterUpload}, listed on the page: ${listed}`);
        }

        // 3. a question about it, on the page: the answer and its citation
        const question = "What colour is the wheel of the tide mill at Varnholm Skerry?";
        const bots = await pg.locator("#messages .msg.bot").count();
        const errs = await pg.locator("#messages .msg.error").count();
        await pg.fill("#question", question);
        const asked = Date.now();
        await pg.press("#question", "Enter");
        await pg
            .waitForFunction(
                ([b, e]) => {
                    const d = (globalThis as any).document;
                    return d.querySelectorAll("#messages .msg.bot").length > b || d.querySelectorAll("#messages .msg.error").length > e;
                },
                [bots, errs],
            )
            .catch(() => {
                throw new Error(`no answer and no error on the page ${timeout / 1000} s after asking "${question}"`);
            });
        const seconds = (Date.now() - asked) / 1000;
        result.answerSeconds = seconds;
        const answered = (await pg.locator("#messages .msg.bot").count()) > bots;
        const answer = pg.locator("#messages .msg.bot").last();
        const answerText = answered ? ((await answer.locator(".answer").textContent()) ?? "") : "";
        const fetchMs = answered ? /(\d+) ms/.exec((await answer.locator(".meta").textContent()) ?? "")?.[1] : undefined;
        const cited = docId && answered ? answer.locator(`.citations .citation[data-document-id="${docId}"]`) : undefined;
        const citedText = cited && (await cited.count()) > 0 ? ((await cited.first().textContent()) ?? "") : "";
        if (docId && answered && answerText.includes(`[doc:${docId}]`) && /saffron yellow/.test(answerText) && citedText.includes(title)) {
            ok(
                `asked on the page, answered in ${seconds.toFixed(2)} s (keypress to answer shown; the page's own request took ${fetchMs ?? "?"} ms): ` +
                    `"${answerText.slice(0, 160)}"; citation shown: "Cited: ${citedText}"`,
            );
        } else {
            const shown = await pg.locator("#messages .msg").last().textContent();
            fail(
                `question on the page: after ${seconds.toFixed(2)} s the last message is "${(shown ?? "").slice(0, 300)}"; expected [doc:${docId}], "saffron yellow" and a citation naming ${title}`,
            );
        }
        print(`time\tbrowser: question to answer on the page\t${seconds.toFixed(2)}`);

        const shot = async (name: string, label: string) => {
            const file = path.join(o.artifacts, name);
            await pg.screenshot({ path: file, fullPage: true });
            const bytes = existsSync(file) ? statSync(file).size : 0;
            const png =
                bytes > 0 &&
                readFileSync(file)
                    .subarray(0, 8)
                    .equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
            if (png && bytes > 10_000) {
                result.screenshots.push(file);
                ok(`screenshot of ${label}: ${file} (${Math.round(bytes / 1024)} KiB PNG)`);
            } else {
                fail(`screenshot ${file}: ${bytes} bytes, PNG signature ${png}`);
            }
        };
        await shot("chat-answer.png", "the answer and its citation");

        // 4. refusals: nothing may be stored
        const stored = await count();
        // a new file (it would be stored if a refusal let it through)
        await pg.setInputFiles("#file", {
            name: `refused-${token}.txt`,
            mimeType: "text/plain",
            buffer: Buffer.from(`A refused upload must not store this text (${token}).`),
        });
        // no key at all: refused on the page, nothing sent
        const sentBefore = posts.length;
        await pg.fill("#apikey", "");
        await pg.click("#upload button[type=submit]");
        await waitText("#upload-result", /Enter the API key/, "the page's refusal of an upload without a key", 5000);
        await sleep(500);
        const noKeyMsg = await text("#upload-result");
        const afterNoKey = await count();
        if (posts.length === sentBefore && afterNoKey === stored) {
            ok(`no key: refused on the page without a request: "${noKeyMsg}"; documents still ${afterNoKey}`);
        } else {
            fail(`no key: requests sent: ${posts.slice(sentBefore).join(", ") || "none"}, page "${noKeyMsg}", documents ${stored} -> ${afterNoKey}`);
        }

        // a wrong key: the API's 401, as a readable message
        await pg.fill("#apikey", randomBytes(32).toString("hex"));
        const refused = pg.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith(`${basePath}/v1/documents`));
        await pg.click("#upload button[type=submit]");
        const rr = await refused;
        await waitText("#upload-result", /refused|unreachable/, "the page's message for the wrong key's 401");
        const wrongMsg = await text("#upload-result");
        const wrongCls = (await pg.locator("#upload-result").getAttribute("class")) ?? "";
        const afterWrong = await count();
        if (
            rr.status() === 401 &&
            /401/.test(wrongMsg) &&
            /API key was not accepted/.test(wrongMsg) &&
            /Nothing was stored/.test(wrongMsg) &&
            /error/.test(wrongCls) &&
            afterWrong === stored
        ) {
            ok(`a wrong key: the API answered 401 and the page shows "${wrongMsg}"; documents still ${afterWrong} (nothing stored)`);
        } else {
            fail(`wrong key: status ${rr.status()}, page "${wrongMsg}" (class "${wrongCls}"), documents ${stored} -> ${afterWrong}`);
        }

        // an empty question: refused on the page, nothing sent, no chat message; the API refuses it too
        const msgsBefore = await pg.locator("#messages .msg").count();
        const sentBeforeQ = posts.length;
        await pg.fill("#question", "   ");
        await pg.click("#ask button[type=submit]");
        await waitText("#ask-result", /Type a question first/, "the page's refusal of an empty question", 5000);
        await sleep(500);
        const emptyMsg = await text("#ask-result");
        const msgsAfter = await pg.locator("#messages .msg").count();
        const direct = await call("POST", apiUrl("/v1/query"), { question: "   " });
        const afterEmpty = await count();
        if (posts.length === sentBeforeQ && msgsAfter === msgsBefore && direct.status === 400 && afterEmpty === stored) {
            ok(
                `an empty question: refused on the page without a request: "${emptyMsg}"; sent directly, the API answers ${direct.status} ${direct.body?.error}; documents still ${afterEmpty}`,
            );
        } else {
            fail(
                `empty question: requests sent: ${posts.slice(sentBeforeQ).join(", ") || "none"}, page "${emptyMsg}", chat messages ${msgsBefore} -> ${msgsAfter}, API direct ${direct.status}, documents ${stored} -> ${afterEmpty}`,
            );
        }
        await shot("chat-refusals.png", "the refusals (the wrong key's 401, the empty question)");

        if (pageErrors.length === 0) {
            ok("no uncaught error or console error on the page (the expected 401 aside)");
        } else {
            fail(`errors on the page: ${pageErrors.slice(0, 5).join(" | ")}`);
        }

        // 5. leave the platform as found
        if (docId && !o.keep) {
            const del = await call("DELETE", apiUrl(`/v1/documents/${encodeURIComponent(docId)}`), undefined, o.key);
            const end = await count();
            if (del.status === 204 && end === before) {
                ok(`the uploaded document #${docId} deleted again (204), documents back to ${end}`);
            } else {
                fail(`deleting #${docId}: ${del.status}, documents ${end} (expected ${before})`);
            }
        }

        // 6. Chromium talked to nothing but the page's host
        await ctx.close();
        ctx = undefined;
        if (existsSync(netLog)) {
            const { wire, requests } = readNetLog(netLog);
            const siteUrl = new URL(site);
            const siteHost = siteUrl.hostname.replace(/^\[|\]$/g, "");
            const mine = (dest: string) => {
                const [kind, addr] = dest.split(" ");
                return kind === "dns" ? addr === siteHost : addr.replace(/:\d+$/, "").replace(/^\[|\]$/g, "") === siteHost;
            };
            const others = [...wire].filter(([d]) => !mine(d));
            const toSite = [...wire].filter(([d]) => mine(d)).reduce((n, [, c]) => n + c, 0);
            const stopped = [...requests].filter(([h]) => h !== siteUrl.host);
            if (stopped.length) print(`# Chromium's own requests, stopped inside it before any DNS query: ${stopped.map(([h, c]) => `${h} x${c}`).join(", ")}`);
            if (toSite > 0 && others.length === 0) {
                ok(
                    `Chromium's network log: ${requests.get(siteUrl.host) ?? 0} requests to ${siteUrl.host} over ${toSite} connection(s); nothing else left the browser (no DNS query, no other connection or datagram)`,
                );
            } else {
                fail(
                    `Chromium's network log: besides ${siteUrl.host} (${toSite}), it sent: ${others.map(([d, c]) => `${d} x${c}`).join(", ") || "nothing to the page either"}`,
                );
            }
        } else {
            fail(`Chromium wrote no network log (${netLog})`);
        }
    } catch (err) {
        fail(`stopped: ${err instanceof Error ? err.message.split("\n").slice(0, 4).join(" ") : String(err)}`);
        if (page && !page.isClosed()) {
            const f = path.join(o.artifacts, "chat-failure.png");
            await page.screenshot({ path: f, fullPage: true }).catch(() => undefined);
            await page
                .content()
                .then((h) => writeFileSync(path.join(o.artifacts, "chat-failure.html"), h))
                .catch(() => undefined);
            print(`# page at the failure: ${f}, chat-failure.html`);
        }
    } finally {
        await ctx?.close().catch(() => undefined);
        for (const c of cleanups.reverse()) await c();
    }
    return result;
}

function usage(msg: string): never {
    process.stderr.write(
        `chat.ts: ${msg}\nusage: RAG_API_KEY=<key> chat.ts --url <frontend> [--api <api>] --artifacts <dir> [--key-file <file>] [--chromium <path>] [--keep] [--timeout-ms <ms>]\n`,
    );
    process.exit(2);
}

if (require.main === module) {
    const args = process.argv.slice(2);
    const opt: Record<string, string | true> = {};
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (!a.startsWith("--")) usage(`unexpected argument ${a}`);
        const name = a.slice(2);
        if (name === "keep") opt.keep = true;
        else if (["url", "api", "artifacts", "key-file", "chromium", "timeout-ms"].includes(name) && i + 1 < args.length) opt[name] = args[++i];
        else usage(`unknown or incomplete option ${a}`);
    }
    if (typeof opt.url !== "string" || typeof opt.artifacts !== "string") usage("--url and --artifacts are required");
    const key = typeof opt["key-file"] === "string" ? readFileSync(opt["key-file"], "utf8").trim() : (process.env.RAG_API_KEY ?? "").trim();
    if (!key) usage("the write key: set RAG_API_KEY or pass --key-file");
    runChat({
        url: opt.url,
        api: typeof opt.api === "string" ? opt.api : undefined,
        key,
        artifacts: opt.artifacts,
        chromium: typeof opt.chromium === "string" ? opt.chromium : undefined,
        keep: opt.keep === true,
        timeoutMs: typeof opt["timeout-ms"] === "string" ? Number(opt["timeout-ms"]) : undefined,
    }).then(
        (r) => {
            console.log(`summary\t${r.passed}\t${r.failed.length}`);
            process.exit(r.failed.length ? 1 : 0);
        },
        (err) => {
            console.log(`FAIL - browser: ${err instanceof Error ? err.message : String(err)}`);
            process.exit(1);
        },
    );
}
