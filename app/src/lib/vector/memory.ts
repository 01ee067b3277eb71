import { ChunkRecord, SearchHit, VectorStore } from "./types";

/** In-process exact search (local runs, and the benchmark's floor when no Chroma is running). */
export class MemoryVectorStore implements VectorStore {
    readonly engine = "memory";
    private readonly records = new Map<string, ChunkRecord>();

    async ping(): Promise<void> {}

    async upsert(records: ChunkRecord[]): Promise<void> {
        for (const r of records) {
            this.records.set(r.id, r);
        }
    }

    async search(vector: number[], k: number): Promise<SearchHit[]> {
        const hits: SearchHit[] = [];
        for (const r of this.records.values()) {
            let dot = 0;
            for (let i = 0; i < vector.length; i++) {
                dot += vector[i] * r.vector[i];
            }
            hits.push({ id: r.id, documentId: r.documentId, chunkIndex: r.chunkIndex, title: r.title, text: r.text, score: dot });
        }
        return hits.sort((a, b) => b.score - a.score).slice(0, k);
    }

    async chunksOf(documentId: string): Promise<{ chunkIndex: number; text: string }[]> {
        return [...this.records.values()].filter((r) => r.documentId === documentId).map((r) => ({ chunkIndex: r.chunkIndex, text: r.text }));
    }

    /** How many chunks the collection holds. */
    get size(): number {
        return this.records.size;
    }

    async count(): Promise<number> {
        return this.records.size;
    }

    async deleteDocument(documentId: string): Promise<void> {
        for (const [id, r] of this.records) {
            if (r.documentId === documentId) {
                this.records.delete(id);
            }
        }
    }

    async drop(): Promise<void> {
        this.records.clear();
    }

    async close(): Promise<void> {}
}
