import assert from "node:assert/strict";
import pino from "pino";
import { retryTransient } from "../src/lib/startup";

const silent = pino({ level: "silent" });
const fast = { attempts: 4, delayMs: 1 };

/** A function that fails with each message in turn, then returns "done". */
function failing(messages: string[]): { fn: () => Promise<string>; calls: () => number } {
    let calls = 0;
    return {
        fn: async () => {
            const msg = messages[calls++];
            if (msg !== undefined) throw new Error(msg);
            return "done";
        },
        calls: () => calls,
    };
}

describe("app: waiting for the datastores at start (migrate, indexer)", () => {
    it("retries a refused connection and a rotated password until the datastore answers", async () => {
        const f = failing(["connect ECONNREFUSED 10.96.0.10:5432", 'password authentication failed for user "rag"']);
        assert.equal(await retryTransient("PostgreSQL", f.fn, silent, fast), "done");
        assert.equal(f.calls(), 3);
    });

    it("retries the Chroma client's own message for a refused connection", async () => {
        const f = failing([
            "chroma heartbeat failed: Failed to connect to chromadb. Make sure your server is running and try again. If you are running from a browser, make sure that your chromadb instance is configured to allow requests from the current origin using the CHROMA_SERVER_CORS_ALLOW_ORIGINS environment variable.",
        ]);
        assert.equal(await retryTransient("the vector store", f.fn, silent, fast), "done");
        assert.equal(f.calls(), 2);
    });

    it("fails at once on an error that does not go away by itself", async () => {
        const f = failing(['database "nope" does not exist']);
        await assert.rejects(retryTransient("PostgreSQL", f.fn, silent, fast), /does not exist/);
        assert.equal(f.calls(), 1);
    });

    it("gives up after the last attempt with the last error", async () => {
        const f = failing(["ECONNREFUSED 1", "ECONNREFUSED 2", "ECONNREFUSED 3", "ECONNREFUSED 4", "ECONNREFUSED 5"]);
        await assert.rejects(retryTransient("PostgreSQL", f.fn, silent, fast), /ECONNREFUSED 4/);
        assert.equal(f.calls(), 4);
    });
});
