// DB_TLS, REDIS_TLS and VECTOR_DB_TLS (external datastores): each client opens its connection with a TLS
// handshake when the setting is on, and in plain text when it is off. A local TCP server records the first
// bytes each client sends: a TLS ClientHello starts with record type 0x16, PostgreSQL's TLS negotiation with
// an SSLRequest (length 8, code 80877103), plain clients with their own protocol's first message.
import assert from "node:assert/strict";
import net from "node:net";
import { AnswerCache } from "../src/lib/cache";
import { databaseUrl, loadSettings, redisUrl, Settings } from "../src/lib/contract";
import { Database } from "../src/lib/db";
import { createVectorStore } from "../src/lib/vector";

const TLS_RECORD = 0x16;
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** Starts a server on 127.0.0.1, runs `client` against its port, returns the first bytes the client sent. */
async function firstBytes(client: (port: number) => Promise<unknown>): Promise<Buffer> {
    let resolveBytes!: (b: Buffer) => void;
    const received = new Promise<Buffer>((r) => (resolveBytes = r));
    const server = net.createServer((socket) => {
        socket.once("data", (chunk) => {
            resolveBytes(chunk);
            socket.destroy();
        });
        socket.on("error", () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    try {
        const attempt = client(port).catch(() => undefined);
        const bytes = await received;
        await attempt;
        return bytes;
    } finally {
        server.close();
    }
}

function settings(env: Record<string, string>): Settings {
    return loadSettings("indexer", { POSTGRES_PASSWORD: "pw", VECTOR_DB_HOST: "127.0.0.1", DB_HOST: "127.0.0.1", REDIS_HOST: "127.0.0.1", ...env });
}

describe("app: TLS to external datastores", () => {
    it("builds sslmode=verify-full and rediss:// URLs only when asked", () => {
        const plain = settings({});
        assert.equal(databaseUrl(plain), "postgresql://rag:pw@127.0.0.1:5432/rag");
        assert.equal(redisUrl(plain), "redis://127.0.0.1:6379/0");
        const tls = settings({ DB_TLS: "true", REDIS_TLS: "true", REDIS_PASSWORD: "rpw" });
        assert.equal(databaseUrl(tls), "postgresql://rag:pw@127.0.0.1:5432/rag?sslmode=verify-full");
        assert.equal(redisUrl(tls), "rediss://:rpw@127.0.0.1:6379/0");
    });

    for (const tls of [true, false]) {
        it(`PostgreSQL with DB_TLS=${tls} ${tls ? "asks for TLS first (SSLRequest)" : "starts in plain text"}`, async () => {
            const bytes = await firstBytes(async (port) => {
                const db = new Database(databaseUrl(settings({ DB_PORT: `${port}`, DB_TLS: `${tls}` })), 1);
                try {
                    await db.ping();
                } finally {
                    await db.pool.end().catch(() => undefined);
                }
            });
            assert.equal(bytes.subarray(0, 8).equals(SSL_REQUEST), tls, bytes.toString("hex"));
        });

        it(`Redis with REDIS_TLS=${tls} ${tls ? "opens with a TLS handshake" : "speaks RESP in plain text"}`, async () => {
            const bytes = await firstBytes(async (port) => {
                const cache = new AnswerCache(redisUrl(settings({ REDIS_PORT: `${port}`, REDIS_TLS: `${tls}`, REDIS_PASSWORD: "rpw" })), 60);
                try {
                    await cache.redis.connect();
                } finally {
                    cache.redis.disconnect();
                }
            });
            assert.equal(bytes[0] === TLS_RECORD, tls, bytes.toString("hex"));
        });

        for (const engine of ["qdrant", "chroma", "milvus"]) {
            it(`${engine} with VECTOR_DB_TLS=${tls} ${tls ? "opens with a TLS handshake" : "connects in plain text"}`, async () => {
                const bytes = await firstBytes(async (port) => {
                    const store = createVectorStore(
                        settings({ VECTOR_DB_ENGINE: engine, VECTOR_DB_PORT: `${port}`, VECTOR_DB_TLS: `${tls}`, VECTOR_STORE_API_KEY: "key" }),
                    );
                    try {
                        await store.ping();
                    } finally {
                        await store.close().catch(() => undefined);
                    }
                });
                assert.equal(bytes[0] === TLS_RECORD, tls, bytes.toString("hex"));
            });
        }
    }
});
