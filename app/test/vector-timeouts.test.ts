// A vector store that takes a request and never answers (its pod gone with the request on the socket) must cost
// the API a bounded wait, then a VectorStoreError (503), not a request hanging until the client gives up.
import assert from "node:assert/strict";
import net from "node:net";
import { ChromaVectorStore } from "../src/lib/vector/chroma";
import { QdrantVectorStore } from "../src/lib/vector/qdrant";
import { TRANSIENT_ERROR } from "../src/lib/startup";
import { bounded, VECTOR_READ_TIMEOUT_MS, VECTOR_WRITE_TIMEOUT_MS } from "../src/lib/vector/types";

/** A TCP server that accepts every connection and reads, but never writes a byte. */
async function silentServer(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
    const sockets = new Set<net.Socket>();
    let accepted = 0;
    const server = net.createServer((s) => {
        accepted++;
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as net.AddressInfo).port,
        connections: () => accepted,
        close: async () => {
            for (const s of sockets) s.destroy();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}

describe("app: the vector store's bounded waits", function () {
    this.timeout(10_000);
    let server: Awaited<ReturnType<typeof silentServer>>;
    beforeEach(async () => {
        server = await silentServer();
    });
    afterEach(async () => {
        await server.close();
    });

    it("reads wait 10 s at most, writes 30 s (Qdrant's and Milvus' own client timeout)", () => {
        assert.equal(VECTOR_READ_TIMEOUT_MS, 10_000);
        assert.equal(VECTOR_WRITE_TIMEOUT_MS, 30_000);
    });

    for (const [engine, make] of [
        ["chroma", (port: number) => new ChromaVectorStore({ host: "127.0.0.1", port, apiKey: "", collection: "c", dimensions: 4, readTimeoutMs: 300 })],
        ["qdrant", (port: number) => new QdrantVectorStore({ host: "127.0.0.1", port, apiKey: "", collection: "c", dimensions: 4, readTimeoutMs: 300 })],
    ] as const) {
        it(`${engine}: a search the store never answers is a VectorStoreError after the read bound`, async () => {
            const store = make(server.port);
            const t0 = Date.now();
            await assert.rejects(store.search([1, 0, 0, 0], 4), (err: Error) => {
                assert.equal(err.name, "VectorStoreError");
                assert.match(err.message, /timeout: no answer within 0\.3 s/);
                assert.match(err.message, TRANSIENT_ERROR, "the indexer and migrate, waiting for the store at start, retry it");
                return true;
            });
            const waited = Date.now() - t0;
            assert.ok(waited >= 290 && waited < 3_000, `waited ${waited} ms`);
            assert.ok(server.connections() >= 1, "the request reached the store");
            await assert.rejects(store.ping(), { name: "VectorStoreError", message: /no answer within 0\.3 s/ });
            await store.close();
        });
    }

    it("an operation that fails after its bound is not an unhandled rejection, and one in time is untouched", async () => {
        const unhandled: unknown[] = [];
        const onUnhandled = (reason: unknown) => unhandled.push(reason);
        process.on("unhandledRejection", onUnhandled);
        try {
            const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("refused, too late")), 100));
            await assert.rejects(
                bounded(20, "x", "query", () => late),
                (err: Error) => err.name === "VectorStoreError" && /x query failed: timeout: no answer within 0\.02 s/.test(err.message),
            );
            await new Promise((resolve) => setTimeout(resolve, 150));
            assert.deepEqual(unhandled, []);
            assert.equal(await bounded(1_000, "x", "query", async () => 42), 42);
            await assert.rejects(
                bounded(1_000, "x", "query", () => Promise.reject(new Error("refused"))),
                { name: "VectorStoreError", message: "x query failed: refused" },
            );
        } finally {
            process.off("unhandledRejection", onUnhandled);
        }
    });
});
