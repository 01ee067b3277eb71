// kubectl for the operator's scripts: commands whose output stays in memory (a Secret's value never reaches a
// terminal, a log or another process's command line) and `kubectl port-forward` to a Service through the
// Kubernetes API (no NodePort, no ingress), stopped when the script ends, also on Ctrl-C.
import { spawn } from "child_process";
import { lastLine } from "./stack";

export interface KubectlResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface PortForward {
    /** The local port on 127.0.0.1 that reaches the Service. */
    port: number;
    close(): void;
}

/** What the scripts need of a cluster; tests pass fakes. */
export interface Kube {
    /** The kube context the commands go to (for messages). */
    readonly context: string;
    /** kubectl ARGS with stdout and stderr captured in memory (arguments never carry a secret). */
    run(args: string[]): Promise<KubectlResult>;
    /** Forwards a free local port on 127.0.0.1 to `service`:`port`; rejects with kubectl's reason when it cannot. */
    portForward(namespace: string, service: string, port: number): Promise<PortForward>;
}

export interface KubectlOptions {
    /** The kube context (a stack's pinned kubeContext); empty: the current one. */
    context?: string;
    /** The kubectl binary. @default "kubectl" */
    bin?: string;
    /** How long a port-forward may take to start (kubectl waits up to 20 s for a running pod). @default 30000 */
    forwardTimeoutMs?: number;
}

const FORWARDING = /Forwarding from 127\.0\.0\.1:(\d+) ->/;

/** The current context's name, or "" when there is none (no kubeconfig, no current-context). */
export async function currentContext(bin = "kubectl"): Promise<string> {
    const r = await runProcess(bin, ["config", "current-context"], 10_000);
    return r.code === 0 ? r.stdout.trim() : "";
}

export async function kubectl(opts: KubectlOptions = {}): Promise<Kube> {
    const bin = opts.bin ?? "kubectl";
    const pinned = opts.context ? ["--context", opts.context] : [];
    const context = opts.context || (await currentContext(bin)) || "(none)";
    return {
        context,
        run: (args) => runProcess(bin, [...pinned, ...args], 30_000),
        portForward: (namespace, service, port) => startPortForward(bin, [...pinned, "-n", namespace], service, port, opts.forwardTimeoutMs ?? 30_000),
    };
}

function runProcess(bin: string, args: string[], timeoutMs: number): Promise<KubectlResult> {
    return new Promise((resolve) => {
        const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (d: Buffer) => out.push(d));
        child.stderr.on("data", (d: Buffer) => err.push(d));
        child.on("error", (e: NodeJS.ErrnoException) =>
            resolve({ code: 127, stdout: "", stderr: e.code === "ENOENT" ? `${bin}: command not found` : e.message }),
        );
        child.on("close", (code, signal) =>
            resolve({
                code: code ?? 1,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8") + (signal ? `\n${bin} ${args.join(" ")}: stopped (${signal}) after ${timeoutMs} ms` : ""),
            }),
        );
    });
}

// Every port-forward still open is stopped when the process ends, on Ctrl-C and on SIGTERM too.
const open = new Set<() => void>();
let handlersInstalled = false;
function stopAll(): void {
    for (const stop of [...open]) stop();
}
function installHandlers(): void {
    if (handlersInstalled) return;
    handlersInstalled = true;
    process.on("exit", stopAll);
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        process.once(signal, () => {
            stopAll();
            // the conventional exit status of a process ended by a signal
            process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]);
        });
    }
}

function startPortForward(bin: string, prefix: string[], service: string, port: number, timeoutMs: number): Promise<PortForward> {
    installHandlers();
    // :PORT = a free local port, which kubectl reports; 127.0.0.1 only (never every interface)
    const args = [...prefix, "port-forward", `service/${service}`, `:${port}`, "--address", "127.0.0.1", "--pod-running-timeout=20s"];
    return new Promise((resolve, reject) => {
        const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let settled = false;
        const stop = () => {
            open.delete(stop);
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        };
        open.add(stop);
        const fail = (reason: string) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            stop();
            reject(new Error(reason));
        };
        const timer = setTimeout(
            () => fail(`kubectl port-forward did not start within ${timeoutMs / 1000} s${stderr ? `: ${lastLine(stderr)}` : ""}`),
            timeoutMs,
        );
        child.stdout.on("data", (d: Buffer) => {
            stdout += d.toString("utf8");
            const m = FORWARDING.exec(stdout);
            if (m && !settled) {
                settled = true;
                clearTimeout(timer);
                // Past this point kubectl prints "Handling connection for ..." per request: keep draining it.
                stdout = "";
                resolve({ port: Number(m[1]), close: stop });
            }
            if (settled) stdout = "";
        });
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        child.on("error", (e: NodeJS.ErrnoException) => fail(e.code === "ENOENT" ? `${bin}: command not found` : e.message));
        child.on("close", (code) => {
            open.delete(stop);
            fail(lastLine(stderr) || `kubectl port-forward exited with status ${code}`);
        });
    });
}
