// "How to reach it": what an operator types to reach a deployed stack's API from their machine, printed after
// `npm run up` and by `npm run ask -- --how`. The write key is only ever put into an environment variable by a
// pipeline (kubectl | node), never printed, never on a command line.
import { parseConfig } from "../../components/config";
import { readRawConfig } from "../stack-config";
import { apiFromOutputs, SIGNING_KEY } from "./api-access";

export interface ReachArgs {
    stack: string;
    namespace: string;
    /** The API Service's name. */
    service: string;
    /** The Service's port. @default 80 (components/web-service.ts) */
    servicePort?: number;
    /** The Secret holding API_SIGNING_KEY, and its key there. */
    secretName?: string;
    secretKey?: string;
    /** The stack's pinned kube context, if any. */
    context?: string;
    /** localAccess: the API's NodePort, when the stack exposes one. */
    apiNodePort?: number;
    /** The chat page: the platform's URL (an Ingress), else the frontend Service to port-forward to. */
    url?: string;
    frontendService?: string;
}

/** Single-quoted for a POSIX shell. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The lines to print (no secret in them: they say how to fetch the key, not the key). */
export function reachInstructions(a: ReachArgs): string[] {
    const k = `kubectl${a.context ? ` --context ${sq(a.context)}` : ""} -n ${a.namespace}`;
    const stackFlag = a.stack === "dev" ? "" : ` --stack ${a.stack}`;
    const local = 8000;
    const lines = [
        `The API of stack ${a.stack} (namespace ${a.namespace}, Service ${a.service}):`,
        `  npm run ask --${stackFlag} "What does the platform deploy?"     # port-forward through the Kubernetes API, answer with citations`,
        `  npm run ask --${stackFlag} --add notes.md                       # upload a document (.txt, .md, .html, .json)`,
        `  ${k} port-forward service/${a.service} ${local}:${a.servicePort ?? 80}    # or keep a port-forward open: http://127.0.0.1:${local}`,
    ];
    if (a.apiNodePort) {
        lines.push(`  http://<node address>:${a.apiNodePort}    # localAccess NodePort (kubectl get nodes -o wide lists the addresses)`);
    }
    if (a.url) {
        lines.push(`The chat page: ${a.url}`);
    } else if (a.frontendService) {
        // no Ingress: the frontend forwards the page's API calls itself (API_UPSTREAM)
        lines.push(
            `The chat page (no Ingress: the frontend forwards /api itself):`,
            `  ${k} port-forward service/${a.frontendService} 8080:80    # then open http://127.0.0.1:8080`,
        );
    }
    if (a.secretName) {
        lines.push(
            `The write key (for uploads; HMAC-SHA256 of the Secret's ${SIGNING_KEY}), into a variable without printing it:`,
            `  export RAG_API_KEY=$(${k} get secret ${a.secretName} -o ${sq(`jsonpath={.data.${(a.secretKey ?? SIGNING_KEY).replace(/\./g, "\\.")}}`)} | base64 -d | \\`,
            `      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(require("crypto").createHmac("sha256",s).update("rag-api-key:v1").digest("hex")))')`,
        );
    }
    lines.push(
        "Example requests (with the port-forward above):",
        `  curl -sS http://127.0.0.1:${local}/v1/query -H 'content-type: application/json' -d '{"question":"What does the platform deploy?"}'`,
    );
    if (a.secretName) {
        // the header from a file descriptor: the key stays out of curl's command line
        lines.push(`  curl -sS http://127.0.0.1:${local}/v1/documents -H @<(printf 'Authorization: Bearer %s\\n' "$RAG_API_KEY") -F file=@notes.md`);
    }
    return lines;
}

/** The instructions for a deployed stack: its outputs (as `pulumi stack output` gives them) and its config (localAccess, kubeContext). */
export function reachFromOutputs(stack: string, outputs: Record<string, unknown>, root?: string): string[] {
    const api = apiFromOutputs(stack, outputs);
    let apiNodePort: number | undefined;
    let context: string | undefined;
    let secretKey: string | undefined;
    try {
        const config = parseConfig(stack, readRawConfig(stack, root));
        apiNodePort = config.localAccess.enabled ? config.localAccess.apiNodePort : undefined;
        context = config.kubeContext || undefined;
        secretKey = config.secrets.existingSecret?.keys?.[SIGNING_KEY];
    } catch {
        // a stack file that no longer validates: the port-forward still works
    }
    const url = typeof outputs.url === "string" && outputs.url ? outputs.url : undefined;
    const frontend = (outputs.services as Record<string, unknown> | undefined)?.frontend;
    const frontendService = typeof frontend === "string" ? frontend.split(".")[0] : undefined;
    return reachInstructions({
        stack,
        namespace: api.namespace,
        service: api.service,
        secretName: api.secretName,
        secretKey,
        apiNodePort,
        context,
        url,
        frontendService,
    });
}
