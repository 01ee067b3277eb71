// `npm run ask` (ts-node --transpile-only scripts/ask.ts): talk to a deployed stack's API from this machine.
//   npm run ask -- [--stack dev] "question"     the answer and its citations
//   npm run ask -- [--stack dev] --add FILE     upload a document (.txt, .md, .html, .json): its id and chunk count
//   npm run ask -- [--stack dev] --how          how to reach the API yourself (port-forward, key, example request)
// The stack's outputs (through the Automation API, as npm run up finds the stack) name the namespace, the API
// Service and the Secret; `kubectl port-forward` reaches the Service through the Kubernetes API (no NodePort, no
// ingress) and is stopped on exit and on Ctrl-C. For uploads the write key is derived in memory from the
// Secret's API_SIGNING_KEY: it is never printed, logged or passed on a command line. Every failure is one line.
import * as fs from "fs";
import * as path from "path";
import { SUPPORTED_EXTENSIONS } from "../app/src/lib/documents";
import { ClusterApi, apiFromOutputs, checkCluster, findApi, readWriteKey } from "./lib/api-access";
import { Kube, kubectl } from "./lib/kube";
import { reachFromOutputs } from "./lib/reach";
import { cliErrorLine, pinnedKubeContext, readStackOutputs, UserError } from "./lib/stack";

const USAGE = 'usage: npm run ask -- [--stack NAME] "question" | --add FILE | --how';
/** The app's own ceiling for MAX_DOCUMENT_BYTES (app/src/lib/contract.ts): larger never uploads. */
const MAX_UPLOAD_BYTES = 104_857_600;
const EXAMPLE = 'npm run ask -- "What does the platform deploy?"';

export type AskArgs = { stack: string } & ({ mode: "ask"; question: string } | { mode: "add"; file: string } | { mode: "how" });

export function parseAskArgs(argv: string[]): AskArgs {
    let stack = "dev";
    let file: string | undefined;
    let how = false;
    const words: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--") {
            words.push(...argv.slice(i + 1));
            break;
        } else if (a === "--stack" || a === "-s") {
            if (i + 1 >= argv.length) throw new UserError(`${a} needs a stack name; ${USAGE}`);
            stack = argv[++i];
        } else if (a.startsWith("--stack=") || a.startsWith("-s=")) {
            stack = a.slice(a.indexOf("=") + 1);
        } else if (a === "--add") {
            if (i + 1 >= argv.length) throw new UserError(`--add needs a file; ${USAGE}`);
            if (file !== undefined) throw new UserError(`one --add FILE at a time; ${USAGE}`);
            file = argv[++i];
        } else if (a.startsWith("--add=")) {
            if (file !== undefined) throw new UserError(`one --add FILE at a time; ${USAGE}`);
            file = a.slice("--add=".length);
        } else if (a === "--how") {
            how = true;
        } else if (a === "-h" || a === "--help") {
            throw new UserError(USAGE);
        } else if (a.startsWith("-") && a.length > 1 && words.length === 0) {
            throw new UserError(`unknown option ${a} (a question starting with "-" goes after --); ${USAGE}`);
        } else {
            words.push(a);
        }
    }
    if (!stack) throw new UserError(`the stack name is empty; ${USAGE}`);
    const question = words.join(" ").trim();
    if ([file !== undefined, how, question !== ""].filter(Boolean).length > 1) {
        throw new UserError(`ask a question, --add a file or --how, one at a time; ${USAGE}`);
    }
    if (how) return { stack, mode: "how" };
    if (file !== undefined) {
        if (!file) throw new UserError(`--add needs a file; ${USAGE}`);
        return { stack, mode: "add", file };
    }
    if (!question) throw new UserError(`the question is empty: ${EXAMPLE}`);
    return { stack, mode: "ask", question };
}

export interface Upload {
    name: string;
    bytes: Buffer;
    contentType: string;
}

/** The file to upload, checked here first: it exists, is not empty, has a type the API takes, fits the limit. */
export function readUpload(file: string, limit = MAX_UPLOAD_BYTES): Upload {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(file);
    } catch {
        throw new UserError(`no such file: ${file}`);
    }
    if (!stat.isFile()) throw new UserError(`not a file: ${file}`);
    const ext = path.extname(file).toLowerCase();
    const contentType = SUPPORTED_EXTENSIONS[ext];
    if (!contentType) {
        throw new UserError(
            `unsupported file type ${ext ? `"${ext}"` : "(no extension)"}: ${file}; the API takes ${Object.keys(SUPPORTED_EXTENSIONS).join(", ")}`,
        );
    }
    if (stat.size === 0) throw new UserError(`the file is empty: ${file}`);
    if (stat.size > limit) throw new UserError(`the file is too large: ${file} is ${stat.size} bytes, the API takes at most ${limit} (MAX_DOCUMENT_BYTES)`);
    return { name: path.basename(file), bytes: fs.readFileSync(file), contentType };
}

interface Reply {
    status: number;
    body: any;
}

async function request(base: string, route: string, init: RequestInit = {}): Promise<Reply> {
    let res: Response;
    try {
        res = await fetch(`${base}${route}`, { ...init, signal: AbortSignal.timeout(130_000) });
    } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new UserError(`no answer from the API through the port-forward (${route}): ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    let body: any = text;
    try {
        body = JSON.parse(text);
    } catch {
        // not JSON: keep the text
    }
    return { status: res.status, body };
}

const apiMessage = (r: Reply) => (typeof r.body === "object" && r.body?.message ? String(r.body.message) : String(r.body).slice(0, 200) || `HTTP ${r.status}`);

/**
 * GET /ready: 200 (a degraded API, a datastore down, is still asked: it answers what it can, and the note names
 * what is down), or a one-line reason.
 */
export async function checkReady(base: string, api: ClusterApi): Promise<void> {
    const r = await request(base, "/ready");
    if (r.status === 200) {
        if (Array.isArray(r.body?.down) && r.body.down.length) console.error(`note: the API reports ${r.body.down.join(", ")} unavailable`);
        return;
    }
    const down: string[] = Array.isArray(r.body?.down) ? r.body.down : Object.keys(r.body?.checks ?? {}).filter((k) => r.body.checks[k] !== "ok");
    const why =
        r.body?.status === "draining" ? "the API pod is shutting down (retry in a moment)" : down.length ? `${down.join(", ")} unavailable` : apiMessage(r);
    throw new UserError(`the API is not Ready in namespace ${api.namespace}: ${why} (GET /ready answered ${r.status})`);
}

/** The answer, then each cited document (id, title) and the retrieved chunks (document, chunk, score). */
export function formatAnswer(body: any): string[] {
    const sources: any[] = Array.isArray(body?.sources) ? body.sources : [];
    const citations: string[] = Array.isArray(body?.citations) ? body.citations.map(String) : [];
    const title = (id: string) => sources.find((s) => String(s?.documentId) === id)?.title;
    const lines = [String(body?.answer ?? "").trim() || "(no answer)", ""];
    lines.push(citations.length ? "Citations:" : "Citations: none");
    for (const id of citations) lines.push(`  [doc:${id}]${title(id) ? ` ${title(id)}` : ""}`);
    if (sources.length) {
        lines.push("Sources:");
        for (const s of sources) lines.push(`  [doc:${s?.documentId}] ${s?.title ?? ""} (chunk ${s?.chunkIndex}, score ${s?.score})`);
    }
    const how = [body?.mode, body?.model, body?.cached ? "cached" : undefined].filter(Boolean).join(", ");
    if (how) lines.push(`(${how})`);
    return lines;
}

export function formatUpload(status: number, body: any): string[] {
    const d = body?.document ?? {};
    const what = `document ${d.id} "${d.title ?? ""}" (${d.source ?? "upload"}): ${d.chunkCount} chunks`;
    return [status === 201 || body?.created ? `indexed ${what}` : `already indexed, nothing stored: ${what}`];
}

function failure(r: Reply, api: ClusterApi, what: string): UserError {
    const msg = apiMessage(r);
    switch (r.status) {
        case 401:
            return new UserError(
                `the API refused the write key (401): it does not match the signing key of the running API pods (Secret ${api.signingKey.secret}); if the secrets were just rotated, wait for kubectl -n ${api.namespace} rollout status deployment/${api.service} and retry`,
            );
        case 413:
            return new UserError(`the file is too large for the API: ${msg}`);
        case 415:
            return new UserError(`unsupported file type: ${msg}`);
        case 502:
            return new UserError(`the model endpoint failed: ${msg}`);
        case 503:
            return new UserError(`the API is not Ready in namespace ${api.namespace}: ${msg}`);
        default:
            return new UserError(`${what} failed (HTTP ${r.status}${typeof r.body === "object" && r.body?.error ? ` ${r.body.error}` : ""}): ${msg}`);
    }
}

export interface AskDeps {
    /** The stack's outputs (UserError when the stack does not exist). */
    outputs(stack: string): Promise<Record<string, unknown>>;
    /** kubectl for the stack (its pinned kube context, else the current one). */
    kube(stack: string): Promise<Kube>;
    /** The "how to reach it" lines. @default reachFromOutputs */
    reach?(stack: string, outputs: Record<string, unknown>): string[];
}

export interface Io {
    out(line: string): void;
    err(line: string): void;
}

/** One `npm run ask` run; the exit status (0, or 1 with one line on stderr). */
export async function runAsk(argv: string[], deps: AskDeps, io: Io): Promise<number> {
    try {
        const args = parseAskArgs(argv);
        // local checks first: nothing to reach for a missing or unusable file
        let upload = args.mode === "add" ? readUpload(args.file) : undefined;
        const outputs = await deps.outputs(args.stack);
        if (args.mode === "how") {
            (deps.reach ?? reachFromOutputs)(args.stack, outputs).forEach((l) => io.out(l));
            return 0;
        }
        const stackApi = apiFromOutputs(args.stack, outputs);
        const kube = await deps.kube(args.stack);
        await checkCluster(kube, args.stack);
        const api = await findApi(kube, stackApi);
        let key: string | undefined;
        if (args.mode === "add") {
            if (api.maxDocumentBytes) upload = readUpload(args.file, api.maxDocumentBytes);
            key = await readWriteKey(kube, api);
        }
        let forward;
        try {
            forward = await kube.portForward(api.namespace, api.service, api.port);
        } catch (err) {
            throw new UserError(
                `the API is not reachable: kubectl port-forward to service/${api.service} in namespace ${api.namespace} failed (${(err as Error).message}); see kubectl -n ${api.namespace} get pods`,
            );
        }
        try {
            const base = `http://127.0.0.1:${forward.port}`;
            await checkReady(base, api);
            if (args.mode === "ask") {
                const r = await request(base, "/v1/query", {
                    method: "POST",
                    headers: { "content-type": "application/json" },
                    body: JSON.stringify({ question: args.question }),
                });
                if (r.status !== 200) throw failure(r, api, "the question");
                formatAnswer(r.body).forEach((l) => io.out(l));
            } else {
                const form = new FormData();
                form.append("file", new Blob([upload!.bytes], { type: upload!.contentType }), upload!.name);
                const r = await request(base, "/v1/documents", { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
                if (r.status !== 200 && r.status !== 201) throw failure(r, api, "the upload");
                formatUpload(r.status, r.body).forEach((l) => io.out(l));
            }
        } finally {
            forward.close();
        }
        return 0;
    } catch (err) {
        // One line, never a stack trace; no message here carries a secret (keys are only in request headers).
        io.err(`rag-platform ask: ${err instanceof UserError ? err.message : cliErrorLine(err instanceof Error ? err.message : String(err))}`);
        return 1;
    }
}

if (require.main === module) {
    const io: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };
    runAsk(
        process.argv.slice(2),
        {
            outputs: (stack) => readStackOutputs(stack, (m) => io.err(`rag-platform: ${m}`)),
            kube: (stack) => kubectl({ context: pinnedKubeContext(stack) }),
        },
        io,
    ).then((code) => (process.exitCode = code));
}
