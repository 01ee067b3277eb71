// Schema migrations: `node /app/dist/migrate.js` (the API pod's `migrate` init container). Idempotent: a
// second run applies nothing. Exit 0 when the schema is current, 1 on failure, 78 on bad configuration.
import { ConfigError, databaseUrl, loadSettings, secretValues } from "./lib/contract";
import { createLogger } from "./lib/logger";
import { migrate } from "./lib/migrations";
import { retryTransient } from "./lib/startup";

async function main(): Promise<number> {
    let settings;
    try {
        settings = loadSettings("migrate");
    } catch (err) {
        if (err instanceof ConfigError) {
            process.stderr.write(`rag-migrate: ${err.message}\n`);
            return 78;
        }
        throw err;
    }
    const log = createLogger(settings.LOG_LEVEL, secretValues(settings), "rag-migrate");
    const url = databaseUrl(settings);
    // PostgreSQL may still be starting, or restarting during a secret rotation: retry for up to a minute.
    try {
        const applied = await retryTransient("PostgreSQL", () => migrate(url, log), log);
        log.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : "schema is up to date: nothing to apply");
        return 0;
    } catch (err) {
        log.error({ err: (err as Error).message }, "migration failed");
        return 1;
    }
}

main().then(
    (code) => process.exit(code),
    (err: Error) => {
        process.stderr.write(`rag-migrate: ${err.message}\n`);
        process.exit(1);
    },
);
