// The RAG API: `node /app/dist/api.js` (port API_PORT, probes /health and /ready, metrics /metrics).
// `node /app/dist/api.js --print-api-key` prints the write API key derived from API_SIGNING_KEY.
import { buildApi } from "./api/server";
import { deriveApiKey } from "./lib/auth";
import { ConfigError, loadSettings, secretValues, signingKeyFromEnv } from "./lib/contract";
import { createLogger } from "./lib/logger";
import { RoutedVectorStore } from "./lib/collections";
import { createService } from "./lib/runtime";

async function main(): Promise<void> {
    let settings;
    try {
        if (process.argv.includes("--print-api-key")) {
            process.stdout.write(`${deriveApiKey(signingKeyFromEnv())}\n`);
            return;
        }
        settings = loadSettings("api");
    } catch (err) {
        if (err instanceof ConfigError) {
            process.stderr.write(`rag-api: ${err.message}\n`);
            process.exit(78);
        }
        throw err;
    }
    const log = createLogger(settings.LOG_LEVEL, secretValues(settings), "rag-api");
    const service = createService(settings, log);
    // The collection PostgreSQL records as active, and a warning when it was built with another embedding
    // model or dimensions than the configured ones (queries keep using it, embedded with its own model).
    await (service.store as RoutedVectorStore).router
        .refresh()
        .catch((err: Error) => log.warn({ err: err.message }, "could not read the active vector collection yet"));
    const api = await buildApi(settings, service, log);
    await api.app.listen({ host: "0.0.0.0", port: settings.API_PORT });
    log.info(
        {
            port: settings.API_PORT,
            basePath: settings.API_BASE_PATH,
            engine: service.store.engine,
            embedding: service.embedder.model,
            answers: settings.LLM_BASE_URL ? "llm" : "local-extractive",
            workers: settings.WORKERS,
        },
        "rag-api listening",
    );
    let stopping = false;
    const stop = (signal: string) => {
        if (stopping) {
            return;
        }
        stopping = true;
        log.info({ signal }, "shutting down: readiness off, draining in-flight requests");
        api.shutdown(settings.SHUTDOWN_GRACE_SECONDS * 1000).then(
            () => {
                log.info("stopped");
                process.exit(0);
            },
            (err: Error) => {
                log.error({ err: err.message }, "shutdown failed");
                process.exit(1);
            },
        );
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: Error) => {
    process.stderr.write(`rag-api: ${err.message}\n`);
    process.exit(1);
});
