// npm run ask (scripts/ask.ts, scripts/lib/api-access.ts, scripts/lib/kube.ts, scripts/lib/reach.ts): argument
// parsing, every failure as one line, the write key as the app derives it, no secret on stdout/stderr or on a
// kubectl command line. The cluster is a fake Kube (and, for the real port-forward code, a fake kubectl
// executable); the API is a stand-in HTTP server on loopback.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import { createHmac } from "crypto";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { deriveApiKey } from "../app/src/lib/auth";
import { formatAnswer, parseAskArgs, readUpload, runAsk } from "../scripts/ask";
import { jsonpathData, podProblem } from "../scripts/lib/api-access";
import { Kube, KubectlResult, kubectl } from "../scripts/lib/kube";
import { reachFromOutputs, reachInstructions } from "../scripts/lib/reach";
import { UserError } from "../scripts/lib/stack";

const SIGNING = "s1gningKeyForTheAskTestsOnly0123456789abcdefABCDEFghijklmnopQRST";
const WRITE_KEY = deriveApiKey(SIGNING);
const OUTPUTS = { namespace: "rag-dev", services: { api: "rag-api.rag-dev.svc.cluster.local" }, secretName: "rag-secrets-1a2b", environment: "dev" };

const notFound = (kind: string, name: string): KubectlResult => ({
    code: 1,
    stdout: "",
    stderr: `Error from server (NotFound): ${kind} "${name}" not found\n`,
});
const ok = (value: unknown): KubectlResult => ({ code: 0, stdout: typeof value === "string" ? value : JSON.stringify(value), stderr: "" });

interface Cluster {
    reachable: boolean;
    kubectlMissing: boolean;
    service: any | null;
    deployment: any | null;
    pods: any[];
    settings: Record<string, string>;
    secret: Record<string, string> | null;
    /** The stand-in API's port, or why the port-forward fails. */
    forward: number | Error;
}

function defaultCluster(apiPort: number): Cluster {
    return {
        reachable: true,
        kubectlMissing: false,
        service: { spec: { ports: [{ name: "http", port: 80, targetPort: "http" }] } },
        deployment: {
            spec: {
                replicas: 1,
                selector: { matchLabels: { "app.kubernetes.io/instance": "rag", "app.kubernetes.io/component": "api" } },
                template: {
                    spec: {
                        containers: [
                            {
                                name: "api",
                                envFrom: [{ configMapRef: { name: "rag-settings" } }],
                                env: [{ name: "API_SIGNING_KEY", valueFrom: { secretKeyRef: { name: "rag-secrets-1a2b", key: "API_SIGNING_KEY" } } }],
                            },
                        ],
                    },
                },
            },
            status: { readyReplicas: 1 },
        },
        pods: [],
        settings: { MAX_DOCUMENT_BYTES: "1048576" },
        secret: { API_SIGNING_KEY: Buffer.from(SIGNING).toString("base64") },
        forward: apiPort,
    };
}

class FakeKube implements Kube {
    readonly context = "kind-rag";
    readonly calls: string[][] = [];
    forwards = 0;
    closed = 0;
    constructor(readonly cluster: Cluster) {}
    async run(args: string[]): Promise<KubectlResult> {
        this.calls.push(args);
        const c = this.cluster;
        if (c.kubectlMissing) return { code: 127, stdout: "", stderr: "kubectl: command not found" };
        if (args.includes("--raw=/version")) {
            return c.reachable
                ? ok({ gitVersion: "v1.34.4" })
                : {
                      code: 1,
                      stdout: "",
                      stderr: "E0101 memcache.go:265\nThe connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\n",
                  };
        }
        const [, , verb, kind, name] = args; // -n NS get KIND NAME ...
        assert.strictEqual(verb, "get", `unexpected kubectl ${args.join(" ")}`);
        switch (kind) {
            case "service":
                return c.service ? ok(c.service) : notFound("services", name);
            case "deployment":
                return c.deployment ? ok(c.deployment) : notFound("deployments.apps", name);
            case "pods":
                return ok({ items: c.pods });
            case "configmap":
                return ok({ data: c.settings });
            case "secret": {
                if (!c.secret) return notFound("secrets", name);
                const key = /\{\.data\.(.+)\}$/.exec(args[args.length - 1])?.[1] ?? "";
                return ok(c.secret[key] ?? "");
            }
        }
        throw new Error(`unexpected kubectl ${args.join(" ")}`);
    }
    async portForward(namespace: string, service: string, port: number) {
        assert.deepStrictEqual([namespace, service, port], ["rag-dev", "rag-api", 80]);
        this.forwards++;
        if (this.cluster.forward instanceof Error) throw this.cluster.forward;
        return { port: this.cluster.forward, close: () => this.closed++ };
    }
}

/** The stand-in API: what the app answers on the routes npm run ask uses. */
interface StandIn {
    port: number;
    ready: { status: number; body: unknown };
    uploadReply?: { status: number; body: unknown };
    uploads: { authorization?: string; body: string }[];
    questions: unknown[];
    server: http.Server;
}

async function startStandIn(): Promise<StandIn> {
    const s: StandIn = { port: 0, ready: { status: 200, body: {} }, uploads: [], questions: [], server: http.createServer() };
    s.server.on("request", (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (d: Buffer) => chunks.push(d));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const send = (status: number, payload: unknown) => {
                res.writeHead(status, { "content-type": "application/json" });
                res.end(JSON.stringify(payload));
            };
            if (req.method === "GET" && req.url === "/ready") return send(s.ready.status, s.ready.body);
            if (req.method === "POST" && req.url === "/v1/query") {
                s.questions.push(JSON.parse(body));
                return send(200, {
                    answer: "The platform deploys an API, a frontend and three datastores. [doc:4]",
                    mode: "local-extractive",
                    citations: ["4"],
                    sources: [
                        { documentId: "4", title: "Platform overview", chunkIndex: 0, score: 0.8123, text: "..." },
                        { documentId: "9", title: "Operations", chunkIndex: 2, score: 0.4, text: "..." },
                    ],
                    cached: false,
                    topK: 5,
                });
            }
            if (req.method === "POST" && req.url === "/v1/documents") {
                s.uploads.push({ authorization: req.headers.authorization, body });
                if (req.headers.authorization !== `Bearer ${WRITE_KEY}`) {
                    return send(401, { error: "unauthorized", message: "a valid API key is required: Authorization: Bearer <key>" });
                }
                if (s.uploadReply) return send(s.uploadReply.status, s.uploadReply.body);
                return send(201, { created: true, document: { id: "7", title: "notes.md", source: "upload:notes.md", chunkCount: 3 } });
            }
            send(404, { error: "not_found", message: `no route ${req.method} ${req.url}` });
        });
    });
    await new Promise<void>((r) => s.server.listen(0, "127.0.0.1", r));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
}

interface Run {
    code: number;
    out: string[];
    err: string[];
    kube: FakeKube;
}

/** Every line any run printed, to check that no secret ever appears. */
const printed: string[] = [];

describe("npm run ask (scripts/ask.ts)", () => {
    let api: StandIn;
    let tmp: string;
    let notes: string;

    before(async () => {
        api = await startStandIn();
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rag-ask-test-"));
        notes = path.join(tmp, "notes.md");
        fs.writeFileSync(notes, "# Notes\n\nThe platform deploys an API.\n");
    });
    after(() => {
        api.server.close();
        fs.rmSync(tmp, { recursive: true, force: true });
    });
    beforeEach(() => {
        api.ready = { status: 200, body: { status: "ready", checks: { postgresql: "ok", redis: "ok", vectorStore: "ok" } } };
        api.uploadReply = undefined;
        api.uploads = [];
        api.questions = [];
    });

    async function run(argv: string[], change: (c: Cluster) => void = () => {}, outputs: Record<string, unknown> | Error = OUTPUTS): Promise<Run> {
        const cluster = defaultCluster(api.port);
        change(cluster);
        const kube = new FakeKube(cluster);
        const out: string[] = [];
        const err: string[] = [];
        const code = await runAsk(
            argv,
            {
                outputs: async (stack) => {
                    assert.strictEqual(stack, argv.includes("--stack") ? argv[argv.indexOf("--stack") + 1] : "dev");
                    if (outputs instanceof Error) throw outputs;
                    return outputs;
                },
                kube: async () => kube,
                reach: (stack, o) => reachInstructions({ stack, namespace: String(o.namespace), service: "rag-api", secretName: String(o.secretName) }),
            },
            { out: (l) => out.push(l), err: (l) => err.push(l) },
        );
        printed.push(...out, ...err);
        for (const args of kube.calls) {
            assert.ok(!args.join(" ").includes(SIGNING) && !args.join(" ").includes(WRITE_KEY), "a secret on a kubectl command line");
        }
        return { code, out, err, kube };
    }

    /** A failed run: status 1, nothing on stdout, exactly one line on stderr, matching `pattern`. */
    async function fails(argv: string[], pattern: RegExp, change?: (c: Cluster) => void, outputs?: Record<string, unknown> | Error): Promise<Run> {
        const r = await run(argv, change, outputs);
        assert.strictEqual(r.code, 1, `expected a failure, got: ${r.out.join("\n")}`);
        assert.deepStrictEqual(r.out, []);
        assert.strictEqual(r.err.length, 1, r.err.join("\n"));
        assert.ok(!r.err[0].includes("\n") && !/\n\s+at /.test(r.err[0]), "one line, no stack trace");
        assert.match(r.err[0], /^rag-platform ask: /);
        assert.match(r.err[0], pattern);
        return r;
    }

    describe("arguments", () => {
        it("joins the words of a question, defaults to the dev stack and reads --stack NAME, -s NAME, --stack=NAME", () => {
            assert.deepStrictEqual(parseAskArgs(["What", "does", "it", "deploy?"]), { stack: "dev", mode: "ask", question: "What does it deploy?" });
            assert.deepStrictEqual(parseAskArgs(["--stack", "prod", "q?"]), { stack: "prod", mode: "ask", question: "q?" });
            assert.strictEqual(parseAskArgs(["-s", "staging", "q"]).stack, "staging");
            assert.strictEqual(parseAskArgs(["q", "--stack=prod"]).stack, "prod");
        });

        it("reads --add FILE, --add=FILE and --how; a question starting with - goes after --", () => {
            assert.deepStrictEqual(parseAskArgs(["--add", "a.md"]), { stack: "dev", mode: "add", file: "a.md" });
            assert.deepStrictEqual(parseAskArgs(["--add=b.txt", "-s", "prod"]), { stack: "prod", mode: "add", file: "b.txt" });
            assert.deepStrictEqual(parseAskArgs(["--how"]), { stack: "dev", mode: "how" });
            assert.deepStrictEqual(parseAskArgs(["--", "-v", "flag?"]), { stack: "dev", mode: "ask", question: "-v flag?" });
        });

        it("refuses an empty question, a missing file or stack name, two things at once and unknown options", () => {
            const refuses = (argv: string[], pattern: RegExp) =>
                assert.throws(
                    () => parseAskArgs(argv),
                    (e: unknown) => e instanceof UserError && pattern.test(e.message),
                );
            refuses([], /the question is empty: npm run ask -- "/);
            refuses(["   "], /the question is empty/);
            refuses(["--add"], /--add needs a file/);
            refuses(["--add="], /--add needs a file/);
            refuses(["--stack"], /--stack needs a stack name/);
            refuses(["--add", "a.md", "why?"], /one at a time/);
            refuses(["--add", "a.md", "--add", "b.md"], /one --add FILE at a time/);
            refuses(["--how", "why?"], /one at a time/);
            refuses(["--verbose", "why?"], /unknown option --verbose/);
        });
    });

    describe("the file to upload, checked before anything is contacted", () => {
        it("takes the app's document types and refuses missing, empty, unsupported and too large files", async () => {
            assert.strictEqual(readUpload(notes).contentType, "text/markdown");
            assert.strictEqual(readUpload(notes).name, "notes.md");
            const empty = path.join(tmp, "empty.txt");
            fs.writeFileSync(empty, "");
            const pdf = path.join(tmp, "paper.pdf");
            fs.writeFileSync(pdf, "%PDF-1.7");
            await fails(["--add", path.join(tmp, "missing.md")], /no such file: .*missing\.md$/);
            await fails(["--add", tmp], /not a file: /);
            await fails(["--add", empty], /the file is empty: .*empty\.txt$/);
            await fails(["--add", pdf], /unsupported file type "\.pdf": .*paper\.pdf; the API takes \.txt, .*\.md, .*\.json$/);
            assert.throws(() => readUpload(notes, 10), /the file is too large: .*notes\.md is \d+ bytes, the API takes at most 10 \(MAX_DOCUMENT_BYTES\)/);
        });

        it("checks the size against the deployed API's MAX_DOCUMENT_BYTES before uploading", async () => {
            const r = await fails(
                ["--add", notes],
                /the file is too large: .*notes\.md is \d+ bytes, the API takes at most 16 \(MAX_DOCUMENT_BYTES\)$/,
                (c) => {
                    c.settings = { MAX_DOCUMENT_BYTES: "16" };
                },
            );
            assert.strictEqual(r.kube.forwards, 0);
            assert.deepStrictEqual(api.uploads, []);
        });
    });

    describe("failures, each one line that says what is wrong and what to do", () => {
        it("stack not found, and a stack that is not up (no outputs)", async () => {
            await fails(
                ["q"],
                /stack dev not found in the backend/,
                undefined,
                new UserError("stack dev not found in the backend (file:///x/.pulumi-state): deploy it with npm run up -- --stack dev"),
            );
            await fails(["--stack", "prod", "q"], /stack prod has no outputs: it is not up; deploy it with npm run up -- --stack prod$/, undefined, {});
            await fails(["q"], /stack dev exports no API \(outputs namespace and services.api\)/, undefined, { environment: "dev" });
        });

        it("a failed Pulumi CLI run is its error line, not the Automation API's whole dump", async () => {
            const dump = new Error(
                "code: 255\n stdout: \n stderr: error: getting stack dev: could not read the state: permission denied\n\n err?: Error: exited 255\n",
            );
            await fails(["q"], /^rag-platform ask: getting stack dev: could not read the state: permission denied$/, undefined, dump);
        });

        it("no cluster reachable, and no kubectl", async () => {
            await fails(
                ["q"],
                /no reachable Kubernetes cluster in kube context kind-rag \(The connection to the server 127\.0\.0\.1:6443 was refused.*\); start the cluster stack dev was deployed to, or deploy with npm run up -- --stack dev$/,
                (c) => (c.reachable = false),
            );
            await fails(["q"], /kubectl was not found: install it/, (c) => (c.kubectlMissing = true));
        });

        it("the API Service or Deployment missing", async () => {
            await fails(
                ["q"],
                /the API Service rag-api is missing in namespace rag-dev of kube context kind-rag \(stack dev's outputs name it\); redeploy with npm run up -- --stack dev$/,
                (c) => (c.service = null),
            );
            await fails(["q"], /the API Deployment rag-api is missing in namespace rag-dev/, (c) => (c.deployment = null));
        });

        it("no API pod running: names the pods and what holds them", async () => {
            const notRunning = (c: Cluster) => {
                c.deployment.status = { readyReplicas: 0 };
                c.pods = [
                    {
                        metadata: { name: "rag-api-7d9f-abcde" },
                        status: {
                            phase: "Pending",
                            initContainerStatuses: [
                                { name: "migrate", ready: false, state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting" } } },
                            ],
                            containerStatuses: [{ name: "api", ready: false, state: { waiting: { reason: "PodInitializing" } } }],
                        },
                    },
                ];
            };
            const r = await fails(
                ["q"],
                /the API is not Ready in namespace rag-dev: 0\/1 pods ready \(rag-api-7d9f-abcde: init container migrate CrashLoopBackOff \(back-off 40s restarting\)\); see kubectl -n rag-dev describe deployment rag-api$/,
                notRunning,
            );
            assert.strictEqual(r.kube.forwards, 0);
            await fails(["q"], /0\/1 pods ready \(no API pod exists\)/, (c) => (c.deployment.status = {}));
            assert.strictEqual(
                podProblem({
                    metadata: { name: "p" },
                    status: {
                        phase: "Pending",
                        conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes are available: insufficient cpu" }],
                    },
                }),
                "p: not scheduled (Unschedulable: 0/1 nodes are available: insufficient cpu)",
            );
        });

        it("the port-forward fails: kubectl's reason", async () => {
            await fails(
                ["q"],
                /the API is not reachable: kubectl port-forward to service\/rag-api in namespace rag-dev failed \(error: unable to forward port because pod is not running\. Current status=Pending\); see kubectl -n rag-dev get pods$/,
                (c) => (c.forward = new Error("error: unable to forward port because pod is not running. Current status=Pending")),
            );
        });

        it("/ready answers 503: says which dependency is down, and the port-forward is closed", async () => {
            api.ready = {
                status: 503,
                body: {
                    status: "unavailable",
                    checks: { postgresql: "unavailable", redis: "ok", vectorStore: "unavailable" },
                    down: ["postgresql", "vectorStore"],
                },
            };
            const r = await fails(["q"], /the API is not Ready in namespace rag-dev: postgresql, vectorStore unavailable \(GET \/ready answered 503\)$/);
            assert.strictEqual(r.kube.closed, 1);
            api.ready = { status: 503, body: { status: "draining", checks: {} } };
            await fails(["q"], /the API pod is shutting down/);
        });

        it("a running but unready pod is still asked (its /ready names the dependency)", async () => {
            api.ready = { status: 503, body: { status: "unavailable", checks: { redis: "unavailable" }, down: ["redis"] } };
            await fails(["q"], /redis unavailable/, (c) => {
                c.deployment.status = { readyReplicas: 0 };
                c.pods = [
                    {
                        metadata: { name: "rag-api-1" },
                        status: { phase: "Running", containerStatuses: [{ name: "api", ready: false, state: { running: {} } }] },
                    },
                ];
            });
        });

        it("a wrong write key (401)", async () => {
            const r = await fails(
                ["--add", notes],
                /the API refused the write key \(401\): it does not match the signing key of the running API pods \(Secret rag-secrets-1a2b\); if the secrets were just rotated, wait for kubectl -n rag-dev rollout status deployment\/rag-api and retry$/,
                (c) => (c.secret = { API_SIGNING_KEY: Buffer.from("a-different-signing-key").toString("base64") }),
            );
            assert.strictEqual(api.uploads.length, 1);
            assert.strictEqual(r.kube.closed, 1);
        });

        it("the Secret missing or without the key", async () => {
            await fails(
                ["--add", notes],
                /the Secret rag-secrets-1a2b \(the API's API_SIGNING_KEY\) is missing in namespace rag-dev/,
                (c) => (c.secret = null),
            );
            await fails(["--add", notes], /the Secret rag-secrets-1a2b in namespace rag-dev has no key API_SIGNING_KEY/, (c) => (c.secret = {}));
        });

        it("the API's own refusals: too large (413), unsupported (415), bad input", async () => {
            api.uploadReply = { status: 413, body: { error: "document_too_large", message: "the file exceeds 1048576 bytes (MAX_DOCUMENT_BYTES)" } };
            await fails(["--add", notes], /the file is too large for the API: the file exceeds 1048576 bytes/);
            api.uploadReply = { status: 415, body: { error: "unsupported_type", message: 'unsupported file type "x": upload .txt, .md, .html or .json' } };
            await fails(["--add", notes], /unsupported file type: unsupported file type "x"/);
            api.uploadReply = { status: 400, body: { error: "empty_document", message: "the document has no text" } };
            await fails(["--add", notes], /the upload failed \(HTTP 400 empty_document\): the document has no text$/);
        });
    });

    describe("answers and uploads", () => {
        it("asks: prints the answer, the cited documents with their titles and the retrieved chunks", async () => {
            const r = await run(["What", "does", "the", "platform", "deploy?"]);
            assert.strictEqual(r.code, 0, r.err.join("\n"));
            assert.deepStrictEqual(api.questions, [{ question: "What does the platform deploy?" }]);
            assert.deepStrictEqual(r.out, [
                "The platform deploys an API, a frontend and three datastores. [doc:4]",
                "",
                "Citations:",
                "  [doc:4] Platform overview",
                "Sources:",
                "  [doc:4] Platform overview (chunk 0, score 0.8123)",
                "  [doc:9] Operations (chunk 2, score 0.4)",
                "(local-extractive)",
            ]);
            assert.deepStrictEqual(r.err, []);
            assert.strictEqual(r.kube.closed, 1, "the port-forward is closed");
            // asking needs no key: the Secret is not read
            assert.ok(!r.kube.calls.some((a) => a.includes("secret")));
        });

        it("formats an answer without citations", () => {
            assert.deepStrictEqual(
                formatAnswer({ answer: "No indexed document matches this question.", mode: "llm", model: "m", citations: [], sources: [], cached: true }),
                ["No indexed document matches this question.", "", "Citations: none", "(llm, m, cached)"],
            );
        });

        it("adds: uploads the file as multipart with the derived key, prints the document id and chunk count", async () => {
            const r = await run(["--add", notes]);
            assert.strictEqual(r.code, 0, r.err.join("\n"));
            assert.deepStrictEqual(r.out, ['indexed document 7 "notes.md" (upload:notes.md): 3 chunks']);
            assert.strictEqual(api.uploads.length, 1);
            assert.strictEqual(api.uploads[0].authorization, `Bearer ${WRITE_KEY}`);
            assert.match(api.uploads[0].body, /Content-Disposition: form-data; name="file"; filename="notes.md"/i);
            assert.match(api.uploads[0].body, /The platform deploys an API\./);
            api.uploadReply = { status: 200, body: { created: false, document: { id: "7", title: "notes.md", source: "upload:notes.md", chunkCount: 3 } } };
            assert.deepStrictEqual((await run(["--add", notes])).out, ['already indexed, nothing stored: document 7 "notes.md" (upload:notes.md): 3 chunks']);
        });

        it("reads the signing key where the API Deployment reads it (an operator's Secret and key name)", async () => {
            const r = await run(["--add", notes], (c) => {
                c.deployment.spec.template.spec.containers[0].env = [
                    { name: "API_SIGNING_KEY", valueFrom: { secretKeyRef: { name: "my-secret", key: "api.signing" } } },
                ];
                c.secret = { "api\\.signing": Buffer.from(SIGNING).toString("base64") };
            });
            assert.strictEqual(r.code, 0, r.err.join("\n"));
            assert.ok(r.kube.calls.some((a) => a.join(" ") === "-n rag-dev get secret my-secret -o jsonpath={.data.api\\.signing}"));
            assert.strictEqual(jsonpathData("API_SIGNING_KEY"), "jsonpath={.data.API_SIGNING_KEY}");
        });

        it("--how prints how to reach the API without contacting the cluster", async () => {
            const r = await run(["--how"], (c) => (c.reachable = false));
            assert.strictEqual(r.code, 0);
            assert.match(r.out.join("\n"), /port-forward service\/rag-api 8000:80/);
            assert.deepStrictEqual(r.kube.calls, []);
        });
    });

    describe("the write key", () => {
        it("is the app's derivation (app/src/lib/auth.ts): HMAC-SHA256(API_SIGNING_KEY, rag-api-key:v1) in hex", () => {
            // a known vector (openssl dgst -sha256 -hmac local-dev-signing-key-123 <<< -n rag-api-key:v1)
            assert.strictEqual(deriveApiKey("local-dev-signing-key-123"), "c63cb5a48a6177efcd91107c6599f63f25cf3707547959d8bde81ce4c88a8cdb");
            assert.strictEqual(WRITE_KEY, createHmac("sha256", SIGNING).update("rag-api-key:v1").digest("hex"));
        });

        it("never appears, nor the signing key, in anything the runs above printed", () => {
            assert.ok(printed.length > 20, "the runs above printed");
            for (const line of printed) {
                assert.ok(!line.includes(SIGNING), `signing key printed: ${line}`);
                assert.ok(!line.includes(WRITE_KEY), `write key printed: ${line}`);
                assert.ok(!line.includes(Buffer.from(SIGNING).toString("base64")), `encoded signing key printed: ${line}`);
            }
        });
    });
});

// A kubectl stand-in for the real process code: records its arguments, answers `get secret` and
// `config current-context`, and for `port-forward` serves HTTP on a free port and prints kubectl's line.
const FAKE_KUBECTL = `#!/usr/bin/env node
const fs = require("fs"), http = require("http");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_ARGS_LOG, JSON.stringify(args) + "\\n");
if (args.includes("current-context")) { console.log("fake-ctx"); process.exit(0); }
if (args.includes("secret")) { process.stdout.write(Buffer.from(process.env.FAKE_SIGNING_KEY).toString("base64")); process.exit(0); }
if (args.includes("port-forward")) {
  if (process.env.FAKE_PF_FAIL) { console.error("error: unable to forward port because pod is not running. Current status=Pending"); process.exit(1); }
  fs.writeFileSync(process.env.FAKE_PID_FILE, String(process.pid));
  const server = http.createServer((req, res) => { res.writeHead(200, { "content-type": "application/json" }); res.end(JSON.stringify({ via: "fake-forward", headers: req.headers })); });
  server.listen(0, "127.0.0.1", () => {
    const port = server.address().port;
    console.log("Forwarding from 127.0.0.1:" + port + " -> 8000");
    console.log("Forwarding from [::1]:" + port + " -> 8000");
  });
  process.on("SIGTERM", () => process.exit(0));
  return;
}
process.exit(2);
`;

describe("npm run ask: kubectl as a process (scripts/lib/kube.ts, with a fake kubectl)", () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const alive = (pid: number) => {
        try {
            process.kill(pid, 0);
            return true;
        } catch {
            return false;
        }
    };
    const waitGone = async (pid: number) => {
        for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
        return !alive(pid);
    };

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "rag-ask-kubectl-"));
        fs.writeFileSync(path.join(dir, "kubectl"), FAKE_KUBECTL, { mode: 0o755 });
        env = { FAKE_ARGS_LOG: path.join(dir, "args.log"), FAKE_PID_FILE: path.join(dir, "pid"), FAKE_SIGNING_KEY: SIGNING };
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    beforeEach(() => {
        for (const [k, v] of Object.entries(env)) process.env[k] = v;
        delete process.env.FAKE_PF_FAIL;
        fs.rmSync(path.join(dir, "pid"), { force: true });
    });
    afterEach(() => {
        for (const k of [...Object.keys(env), "FAKE_PF_FAIL"]) delete process.env[k];
    });

    it("forwards a free local port on 127.0.0.1 (parsed from kubectl's output) and stops kubectl on close", async () => {
        const kube = await kubectl({ bin: path.join(dir, "kubectl"), context: "kind-rag" });
        assert.strictEqual(kube.context, "kind-rag");
        const pf = await kube.portForward("rag-dev", "rag-api", 80);
        const res = await fetch(`http://127.0.0.1:${pf.port}/ready`);
        assert.strictEqual(((await res.json()) as { via: string }).via, "fake-forward");
        const pid = Number(fs.readFileSync(path.join(dir, "pid"), "utf8"));
        assert.ok(alive(pid));
        pf.close();
        assert.ok(await waitGone(pid), "kubectl port-forward still running after close()");
        const calls = fs
            .readFileSync(path.join(dir, "args.log"), "utf8")
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l));
        assert.deepStrictEqual(calls[calls.length - 1], [
            "--context",
            "kind-rag",
            "-n",
            "rag-dev",
            "port-forward",
            "service/rag-api",
            ":80",
            "--address",
            "127.0.0.1",
            "--pod-running-timeout=20s",
        ]);
    });

    it("rejects with kubectl's error line when the port-forward cannot start", async () => {
        process.env.FAKE_PF_FAIL = "1";
        const kube = await kubectl({ bin: path.join(dir, "kubectl") });
        assert.strictEqual(kube.context, "fake-ctx");
        await assert.rejects(
            kube.portForward("rag-dev", "rag-api", 80),
            /^Error: error: unable to forward port because pod is not running\. Current status=Pending$/,
        );
        const missing = await kubectl({ bin: path.join(dir, "no-kubectl") });
        assert.strictEqual(missing.context, "(none)");
        assert.strictEqual((await missing.run(["version"])).code, 127);
        await assert.rejects(missing.portForward("rag-dev", "rag-api", 80), /no-kubectl: command not found/);
    });

    it("reads a Secret's value into memory only: the value is on no command line and reaches no terminal", async () => {
        const kube = await kubectl({ bin: path.join(dir, "kubectl") });
        const r = await kube.run(["-n", "rag-dev", "get", "secret", "s", "-o", jsonpathData("API_SIGNING_KEY")]);
        assert.strictEqual(Buffer.from(r.stdout, "base64").toString(), SIGNING);
        assert.ok(!fs.readFileSync(path.join(dir, "args.log"), "utf8").includes(SIGNING));
    });

    it("stops the port-forward when the process gets Ctrl-C (SIGINT), exiting 130", async () => {
        const script = [
            `const { kubectl } = require(${JSON.stringify(path.join(__dirname, "..", "scripts", "lib", "kube"))});`,
            `kubectl({ bin: ${JSON.stringify(path.join(dir, "kubectl"))} }).then((k) => k.portForward("rag-dev", "rag-api", 80)).then((pf) => { console.log("ready " + pf.port); setInterval(() => {}, 1000); });`,
        ].join("\n");
        const child: ChildProcess = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
            cwd: path.join(__dirname, ".."),
            env: { ...process.env },
            stdio: ["ignore", "pipe", "inherit"],
        });
        await new Promise<void>((resolve, reject) => {
            child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready ") && resolve());
            child.on("exit", (code) => reject(new Error(`exited ${code} before forwarding`)));
        });
        const pid = Number(fs.readFileSync(path.join(dir, "pid"), "utf8"));
        const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
        child.kill("SIGINT");
        assert.strictEqual(await exited, 130);
        assert.ok(await waitGone(pid), "kubectl port-forward outlived Ctrl-C");
    });
});

describe("how to reach it (scripts/lib/reach.ts)", () => {
    const lines = reachInstructions({ stack: "dev", namespace: "rag-dev", service: "rag-api", secretName: "rag-secrets-1a2b" });
    const text = lines.join("\n");

    it("gives npm run ask, a port-forward command and an example request", () => {
        assert.match(text, /npm run ask -- "What does the platform deploy\?"/);
        assert.match(text, /kubectl -n rag-dev port-forward service\/rag-api 8000:80 .*http:\/\/127\.0\.0\.1:8000/);
        assert.match(
            text,
            /curl -sS http:\/\/127\.0\.0\.1:8000\/v1\/query -H 'content-type: application\/json' -d '\{"question":"What does the platform deploy\?"\}'/,
        );
        assert.doesNotMatch(text, /NodePort/);
    });

    it("names the stack, its pinned context and the localAccess NodePort when there is one", () => {
        const prod = reachInstructions({ stack: "prod", namespace: "rag-prod", service: "rag-api", context: "prod-cluster", apiNodePort: 30080 }).join("\n");
        assert.match(prod, /npm run ask -- --stack prod "/);
        assert.match(prod, /kubectl --context 'prod-cluster' -n rag-prod port-forward/);
        assert.match(prod, /http:\/\/<node address>:30080 .*localAccess NodePort/);
        assert.doesNotMatch(prod, /RAG_API_KEY/, "no Secret named: no key instructions");
    });

    it("reads the stack's outputs and config (dev: no NodePort)", () => {
        const dev = reachFromOutputs("dev", OUTPUTS).join("\n");
        assert.match(dev, /namespace rag-dev, Service rag-api/);
        assert.match(dev, /get secret rag-secrets-1a2b -o 'jsonpath=\{\.data\.API_SIGNING_KEY\}'/);
        assert.doesNotMatch(dev, /NodePort/);
    });

    it("its key pipeline derives the app's key into RAG_API_KEY, and its upload example sends it, with no secret on a command line", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rag-reach-"));
        try {
            fs.writeFileSync(path.join(dir, "kubectl"), FAKE_KUBECTL, { mode: 0o755 });
            fs.writeFileSync(path.join(dir, "notes.md"), "# notes\n");
            const received: http.IncomingHttpHeaders[] = [];
            const server = http.createServer((req, res) => {
                received.push(req.headers);
                req.resume();
                req.on("end", () => res.end("{}"));
            });
            await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
            const port = (server.address() as AddressInfo).port;
            const start = lines.findIndex((l) => l.includes("export RAG_API_KEY"));
            const keyCommand = `${lines[start]}\n${lines[start + 1]}`;
            const upload = lines.find((l) => l.includes("/v1/documents"))!.replace("127.0.0.1:8000", `127.0.0.1:${port}`);
            const script = `set -euo pipefail\n${keyCommand}\nprintf %s "$RAG_API_KEY" > key.out\n${upload} >/dev/null\n`;
            const env = {
                ...process.env,
                PATH: `${dir}${path.delimiter}${process.env.PATH}`,
                FAKE_ARGS_LOG: path.join(dir, "args.log"),
                FAKE_SIGNING_KEY: SIGNING,
            };
            const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
                const child = spawn("bash", ["-c", script], { cwd: dir, env });
                let stdout = "";
                let stderr = "";
                child.stdout.on("data", (d) => (stdout += d));
                child.stderr.on("data", (d) => (stderr += d));
                child.on("close", (code) => resolve({ code, stdout, stderr }));
            });
            server.close();
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(fs.readFileSync(path.join(dir, "key.out"), "utf8"), WRITE_KEY);
            assert.strictEqual(r.stdout + r.stderr, "", "nothing printed");
            assert.strictEqual(received[0]?.authorization, `Bearer ${WRITE_KEY}`);
            assert.ok(!fs.readFileSync(path.join(dir, "args.log"), "utf8").includes(SIGNING));
            // the key is never an argument of a command the instructions run (only of bash builtins: export, printf)
            assert.ok(!/curl[^\n]*\$RAG_API_KEY"?\s/.test(upload.replace(/@<\(printf [^)]*\)/, "")));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
