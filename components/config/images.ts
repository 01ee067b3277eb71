// The images each stack runs unless its config names others: public tags of the upstream projects, and the
// platform's own (the app images and Patroni, built from this repository: app/, images/patroni).
export const IMAGES = {
    api: "ghcr.io/rag-platform/rag-api:0.2.0",
    frontend: "ghcr.io/rag-platform/rag-frontend:0.2.0",
    indexer: "ghcr.io/rag-platform/rag-indexer:0.2.0",
    postgres: "postgres:16.4-alpine",
    patroni: "ghcr.io/rag-platform/patroni:3.0.2-pg15",
    redis: "redis:7.4.1-alpine",
    qdrant: "qdrant/qdrant:v1.12.4-unprivileged",
    chroma: "chromadb/chroma:1.0.12",
    milvus: "milvusdb/milvus:v2.4.15",
    vllm: "vllm/vllm-openai:v0.11.0",
    teiCpu: "ghcr.io/huggingface/text-embeddings-inference:cpu-1.8",
    teiGpu: "ghcr.io/huggingface/text-embeddings-inference:1.8",
    awsCli: "amazon/aws-cli:2.22.35",
    postgresExporter: "quay.io/prometheuscommunity/postgres-exporter:v0.20.0",
    redisExporter: "oliver006/redis_exporter:v1.90.0",
} as const;
