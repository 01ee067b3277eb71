import * as k8s from "@pulumi/kubernetes";
import type { Input } from "@pulumi/pulumi";
import { SECRET_KEYS } from "./secrets";
import { secretEnv } from "./workload";

// The platform's side of the application contract (the app's side is app/src/lib/contract.ts; the test
// test/app-contract.test.ts checks that each workload gets exactly the keys its entry point reads).

/** The image contract: every app image runs as this UID/GID, writes only /tmp, and has the bundle in /app. */
export const APP_RUN_AS = { uid: 10001, gid: 10001 };
export const APP_WRITABLE_PATHS = ["/tmp"];
export const APP_DATA_PATH = "/app/data";
/** What the indexer indexes: the app-data claim's documents/ folder (the sample documents in dev). */
export const DOCUMENTS_PATH = `${APP_DATA_PATH}/documents`;

/** Assembled by Kubernetes from the variables before it in the list: no password is a plain value in the spec. */
export const DATABASE_URL_ENV: k8s.types.input.core.v1.EnvVar = {
    name: "DATABASE_URL",
    value: "postgresql://$(DB_USER):$(POSTGRES_PASSWORD)@$(DB_HOST):$(DB_PORT)/$(DB_NAME)",
};
export const REDIS_URL_ENV: k8s.types.input.core.v1.EnvVar = { name: "REDIS_URL", value: "redis://:$(REDIS_PASSWORD)@$(REDIS_HOST):$(REDIS_PORT)/0" };

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
    "REDIS_HOST",
    "REDIS_PORT",
    "VECTOR_DB_ENGINE",
    "VECTOR_DB_HOST",
    "VECTOR_DB_PORT",
    "VECTOR_DB_AUTH_REQUIRED",
] as const;

/** ConfigMap keys the migrate step reads. */
export const MIGRATE_CONFIG_KEYS = ["LOG_LEVEL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER"] as const;

function configMapEnv(keys: readonly string[], configMapName: Input<string>): k8s.types.input.core.v1.EnvVar[] {
    return keys.map((key) => ({ name: key, valueFrom: { configMapKeyRef: { name: configMapName, key } } }));
}

/** The indexer's environment: only the keys it reads, each by reference (never the whole Secret). */
export function indexerEnv(configMapName: Input<string>, secretName: Input<string>): k8s.types.input.core.v1.EnvVar[] {
    return [
        ...configMapEnv(INDEXER_CONFIG_KEYS, configMapName),
        secretEnv("POSTGRES_PASSWORD", secretName, SECRET_KEYS.postgresPassword),
        secretEnv("REDIS_PASSWORD", secretName, SECRET_KEYS.redisPassword),
        secretEnv("VECTOR_STORE_API_KEY", secretName, SECRET_KEYS.vectorStoreApiKey),
        secretEnv("LLM_API_KEY", secretName, SECRET_KEYS.llmApiKey, true),
        DATABASE_URL_ENV,
        REDIS_URL_ENV,
    ];
}

/** The migrate step's environment (the API pod's init container). */
export function migrateEnv(configMapName: Input<string>, secretName: Input<string>): k8s.types.input.core.v1.EnvVar[] {
    return [...configMapEnv(MIGRATE_CONFIG_KEYS, configMapName), secretEnv("POSTGRES_PASSWORD", secretName, SECRET_KEYS.postgresPassword), DATABASE_URL_ENV];
}
