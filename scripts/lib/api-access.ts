// Where a stack's API is and how to talk to it from the operator's machine: the namespace, Service and Secret
// from the stack's outputs, the Service's port and the pods' state from the cluster, the write key derived
// from the Secret's API_SIGNING_KEY in memory (never printed, logged or put on a command line).
import { deriveApiKey } from "../../app/src/lib/auth";
import type { Kube } from "./kube";
import { lastLine, UserError } from "./stack";

/** The API's signing key's name in the platform Secret (components/secrets.ts SECRET_KEYS.apiSigningKey). */
export const SIGNING_KEY = "API_SIGNING_KEY";

/** What the stack's outputs say about its API. */
export interface StackApi {
    stack: string;
    namespace: string;
    /** The API Service's (and Deployment's) name. */
    service: string;
    /** The platform Secret's name (where the signing key is unless the Deployment says otherwise). */
    secretName?: string;
}

/** The API as found in the cluster. */
export interface ClusterApi extends StackApi {
    port: number;
    /** Where the API pods read API_SIGNING_KEY from. */
    signingKey: { secret: string; key: string };
    /** The largest document the API accepts (its MAX_DOCUMENT_BYTES), when the cluster says. */
    maxDocumentBytes?: number;
}

const upHint = (stack: string) => `npm run up -- --stack ${stack}`;

/** The API's coordinates from a stack's outputs (`namespace`, `services.api` = <service>.<namespace>.svc.cluster.local, `secretName`). */
export function apiFromOutputs(stack: string, outputs: Record<string, unknown>): StackApi {
    if (Object.keys(outputs).length === 0) {
        throw new UserError(`stack ${stack} has no outputs: it is not up; deploy it with ${upHint(stack)}`);
    }
    const namespace = outputs.namespace;
    const services = outputs.services as Record<string, unknown> | undefined;
    const dns = services && typeof services === "object" ? services.api : undefined;
    if (typeof namespace !== "string" || !namespace || typeof dns !== "string" || !dns) {
        throw new UserError(`stack ${stack} exports no API (outputs namespace and services.api): it is not up to date; run ${upHint(stack)}`);
    }
    const secretName = typeof outputs.secretName === "string" && outputs.secretName ? outputs.secretName : undefined;
    return { stack, namespace, service: dns.split(".")[0], secretName };
}

async function getJson(kube: Kube, args: string[]): Promise<{ found: true; value: any } | { found: false; error: string; notFound: boolean }> {
    const r = await kube.run([...args, "-o", "json"]);
    if (r.code === 0) {
        try {
            return { found: true, value: JSON.parse(r.stdout) };
        } catch {
            return { found: false, error: `kubectl ${args.join(" ")}: unreadable output`, notFound: false };
        }
    }
    return { found: false, error: lastLine(r.stderr) || `kubectl exited with status ${r.code}`, notFound: /NotFound|not found/.test(r.stderr) };
}

/** The cluster answers (kube context reachable), or a one-line reason. */
export async function checkCluster(kube: Kube, stack: string): Promise<void> {
    const r = await kube.run(["--request-timeout=5s", "get", "--raw=/version"]);
    if (r.code === 127) {
        throw new UserError(`kubectl was not found: install it (https://kubernetes.io/docs/tasks/tools/) to reach stack ${stack}'s cluster`);
    }
    if (r.code !== 0) {
        throw new UserError(
            `no reachable Kubernetes cluster in kube context ${kube.context} (${lastLine(r.stderr) || `kubectl exited with status ${r.code}`}); start the cluster stack ${stack} was deployed to, or deploy with ${upHint(stack)}`,
        );
    }
}

/** A pod's state in a few words: the first container (init containers first) that is not running and ready. */
export function podProblem(pod: any): string {
    const name = pod?.metadata?.name ?? "pod";
    const phase = pod?.status?.phase ?? "Unknown";
    const describe = (kind: string, s: any): string | undefined => {
        const waiting = s?.state?.waiting;
        const terminated = s?.state?.terminated ?? s?.lastState?.terminated;
        if (waiting) return `${kind} ${s.name} ${waiting.reason ?? "waiting"}${waiting.message ? ` (${String(waiting.message).slice(0, 160)})` : ""}`;
        if (kind === "init container" && s?.state?.terminated && s.state.terminated.exitCode !== 0) {
            return `${kind} ${s.name} exited ${s.state.terminated.exitCode}`;
        }
        if (kind === "container" && !s?.ready)
            return `container ${s?.name} not ready${terminated ? ` (last exit ${terminated.exitCode} ${terminated.reason ?? ""})`.trimEnd() : ""}`;
        return undefined;
    };
    for (const s of pod?.status?.initContainerStatuses ?? []) {
        if (s?.state?.terminated?.exitCode === 0) continue;
        const d = describe("init container", s);
        if (d) return `${name}: ${d}`;
    }
    for (const s of pod?.status?.containerStatuses ?? []) {
        const d = describe("container", s);
        if (d) return `${name}: ${d}`;
    }
    const unscheduled = (pod?.status?.conditions ?? []).find((c: any) => c?.type === "PodScheduled" && c?.status === "False");
    if (unscheduled)
        return `${name}: not scheduled (${unscheduled.reason ?? ""}${unscheduled.message ? `: ${String(unscheduled.message).slice(0, 160)}` : ""})`;
    return `${name}: ${phase}`;
}

/**
 * The API Service, its port, its pods' state and where its signing key is. Fails with one line when the Service
 * or Deployment is missing or when no API pod is running (naming what is wrong with them).
 */
export async function findApi(kube: Kube, api: StackApi): Promise<ClusterApi> {
    const { stack, namespace, service } = api;
    const svc = await getJson(kube, ["-n", namespace, "get", "service", service]);
    if (!svc.found) {
        throw new UserError(
            svc.notFound
                ? `the API Service ${service} is missing in namespace ${namespace} of kube context ${kube.context} (stack ${stack}'s outputs name it); redeploy with ${upHint(stack)}`
                : `cannot read the API Service ${service} in namespace ${namespace}: ${svc.error}`,
        );
    }
    const ports: any[] = svc.value?.spec?.ports ?? [];
    const port = Number((ports.find((p) => p?.name === "http") ?? ports[0])?.port);
    if (!port) throw new UserError(`the API Service ${service} in namespace ${namespace} has no port`);

    const deploy = await getJson(kube, ["-n", namespace, "get", "deployment", service]);
    if (!deploy.found) {
        throw new UserError(
            deploy.notFound
                ? `the API Deployment ${service} is missing in namespace ${namespace} (the Service has no pods to reach); redeploy with ${upHint(stack)}`
                : `cannot read the API Deployment ${service} in namespace ${namespace}: ${deploy.error}`,
        );
    }
    const d = deploy.value;
    const want = d?.spec?.replicas ?? 1;
    const ready = d?.status?.readyReplicas ?? 0;
    if (ready === 0) {
        const selector = Object.entries((d?.spec?.selector?.matchLabels ?? {}) as Record<string, string>)
            .map(([k, v]) => `${k}=${v}`)
            .join(",");
        const pods = selector ? await getJson(kube, ["-n", namespace, "get", "pods", "-l", selector]) : undefined;
        const items: any[] = pods?.found ? (pods.value?.items ?? []) : [];
        // A running pod that is not Ready yet is still reachable: /ready then says which dependency is down.
        if (!items.some((p) => p?.status?.phase === "Running")) {
            const why = items.length ? items.map(podProblem).slice(0, 3).join("; ") : "no API pod exists";
            throw new UserError(
                `the API is not Ready in namespace ${namespace}: 0/${want} pods ready (${why}); see kubectl -n ${namespace} describe deployment ${service}`,
            );
        }
    }

    const containers: any[] = d?.spec?.template?.spec?.containers ?? [];
    const ref = containers.flatMap((c) => c?.env ?? []).find((e: any) => e?.name === SIGNING_KEY)?.valueFrom?.secretKeyRef;
    const signingKey = ref?.name ? { secret: String(ref.name), key: String(ref.key ?? SIGNING_KEY) } : { secret: api.secretName ?? "", key: SIGNING_KEY };

    return { ...api, port, signingKey, maxDocumentBytes: await maxDocumentBytes(kube, namespace, containers) };
}

/** MAX_DOCUMENT_BYTES of the API container (a plain env value or one of its ConfigMaps), when readable. */
async function maxDocumentBytes(kube: Kube, namespace: string, containers: any[]): Promise<number | undefined> {
    const env = containers.flatMap((c) => c?.env ?? []).find((e: any) => e?.name === "MAX_DOCUMENT_BYTES");
    if (env?.value) return Number(env.value) || undefined;
    const maps: string[] = containers.flatMap((c) => (c?.envFrom ?? []).map((f: any) => f?.configMapRef?.name)).filter(Boolean);
    for (const name of maps) {
        const cm = await getJson(kube, ["-n", namespace, "get", "configmap", name]);
        const v = cm.found ? cm.value?.data?.MAX_DOCUMENT_BYTES : undefined;
        if (v) return Number(v) || undefined;
    }
    return undefined;
}

/** `{.data.KEY}` with the dots of a key escaped (Secret keys may contain dots). */
export function jsonpathData(key: string): string {
    return `jsonpath={.data.${key.replace(/\./g, "\\.")}}`;
}

/**
 * The write key, HMAC-SHA256(API_SIGNING_KEY, "rag-api-key:v1") as the app derives it (app/src/lib/auth.ts), from
 * the Secret the API pods read. The signing key is read by kubectl into this process's memory only.
 */
export async function readWriteKey(kube: Kube, api: ClusterApi): Promise<string> {
    const { secret, key } = api.signingKey;
    if (!secret) throw new UserError(`stack ${api.stack} names no Secret for the API's ${SIGNING_KEY}; redeploy with ${upHint(api.stack)}`);
    const r = await kube.run(["-n", api.namespace, "get", "secret", secret, "-o", jsonpathData(key)]);
    if (r.code !== 0) {
        throw new UserError(
            /NotFound|not found/.test(r.stderr)
                ? `the Secret ${secret} (the API's ${SIGNING_KEY}) is missing in namespace ${api.namespace}; redeploy with ${upHint(api.stack)}`
                : `cannot read the Secret ${secret} in namespace ${api.namespace}: ${lastLine(r.stderr)}`,
        );
    }
    const signing = Buffer.from(r.stdout.trim(), "base64").toString("utf8");
    if (!signing) throw new UserError(`the Secret ${secret} in namespace ${api.namespace} has no key ${key} (the API's ${SIGNING_KEY})`);
    return deriveApiKey(signing);
}
