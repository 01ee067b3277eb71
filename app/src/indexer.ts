// Batch indexer: `node /app/dist/indexer.js index --source <dir>` (the platform's Job and CronJob). Writes
// straight to PostgreSQL and the vector store through the same library code as the API. Idempotent by
// content checksum; exit 0 when every file is indexed or unchanged, 1 when any failed, 2 on usage errors.
// Each run also copies into PostgreSQL the chunks of documents stored before it kept them (the backfill).
// `node /app/dist/indexer.js index --rebuild` rebuilds the vector index from PostgreSQL instead (a new
// collection with the configured embedding model, switched to when complete, the old one dropped after).
import * as path from "path";
import { stat } from "node:fs/promises";
import type { Logger } from "pino";
import { RoutedVectorStore } from "./lib/collections";
import { ConfigError, databaseUrl, loadSettings, PLATFORM, secretValues, Settings } from "./lib/contract";
import { Database } from "./lib/db";
import { indexDirectory } from "./lib/indexer";
import { createLogger } from "./lib/logger";
import { backfillChunks, rebuildIndex, RebuildRefused } from "./lib/rebuild";
import { createEmbedder, createRouter, createService } from "./lib/runtime";
import { retryTransient, TRANSIENT_ERROR } from "./lib/startup";

const USAGE = `usage: indexer.js index [--source <dir>]   (default ${PLATFORM.documentsPath})
       indexer.js index --rebuild            (rebuild the vector index from PostgreSQL)\n`;

async function main(argv: string[]): Promise<number> {
    if (argv[0] !== "index") {
        process.stderr.write(USAGE);
        return 2;
    }
    let source: string = PLATFORM.documentsPath;
    let rebuild = false;
    let sourceGiven = false;
    for (let i = 1; i < argv.length; i++) {
        if (argv[i] === "--source" && argv[i + 1]) {
            source = argv[++i];
            sourceGiven = true;
        } else if (argv[i] === "--rebuild") {
            rebuild = true;
        } else {
            process.stderr.write(`unknown argument ${argv[i]}\n${USAGE}`);
            return 2;
        }
    }
    if (rebuild && sourceGiven) {
        process.stderr.write(`--rebuild reads PostgreSQL, not files: no --source\n${USAGE}`);
        return 2;
    }
    let settings;
    try {
        settings = loadSettings("indexer");
    } catch (err) {
        if (err instanceof ConfigError) {
            process.stderr.write(`rag-indexer: ${err.message}\n`);
            return 78;
        }
        throw err;
    }
    const log = createLogger(settings.LOG_LEVEL, secretValues(settings), "rag-indexer");
    if (rebuild) {
        return runRebuild(settings, log);
    }
    let files = true;
    try {
        if (!(await stat(source)).isDirectory()) {
            throw new Error("not a directory");
        }
    } catch (err) {
        // A fresh app-data volume has no documents directory yet (documents arrive through the API, or are
        // copied there later): nothing to index is not a failure, so a first `pulumi up` does not fail on it.
        // A missing volume (no parent directory either) still is.
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT" && (await stat(path.dirname(source)).catch(() => undefined))?.isDirectory()) {
            log.warn({ source }, `nothing to index: ${source} does not exist yet (an empty app-data volume)`);
            files = false;
        } else {
            log.error({ source, err: (err as Error).message }, "source directory unreadable");
            return 1;
        }
    }
    const service = createService(settings, log);
    try {
        // PostgreSQL or the vector store may still be starting, or restarting during a secret rotation.
        await retryTransient("PostgreSQL and the vector store", () => Promise.all([service.db.ping(), service.store.ping()]), log);
    } catch (err) {
        log.error({ err: (err as Error).message }, "datastores unreachable");
        await service.close();
        return 1;
    }
    try {
        // Documents stored before PostgreSQL kept their chunks get them from the vector store's payloads (the
        // upgrade's backfill; one query when there is none). Those found in neither are logged (re-upload them)
        // and make `index --rebuild` refuse; they do not fail this run.
        const router = (service.store as RoutedVectorStore).router;
        await retryTransient("PostgreSQL and the vector store", () => backfillChunks(service.db, router, log), log);
        if (!files) {
            return 0;
        }
        const started = Date.now();
        let report = await indexDirectory(service, source, log);
        // A datastore restarting mid-run (a secret rotation rolls PostgreSQL while this Job runs) fails the files
        // it was writing: run again, which is idempotent (what is stored is "unchanged"), while every failure is
        // transient, up to a minute.
        let indexed = report.indexed;
        let chunks = report.chunks;
        for (let attempt = 1; attempt <= 20 && report.failed.length > 0 && report.failed.every((f) => TRANSIENT_ERROR.test(f.reason)); attempt++) {
            log.warn({ failed: report.failed.length, attempt }, "a datastore went away during the run: indexing again in 3 s");
            await new Promise((r) => setTimeout(r, 3000));
            report = await indexDirectory(service, source, log);
            indexed += report.indexed;
            chunks += report.chunks;
        }
        report = { ...report, indexed, chunks, unchanged: report.unchanged - (indexed - report.indexed) };
        const summary =
            report.indexed === 0 && report.failed.length === 0
                ? `nothing to index: ${report.unchanged} document(s) already indexed`
                : `indexed ${report.indexed} document(s) (${report.chunks} chunks), ${report.unchanged} unchanged`;
        log.info({ source, ...report, seconds: (Date.now() - started) / 1000 }, summary);
        return report.failed.length > 0 ? 1 : 0;
    } finally {
        await service.close();
    }
}

/** `index --rebuild`: 0 switched (and the old collection dropped), 1 refused or failed (the active collection unchanged). */
async function runRebuild(settings: Settings, log: Logger): Promise<number> {
    const db = new Database(databaseUrl(settings));
    const router = createRouter(settings, db, log);
    try {
        await retryTransient("PostgreSQL", () => db.ping(), log);
        const report = await rebuildIndex(db, router, createEmbedder(settings), settings.VECTOR_COLLECTION, log);
        log.info(
            report,
            `rebuilt the vector index from PostgreSQL: ${report.chunks} chunks of ${report.documents} document(s) into ${report.to} (${report.model}/${report.dimensions}) in ${report.seconds} s; dropped ${report.from}`,
        );
        return 0;
    } catch (err) {
        log.error({ err: (err as Error).message }, err instanceof RebuildRefused ? "rebuild refused" : "rebuild failed");
        return 1;
    } finally {
        await Promise.allSettled([router.close(), db.close()]);
    }
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
        process.stderr.write(`rag-indexer: ${err.message}\n`);
        process.exit(1);
    },
);
