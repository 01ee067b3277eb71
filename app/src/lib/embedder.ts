import { contentWords } from "./text";

export interface Embedder {
    /** "local-hash" or the endpoint's model name. */
    readonly model: string;
    readonly dimensions: number;
    embed(texts: string[]): Promise<number[][]>;
}

/** 32-bit FNV-1a. */
function fnv1a(s: string, seed = 0x811c9dc5): number {
    let h = seed >>> 0;
    for (let i = 0; i < s.length; i++) {
        h ^= s.charCodeAt(i);
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
}

/**
 * The built-in local embedding: content-word unigrams and bigrams hashed (signed feature hashing) into
 * `dimensions` buckets, weighted 1 + ln(tf) (bigrams half), L2-normalised. Deterministic, no model files,
 * good enough to retrieve the passages that share a question's words.
 */
export class LocalEmbedder implements Embedder {
    readonly model = "local-hash";
    constructor(readonly dimensions = 384) {}

    embedOne(text: string): number[] {
        const v = new Float64Array(this.dimensions);
        const terms = new Map<string, number>();
        const ws = contentWords(text);
        const add = (t: string, w: number) => terms.set(t, (terms.get(t) ?? 0) + w);
        ws.forEach((w, i) => {
            add(w, 1);
            if (i > 0) {
                add(`${ws[i - 1]} ${w}`, 0.5);
            }
        });
        for (const [term, tf] of terms) {
            const h = fnv1a(term);
            const sign = fnv1a(term, 0x9747b28c) & 1 ? 1 : -1;
            v[h % this.dimensions] += sign * (tf >= 1 ? 1 + Math.log(tf) : tf);
        }
        let norm = 0;
        for (const x of v) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        if (norm === 0) {
            // Text without any word: a fixed unit vector (cosine is undefined for the zero vector).
            v[0] = 1;
            norm = 1;
        }
        return Array.from(v, (x) => x / norm);
    }

    async embed(texts: string[]): Promise<number[][]> {
        return texts.map((t) => this.embedOne(t));
    }
}

/** Embeddings from an OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, TEI, Ollama). */
export class OpenAIEmbedder implements Embedder {
    constructor(
        private readonly baseUrl: string,
        readonly model: string,
        readonly dimensions: number,
        private readonly apiKey: string,
        private readonly batchSize = 64,
    ) {}

    async embed(texts: string[]): Promise<number[][]> {
        const out: number[][] = [];
        for (let i = 0; i < texts.length; i += this.batchSize) {
            const batch = texts.slice(i, i + this.batchSize);
            const res = await postJson<{ data: { index: number; embedding: number[] }[] }>(
                `${this.baseUrl.replace(/\/+$/, "")}/embeddings`,
                { model: this.model, input: batch },
                this.apiKey,
            );
            const sorted = [...res.data].sort((a, b) => a.index - b.index);
            if (sorted.length !== batch.length) {
                throw new UpstreamError(`embedding endpoint returned ${sorted.length} vectors for ${batch.length} inputs`);
            }
            for (const d of sorted) {
                if (d.embedding.length !== this.dimensions) {
                    throw new UpstreamError(`embedding endpoint returned ${d.embedding.length} dimensions, EMBEDDING_DIMENSIONS is ${this.dimensions}`);
                }
                out.push(d.embedding);
            }
        }
        return out;
    }
}

/** A model endpoint failed: the API answers 502. The message never holds the key. */
export class UpstreamError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UpstreamError";
    }
}

export async function postJson<T>(url: string, body: unknown, apiKey: string, timeoutMs = 60_000): Promise<T> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (apiKey) {
        headers.authorization = `Bearer ${apiKey}`;
    }
    let res: Response;
    try {
        res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
        throw new UpstreamError(`model endpoint ${new URL(url).host} unreachable: ${(err as Error).message}`);
    }
    if (!res.ok) {
        throw new UpstreamError(`model endpoint ${new URL(url).host} answered ${res.status}`);
    }
    return (await res.json()) as T;
}
