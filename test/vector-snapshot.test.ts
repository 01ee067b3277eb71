import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as http from "http";
import type { AddressInfo } from "net";
import { KEYS } from "../app/src/lib/contract";
import { QDRANT_COLLECTION, SNAPSHOT_SCRIPT } from "../components/backups";
import { autoname, byName, ofType, RenderResult, renderStack, T } from "./harness";

const NAME = "rag-vector-snapshot";
const cronOf = (r: RenderResult) => ofType(r, T.CronJob).find((c) => c.inputs.metadata.name === NAME);

describe("VectorSnapshot (scheduled Qdrant snapshots)", () => {
    let prod: RenderResult;
    before(async () => {
        prod = await renderStack("prod");
    });

    it("prod (Qdrant): a CronJob on the backup's schedule, never overlapping, with the indexer's image as the app's UID", () => {
        const cron = cronOf(prod)!;
        assert.ok(cron);
        assert.equal(cron.inputs.spec.schedule, "30 1 * * *");
        assert.equal(cron.inputs.spec.concurrencyPolicy, "Forbid");
        const spec = cron.inputs.spec.jobTemplate.spec.template.spec;
        const [c] = spec.containers;
        assert.equal(c.image, ofType(prod, T.Job)[0].inputs.spec.template.spec.containers[0].image);
        assert.deepEqual(c.command.slice(0, 2), ["node", "-e"]);
        assert.equal(spec.securityContext.runAsUser, 10001);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
        assert.equal(env.QDRANT_URL, "http://rag-vector-store:6333");
        assert.equal(env.COLLECTION, "rag_chunks");
        assert.equal(env.SNAPSHOT_RETENTION, "3", "backup.vectorSnapshotRetention, not the dumps' 14");
        assert.deepEqual(env.QDRANT_API_KEY, { secretKeyRef: { name: autoname("rag-secrets-secret"), key: "VECTOR_STORE_API_KEY" } });
    });

    it("the vector store admits it on 6333; it may reach only the vector store", () => {
        const ingress = byName(prod, T.NetworkPolicy, "rag-allow-vector-store-clients").inputs.spec;
        assert.deepEqual(ingress.podSelector.matchExpressions[0].values, ["vector-store"]);
        assert.deepEqual(ingress.ingress[0].from[0].podSelector.matchExpressions[0].values, ["vector-snapshot"]);
        assert.deepEqual(ingress.ingress[0].ports, [{ protocol: "TCP", port: 6333 }]);
        const egress = byName(prod, T.NetworkPolicy, "rag-allow-clients-to-vector-store").inputs.spec;
        assert.deepEqual(egress.podSelector.matchExpressions[0].values, ["vector-snapshot"]);
    });

    it("none with Chroma (no snapshot API) or with backup.enabled false", async () => {
        assert.equal(cronOf(await renderStack("prod", { vectorStore: { engine: "chroma" } })), undefined);
        assert.equal(cronOf(await renderStack("prod", { backup: { enabled: false } })), undefined);
    });

    it("snapshots the app's own collection (VECTOR_COLLECTION's default in the app contract)", () => {
        assert.equal(QDRANT_COLLECTION, KEYS.VECTOR_COLLECTION.default);
    });

    describe("the script, against a stand-in for Qdrant's snapshot API", () => {
        let server: http.Server;
        let url: string;
        const calls: string[] = [];
        let snapshots: { name: string; creation_time: string; size: number }[];
        let failPost = false;
        let collections: string[];
        let handler: http.RequestListener;
        before(async () => {
            server = http.createServer((req, res) => handler(req, res));
            handler = (req, res) => {
                calls.push(`${req.method} ${req.url} key=${req.headers["api-key"]}`);
                const current = collections.find((c) => req.url?.startsWith(`/collections/${c}/snapshots`)) ?? "?";
                const base = `/collections/${current}/snapshots`;
                res.setHeader("content-type", "application/json");
                if (req.method === "GET" && req.url === "/collections") {
                    res.end(JSON.stringify({ result: { collections: collections.map((name) => ({ name })) } }));
                } else if (req.method === "POST" && req.url === `${base}?wait=true`) {
                    if (failPost) {
                        res.statusCode = 500;
                        res.end('{"status":{"error":"disk full"}}');
                        return;
                    }
                    const made = { name: `${current}-2026-11-25-01-30-00.snapshot`, creation_time: "2026-11-25T01:30:00", size: 4096 };
                    snapshots.push(made);
                    res.end(JSON.stringify({ result: made }));
                } else if (req.method === "GET" && req.url === base) {
                    res.end(JSON.stringify({ result: snapshots }));
                } else if (req.method === "DELETE" && req.url?.startsWith(`${base}/`)) {
                    const name = decodeURIComponent(req.url.slice(base.length + 1).split("?")[0]);
                    snapshots = snapshots.filter((s) => s.name !== name);
                    res.end('{"result":true}');
                } else {
                    res.statusCode = 404;
                    res.end("{}");
                }
            };
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        });
        after(() => server.close());
        beforeEach(() => {
            calls.length = 0;
            failPost = false;
            collections = ["rag_chunks", "rag_chunks_other", "another_app"];
            snapshots = ["2026-11-22", "2026-11-24", "2026-11-23"].map((d) => ({
                name: `rag_chunks-${d}-01-30-00.snapshot`,
                creation_time: `${d}T01:30:00`,
                size: 1,
            }));
        });
        const run = (retention: number, qdrantUrl = url) =>
            new Promise<{ code: number; out: string }>((resolve) => {
                const p = spawn(process.execPath, ["-e", SNAPSHOT_SCRIPT], {
                    env: { QDRANT_URL: qdrantUrl, QDRANT_API_KEY: "k3y", COLLECTION: "rag_chunks", SNAPSHOT_RETENTION: `${retention}` },
                });
                let out = "";
                p.stdout.on("data", (d) => (out += d));
                p.stderr.on("data", (d) => (out += d));
                p.on("close", (code) => resolve({ code: code ?? -1, out }));
            });

        it("takes a snapshot with the API key in a header, then keeps only the newest `retention`", async () => {
            const { code, out } = await run(2);
            assert.equal(code, 0, out);
            assert.equal(calls[0], "GET /collections key=k3y");
            assert.equal(calls[1], "POST /collections/rag_chunks/snapshots?wait=true key=k3y");
            assert.ok(!calls.some((c) => /rag_chunks_other|another_app/.test(c)), "only the app's collection");
            assert.ok(calls.every((c) => c.endsWith("key=k3y")));
            assert.deepEqual(snapshots.map((s) => s.name).sort(), ["rag_chunks-2026-11-24-01-30-00.snapshot", "rag_chunks-2026-11-25-01-30-00.snapshot"]);
            assert.match(out, /snapshot: rag_chunks-2026-11-25-01-30-00\.snapshot \(4096 bytes\)/);
            assert.match(out, /removed rag_chunks-2026-11-22-01-30-00\.snapshot \(retention 2\)/);
        });

        it("after a rebuild: snapshots the app's new generation (rag_chunks_g<n>); none at all fails the Job", async () => {
            collections = ["rag_chunks_g2", "another_app"];
            snapshots = [];
            const { code, out } = await run(2);
            assert.equal(code, 0, out);
            assert.equal(calls[1], "POST /collections/rag_chunks_g2/snapshots?wait=true key=k3y");
            assert.match(out, /snapshot: rag_chunks_g2-2026-11-25-01-30-00\.snapshot/);
            collections = ["another_app"];
            const none = await run(2);
            assert.equal(none.code, 1);
            assert.match(none.out, /no collection rag_chunks/);
        });

        it("waits for Qdrant while it cannot be reached at all (a new pod's allow rules may lag its start)", async () => {
            const late = http.createServer((req, res) => handler(req, res));
            await new Promise<void>((resolve) => late.listen(0, "127.0.0.1", resolve));
            const port = (late.address() as AddressInfo).port;
            await new Promise<void>((resolve) => late.close(() => resolve()));
            const started = Date.now();
            const job = run(2, `http://127.0.0.1:${port}`);
            await new Promise((r) => setTimeout(r, 1500));
            late.listen(port, "127.0.0.1");
            try {
                const { code, out } = await job;
                assert.equal(code, 0, out);
                assert.match(out, /snapshot: rag_chunks-/);
                assert.ok(Date.now() - started >= 1500);
            } finally {
                late.close();
            }
        });

        it("a refused snapshot fails the Job and deletes nothing", async () => {
            failPost = true;
            const { code, out } = await run(1);
            assert.equal(code, 1);
            assert.match(out, /HTTP 500/);
            assert.equal(snapshots.length, 3);
            assert.ok(!calls.some((c) => c.startsWith("DELETE")));
        });
    });
});
