// The driver's command line and its output (the e2e drivers' protocol): `ok   - browser: ...` /
// `FAIL - browser: ...` per check, `# ...` notes, `time\t<label>\t<s>`, `summary\t<passed>\t<failed>`; exit 1
// when a check failed, 2 on bad usage. See chat.ts for the options.
import { readFileSync } from "node:fs";

export interface ChatOptions {
    url: string;
    api?: string;
    key: string;
    artifacts: string;
    chromium?: string;
    /** leave the uploaded document in place (default: delete it at the end) */
    keep?: boolean;
    /** each wait on the page, ms (default 30 s) */
    timeoutMs?: number;
    /** where the lines go (default console.log) */
    print?: (line: string) => void;
}

export interface ChatResult {
    passed: number;
    failed: string[];
    screenshots: string[];
    answerSeconds?: number;
}

/** Where the checks report: one line per check, counted in `result`. */
export interface Report {
    result: ChatResult;
    print: (line: string) => void;
    ok: (msg: string) => void;
    fail: (msg: string) => void;
    /** a `time\t<label>\t<seconds>` line */
    time: (label: string, seconds: number) => void;
}

export function reporter(print: (line: string) => void): Report {
    const result: ChatResult = { passed: 0, failed: [], screenshots: [] };
    return {
        result,
        print,
        ok: (msg) => {
            result.passed++;
            print(`ok   - browser: ${msg}`);
        },
        fail: (msg) => {
            result.failed.push(msg);
            print(`FAIL - browser: ${msg}`);
        },
        time: (label, seconds) => print(`time\t${label}\t${seconds.toFixed(2)}`),
    };
}

/** The run's last line. */
export const summaryLine = (r: ChatResult) => `summary\t${r.passed}\t${r.failed.length}`;

function usage(msg: string): never {
    process.stderr.write(
        `chat.ts: ${msg}\nusage: RAG_API_KEY=<key> chat.ts --url <frontend> [--api <api>] --artifacts <dir> [--key-file <file>] [--chromium <path>] [--keep] [--timeout-ms <ms>]\n`,
    );
    process.exit(2);
}

/** The options from the command line; the key from --key-file or `env.RAG_API_KEY`. Bad usage exits 2. */
export function parseArgs(args: string[], env: NodeJS.ProcessEnv): ChatOptions {
    const opt: Record<string, string | true> = {};
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (!a.startsWith("--")) usage(`unexpected argument ${a}`);
        const name = a.slice(2);
        if (name === "keep") opt.keep = true;
        else if (["url", "api", "artifacts", "key-file", "chromium", "timeout-ms"].includes(name) && i + 1 < args.length) opt[name] = args[++i];
        else usage(`unknown or incomplete option ${a}`);
    }
    if (typeof opt.url !== "string" || typeof opt.artifacts !== "string") usage("--url and --artifacts are required");
    const key = typeof opt["key-file"] === "string" ? readFileSync(opt["key-file"], "utf8").trim() : (env.RAG_API_KEY ?? "").trim();
    if (!key) usage("the write key: set RAG_API_KEY or pass --key-file");
    return {
        url: opt.url,
        api: typeof opt.api === "string" ? opt.api : undefined,
        key,
        artifacts: opt.artifacts,
        chromium: typeof opt.chromium === "string" ? opt.chromium : undefined,
        keep: opt.keep === true,
        timeoutMs: typeof opt["timeout-ms"] === "string" ? Number(opt["timeout-ms"]) : undefined,
    };
}
