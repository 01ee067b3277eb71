// The chat page's own path, all through the page: it loads and lists the API's documents; a new document
// uploaded with the page's file input and key field; a question about it answered with its citation.
import { SiteApi } from "./api";
import { PageSession } from "./page";

/** 1. The page, and the API behind it. Returns the API's document total before anything was uploaded. */
export async function checkPageLoads(s: PageSession, api: SiteApi): Promise<number> {
    const { pg, text, waitText } = s;
    const { ok, fail } = s.report;
    const before = await api.count();
    await pg.goto(api.site + "/", { waitUntil: "load" });
    await waitText("#status", /^\d+ documents?$/, "the page's document count");
    const status = await text("#status");
    if ((await pg.title()) === "RAG platform" && status === `${before} document${before === 1 ? "" : "s"}`) {
        ok(`the chat page loaded (${api.site}/) and lists the API's documents: header says "${status}"`);
    } else {
        fail(`the chat page: title "${await pg.title()}", header "${status}", API total ${before}`);
    }
    return before;
}

/** 2. A new document (named after `token`), uploaded through the page (file input + key field). */
export async function checkUpload(s: PageSession, api: SiteApi, key: string, token: string, before: number): Promise<{ docId?: string; title: string }> {
    const { pg, waitText, timeout } = s;
    const { ok, fail } = s.report;
    const title = `skerry-tide-mill-${token}.txt`;
    const doc =
        `The tide mill at Varnholm Skerry (${token}) grinds barley for the island bakery. ` +
        "Its wheel is painted saffron yellow and turns only on the ebb tide. " +
        "The miller, Ingrid Halvorsen, opens the sluice gate two hours after high water.";
    await pg.setInputFiles("#file", { name: title, mimeType: "text/plain", buffer: Buffer.from(doc) });
    await pg.fill("#apikey", key);
    const uploaded = pg.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith(`${api.basePath}/v1/documents`));
    await pg.click("#upload button[type=submit]");
    const up = await uploaded;
    const upMsg = await waitText("#upload-result", /Indexed|refused|unreachable|Already/, "the page's upload result");
    const docId = /as #(\S+?)[,.\s]/.exec(upMsg)?.[1];
    const afterUpload = await api.count();
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
            `a document uploaded through the page (file input + key field, multipart POST ${api.basePath}/v1/documents -> 201): "${upMsg}", documents ${before} -> ${afterUpload}, listed on the page`,
        );
    } else {
        fail(`upload through the page: status ${up.status()}, message "${upMsg}", documents ${before} -> ${afterUpload}, listed on the page: ${listed}`);
    }
    return { docId, title };
}

/** 3. A question about the document, on the page: the answer, its citation, and the time from keypress to answer. */
export async function checkQuestion(s: PageSession, docId: string | undefined, title: string): Promise<void> {
    const { pg, timeout } = s;
    const { ok, fail, result } = s.report;
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
    s.report.time("browser: question to answer on the page", seconds);
}
