import * as k8s from "@pulumi/kubernetes";
import type { Input } from "@pulumi/pulumi";
import { secretRefEnv } from "../shared";
import type { AppSecrets, AppWiring, ContainerArgs } from "../shared";

// The platform's side of the application contract (the app's side is app/src/lib/contract.ts; the test
// test/app-contract.test.ts checks that each workload gets exactly the keys its entry point reads).

/** The image contract: every app image runs as this UID/GID, writes only /tmp, and has the bundle in /app. */
export const APP_RUN_AS = { uid: 10001, gid: 10001 };
export const APP_WRITABLE_PATHS = ["/tmp"];
export const APP_DATA_PATH = "/app/data";
/** What the indexer indexes: the app-data claim's documents/ folder (the sample documents in dev). */
export const DOCUMENTS_PATH = `${APP_DATA_PATH}/documents`;

/**
 * Assembled by Kubernetes from the variables before it in the list: no password is a plain value in the spec.
 * With TLS (an external PostgreSQL): `sslmode=verify-full`, the server's certificate and host name are checked.
 */
export function databaseUrlEnv(tls: boolean): k8s.types.input.core.v1.EnvVar {
    return { name: "DATABASE_URL", value: `postgresql://$(DB_USER):$(POSTGRES_PASSWORD)@$(DB_HOST):$(DB_PORT)/$(DB_NAME)${tls ? "?sslmode=verify-full" : ""}` };
}
/** The same for Redis: `rediss://` (TLS, certificate verified) for an external Redis with TLS. */
export function redisUrlEnv(tls: boolean): k8s.types.input.core.v1.EnvVar {
    return { name: "REDIS_URL", value: `${tls ? "rediss" : "redis"}://:$(REDIS_PASSWORD)@$(REDIS_HOST):$(REDIS_PORT)/0` };
}

/** ConfigMap keys the indexer reads (the API reads them all, through envFrom). */
export const INDEXER_CONFIG_KEYS = [
    "LOG_LEVEL",
    "CHUNK_SIZE",
    "CHUNK_OVERLAP",
    "EMBEDDING_MODEL",
    "EMBEDDING_BASE_URL",
    "EMBEDDING_DIMENSIONS",
    "MAX_DOCUMENT_BYTES",
    "DB_HOST",
    "DB_PORT",
    "DB_NAME",
    "DB_USER",
    "DB_TLS",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_TLS",
    "VECTOR_DB_ENGINE",
    "VECTOR_DB_HOST",
    "VECTOR_DB_PORT",
    "VECTOR_DB_TLS",
    "VECTOR_DB_AUTH_REQUIRED",
] as const;

/** ConfigMap keys the migrate step reads. */
export const MIGRATE_CONFIG_KEYS = ["LOG_LEVEL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_TLS"] as const;

function configMapEnv(keys: readonly string[], configMapName: Input<string>): k8s.types.input.core.v1.EnvVar[] {
    return keys.map((key) => ({ name: key, valueFrom: { configMapKeyRef: { name: configMapName, key } } }));
}

/** The credentials `names` from where they live (the platform Secret, the operator's, an external datastore's). */
export function credentialEnv(secrets: AppSecrets, ...names: (keyof AppSecrets)[]): k8s.types.input.core.v1.EnvVar[] {
    return names.map((n) => secretRefEnv(n, secrets[n]));
}

/** The indexer's environment: only the keys it reads, each by reference (never the whole Secret). */
export function indexerEnv({ configMapName, secrets, tls }: AppWiring): k8s.types.input.core.v1.EnvVar[] {
    return [
        ...configMapEnv(INDEXER_CONFIG_KEYS, configMapName),
        ...credentialEnv(secrets, "POSTGRES_PASSWORD", "REDIS_PASSWORD", "VECTOR_STORE_API_KEY", "LLM_API_KEY"),
        databaseUrlEnv(tls.postgres),
        redisUrlEnv(tls.redis),
    ];
}

/** The migrate step's environment (the API pod's init container). */
export function migrateEnv({ configMapName, secrets, tls }: AppWiring): k8s.types.input.core.v1.EnvVar[] {
    return [...configMapEnv(MIGRATE_CONFIG_KEYS, configMapName), ...credentialEnv(secrets, "POSTGRES_PASSWORD"), databaseUrlEnv(tls.postgres)];
}

/**
 * The schema migrations, run by every app pod that needs the schema before its main container starts (the API,
 * the indexer): `node /app/dist/migrate.js` from the pod's own image (every app image holds the whole bundle).
 * Idempotent; concurrent runs wait on node-pg-migrate's lock; it waits for PostgreSQL to come up. So no app
 * workload has to be ordered after another by the deployment tool.
 */
export function migrateContainer(wiring: AppWiring, image: string, resources: ContainerArgs["resources"]): ContainerArgs {
    return { name: "migrate", image, resources, command: ["node", "/app/dist/migrate.js"], env: migrateEnv(wiring), writablePaths: APP_WRITABLE_PATHS };
}
