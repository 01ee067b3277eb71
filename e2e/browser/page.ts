// The chat page as the checks see it: what it shows (text, waits on text with a readable timeout, full-page
// screenshots), what it sent (every request but GETs) and what went wrong in it (uncaught errors, console errors).
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Page } from "playwright-core";
import { Report } from "./protocol";

export interface PageSession {
    pg: Page;
    report: Report;
    /** each wait on the page, ms */
    timeout: number;
    /** the page's requests other than GET, `METHOD /path` */
    posts: string[];
    /** uncaught errors and console errors (a refused request's "Failed to load resource: ... 4xx" aside) */
    pageErrors: string[];
    /** `sel`'s text, trimmed */
    text: (sel: string) => Promise<string>;
    /** Waits until `sel`'s text matches `re`; a timeout names what was awaited and what the page shows instead. */
    waitText: (sel: string, re: RegExp, what: string, ms?: number) => Promise<string>;
    /** A full-page screenshot into the artifacts, checked as a PNG of some size (a check of its own). */
    shot: (name: string, label: string) => Promise<void>;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function watchPage(pg: Page, report: Report, timeout: number, artifacts: string): PageSession {
    const { ok, fail, result } = report;
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
    const shot = async (name: string, label: string) => {
        const file = path.join(artifacts, name);
        await pg.screenshot({ path: file, fullPage: true });
        const bytes = existsSync(file) ? statSync(file).size : 0;
        const png = bytes > 0 && readFileSync(file).subarray(0, 8).equals(PNG_SIGNATURE);
        if (png && bytes > 10_000) {
            result.screenshots.push(file);
            ok(`screenshot of ${label}: ${file} (${Math.round(bytes / 1024)} KiB PNG)`);
        } else {
            fail(`screenshot ${file}: ${bytes} bytes, PNG signature ${png}`);
        }
    };
    return { pg, report, timeout, posts, pageErrors, text, waitText, shot };
}
