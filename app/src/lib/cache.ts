import { Redis } from "ioredis";

const GENERATION_KEY = "rag:documents:generation";
const ANSWER_PREFIX = "rag:answer:";

/** KEYS[1] the generation counter, ARGV[1] the answers' prefix, ARGV[2] the question's key: {generation, answer or nil}. */
const LOOKUP_SCRIPT = `local g = redis.call('GET', KEYS[1]) or '0'
return {g, redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[2])}`;

interface LookupCommand {
    ragLookup(generationKey: string, prefix: string, key: string): Promise<[string, string | null]>;
}

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
        // EVALSHA, and EVAL once when Redis does not know the script yet.
        this.redis.defineCommand("ragLookup", { numberOfKeys: 1, lua: LOOKUP_SCRIPT });
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
        const r = await this.bumped();
        return (await r.get(GENERATION_KEY)) ?? "0";
    }

    /** The connection, after the generation bump a Redis outage deferred. */
    private async bumped(): Promise<Redis> {
        const r = await this.connected();
        if (this.bumpPending) {
            await r.incr(GENERATION_KEY);
            this.bumpPending = false;
        }
        return r;
    }

    /**
     * The answer cached under `key` for the current generation, and that generation (to store the answer
     * computed on a miss under it): one round trip, a Lua script reading both.
     */
    async lookup(key: string): Promise<{ generation: string; value?: string } | undefined> {
        if (this.ttlSeconds === 0) {
            return undefined;
        }
        const r = (await this.bumped()) as Redis & LookupCommand;
        const [generation, value] = await r.ragLookup(GENERATION_KEY, ANSWER_PREFIX, key);
        return { generation, value: value ?? undefined };
    }

    /** Stores an answer under the generation its lookup saw (by default the current one). */
    async set(key: string, value: string, generation?: string): Promise<void> {
        if (this.ttlSeconds === 0) {
            return;
        }
        const gen = generation ?? (await this.generation());
        await this.redis.set(`${ANSWER_PREFIX}${gen}:${key}`, value, "EX", this.ttlSeconds);
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
