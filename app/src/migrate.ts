// Schema migrations: `node /app/dist/migrate.js` (the API pod's `migrate` init container). Idempotent: a
// second run applies nothing. Exit 0 when the schema is current, 1 on failure, 78 on bad configuration.
import { ConfigError, databaseUrl, loadSettings, secretValues } from "./lib/contract";
import { createLogger } from "./lib/logger";
import { migrate } from "./lib/migrations";

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
    // PostgreSQL may still be starting, or restarting during a secret rotation (the new password reaches the
    // database a moment after the new pods start; see components/postgres.ts): retry for up to a minute.
    for (let attempt = 1; ; attempt++) {
        try {
            const applied = await migrate(url, log);
            log.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : "schema is up to date: nothing to apply");
            return 0;
        } catch (err) {
            const msg = (err as Error).message;
            const retryable =
                /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|timeout|starting up|shutting down|Connection terminated|password authentication failed/i.test(
                    msg,
                );
            if (!retryable || attempt >= 30) {
                log.error({ err: msg, attempt }, "migration failed");
                return 1;
            }
            log.warn({ err: msg, attempt }, "PostgreSQL not reachable yet; retrying in 2 s");
            await new Promise((r) => setTimeout(r, 2000));
        }
    }
}

main().then(
    (code) => process.exit(code),
    (err: Error) => {
        process.stderr.write(`rag-migrate: ${err.message}\n`);
        process.exit(1);
    },
);
