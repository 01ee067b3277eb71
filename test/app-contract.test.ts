// The platform contract, both sides: every workload gets exactly the environment keys its entry point of the
// app reads (app/src/lib/contract.ts), from the right place (ConfigMap, Secret, pod spec), and the ports,
// probes, UID, writable paths, entry points and default images agree with the app's declaration.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ENTRIES, Entry, Key, KEYS, keysReadBy, PLATFORM } from "../app/src/lib/contract";
import { autoname, byName, ofComponent, ofType, RenderedResource, RenderResult, renderStack, ROOT, T } from "./harness";

type Container = Record<string, any>;
type Source = "configmap" | "secret" | "pod";

const podSpecOf = (r: RenderedResource) => (r.type === T.CronJob ? r.inputs.spec.jobTemplate.spec.template.spec : r.inputs.spec.template.spec);

/** Each app container of a render, with the entry point it runs. */
function appContainers(r: RenderResult): { where: string; entry: Entry; container: Container; pod: Record<string, any> }[] {
    const out: { where: string; entry: Entry; container: Container; pod: Record<string, any> }[] = [];
    const api = byName(r, T.Deployment, "rag-api");
    out.push({
        where: "Deployment rag-api, container api",
        entry: "api",
        container: podSpecOf(api).containers.find((c: Container) => c.name === "api"),
        pod: podSpecOf(api),
    });
    for (const init of podSpecOf(api).initContainers ?? []) {
        out.push({ where: `Deployment rag-api, init container ${init.name}`, entry: "migrate", container: init, pod: podSpecOf(api) });
    }
    const fe = byName(r, T.Deployment, "rag-frontend");
    out.push({ where: "Deployment rag-frontend", entry: "frontend", container: podSpecOf(fe).containers[0], pod: podSpecOf(fe) });
    // The indexer's Job and CronJob (the backup's and the snapshot's CronJobs run no app entry point).
    const indexer = (o: RenderedResource) => o.inputs.metadata.labels?.["app.kubernetes.io/component"] === "indexer";
    for (const job of [...ofType(r, T.Job), ...ofType(r, T.CronJob)].filter(indexer)) {
        out.push({ where: `${job.type.split(":").pop()} ${job.name}`, entry: "indexer", container: podSpecOf(job).containers[0], pod: podSpecOf(job) });
    }
    return out;
}

/** The keys a container's environment holds, each with where its value comes from. */
function providedKeys(r: RenderResult, c: Container): Map<string, Source> {
    const keys = new Map<string, Source>();
    // Autonamed objects (the platform ConfigMap and Secret) are referenced by the name Pulumi gives them.
    const nameOf = (o: RenderedResource) => (o.inputs.metadata.name as string | undefined) ?? autoname(o.name);
    const configMaps = new Map(ofType(r, T.ConfigMap).map((m) => [nameOf(m), Object.keys(m.inputs.data ?? {})]));
    const secrets = new Map(ofType(r, T.Secret).map((s) => [nameOf(s), Object.keys({ ...(s.inputs.data ?? {}), ...(s.inputs.stringData ?? {}) })]));
    for (const from of c.envFrom ?? []) {
        if (from.configMapRef) {
            (configMaps.get(from.configMapRef.name) ?? []).forEach((k) => keys.set(k, "configmap"));
        }
        if (from.secretRef) {
            (secrets.get(from.secretRef.name) ?? []).forEach((k) => keys.set(k, "secret"));
        }
    }
    for (const e of c.env ?? []) {
        keys.set(e.name, e.valueFrom?.secretKeyRef ? "secret" : e.valueFrom?.configMapKeyRef ? "configmap" : "pod");
    }
    return keys;
}

/** Everything on which the platform and the app disagree, one line each. */
export function contractProblems(r: RenderResult): string[] {
    const problems: string[] = [];
    for (const { where, entry, container, pod } of appContainers(r)) {
        const provided = providedKeys(r, container);
        const reads = keysReadBy(entry).filter((k) => KEYS[k].source !== "local");
        for (const k of reads) {
            if (!provided.has(k)) {
                problems.push(`${where}: the app's ${entry} reads ${k}, the platform does not set it`);
            } else if (provided.get(k) !== KEYS[k].source) {
                problems.push(`${where}: ${k} comes from the ${provided.get(k)}, the app's contract says ${KEYS[k].source}`);
            }
        }
        for (const k of provided.keys()) {
            // a "local" key the entry point reads may be set by the platform when it applies (API_UPSTREAM without an Ingress)
            const optional = k in KEYS && KEYS[k as keyof typeof KEYS].source === "local" && keysReadBy(entry).includes(k as keyof typeof KEYS);
            if (!(reads as string[]).includes(k) && !optional) {
                problems.push(`${where}: the platform sets ${k}, the app's ${entry} does not read it`);
            }
        }
        if (pod.securityContext?.runAsUser !== PLATFORM.uid || pod.securityContext?.runAsGroup !== PLATFORM.gid) {
            problems.push(
                `${where}: runs as ${pod.securityContext?.runAsUser}:${pod.securityContext?.runAsGroup}, the images run as ${PLATFORM.uid}:${PLATFORM.gid}`,
            );
        }
        const emptyDirs = new Set((pod.volumes ?? []).filter((v: any) => v.emptyDir).map((v: any) => v.name));
        const writable = (container.volumeMounts ?? []).filter((m: any) => emptyDirs.has(m.name)).map((m: any) => m.mountPath);
        if (JSON.stringify(writable) !== JSON.stringify(PLATFORM.writablePaths)) {
            problems.push(`${where}: writable paths ${JSON.stringify(writable)}, the images write ${JSON.stringify(PLATFORM.writablePaths)}`);
        }
        const entryFile = entry === "migrate" ? container.command?.[1] : undefined;
        if (entry === "migrate" && (container.command?.[0] !== "node" || entryFile !== `${PLATFORM.appRoot}/dist/migrate.js`)) {
            problems.push(`${where}: command ${JSON.stringify(container.command)}, expected node ${PLATFORM.appRoot}/dist/migrate.js`);
        }
        if (entry === "indexer" && JSON.stringify(container.args) !== JSON.stringify(["index", "--source", PLATFORM.documentsPath])) {
            problems.push(`${where}: args ${JSON.stringify(container.args)}, expected index --source ${PLATFORM.documentsPath}`);
        }
    }
    return problems;
}

describe("platform contract (program ⇄ app/)", () => {
    let dev: RenderResult;
    let prod: RenderResult;
    let chroma: RenderResult;

    before(async () => {
        dev = await renderStack("dev");
        prod = await renderStack("prod");
        chroma = await renderStack("dev", { vectorStore: { engine: "chroma" } });
    });

    it("every app container gets exactly the keys its entry point reads, from where the app expects them (dev, prod, chroma)", () => {
        for (const r of [dev, prod, chroma]) {
            assert.deepEqual(contractProblems(r), []);
        }
        // All four entry points are deployed (the indexer as Job in dev, Job and CronJob in prod).
        assert.deepEqual([...new Set(appContainers(prod).map((c) => c.entry))].sort(), [...ENTRIES].sort());
    });

    it("the check has teeth: a key the app does not read, or a missing one, is reported", () => {
        const mutated: RenderResult = JSON.parse(JSON.stringify(dev));
        ofComponent(mutated, T.ConfigMap, "config").inputs.data.UNUSED_SETTING = "x";
        const job = ofType(mutated, T.Job)[0];
        const indexer = podSpecOf(job).containers[0];
        indexer.env = indexer.env.filter((e: any) => e.name !== "POSTGRES_PASSWORD");
        const problems = contractProblems(mutated);
        assert.ok(
            problems.includes("Deployment rag-api, container api: the platform sets UNUSED_SETTING, the app's api does not read it"),
            problems.join("\n"),
        );
        assert.ok(
            problems.some((p) => /Job .*: the app's indexer reads POSTGRES_PASSWORD, the platform does not set it/.test(p)),
            problems.join("\n"),
        );
    });

    it("ports and probe paths are the app's", () => {
        const api = podSpecOf(byName(dev, T.Deployment, "rag-api")).containers[0];
        assert.equal(api.ports[0].containerPort, PLATFORM.apiPort);
        assert.equal(ofComponent(dev, T.ConfigMap, "config").inputs.data.API_PORT, `${PLATFORM.apiPort}`);
        assert.equal(api.livenessProbe.httpGet.path, PLATFORM.probes.api.live);
        assert.equal(api.readinessProbe.httpGet.path, PLATFORM.probes.api.ready);
        assert.equal(
            byName(dev, T.Deployment, "rag-api").inputs.spec.template.metadata.annotations["prometheus.io/path"] ?? "/metrics",
            PLATFORM.probes.api.metrics,
        );
        const fe = podSpecOf(byName(dev, T.Deployment, "rag-frontend")).containers[0];
        assert.equal(fe.ports[0].containerPort, PLATFORM.frontendPort);
        assert.equal(fe.livenessProbe.httpGet.path, PLATFORM.probes.frontend.live);
        assert.equal(fe.readinessProbe.httpGet.path, PLATFORM.probes.frontend.ready);
        assert.deepEqual(
            fe.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]),
            [
                ["http", PLATFORM.frontendPort],
                ["metrics", PLATFORM.frontendMetricsPort],
            ],
        );
        assert.equal(KEYS.FRONTEND_METRICS_PORT.default, `${PLATFORM.frontendMetricsPort}`);
    });

    it("the default images are the app's, at the app's version, and every entry point the platform runs exists", () => {
        const version = JSON.parse(fs.readFileSync(path.join(ROOT, "app", "package.json"), "utf8")).version;
        const image = (r: RenderResult, type: string, name: string) => podSpecOf(byName(r, type, name)).containers[0].image;
        for (const r of [dev, prod]) {
            assert.equal(image(r, T.Deployment, "rag-api"), `ghcr.io/rag-platform/rag-api:${version}`);
            assert.equal(image(r, T.Deployment, "rag-frontend"), `ghcr.io/rag-platform/rag-frontend:${version}`);
            assert.equal(podSpecOf(ofType(r, T.Job)[0]).containers[0].image, `ghcr.io/rag-platform/rag-indexer:${version}`);
        }
        for (const entry of ENTRIES) {
            assert.ok(fs.existsSync(path.join(ROOT, "app", "src", `${entry}.ts`)), entry);
        }
    });

    it("every key of the app's contract has a row in docs/platform-contract.md", () => {
        const doc = fs.readFileSync(path.join(ROOT, "docs", "platform-contract.md"), "utf8");
        const missing = (Object.keys(KEYS) as Key[]).filter((k) => !doc.includes(`| \`${k}\` |`));
        assert.deepEqual(missing, []);
    });
});
