import type { Settings } from "../contract";
import { ChromaVectorStore } from "./chroma";
import { MemoryVectorStore } from "./memory";
import { MilvusVectorStore } from "./milvus";
import { QdrantVectorStore } from "./qdrant";
import type { VectorStore } from "./types";

export * from "./types";

/** The adapter VECTOR_DB_ENGINE names, for a collection (VECTOR_COLLECTION's by default) of these dimensions. */
export function createVectorStore(s: Settings, collection = s.VECTOR_COLLECTION, dimensions = s.EMBEDDING_DIMENSIONS): VectorStore {
    const opts = {
        host: s.VECTOR_DB_HOST,
        port: s.VECTOR_DB_PORT,
        apiKey: s.VECTOR_STORE_API_KEY,
        collection,
        dimensions,
        tls: s.VECTOR_DB_TLS,
    };
    switch (s.VECTOR_DB_ENGINE) {
        case "qdrant":
            return new QdrantVectorStore(opts);
        case "chroma":
            return new ChromaVectorStore(opts);
        case "milvus":
            return new MilvusVectorStore(opts);
        case "memory":
            return new MemoryVectorStore();
        default:
            throw new Error(`unknown vector engine ${s.VECTOR_DB_ENGINE}`);
    }
}
