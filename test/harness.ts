// Runs index.ts under Pulumi's mocks with a stack's real config (Pulumi.yaml defaults + Pulumi.<stack>.yaml,
// plus per-test overrides) and returns every registered resource with its inputs and options.
import * as pulumi from "@pulumi/pulumi";
import { strict as assert } from "assert";
import * as path from "path";
import { ConfigError, PROJECT } from "../components/config";
import { encodeConfigValue as encode, readStackConfig, ROOT } from "../scripts/stack-config";

export { ROOT };

export interface RenderedResource {
    /** Pulumi type token, e.g. "kubernetes:apps/v1:Deployment". */
    type: string;
    /** Pulumi logical name. */
    name: string;
    urn: string;
    /** Inputs as the provider would receive them, outputs resolved, secrets unwrapped. */
    inputs: Record<string, any>;
    parent?: string;
    protect: boolean;
    retainOnDelete: boolean;
    /** Property paths the engine ignores on update (ignoreChanges). */
    ignoreChanges: string[];
    /** Reference (URN::id) of the provider a custom resource uses; "" for the default provider. */
    provider: string;
    /** Names of the inputs that were Pulumi secrets when registered. */
    secretInputs: string[];
    dependencies: string[];
}

export interface RenderResult {
    resources: RenderedResource[];
    /** The program's stack outputs, resolved. */
    outputs: Record<string, unknown>;
    /** The names of stack outputs that are Pulumi secrets. */
    secretOutputs: string[];
}

/** A config override: a value (objects and arrays as structured config) or undefined to remove the key. */
export type Overrides = Record<string, unknown>;

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces Pulumi's secret wrappers ({ sig, value }) by their values. */
function unwrapSecrets(value: unknown): any {
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[pulumi.runtime.specialSigKey] === SECRET_SIG) {
            return unwrapSecrets(obj.value);
        }
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

function hasSecret(value: unknown): boolean {
    if (Array.isArray(value)) {
        return value.some(hasSecret);
    }
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        return obj[pulumi.runtime.specialSigKey] === SECRET_SIG || Object.values(obj).some(hasSecret);
    }
    return false;
}

/** What a provider returns for a new resource: its inputs, plus the few outputs the program reads. */
/** The name the mocks give an object registered without metadata.name (Pulumi autonaming: a random suffix). */
export function autoname(resourceName: string): string {
    return `${resourceName}-0a1b2c3d`;
}

function mockState(args: pulumi.runtime.MockResourceArgs): Record<string, any> {
    const state: Record<string, any> = { ...args.inputs };
    if (args.type === "random:index/randomPassword:RandomPassword") {
        state.result = `mock-${args.name}-value`;
    }
    if (args.type.startsWith("kubernetes:")) {
        const meta = { ...(args.inputs.metadata ?? {}) };
        meta.name = meta.name ?? autoname(args.name);
        state.metadata = meta;
    }
    return state;
}

async function resolveOutput(value: unknown): Promise<{ value: unknown; secret: boolean }> {
    const out: pulumi.Output<unknown> = pulumi.output(value as pulumi.Input<unknown>);
    const secret: boolean = await (out as unknown as { isSecret: Promise<boolean> }).isSecret;
    const resolved = await new Promise<unknown>((resolve) => out.apply((v: unknown) => resolve(v)));
    return { value: resolved, secret };
}

/** Waits until every outstanding resource registration has been answered (internal SDK helper). */
function waitForRPCs(): Promise<void> {
    return (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

let running: Promise<unknown> = Promise.resolve();

/**
 * Runs the program for `stack` under mocks. Overrides are applied on top of the stack file, keyed without
 * the project prefix (e.g. `{ vectorStore: { engine: "milvus" } }`); `llmApiKey` is set as a secret.
 * Rejects with the program's error (e.g. a ConfigError) when the program throws.
 */
export function renderStack(stack: string, overrides: Overrides = {}): Promise<RenderResult> {
    return renderProgram(path.join(ROOT, "index.ts"), stack, overrides);
}

/** Runs any Pulumi program module (e.g. a multi-instance fixture) the same way as `renderStack`. */
export function renderProgram(programPath: string, stack: string, overrides: Overrides = {}): Promise<RenderResult> {
    // The Pulumi runtime is process-global: run one program at a time.
    const run = running.then(() => renderOnce(programPath, stack, overrides));
    running = run.catch(() => undefined);
    return run;
}

async function renderOnce(programPath: string, stack: string, overrides: Overrides): Promise<RenderResult> {
    const config = readStackConfig(stack);
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(overrides)) {
        const full = `${PROJECT}:${key}`;
        if (value === undefined) {
            delete config[full];
        } else {
            config[full] = encode(value);
        }
        if (key === "llmApiKey") {
            secretKeys.push(full);
        }
    }
    pulumi.runtime.setAllConfig(config, secretKeys);

    const resources = new Map<string, RenderedResource>();
    const pending: Promise<void>[] = [];
    const options = new Map<
        string,
        Pick<RenderedResource, "parent" | "protect" | "retainOnDelete" | "ignoreChanges" | "provider" | "secretInputs" | "dependencies">
    >();
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const state = mockState(args);
                return { id: `${args.name}-id`, state };
            },
            call: (args) => args.inputs,
        },
        PROJECT,
        stack,
        false,
    );
    // The mocks do not run stack transforms (pulumi.runtime.registerResourceTransform throws "does not
    // support transforms"). Stand in for the engine: collect the program's stack transforms and apply them,
    // in order, to each resource's inputs as they are recorded below.
    const stackTransforms: pulumi.ResourceTransform[] = [];
    const store = (require("@pulumi/pulumi/runtime/state") as { getStore(): any }).getStore();
    store.supportsTransforms = true;
    store.callbacks = {
        registerStackTransform: (t: pulumi.ResourceTransform) => stackTransforms.push(t),
        awaitStackRegistrations: async () => undefined,
        shutdown: () => undefined,
    };
    const transformed = async (type: string, name: string, custom: boolean, props: Record<string, any>) => {
        for (const t of stackTransforms) {
            props = ((await t({ type, name, custom, props, opts: {} })) ?? { props }).props;
        }
        return props;
    };

    // Capture the registration options the mocks API does not pass on (protect, parent, secrets).
    const monitor = (pulumi.runtime as any).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: any, res: any) => void) => {
        const key = `${req.getType()}::${req.getName()}`;
        const raw = req.getObject()?.toJavaScript() ?? {};
        options.set(key, {
            parent: req.getParent() || undefined,
            protect: req.getProtect() === true,
            retainOnDelete: req.getRetainondelete() === true,
            ignoreChanges: req.getIgnorechangesList(),
            provider: req.getProvider(),
            secretInputs: Object.keys(raw).filter((k) => hasSecret(raw[k])),
            dependencies: req.getDependenciesList(),
        });
        return register(req, (err: any, res: any) => {
            if (!err && res) {
                const raw = unwrapSecrets(pulumi.runtime.deserializeProperties(req.getObject()));
                pending.push(
                    transformed(req.getType(), req.getName(), req.getCustom(), raw).then((inputs) => {
                        resources.set(key, { type: req.getType(), name: req.getName(), urn: res.getUrn(), inputs, ...options.get(key)! });
                    }),
                );
            }
            callback(err, res);
        });
    };

    const program = require.resolve(programPath);
    delete require.cache[program];
    let programExports: Record<string, unknown>;
    try {
        programExports = require(program);
    } catch (err) {
        await waitForRPCs();
        await Promise.all(pending);
        // Let tests prove that a failing program registered nothing.
        throw Object.assign(err as Error, { registered: [...resources.values()] });
    }
    const outputs: Record<string, unknown> = {};
    const secretOutputs: string[] = [];
    for (const [name, value] of Object.entries(programExports)) {
        const resolved = await resolveOutput(value);
        outputs[name] = resolved.value;
        if (resolved.secret) {
            secretOutputs.push(name);
        }
    }
    await waitForRPCs();
    await Promise.all(pending);
    return { resources: [...resources.values()], outputs, secretOutputs };
}

/** Helpers for querying a render. */
export function ofType(result: RenderResult, type: string): RenderedResource[] {
    return result.resources.filter((r) => r.type === type);
}

export function byName(result: RenderResult, type: string, metadataName: string): RenderedResource {
    const found = ofType(result, type).find((r) => r.inputs.metadata?.name === metadataName);
    if (!found) {
        const names = ofType(result, type).map((r) => r.inputs.metadata?.name);
        throw new Error(`no ${type} named ${metadataName}; have: ${names.join(", ")}`);
    }
    return found;
}

/** The one object of `type` that belongs to `component` (by its app.kubernetes.io/component label). */
export function ofComponent(result: RenderResult, type: string, component: string): RenderedResource {
    const found = ofType(result, type).filter((r) => r.inputs.metadata?.labels?.["app.kubernetes.io/component"] === component);
    if (found.length !== 1) {
        throw new Error(`expected one ${type} of component ${component}, found ${found.length}`);
    }
    return found[0];
}

/** The paths the kubelet probes on the API (its Deployment's liveness, readiness and startup probes), each once. */
export function apiProbePaths(result: RenderResult): string[] {
    const api = ofComponent(result, T.Deployment, "api").inputs.spec.template.spec.containers.find((c: any) => c.name === "api");
    return [...new Set<string>([api.livenessProbe, api.readinessProbe, api.startupProbe].map((p: any) => p?.httpGet?.path).filter(Boolean))];
}

export const T = {
    Namespace: "kubernetes:core/v1:Namespace",
    ConfigMap: "kubernetes:core/v1:ConfigMap",
    Secret: "kubernetes:core/v1:Secret",
    Service: "kubernetes:core/v1:Service",
    ServiceAccount: "kubernetes:core/v1:ServiceAccount",
    PVC: "kubernetes:core/v1:PersistentVolumeClaim",
    Deployment: "kubernetes:apps/v1:Deployment",
    StatefulSet: "kubernetes:apps/v1:StatefulSet",
    Job: "kubernetes:batch/v1:Job",
    CronJob: "kubernetes:batch/v1:CronJob",
    HPA: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    PDB: "kubernetes:policy/v1:PodDisruptionBudget",
    Ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    NetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    StorageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
    RandomPassword: "random:index/randomPassword:RandomPassword",
} as const;

/**
 * Runs a stack that must be refused by config validation: asserts a ConfigError, that no resource was
 * registered, and that one problem names `key`. Returns that problem's line for further checks.
 */
export async function expectConfigProblem(stack: string, overrides: Overrides, key: string): Promise<string> {
    const err = await renderStack(stack, overrides).then(
        () => assert.fail("the program should have failed"),
        (e: unknown) => e as ConfigError & { registered: unknown[] },
    );
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    assert.deepEqual(err.registered, [], "no resource may be registered when config is bad");
    assert.ok(err.message.startsWith(`Invalid configuration for stack "${stack}"`), err.message);
    const line = err.problems.find((p) => p.startsWith(`${PROJECT}:${key} = `));
    assert.ok(line, `no problem names ${PROJECT}:${key}:\n${err.message}`);
    return line;
}
