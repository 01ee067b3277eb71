// The compiled program and policy pack (npm run build:js, scripts/build-js.js; loaded by main.js and
// policy/pack.js through lib/compiled.js): what Pulumi runs must be what the tests test.
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { renderProgram, renderStack, ROOT } from "./harness";

// lib/compiled.js and scripts/build-js.js are plain JavaScript (they run before ts-node could start)
const compiled = require("../lib/compiled") as {
    TARGETS: Record<string, { entry: string; outfile: string }>;
    SDK_VERSION: string;
    DEFERRED: Record<string, string[]>;
    manifestPath(target: { outfile: string }): string;
    staleness(target: { entry: string; outfile: string }): string | undefined;
    check(target: { entry: string; outfile: string }): void;
};
const { build } = require("../scripts/build-js") as { build(): Promise<Record<string, { outfile: string; inputs: number }>> };

const bundle = path.join(ROOT, compiled.TARGETS.program.outfile);
const forget = (...files: string[]) => files.forEach((f) => delete require.cache[require.resolve(f)]);

describe("compiled program and policy pack (npm run build:js)", function () {
    this.timeout(120_000);

    before(async () => {
        const results = await build();
        assert.deepEqual(Object.keys(results).sort(), ["policy", "program"]);
    });

    for (const stack of ["dev", "prod"]) {
        it(`the bundle registers exactly what the TypeScript sources register (${stack}: every resource, input and option; the outputs)`, async () => {
            const fromSource = await renderStack(stack);
            forget(bundle);
            const fromBundle = await renderProgram(bundle, stack);
            assert.ok(fromSource.resources.length > 50, `${fromSource.resources.length} resources`);
            const byUrn = (r: typeof fromSource) => new Map(r.resources.map((x) => [x.urn, x]));
            assert.deepEqual([...byUrn(fromBundle).keys()].sort(), [...byUrn(fromSource).keys()].sort());
            for (const [urn, res] of byUrn(fromSource)) assert.deepEqual(byUrn(fromBundle).get(urn), res, urn);
            assert.deepEqual(fromBundle.outputs, fromSource.outputs);
            assert.deepEqual(fromBundle.secretOutputs, fromSource.secretOutputs);
        });
    }

    it("main.js (Pulumi.yaml main) checks the build and runs the bundle: same outputs as index.ts", async () => {
        assert.match(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"), /^main: main\.js$/m);
        assert.match(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"), /^ {4}typescript: false$/m);
        forget(bundle, path.join(ROOT, "main.js"));
        const viaMain = await renderProgram(path.join(ROOT, "main.js"), "dev");
        const fromSource = await renderStack("dev");
        assert.deepEqual(viaMain.outputs, fromSource.outputs);
        assert.equal(viaMain.resources.length, fromSource.resources.length);
    });

    it("every input of a bundle is recorded with its digest, the build script included", () => {
        for (const target of Object.values(compiled.TARGETS)) {
            const manifest = JSON.parse(fs.readFileSync(compiled.manifestPath(target), "utf8"));
            const inputs = Object.keys(manifest.inputs);
            assert.ok(inputs.includes(target.entry), `${target.entry} in ${inputs.join(", ")}`);
            assert.ok(inputs.includes("scripts/build-js.js") && inputs.includes("lib/compiled.js"));
            assert.ok(!inputs.some((f) => f.includes("node_modules")), "node_modules stay external");
            assert.equal(compiled.staleness(target), undefined);
        }
        const program = JSON.parse(fs.readFileSync(compiled.manifestPath(compiled.TARGETS.program), "utf8"));
        assert.ok(
            Object.keys(program.inputs).some((f) => f.startsWith("components/")),
            "the program's components are bundled",
        );
        const pack = JSON.parse(fs.readFileSync(compiled.manifestPath(compiled.TARGETS.policy), "utf8"));
        assert.ok(!Object.keys(pack.inputs).some((f) => f.startsWith("components/")), "the pack bundles no program code");
    });

    describe("a missing or stale build is refused with the command to run", () => {
        const dir = path.join(ROOT, "bin", "test-staleness");
        const target = { entry: "index.ts", outfile: "bin/test-staleness/index.js" };
        beforeEach(() => fs.rmSync(dir, { recursive: true, force: true }));
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("not built: says so and names `npm run build:js`, as a RunError (printed without a stack trace)", () => {
            assert.equal(compiled.staleness(target), "bin/test-staleness/index.js has not been built");
            assert.throws(
                () => compiled.check(target),
                (err: Error & { __pulumiRunError?: boolean }) =>
                    err.__pulumiRunError === true && /has not been built\. Run `npm run build:js` first/.test(err.message),
            );
        });

        it("a source changed since the build: names it", () => {
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(path.join(dir, "index.js"), "");
            const manifest = JSON.parse(fs.readFileSync(compiled.manifestPath(compiled.TARGETS.program), "utf8"));
            manifest.inputs["components/naming.ts"] = "0".repeat(64); // as if naming.ts had been edited since
            fs.writeFileSync(path.join(dir, "build.json"), JSON.stringify(manifest));
            assert.equal(compiled.staleness(target), "bin/test-staleness/index.js is older than its sources (components/naming.ts changed since it was built)");
            manifest.inputs["components/naming.ts"] = JSON.parse(fs.readFileSync(compiled.manifestPath(compiled.TARGETS.program), "utf8")).inputs[
                "components/naming.ts"
            ];
            manifest.inputs["components/gone.ts"] = "0".repeat(64); // a source deleted since
            fs.writeFileSync(path.join(dir, "build.json"), JSON.stringify(manifest));
            assert.match(compiled.staleness(target) ?? "", /\(components\/gone\.ts changed since it was built\)$/);
        });
    });

    it("the closure serializer and code-path walker load only when called (stand-ins match the installed SDK)", () => {
        const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
        assert.equal(JSON.parse(fs.readFileSync(path.join(sdk, "package.json"), "utf8")).version, compiled.SDK_VERSION);
        const script = `
            const path = require("path");
            const c = require(${JSON.stringify(path.join(ROOT, "lib", "compiled.js"))});
            const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
            const deferred = c.deferClosureModules(${JSON.stringify(ROOT)});
            const pulumi = require("@pulumi/pulumi");
            const loaded = (re) => Object.keys(require.cache).some((f) => re.test(f));
            const before = { typescript: loaded(/node_modules\\/typescript\\//), arborist: loaded(/@npmcli\\/arborist/) };
            pulumi.runtime.serializeFunction(() => 6 * 7).then(async (sf) => {
                const workspaceRoot = await require(path.join(sdk, "runtime/closure/codePaths.js")).findWorkspaceRoot(path.join(${JSON.stringify(ROOT)}, "policy"));
                const real = {};
                for (const rel of Object.keys(c.DEFERRED)) real[rel] = Object.keys(require(path.join(sdk, rel))).filter((k) => k !== "__esModule").sort();
                console.log(JSON.stringify({ deferred: deferred.length, before, serialized: sf.text.includes("6 * 7"), workspaceRoot, real,
                    after: { typescript: loaded(/node_modules\\/typescript\\//), arborist: loaded(/@npmcli\\/arborist/) } }));
            });`;
        const r = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
        assert.equal(r.status, 0, r.stderr);
        const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
        assert.equal(out.deferred, 2);
        assert.deepEqual(out.before, { typescript: false, arborist: false }, "loaded although nothing was serialized");
        assert.equal(out.serialized, true, "serializeFunction through the stand-in");
        assert.equal(out.workspaceRoot, ROOT, "findWorkspaceRoot through the stand-in (policy/ is a workspace of the root)");
        assert.deepEqual(out.after, { typescript: true, arborist: true });
        for (const [rel, names] of Object.entries(compiled.DEFERRED)) assert.deepEqual(out.real[rel], [...names].sort(), `exports of ${rel}`);
    });

    it("policy/pack.js starts the analyzer from the compiled pack under the SDK's run-policy-pack (prints its port)", async () => {
        const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
        const port = await new Promise<string>((resolve, reject) => {
            const p = spawn(process.execPath, [runPolicyPack, "127.0.0.1:1", "."], { cwd: path.join(ROOT, "policy"), stdio: ["ignore", "pipe", "pipe"] });
            let err = "";
            const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
            p.stderr.on("data", (d) => (err += d));
            p.stdout.once("data", (d) => {
                clearTimeout(timer);
                p.kill("SIGKILL");
                resolve(String(d).trim());
            });
            p.on("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`run-policy-pack exited ${code} before printing a port: ${err}`));
            });
        });
        assert.match(port, /^\d+$/);
    });
});
