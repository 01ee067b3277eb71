// Qdrant cannot run on this machine: the adapter is checked by its HTTP exchanges with a local fake server.
// Every request the adapter makes must name an operation of Qdrant's published OpenAPI definition (the
// `paths` type shipped in @qdrant/js-client-rest) and its JSON body must type-check against that
// operation's request body; the fake's answers are typed with the operations' response types.
import assert from "node:assert/strict";
import http from "node:http";
import { AddressInfo } from "node:net";
import path from "node:path";
import ts from "typescript";
import type { paths } from "@qdrant/js-client-rest/dist/types/openapi/generated_schema";
import { QdrantVectorStore } from "../src/lib/vector/qdrant";

type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;
type Response<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: { 200: infer R } } ? Json<R> : never;

interface Exchange {
    method: string;
    url: string;
    apiKey?: string;
    body?: unknown;
}

/** generated_schema.d.ts of the installed client (not an exported subpath: found from the package root). */
const SCHEMA = (() => {
    let dir = path.dirname(require.resolve("@qdrant/js-client-rest"));
    while (path.basename(dir) !== "js-client-rest") {
        dir = path.dirname(dir);
    }
    return path.join(dir, "dist", "types", "openapi", "generated_schema.d.ts");
})();

/** The path templates of the OpenAPI definition, read from the shipped `paths` interface. */
function pathTemplates(): string[] {
    const src = ts.sys.readFile(SCHEMA) ?? "";
    const block = src.slice(src.indexOf("export interface paths {"), src.indexOf("export type webhooks"));
    return [...block.matchAll(/^ {4}"(\/[^"]*)": \{/gm)].map((m) => m[1]);
}

function templateOf(url: string, templates: string[]): string | undefined {
    const p = new URL(url, "http://x").pathname;
    // The most literal template wins: /points/search over /points/{id}.
    const params = (t: string) => (t.match(/\{/g) ?? []).length;
    return templates.filter((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(p)).sort((a, b) => params(a) - params(b))[0];
}

/** Type-checks each exchange's body against its operation's request body; returns the compiler's complaints. */
function typeCheck(exchanges: (Exchange & { template: string })[]): string[] {
    const file = path.join(path.dirname(SCHEMA), "__exchanges__.ts");
    const lines = [
        `import type { paths } from "./generated_schema";`,
        `type Body<O> = O extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;`,
        ...exchanges.map((e, i) =>
            e.body === undefined
                ? `type _Op${i} = paths[${JSON.stringify(e.template)}][${JSON.stringify(e.method.toLowerCase())}];`
                : `export const body${i}: Body<paths[${JSON.stringify(e.template)}][${JSON.stringify(e.method.toLowerCase())}]> = ${JSON.stringify(e.body)};`,
        ),
    ];
    const source = lines.join("\n");
    const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, noUnusedLocals: false, types: [] };
    const host = ts.createCompilerHost(options);
    const read = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) => (path.resolve(name) === file ? ts.createSourceFile(name, source, lang) : read(name, lang, ...rest));
    host.fileExists = (
        (exists) => (name: string) =>
            path.resolve(name) === file || exists(name)
    )(host.fileExists.bind(host));
    const program = ts.createProgram([file], options, host);
    return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("app: Qdrant adapter against Qdrant's OpenAPI definition", function () {
    this.timeout(30_000);
    const exchanges: Exchange[] = [];
    let exists = false;
    const hit = {
        id: "3f1c9f9e-1b1a-5c2d-8e3f-0a1b2c3d4e5f",
        version: 1,
        score: 0.87,
        payload: { document_id: "12", chunk_index: 0, title: "Backups", text: "kept 14 days" },
    };
    const replies: Record<string, () => unknown> = {
        "GET /collections/{collection_name}/exists": (): Response<"/collections/{collection_name}/exists", "get"> => ({
            time: 0,
            status: "ok",
            result: { exists },
        }),
        "PUT /collections/{collection_name}": (): Response<"/collections/{collection_name}", "put"> => {
            exists = true;
            return { time: 0, status: "ok", result: true };
        },
        "PUT /collections/{collection_name}/index": (): Response<"/collections/{collection_name}/index", "put"> => ({
            time: 0,
            status: "ok",
            result: { operation_id: 1, status: "completed" },
        }),
        "PUT /collections/{collection_name}/points": (): Response<"/collections/{collection_name}/points", "put"> => ({
            time: 0,
            status: "ok",
            result: { operation_id: 2, status: "completed" },
        }),
        "POST /collections/{collection_name}/points/search": (): Response<"/collections/{collection_name}/points/search", "post"> => ({
            time: 0,
            status: "ok",
            result: [hit],
        }),
        // Two pages: the adapter follows next_page_offset.
        "POST /collections/{collection_name}/points/scroll": (): Response<"/collections/{collection_name}/points/scroll", "post"> => {
            const first = exchanges.filter((e) => e.url.includes("/points/scroll")).length === 1;
            return {
                time: 0,
                status: "ok",
                result: first
                    ? {
                          points: [{ id: hit.id, payload: { chunk_index: 1, text: "restored with pg_restore" } }],
                          next_page_offset: "4a1c9f9e-1b1a-5c2d-8e3f-0a1b2c3d4e5f",
                      }
                    : { points: [{ id: "4a1c9f9e-1b1a-5c2d-8e3f-0a1b2c3d4e5f", payload: { chunk_index: 0, text: "kept 14 days" } }], next_page_offset: null },
            };
        },
        "POST /collections/{collection_name}/points/delete": (): Response<"/collections/{collection_name}/points/delete", "post"> => ({
            time: 0,
            status: "ok",
            result: { operation_id: 3, status: "completed" },
        }),
        "GET /collections": (): Response<"/collections", "get"> => ({ time: 0, status: "ok", result: { collections: [{ name: "rag_chunks" }] } }),
        "POST /collections/{collection_name}/points/count": (): Response<"/collections/{collection_name}/points/count", "post"> => ({
            time: 0,
            status: "ok",
            result: { count: 1 },
        }),
        "DELETE /collections/{collection_name}": (): Response<"/collections/{collection_name}", "delete"> => {
            exists = false;
            return { time: 0, status: "ok", result: true };
        },
    };
    const templates = pathTemplates();
    let server: http.Server;
    let port: number;

    before(async () => {
        server = http.createServer((req, res) => {
            let raw = "";
            req.on("data", (c) => (raw += c));
            req.on("end", () => {
                const template = templateOf(req.url ?? "/", templates) ?? "?";
                exchanges.push({
                    method: req.method ?? "",
                    url: req.url ?? "",
                    apiKey: req.headers["api-key"] as string | undefined,
                    body: raw ? JSON.parse(raw) : undefined,
                });
                const reply = replies[`${req.method} ${template}`] as (() => unknown) | undefined;
                res.writeHead(reply ? 200 : 404, { "content-type": "application/json" });
                res.end(JSON.stringify(reply ? reply() : { status: { error: `fake: no reply for ${req.method} ${req.url}` } }));
            });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        port = (server.address() as AddressInfo).port;
    });

    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("creates the collection on first use, upserts, searches, deletes by document, all with the api-key header", async () => {
        const store = new QdrantVectorStore({ host: "127.0.0.1", port, apiKey: "qdrant-test-key", collection: "rag_chunks", dimensions: 4 });
        await store.ping();
        await store.upsert([{ id: hit.id, documentId: "12", chunkIndex: 0, title: "Backups", text: "kept 14 days", vector: [0.5, 0.5, 0.5, 0.5] }]);
        const hits = await store.search([0.5, 0.5, 0.5, 0.5], 3);
        assert.deepEqual(hits, [{ id: hit.id, documentId: "12", chunkIndex: 0, title: "Backups", text: "kept 14 days", score: 0.87 }]);
        assert.deepEqual(await store.chunksOf("12"), [
            { chunkIndex: 1, text: "restored with pg_restore" },
            { chunkIndex: 0, text: "kept 14 days" },
        ]);
        assert.equal(await store.count(), 1);
        await store.deleteDocument("12");
        await store.drop();
        assert.equal(await store.count(), 0, "a collection that does not exist holds nothing (no count request)");

        const ops = exchanges.map((e) => `${e.method} ${templateOf(e.url, templates)}`);
        assert.deepEqual(ops, [
            "GET /collections",
            "GET /collections/{collection_name}/exists",
            "PUT /collections/{collection_name}",
            "PUT /collections/{collection_name}/index",
            "PUT /collections/{collection_name}/points",
            "POST /collections/{collection_name}/points/search",
            "POST /collections/{collection_name}/points/scroll",
            "POST /collections/{collection_name}/points/scroll",
            "GET /collections/{collection_name}/exists",
            "POST /collections/{collection_name}/points/count",
            "POST /collections/{collection_name}/points/delete",
            "DELETE /collections/{collection_name}",
            "GET /collections/{collection_name}/exists",
        ]);
        assert.ok(exchanges.every((e) => e.apiKey === "qdrant-test-key"));
        const byOp = (op: string) => exchanges[ops.indexOf(op)];
        assert.deepEqual(byOp("POST /collections/{collection_name}/points/count").body, { exact: true });
        assert.deepEqual(byOp("PUT /collections/{collection_name}").body, { vectors: { size: 4, distance: "Cosine" } });
        assert.deepEqual(byOp("POST /collections/{collection_name}/points/delete").body, {
            filter: { must: [{ key: "document_id", match: { value: "12" } }] },
        });
        assert.match(byOp("PUT /collections/{collection_name}/points").url, /wait=true/);
        const scrolls = exchanges.filter((e) => e.url.includes("/points/scroll")).map((e) => e.body);
        assert.deepEqual(scrolls, [
            { filter: { must: [{ key: "document_id", match: { value: "12" } }] }, limit: 1000, with_payload: ["chunk_index", "text"], with_vector: false },
            {
                filter: { must: [{ key: "document_id", match: { value: "12" } }] },
                limit: 1000,
                with_payload: ["chunk_index", "text"],
                with_vector: false,
                offset: "4a1c9f9e-1b1a-5c2d-8e3f-0a1b2c3d4e5f",
            },
        ]);
    });

    it("every request is an operation of the OpenAPI definition and its body type-checks against it", () => {
        assert.ok(templates.length > 50, "paths read from the shipped definition");
        const typed = exchanges.map((e) => ({ ...e, template: templateOf(e.url, templates) ?? "" }));
        assert.ok(
            typed.every((e) => e.template),
            "every URL matches a path of the definition",
        );
        assert.deepEqual(typeCheck(typed), []);
        // The check has teeth: a misspelt field is rejected.
        const bad = typed.find((e) => e.method === "PUT" && e.template === "/collections/{collection_name}")!;
        assert.notDeepEqual(typeCheck([{ ...bad, body: { vectors: { size: 4, distanse: "Cosine" } } }]), []);
    });

    it("a Qdrant that does not answer is a VectorStoreError (503 from the API)", async () => {
        const store = new QdrantVectorStore({ host: "127.0.0.1", port: 1, apiKey: "", collection: "c", dimensions: 4 });
        await assert.rejects(store.ping(), { name: "VectorStoreError" });
    });
});
