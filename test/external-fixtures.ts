// Stack overrides shared by the external-datastore and own-secrets tests (external-config, external-datastores).

export const PG_SECRET = { name: "rds-credentials", key: "password" };
export const EXTERNAL_POSTGRES = { mode: "external", host: "db.example.com", tls: true, existingSecret: PG_SECRET };
export const EXISTING_SECRET = {
    name: "rag-own-secrets",
    keys: { POSTGRES_PASSWORD: "pg", REDIS_PASSWORD: "redis", VECTOR_STORE_API_KEY: "qdrant", API_SIGNING_KEY: "signing" },
};
export const EXTERNAL_SECRET = {
    storeName: "vault",
    storeKind: "ClusterSecretStore",
    refreshInterval: "15m",
    remoteKeys: { POSTGRES_PASSWORD: "rag/pg", REDIS_PASSWORD: "rag/redis", VECTOR_STORE_API_KEY: "rag/qdrant", API_SIGNING_KEY: "rag/signing" },
};
