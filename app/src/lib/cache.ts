import { Redis } from "ioredis";

const GENERATION_KEY = "rag:documents:generation";

/**
 * Answers cached in Redis. The key holds the documents' generation, a counter bumped whenever documents
 * change, so a change invalidates every cached answer at once (old entries expire with their TTL).
 * Connects lazily, fails fast while Redis is down (no offline queue) and reconnects in the background.
 */
export class AnswerCache {
    readonly redis: Redis;
    private bumpPending = false;

    constructor(
        redisUrl: string,
        private readonly ttlSeconds: number,
    ) {
        this.redis = new Redis(redisUrl, {
            lazyConnect: true,
            enableOfflineQueue: false,
            maxRetriesPerRequest: 1,
            connectTimeout: 3000,
            commandTimeout: 3000,
            retryStrategy: (times) => Math.min(200 * times, 2000),
        });
        // Connection errors are reported by ping() and by the failing commands, not as unhandled events.
        this.redis.on("error", () => undefined);
    }

    private async connected(): Promise<Redis> {
        if (this.redis.status === "wait") {
            await this.redis.connect();
        }
        return this.redis;
    }

    async ping(): Promise<void> {
        const r = await this.connected();
        await r.ping();
    }

    private async generation(): Promise<string> {
        const r = await this.connected();
        if (this.bumpPending) {
            await r.incr(GENERATION_KEY);
            this.bumpPending = false;
        }
        return (await r.get(GENERATION_KEY)) ?? "0";
    }

    async get(key: string): Promise<string | undefined> {
        if (this.ttlSeconds === 0) {
            return undefined;
        }
        const gen = await this.generation();
        return (await this.redis.get(`rag:answer:${gen}:${key}`)) ?? undefined;
    }

    async set(key: string, value: string): Promise<void> {
        if (this.ttlSeconds === 0) {
            return;
        }
        const gen = await this.generation();
        await this.redis.set(`rag:answer:${gen}:${key}`, value, "EX", this.ttlSeconds);
    }

    /** Documents changed: every cached answer is stale. When Redis is down, the bump happens on the next use. */
    async invalidate(): Promise<void> {
        try {
            const r = await this.connected();
            await r.incr(GENERATION_KEY);
            this.bumpPending = false;
        } catch (err) {
            this.bumpPending = true;
            throw err;
        }
    }

    async close(): Promise<void> {
        if (this.redis.status === "wait" || this.redis.status === "end") {
            this.redis.disconnect();
            return;
        }
        await this.redis.quit().catch(() => this.redis.disconnect());
    }
}
