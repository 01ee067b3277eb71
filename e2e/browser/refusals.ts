// What the page must refuse, with nothing stored (no key, a wrong key, an empty question), the page's own
// errors, and leaving the platform as found (the uploaded document deleted again).
import { randomBytes } from "node:crypto";
import { call, SiteApi } from "./api";
import { PageSession } from "./page";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 4. The refusals; the document count must not change through them. Ends with the refusals' screenshot. */
export async function checkRefusals(s: PageSession, api: SiteApi, token: string): Promise<void> {
    const { pg, posts, text, waitText } = s;
    const { ok, fail } = s.report;
    const stored = await api.count();
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
    const afterNoKey = await api.count();
    if (posts.length === sentBefore && afterNoKey === stored) {
        ok(`no key: refused on the page without a request: "${noKeyMsg}"; documents still ${afterNoKey}`);
    } else {
        fail(`no key: requests sent: ${posts.slice(sentBefore).join(", ") || "none"}, page "${noKeyMsg}", documents ${stored} -> ${afterNoKey}`);
    }

    // a wrong key: the API's 401, as a readable message
    await pg.fill("#apikey", randomBytes(32).toString("hex"));
    const refused = pg.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith(`${api.basePath}/v1/documents`));
    await pg.click("#upload button[type=submit]");
    const rr = await refused;
    // the page's final message, not its "Uploading refused-<token>.txt…" while the request runs (the file's name
    // says "refused": a CI run read that one once)
    await waitText("#upload-result", /Upload refused|API unreachable/, "the page's message for the wrong key's 401");
    const wrongMsg = await text("#upload-result");
    const wrongCls = (await pg.locator("#upload-result").getAttribute("class")) ?? "";
    const afterWrong = await api.count();
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
    const direct = await call("POST", api.url("/v1/query"), { question: "   " });
    const afterEmpty = await api.count();
    if (posts.length === sentBeforeQ && msgsAfter === msgsBefore && direct.status === 400 && afterEmpty === stored) {
        ok(
            `an empty question: refused on the page without a request: "${emptyMsg}"; sent directly, the API answers ${direct.status} ${direct.body?.error}; documents still ${afterEmpty}`,
        );
    } else {
        fail(
            `empty question: requests sent: ${posts.slice(sentBeforeQ).join(", ") || "none"}, page "${emptyMsg}", chat messages ${msgsBefore} -> ${msgsAfter}, API direct ${direct.status}, documents ${stored} -> ${afterEmpty}`,
        );
    }
    await s.shot("chat-refusals.png", "the refusals (the wrong key's 401, the empty question)");
}

/** No uncaught error on the page, no console error but the expected 401's. */
export function checkPageErrors(s: PageSession): void {
    if (s.pageErrors.length === 0) {
        s.report.ok("no uncaught error or console error on the page (the expected 401 aside)");
    } else {
        s.report.fail(`errors on the page: ${s.pageErrors.slice(0, 5).join(" | ")}`);
    }
}

/** 5. Leave the platform as found: the uploaded document deleted, the count back to `before`. */
export async function deleteUpload(s: PageSession, api: SiteApi, key: string, docId: string, before: number): Promise<void> {
    const del = await call("DELETE", api.url(`/v1/documents/${encodeURIComponent(docId)}`), undefined, key);
    const end = await api.count();
    if (del.status === 204 && end === before) {
        s.report.ok(`the uploaded document #${docId} deleted again (204), documents back to ${end}`);
    } else {
        s.report.fail(`deleting #${docId}: ${del.status}, documents ${end} (expected ${before})`);
    }
}
