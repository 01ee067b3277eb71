// Debian's Chromium, headless, through playwright-core: its flags, its launch on a new empty profile with its
// own network log (--log-net-log), and what that log says left the browser.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, BrowserContext } from "playwright-core";
import { Report } from "./protocol";

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

/**
 * Chromium (`exe`) for a page on `site`: a new empty profile and a net log, both in temp dirs that `cleanups`
 * removes (registered before the launch, so a failed launch leaves nothing either).
 */
export async function launchChromium(
    exe: string,
    site: string,
    print: (line: string) => void,
    cleanups: (() => Promise<void> | void)[],
): Promise<{ ctx: BrowserContext; netLog: string }> {
    const profile = mkdtempSync(path.join(os.tmpdir(), "rag-chat-profile-"));
    const logDir = mkdtempSync(path.join(os.tmpdir(), "rag-chat-netlog-"));
    cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
    cleanups.push(() => rmSync(logDir, { recursive: true, force: true }));
    const netLog = path.join(logDir, "netlog.json");
    const launched = Date.now();
    // launchPersistentContext(profile) is how playwright-core takes --user-data-dir=<new empty dir>
    const ctx = await chromium.launchPersistentContext(profile, {
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
    return { ctx, netLog };
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

/** The last check, once the browser is closed: Chromium talked to nothing but the page's host (`site`). */
export function checkNetLog(netLog: string, site: string, report: Report): void {
    const { ok, fail, print } = report;
    if (!existsSync(netLog)) {
        fail(`Chromium wrote no network log (${netLog})`);
        return;
    }
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
}
