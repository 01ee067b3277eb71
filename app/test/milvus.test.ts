// Milvus cannot run on this machine: the adapter talks to a local fake gRPC server built from the .proto files
// shipped inside @zilliz/milvus2-sdk-node (Milvus' published API). Requests are decoded and answers encoded
// by those definitions, so a field the protos do not know would be lost and fail the assertions below.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import assert from "node:assert/strict";
import path from "node:path";
import protobuf from "protobufjs";
import { MilvusVectorStore } from "../src/lib/vector/milvus";

const PROTO_DIR = (() => {
    let dir = path.dirname(require.resolve("@zilliz/milvus2-sdk-node"));
    while (path.basename(dir) !== "milvus2-sdk-node") {
        dir = path.dirname(dir);
    }
    return path.join(dir, "dist", "proto", "proto");
})();

const OK = { error_code: "Success", code: 0, reason: "" };

describe("app: Milvus adapter against Milvus' protobuf API definition", function () {
    this.timeout(30_000);
    const calls: { method: string; request: any }[] = [];
    let server: grpc.Server;
    let port: number;
    let created = false;
    let schemaBytes: Buffer | undefined;

    const fields = [
        { fieldID: 100, name: "id", is_primary_key: true, data_type: "VarChar", type_params: [{ key: "max_length", value: "64" }] },
        { fieldID: 101, name: "document_id", data_type: "VarChar", type_params: [{ key: "max_length", value: "64" }] },
        { fieldID: 102, name: "chunk_index", data_type: "Int64", type_params: [] },
        { fieldID: 103, name: "title", data_type: "VarChar", type_params: [{ key: "max_length", value: "1024" }] },
        { fieldID: 104, name: "text", data_type: "VarChar", type_params: [{ key: "max_length", value: "65535" }] },
        { fieldID: 105, name: "vector", data_type: "FloatVector", type_params: [{ key: "dim", value: "4" }] },
    ];

    const replies: Record<string, (req: any) => unknown> = {
        Connect: () => ({ status: OK, server_info: { build_tags: "v2.4.15" }, identifier: 1 }),
        CreateCollection: (req) => {
            created = true;
            schemaBytes = req.schema;
            return OK;
        },
        // What Milvus 2.4 answers for a collection that does not exist (the SDK's hasCollection asks this).
        DescribeCollection: (req) =>
            created
                ? describe(req)
                : { status: { error_code: "UnexpectedError", code: 100, reason: `can't find collection[collection=${req.collection_name}]` } },
    };
    const describe = (req: any) => ({
        status: OK,
        collection_name: req.collection_name,
        collectionID: 1,
        schema: { name: req.collection_name, fields, enable_dynamic_field: false },
        shards_num: 1,
        consistency_level: "Bounded",
    });
    Object.assign(replies, {
        CreateIndex: () => OK,
        LoadCollection: () => OK,
        GetLoadingProgress: () => ({ status: OK, progress: 100, refresh_progress: 100 }),
        GetLoadState: () => ({ status: OK, state: "LoadStateLoaded" }),
        Upsert: (req: any) => ({ status: OK, IDs: { str_id: { data: ["a"] } }, upsert_cnt: req.num_rows, succ_index: [0] }),
        Search: () => ({
            status: OK,
            results: {
                num_queries: 1,
                top_k: 1,
                scores: [0.91],
                ids: { str_id: { data: ["3f1c9f9e-1b1a-5c2d-8e3f-0a1b2c3d4e5f"] } },
                topks: [1],
                output_fields: ["document_id", "chunk_index", "title", "text"],
                fields_data: [
                    { type: "VarChar", field_name: "document_id", field_id: 101, scalars: { string_data: { data: ["12"] } } },
                    { type: "Int64", field_name: "chunk_index", field_id: 102, scalars: { long_data: { data: ["0"] } } },
                    { type: "VarChar", field_name: "title", field_id: 103, scalars: { string_data: { data: ["Backups"] } } },
                    { type: "VarChar", field_name: "text", field_id: 104, scalars: { string_data: { data: ["kept 14 days"] } } },
                ],
            },
            collection_name: "rag_chunks",
        }),
        // count(*) as Milvus 2.4 answers it (the SDK's count())
        Query: (req: any) =>
            (req.output_fields ?? []).includes("count(*)")
                ? {
                      status: OK,
                      collection_name: "rag_chunks",
                      output_fields: ["count(*)"],
                      fields_data: [{ type: "Int64", field_name: "count(*)", field_id: 0, scalars: { long_data: { data: ["3"] } } }],
                  }
                : queryChunks(),
    });
    const queryChunks = () => ({
        status: OK,
        collection_name: "rag_chunks",
        output_fields: ["chunk_index", "text"],
        fields_data: [
            { type: "Int64", field_name: "chunk_index", field_id: 102, scalars: { long_data: { data: ["1", "0"] } } },
            { type: "VarChar", field_name: "text", field_id: 104, scalars: { string_data: { data: ["restored with pg_restore", "kept 14 days"] } } },
        ],
    });
    Object.assign(replies, {
        Delete: () => ({ status: OK, delete_cnt: 1 }),
        DropCollection: () => {
            created = false;
            return OK;
        },
        CheckHealth: () => ({ status: OK, isHealthy: true, reasons: [] }),
    });

    before(async () => {
        const def = protoLoader.loadSync(path.join(PROTO_DIR, "milvus.proto"), {
            keepCase: true,
            longs: String,
            enums: String,
            defaults: true,
            oneofs: true,
            includeDirs: [PROTO_DIR],
        });
        const pkg = grpc.loadPackageDefinition(def) as any;
        const service = pkg.milvus.proto.milvus.MilvusService.service as grpc.ServiceDefinition;
        const impl: grpc.UntypedServiceImplementation = {};
        for (const [name] of Object.entries(service)) {
            impl[name] = (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
                calls.push({ method: name, request: call.request });
                const reply = replies[name];
                if (!reply) {
                    callback({ code: grpc.status.UNIMPLEMENTED, details: `fake: ${name}` });
                    return;
                }
                callback(null, reply(call.request));
            };
        }
        server = new grpc.Server();
        server.addService(service, impl);
        port = await new Promise<number>((resolve, reject) =>
            server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
        );
    });

    after(() => server.forceShutdown());

    it("creates the collection (schema, HNSW/COSINE index, load), upserts, searches and deletes by document", async () => {
        const store = new MilvusVectorStore({ host: "127.0.0.1", port, apiKey: "", collection: "rag_chunks", dimensions: 4 });
        try {
            await store.ping();
            await store.upsert([
                {
                    id: "3f1c9f9e-1b1a-5c2d-8e3f-0a1b2c3d4e5f",
                    documentId: "12",
                    chunkIndex: 0,
                    title: "Backups",
                    text: "kept 14 days",
                    vector: [0.5, 0.5, 0.5, 0.5],
                },
            ]);
            const hits = await store.search([0.5, 0.5, 0.5, 0.5], 3);
            assert.deepEqual(hits, [
                {
                    id: "3f1c9f9e-1b1a-5c2d-8e3f-0a1b2c3d4e5f",
                    documentId: "12",
                    chunkIndex: 0,
                    title: "Backups",
                    text: "kept 14 days",
                    score: Math.fround(0.91),
                },
            ]); // float32 on the wire
            assert.deepEqual(await store.chunksOf("12"), [
                { chunkIndex: 1, text: "restored with pg_restore" },
                { chunkIndex: 0, text: "kept 14 days" },
            ]);
            assert.equal(await store.count(), 3);
            await store.deleteDocument("12");
            await store.drop();
            assert.equal(await store.count(), 0, "a collection that does not exist holds nothing");
        } catch (err) {
            throw new Error(`${(err as Error).message}; calls: ${calls.map((c) => c.method).join(", ")}`);
        } finally {
            await store.close();
        }
        const methods = calls.map((c) => c.method);
        // (hasCollection is a DescribeCollection in SDK 2.4)
        for (const m of [
            "CheckHealth",
            "DescribeCollection",
            "CreateCollection",
            "CreateIndex",
            "LoadCollection",
            "Upsert",
            "Search",
            "Query",
            "Delete",
            "DropCollection",
        ]) {
            assert.ok(methods.includes(m), `${m} in ${methods.join(", ")}`);
        }
        const unimplemented = methods.filter((m) => !replies[m]);
        assert.deepEqual(unimplemented, [], "every call of the adapter was answered");
    });

    it("the requests carry what Milvus needs, as its protos define it", async () => {
        const root = await protobuf.load(path.join(PROTO_DIR, "schema.proto"));
        const type = root.lookupType("milvus.proto.schema.CollectionSchema");
        const schema: any = type.toObject(type.decode(new Uint8Array(schemaBytes!)), { enums: String });
        assert.deepEqual(
            schema.fields.map((f: any) => [f.name, f.dataType, Boolean(f.isPrimaryKey)]),
            [
                ["id", "VarChar", true],
                ["document_id", "VarChar", false],
                ["chunk_index", "Int64", false],
                ["title", "VarChar", false],
                ["text", "VarChar", false],
                ["vector", "FloatVector", false],
            ],
        );
        assert.deepEqual(schema.fields[5].typeParams, [{ key: "dim", value: "4" }]);
        const index = calls.find((c) => c.method === "CreateIndex")!.request;
        assert.equal(index.field_name, "vector");
        const params = Object.fromEntries(index.extra_params.map((p: any) => [p.key, p.value]));
        assert.equal(params.metric_type, "COSINE");
        assert.equal(params.index_type, "HNSW");
        const upsert = calls.find((c) => c.method === "Upsert")!.request;
        assert.equal(upsert.num_rows, 1);
        const vector = upsert.fields_data.find((f: any) => f.field_name === "vector");
        assert.equal(vector.vectors.dim, "4");
        assert.deepEqual(vector.vectors.float_vector.data, [0.5, 0.5, 0.5, 0.5]);
        const search = calls.find((c) => c.method === "Search")!.request;
        assert.deepEqual(search.output_fields, ["document_id", "chunk_index", "title", "text"]);
        assert.equal(Object.fromEntries(search.search_params.map((p: any) => [p.key, p.value])).metric_type, "COSINE");
        assert.equal(calls.find((c) => c.method === "Delete")!.request.expr, 'document_id == "12"');
        const query = calls.find((c) => c.method === "Query")!.request;
        assert.equal(query.expr, 'document_id == "12"');
        assert.deepEqual([...query.output_fields].sort(), ["chunk_index", "text"]);
    });
});
