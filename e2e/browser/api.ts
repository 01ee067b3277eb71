// Where the page finds the API, and the driver's own requests to it (not the browser's): the frontend's
// /config.js, the platform's Ingress in miniature on 127.0.0.1 (--api), the document count, the API's own refusal.
import http from "node:http";
import https from "node:https";
import { AddressInfo } from "node:net";

export interface Exchange {
    status: number;
    body: any;
}

/** A JSON request from the driver itself (not the browser). */
export async function call(method: string, url: string, body?: unknown, key?: string): Promise<Exchange> {
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

/** The path the page calls the API at: `apiBasePath` in the frontend's /config.js (the platform's API_BASE_PATH), /api by default. */
export async function apiBasePath(frontend: URL, print: (line: string) => void): Promise<string> {
    const configUrl = new URL("/config.js", frontend);
    const configJs = await fetch(configUrl, { signal: AbortSignal.timeout(20_000) }).then(
        (r) => (r.ok ? r.text() : Promise.reject(new Error(`GET ${configUrl.href}: HTTP ${r.status}`))),
        (err) => Promise.reject(new Error(`GET ${configUrl.href}: ${err.message}${err.cause?.code ? ` (${err.cause.code})` : ""}`)),
    );
    const basePath = /"apiBasePath":"([^"]*)"/.exec(configJs)?.[1] || "/api";
    print(`# ${configUrl.href}: the page calls the API at ${basePath}`);
    return basePath;
}

/** The platform's Ingress in miniature, on 127.0.0.1: `basePath` and `basePath/*` to the API (path unchanged), the rest to the frontend. */
export async function startIngressStandIn(frontend: URL, api: URL, basePath: string): Promise<{ url: string; close: () => Promise<void> }> {
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

/** The API as the page sees it: `site` + `basePath` (the stand-in's address, or the frontend's with an ingress). */
export interface SiteApi {
    site: string;
    basePath: string;
    url: (p: string) => string;
    /** the API's document total */
    count: () => Promise<number>;
}

export function siteApi(site: string, basePath: string): SiteApi {
    const url = (p: string) => `${site}${basePath}${p}`;
    return {
        site,
        basePath,
        url,
        count: async () => {
            const r = await call("GET", url("/v1/documents?limit=1"));
            if (r.status !== 200 || typeof r.body?.total !== "number")
                throw new Error(`GET ${basePath}/v1/documents answered ${r.status}: ${JSON.stringify(r.body).slice(0, 200)}`);
            return r.body.total as number;
        },
    };
}
