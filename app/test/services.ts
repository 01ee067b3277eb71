// The real services started by scripts/services.sh (via scripts/with-services.sh, which `npm test` uses).
import { execFileSync } from "node:child_process";
import path from "node:path";
import { loadSettings, Settings } from "../src/lib/contract";

function need(name: string): string {
    const v = process.env[name];
    if (!v) {
        throw new Error(`${name} is not set: run the tests through app/scripts/with-services.sh (npm test does)`);
    }
    return v;
}

export const services = {
    get dir() {
        return need("RAG_TEST_SERVICES_DIR");
    },
    get databaseUrl() {
        return need("RAG_TEST_DATABASE_URL");
    },
    get postgresPassword() {
        return need("RAG_TEST_POSTGRES_PASSWORD");
    },
    get pgPort() {
        return Number(need("RAG_TEST_PG_PORT"));
    },
    get redisPort() {
        return Number(need("RAG_TEST_REDIS_PORT"));
    },
    get redisPassword() {
        return need("RAG_TEST_REDIS_PASSWORD");
    },
    get chromaPort() {
        return Number(need("RAG_TEST_CHROMA_PORT"));
    },
};

/** A fresh database on the test server (migrations start from nothing). */
export function createDatabase(name: string): string {
    const url = new URL(services.databaseUrl);
    execFileSync(
        "psql",
        ["-h", "127.0.0.1", "-p", String(services.pgPort), "-U", "rag", "-d", "rag", "-qc", `DROP DATABASE IF EXISTS ${name}`, "-c", `CREATE DATABASE ${name}`],
        {
            env: { ...process.env, PGPASSWORD: services.postgresPassword },
            stdio: "pipe",
        },
    );
    url.pathname = `/${name}`;
    return url.toString();
}

export function stopRedis(): void {
    execFileSync("redis-cli", ["-p", String(services.redisPort), "--no-auth-warning", "-a", services.redisPassword, "shutdown", "nosave"], { stdio: "pipe" });
}

export function startRedis(): void {
    execFileSync("redis-server", [path.join(services.dir, "redis.conf")], { stdio: "pipe" });
}

/** Settings as the platform would give them, pointing at the test services. */
export function testEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
        APP_ENV: "test",
        LOG_LEVEL: "info",
        DATABASE_URL: services.databaseUrl,
        REDIS_URL: `redis://:${services.redisPassword}@127.0.0.1:${services.redisPort}/0`,
        POSTGRES_PASSWORD: services.postgresPassword,
        REDIS_PASSWORD: services.redisPassword,
        VECTOR_DB_ENGINE: "chroma",
        VECTOR_DB_HOST: "127.0.0.1",
        VECTOR_DB_PORT: String(services.chromaPort),
        VECTOR_DB_API_KEY_REQUIRED: "false",
        VECTOR_STORE_API_KEY: "vector-store-key-not-used-by-chroma",
        API_SIGNING_KEY: "test-signing-key-0123456789abcdef",
        CHUNK_SIZE: "400",
        CHUNK_OVERLAP: "80",
        ...overrides,
    };
}

export function testSettings(entry: "api" | "indexer" | "migrate", overrides: Record<string, string> = {}): Settings {
    return loadSettings(entry, testEnv(overrides));
}
