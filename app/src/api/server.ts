import multipart from "@fastify/multipart";
import Fastify, { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { checkBearer, deriveApiKey } from "../lib/auth";
import { DatabaseError } from "../lib/db";
import { contentTypeOf, extractText, InputError } from "../lib/documents";
import { UpstreamError } from "../lib/embedder";
import { Settings } from "../lib/contract";
import { IndexStatus, RagService } from "../lib/service";
import { VectorStoreError } from "../lib/vector/types";
import { createMetrics, Limiter, Metrics } from "./metrics";

export const VERSION = "0.2.0";

export interface Api {
    app: FastifyInstance;
    metrics: Metrics;
    /** Readiness goes 503 at once; then in-flight requests drain (up to `graceMs`) and pools close. */
    shutdown(graceMs: number): Promise<void>;
}

/** A dependency of the request is down: 503, the message names which one (never a credential). */
function unavailable(err: unknown): { dependency: string } | undefined {
    if (err instanceof DatabaseError) {
        return { dependency: "postgresql" };
    }
    if (err instanceof VectorStoreError) {
        return { dependency: "vector store" };
    }
    return undefined;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
        return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]);
    } finally {
        clearTimeout(timer);
    }
}

const questionSchema = {
    type: "object",
    required: ["question"],
    additionalProperties: false,
    properties: { question: { type: "string", maxLength: 100_000 }, topK: { type: "integer", minimum: 1, maximum: 50 } },
} as const;

export async function buildApi(s: Settings, service: RagService, log: Logger): Promise<Api> {
    const metrics = createMetrics();
    const limiter = new Limiter(s.WORKERS, metrics);
    const apiKey = deriveApiKey(s.API_SIGNING_KEY);
    let draining = false;

    const app = Fastify({
        loggerInstance: log as unknown as FastifyBaseLogger,
        // A JSON document's text plus its envelope.
        bodyLimit: s.MAX_DOCUMENT_BYTES + 64 * 1024,
        requestTimeout: 120_000,
        trustProxy: true,
        return503OnClosing: true,
        ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    });
    await app.register(multipart, { limits: { fileSize: s.MAX_DOCUMENT_BYTES, files: 1, fields: 5, fieldSize: 1024 } });

    // While draining, every response closes its connection, so that keep-alive clients do not hold the
    // server open until the end of the grace period.
    app.addHook("onSend", async (_req, reply, payload) => {
        if (draining) {
            reply.header("connection", "close");
        }
        return payload;
    });
    app.addHook("onResponse", async (req, reply) => {
        const labels = { method: req.method, handler: req.routeOptions.url ?? "unmatched", status: `${Math.floor(reply.statusCode / 100)}xx` };
        metrics.requestDuration.observe(labels, reply.elapsedTime / 1000);
        metrics.requestsTotal.inc(labels);
    });

    app.setNotFoundHandler((req, reply) => {
        reply.code(404).send({ error: "not_found", message: `no route ${req.method} ${req.url.split("?")[0]}` });
    });

    app.setErrorHandler((err: FastifyError, req, reply) => {
        if (err instanceof InputError) {
            return reply.code(err.status).send({ error: err.code, message: err.message });
        }
        const down = unavailable(err);
        if (down) {
            req.log.warn({ err: err.message }, `${down.dependency} unavailable`);
            return reply
                .code(503)
                .header("retry-after", "5")
                .send({ error: "unavailable", message: `${down.dependency} is unavailable; retry later` });
        }
        if (err instanceof UpstreamError) {
            req.log.warn({ err: err.message }, "model endpoint failed");
            return reply.code(502).send({ error: "model_unavailable", message: err.message });
        }
        if (err.validation) {
            return reply.code(400).send({ error: "invalid_request", message: err.message });
        }
        const byCode: Record<string, [number, string, string]> = {
            FST_ERR_CTP_BODY_TOO_LARGE: [413, "document_too_large", `the request body exceeds ${s.MAX_DOCUMENT_BYTES} bytes (MAX_DOCUMENT_BYTES)`],
            FST_REQ_FILE_TOO_LARGE: [413, "document_too_large", `the file exceeds ${s.MAX_DOCUMENT_BYTES} bytes (MAX_DOCUMENT_BYTES)`],
            FST_ERR_CTP_INVALID_JSON_BODY: [400, "malformed_json", "the request body is not valid JSON"],
            FST_ERR_CTP_EMPTY_JSON_BODY: [400, "malformed_json", "the request body is empty"],
            FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, "unsupported_media_type", "send application/json or multipart/form-data"],
            FST_INVALID_MULTIPART_CONTENT_TYPE: [415, "unsupported_media_type", "send application/json or multipart/form-data"],
            FST_FILES_LIMIT: [400, "too_many_files", "upload one file per request"],
            FST_PARTS_LIMIT: [400, "too_many_parts", "too many multipart fields"],
            FST_FIELDS_LIMIT: [400, "too_many_parts", "too many multipart fields"],
        };
        const known = err.code ? byCode[err.code] : undefined;
        if (known) {
            return reply.code(known[0]).send({ error: known[1], message: known[2] });
        }
        if (err instanceof SyntaxError || (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)) {
            return reply.code(err.statusCode ?? 400).send({ error: "bad_request", message: err.message });
        }
        req.log.error({ err }, "request failed");
        return reply.code(500).send({ error: "internal", message: "internal error" });
    });

    const requireKey = async (req: FastifyRequest, reply: FastifyReply) => {
        if (!checkBearer(req.headers.authorization, apiKey)) {
            return reply
                .code(401)
                .header("www-authenticate", 'Bearer realm="rag-api"')
                .send({ error: "unauthorized", message: "a valid API key is required: Authorization: Bearer <key>" });
        }
    };

    // Probes and metrics at the root (what the kubelet and Prometheus call).
    // the vector index against PostgreSQL's chunks (cached by the service), bounded like the pings
    const indexStatus = () => withTimeout(service.indexStatus(), 2000, "vectorIndex");
    app.get("/health", async () => ({ status: "ok", version: VERSION, environment: s.APP_ENV, gpu: s.GPU_ENABLED }));
    // Readiness is this pod's own state, not its dependencies': 503 only while draining. A datastore outage is
    // shared by every replica; failing readiness for it would take every API pod out of the Service at once
    // and turn a degraded API (queries without PostgreSQL, listings without the vector store, everything
    // without Redis) into no API. The checks are still reported: status "degraded" and `down: [...]`.
    app.get("/ready", async (_req, reply) => {
        if (draining) {
            return reply.code(503).send({ status: "draining", checks: {} });
        }
        const checks: Record<string, string> = {};
        // started beside the pings (the probe's 3 s timeout bounds the whole answer), reported only when both answer
        const index = indexStatus().then(
            (v) => v,
            () => undefined,
        );
        await Promise.all(
            (
                [
                    ["postgresql", () => service.db.ping()],
                    ["redis", () => (service.cache ? service.cache.ping() : Promise.resolve())],
                    ["vectorStore", () => service.store.ping()],
                ] as const
            ).map(async ([name, ping]) => {
                try {
                    await withTimeout(ping(), 2000, name);
                    checks[name] = "ok";
                } catch {
                    checks[name] = "unavailable";
                }
            }),
        );
        // the index against PostgreSQL's chunks (only when both answer): a wiped vector store still answers its ping
        let vectorIndex: IndexStatus | undefined;
        if (checks.postgresql === "ok" && checks.vectorStore === "ok") {
            vectorIndex = await index;
            checks.vectorIndex = !vectorIndex ? "unavailable" : vectorIndex.missing > 0 ? "incomplete" : "ok";
        }
        const down = Object.keys(checks).filter((k) => checks[k] !== "ok");
        return reply
            .code(200)
            .send({ status: down.length ? "degraded" : "ready", checks, ...(vectorIndex ? { vectorIndex } : {}), ...(down.length ? { down } : {}) });
    });
    app.get("/metrics", async (_req, reply) => {
        try {
            metrics.vectorIndexMissing.set((await indexStatus()).missing);
        } catch {
            metrics.vectorIndexMissing.set(Number.NaN);
        }
        reply.header("content-type", metrics.registry.contentType);
        return metrics.registry.metrics();
    });

    // The API, at the root and under API_BASE_PATH (the ingress forwards /api/... unchanged).
    const routes = async (r: FastifyInstance) => {
        r.post("/v1/documents", { preHandler: requireKey }, async (req, reply) => {
            let doc: { title: string; source: string; contentType: string; bytes: Buffer };
            if (req.isMultipart()) {
                const file = await req.file();
                if (!file) {
                    throw new InputError(400, "missing_file", "the multipart request has no file part");
                }
                const contentType = contentTypeOf(file.filename, file.mimetype);
                if (!contentType) {
                    file.file.resume();
                    throw new InputError(415, "unsupported_type", `unsupported file type "${file.filename}": upload .txt, .md, .html or .json`);
                }
                const bytes = await file.toBuffer();
                const title =
                    typeof (file.fields.title as { value?: unknown } | undefined)?.value === "string"
                        ? String((file.fields.title as { value: string }).value)
                        : file.filename;
                doc = { title, source: `upload:${file.filename}`.slice(0, 500), contentType, bytes };
            } else {
                const body = req.body as { title?: string; text?: string; source?: string } | undefined;
                if (!body || typeof body !== "object" || typeof body.text !== "string") {
                    throw new InputError(400, "invalid_request", 'send JSON {"title"?: string, "text": string} or a multipart file upload');
                }
                doc = { title: body.title ?? "", source: body.source ?? "api", contentType: "text/plain", bytes: Buffer.from(body.text, "utf8") };
            }
            const text = extractText(doc.bytes, doc.contentType);
            const result = await limiter.run(() =>
                service.ingest({ title: doc.title, source: doc.source, contentType: doc.contentType, bytes: doc.bytes.length, text }),
            );
            if (result.created) {
                metrics.documentsIngested.inc();
            }
            return reply.code(result.created ? 201 : 200).send(result);
        });
        r.get("/v1/documents", async (req) => {
            const q = req.query as { limit?: string; offset?: string };
            const limit = Math.min(Math.max(Number(q.limit ?? 50) || 50, 1), 500);
            const offset = Math.max(Number(q.offset ?? 0) || 0, 0);
            return service.list(limit, offset);
        });
        r.delete("/v1/documents/:id", { preHandler: requireKey }, async (req, reply) => {
            const { id } = req.params as { id: string };
            const removed = await limiter.run(() => service.remove(id));
            if (!removed) {
                return reply.code(404).send({ error: "not_found", message: `no document ${id}` });
            }
            return reply.code(204).send();
        });
        r.post("/v1/query", { schema: { body: questionSchema } }, async (req) => {
            const { question, topK } = req.body as { question: string; topK?: number };
            const result = await limiter.run(() => service.query(question, topK));
            metrics.queryCache.inc({ result: result.cached ? "hit" : "miss" });
            return result;
        });
    };
    await app.register(routes);
    if (s.API_BASE_PATH) {
        await app.register(routes, { prefix: s.API_BASE_PATH });
    }

    return {
        app,
        metrics,
        async shutdown(graceMs: number) {
            draining = true;
            const closed = app.close();
            const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), graceMs).unref());
            if ((await Promise.race([closed.then(() => "closed" as const), timer])) === "timeout") {
                log.warn({ graceMs }, "in-flight requests still running at the end of the grace period");
            }
            await service.close();
        },
    };
}
