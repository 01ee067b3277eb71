import path from "node:path";
import { runner } from "node-pg-migrate";
import type { Logger } from "pino";

/** Where the SQL migrations are: next to this module's parent (src/migrations, or dist/migrations once built). */
export const MIGRATIONS_DIR = path.join(__dirname, "..", "migrations");

/**
 * Applies pending migrations (node-pg-migrate, advisory-locked so concurrent runs wait for each other).
 * Returns the names applied: empty on a second run.
 */
export async function migrate(databaseUrl: string, log: Logger): Promise<string[]> {
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
}
