import path from "node:path";
import { runner } from "node-pg-migrate";
import type { Logger } from "pino";

/** Where the SQL migrations are: next to this module's parent (src/migrations, or dist/migrations once built). */
export const MIGRATIONS_DIR = path.join(__dirname, "..", "migrations");

/** node-pg-migrate takes its advisory lock with pg_try_advisory_lock and fails at once when another run holds it. */
const LOCKED = /Another migration is already running/;

/**
 * Applies pending migrations (node-pg-migrate, advisory-locked). Concurrent runs wait for each other: the API's
 * and the indexer's `migrate` steps start together after a deploy or a secret rotation, and node-pg-migrate
 * refuses the second instead of waiting, so a refused run tries again every `waitMs` (`attempts` times).
 * Returns the names applied: empty on a second run.
 */
export async function migrate(databaseUrl: string, log: Logger, { attempts = 120, waitMs = 500 } = {}): Promise<string[]> {
    for (let attempt = 1; ; attempt++) {
        try {
            const applied = await runner({
                databaseUrl,
                dir: MIGRATIONS_DIR,
                direction: "up",
                migrationsTable: "pgmigrations",
                checkOrder: true,
                singleTransaction: true,
                verbose: false,
                log: (msg: string) => log.debug({ msg: msg.trim() }),
                logger: { debug: () => undefined, info: (m: string) => log.debug(m), warn: (m: string) => log.warn(m), error: (m: string) => log.error(m) },
            });
            return applied.map((m) => m.name);
        } catch (err) {
            if (!LOCKED.test((err as Error).message) || attempt >= attempts) throw err;
            if (attempt === 1) log.info("another migration run holds the lock: waiting for it");
            await new Promise((r) => setTimeout(r, waitMs));
        }
    }
}
