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
//
// The parts: protocol.ts (the options, the command line, the output lines), api.ts (/config.js, the ingress
// stand-in, the driver's own API requests), chromium.ts (flags, launch, the net log and its check), page.ts
// (what the checks read and wait for on the page, screenshots), checks.ts (load, upload, question) and
// refusals.ts (the refusals, the page's errors, the clean-up). This file runs them in order.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BrowserContext, Page } from "playwright-core";
import { apiBasePath, siteApi, startIngressStandIn } from "./api";
import { checkNetLog, launchChromium } from "./chromium";
import { checkPageLoads, checkQuestion, checkUpload } from "./checks";
import { watchPage } from "./page";
import { ChatOptions, ChatResult, parseArgs, reporter, summaryLine } from "./protocol";
import { checkPageErrors, checkRefusals, deleteUpload } from "./refusals";

export { CHROMIUM_FLAGS, chromiumArgs, readNetLog } from "./chromium";
export type { ChatOptions, ChatResult } from "./protocol";

export async function runChat(o: ChatOptions): Promise<ChatResult> {
    const report = reporter(o.print ?? ((l: string) => console.log(l)));
    const { result, print, fail } = report;
    const timeout = o.timeoutMs ?? 30_000;
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
        const basePath = await apiBasePath(frontend, print);
        let site = frontend.origin;
        if (o.api) {
            const ingress = await startIngressStandIn(frontend, new URL(o.api), basePath);
            cleanups.push(ingress.close);
            site = ingress.url;
            print(`# ingress stand-in on ${site}: ${basePath}/* -> ${new URL(o.api).origin}, / -> ${frontend.origin}`);
        }
        const api = siteApi(site, basePath);

        // Chromium, headless, a new empty profile, its own network log
        const launched = await launchChromium(exe, site, print, cleanups);
        ctx = launched.ctx;
        page = ctx.pages()[0] ?? (await ctx.newPage());
        const s = watchPage(page, report, timeout, o.artifacts);

        // 1. the page, and the API behind it; 2. a new document uploaded through it; 3. a question about it
        const before = await checkPageLoads(s, api);
        const { docId, title } = await checkUpload(s, api, o.key, token, before);
        await checkQuestion(s, docId, title);
        await s.shot("chat-answer.png", "the answer and its citation");

        // 4. refusals: nothing may be stored; no error on the page
        await checkRefusals(s, api, token);
        checkPageErrors(s);

        // 5. leave the platform as found
        if (docId && !o.keep) await deleteUpload(s, api, o.key, docId, before);

        // 6. Chromium talked to nothing but the page's host
        await ctx.close();
        ctx = undefined;
        checkNetLog(launched.netLog, site, report);
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

if (require.main === module) {
    runChat(parseArgs(process.argv.slice(2), process.env)).then(
        (r) => {
            console.log(summaryLine(r));
            process.exit(r.failed.length ? 1 : 0);
        },
        (err) => {
            console.log(`FAIL - browser: ${err instanceof Error ? err.message : String(err)}`);
            process.exit(1);
        },
    );
}
