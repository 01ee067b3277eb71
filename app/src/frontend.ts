// The chat page: `node /app/dist/frontend.js` serves /app/public on FRONTEND_PORT (8080) with /healthz, and
// /config.js telling the page where the API is (API_BASE_PATH, same host through the ingress). With
// API_UPSTREAM set it also forwards API_BASE_PATH/* there (running without an ingress). Its request metrics
// are on FRONTEND_METRICS_PORT (9090) only: the public port (the Ingress's `/` route) serves no /metrics.
// Writes nothing.
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import client from "prom-client";
import { ConfigError, loadSettings, Settings } from "./lib/contract";

const TYPES: Record<string, string> = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".json": "application/json",
};

const SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
};

/** Loads every file of `dir` into memory at start (the root filesystem is read-only anyway). */
function loadStatic(dir: string): Map<string, { body: Buffer; type: string }> {
    const files = new Map<string, { body: Buffer; type: string }>();
    const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
            const full = path.join(d, e.name);
            if (e.isDirectory()) {
                walk(full);
            } else {
                const rel = "/" + path.relative(dir, full).split(path.sep).join("/");
                files.set(rel, { body: readFileSync(full), type: TYPES[path.extname(e.name)] ?? "application/octet-stream" });
            }
        }
    };
    walk(dir);
    return files;
}

/**
 * The public server. `write` receives the access log's JSON lines (default: stdout); its request metrics go
 * into `registry`, which createMetricsServer serves on its own port.
 */
export function createFrontend(
    s: Settings,
    publicDir: string,
    write: (line: string) => void = (line) => process.stdout.write(line),
    registry: client.Registry = new client.Registry(),
): http.Server {
    const files = loadStatic(publicDir);
    const config = Buffer.from(`window.RAG_CONFIG = ${JSON.stringify({ apiBasePath: s.API_BASE_PATH })};\n`);
    const upstream = s.API_UPSTREAM ? new URL(s.API_UPSTREAM) : undefined;
    const prefix = s.API_BASE_PATH || "/api";
    // The same request metrics as the API (the platform scrapes both).
    const labelNames = ["method", "handler", "status"] as const;
    const duration = new client.Histogram({
        name: "http_request_duration_seconds",
        help: "HTTP request latency in seconds",
        labelNames,
        registers: [registry],
    });
    const total = new client.Counter({ name: "http_requests_total", help: "HTTP requests", labelNames, registers: [registry] });

    return http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://frontend");
        const started = process.hrtime.bigint();
        const known = files.has(url.pathname) || ["/", "/healthz", "/config.js"].includes(url.pathname);
        const handler = url.pathname.startsWith(`${prefix}/`) ? `${prefix}/*` : known ? url.pathname : "unmatched";
        res.on("finish", () => {
            const labels = { method: req.method ?? "GET", handler, status: `${Math.floor(res.statusCode / 100)}xx` };
            duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
            total.inc(labels);
        });
        const log = (status: number) =>
            write(
                JSON.stringify({ time: new Date().toISOString(), level: "info", service: "rag-frontend", method: req.method, path: url.pathname, status }) +
                    "\n",
            );
        if (upstream && (url.pathname === prefix || url.pathname.startsWith(`${prefix}/`))) {
            const target = new URL(url.pathname + url.search, upstream);
            const headers = { ...req.headers, host: target.host };
            const proxied = http.request(target, { method: req.method, headers }, (up) => {
                res.writeHead(up.statusCode ?? 502, up.headers);
                up.pipe(res);
                log(up.statusCode ?? 502);
            });
            proxied.on("error", () => {
                if (!res.headersSent) {
                    res.writeHead(502, { "content-type": "application/json" });
                }
                res.end(JSON.stringify({ error: "bad_gateway", message: "the API upstream is unreachable" }));
                log(502);
            });
            req.pipe(proxied);
            return;
        }
        if (req.method !== "GET" && req.method !== "HEAD") {
            res.writeHead(405, { allow: "GET, HEAD", "content-type": "application/json" }).end(JSON.stringify({ error: "method_not_allowed" }));
            return;
        }
        if (url.pathname === "/healthz") {
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok" }));
            return;
        }
        if (url.pathname === "/config.js") {
            res.writeHead(200, { "content-type": TYPES[".js"], "cache-control": "no-cache", ...SECURITY_HEADERS }).end(
                req.method === "HEAD" ? undefined : config,
            );
            return;
        }
        const file = files.get(url.pathname === "/" ? "/index.html" : url.pathname);
        if (!file) {
            res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
            log(404);
            return;
        }
        res.writeHead(200, { "content-type": file.type, "content-length": file.body.length, "cache-control": "no-cache", ...SECURITY_HEADERS });
        res.end(req.method === "HEAD" ? undefined : file.body);
    });
}

/** GET /metrics from `registry`, nothing else: the port Prometheus scrapes, which no Service routes the public to. */
export function createMetricsServer(registry: client.Registry): http.Server {
    return http.createServer((req, res) => {
        if (req.method === "GET" && new URL(req.url ?? "/", "http://metrics").pathname === "/metrics") {
            registry.metrics().then(
                (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
                () => res.writeHead(500).end(),
            );
            return;
        }
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
    });
}

if (require.main === module) {
    let settings: Settings;
    try {
        settings = loadSettings("frontend");
    } catch (err) {
        process.stderr.write(`rag-frontend: ${(err as ConfigError).message}\n`);
        process.exit(78);
    }
    const registry = new client.Registry();
    const server = createFrontend(settings, path.join(__dirname, "..", "public"), undefined, registry);
    const metrics = createMetricsServer(registry);
    const listening = (port: number, what: string) => () =>
        process.stdout.write(
            JSON.stringify({ time: new Date().toISOString(), level: "info", service: "rag-frontend", msg: `listening (${what})`, port }) + "\n",
        );
    server.listen(settings.FRONTEND_PORT, "0.0.0.0", listening(settings.FRONTEND_PORT, "chat page"));
    metrics.listen(settings.FRONTEND_METRICS_PORT, "0.0.0.0", listening(settings.FRONTEND_METRICS_PORT, "metrics"));
    const stop = () => {
        metrics.close();
        server.close(() => process.exit(0));
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}
