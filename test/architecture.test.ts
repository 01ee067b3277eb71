// The layout rules of docs/architecture.md that a reviewer would otherwise have to remember. Each rule is a
// checker over a source tree: it must find nothing in this repository, and it must find the one violation
// planted for it in a broken tree written to a temporary directory (so no rule can pass by not looking).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Which folder of components/ may import which (besides itself, npm packages and lib/). The domains build on
 * shared/ and config/ only; backups/ also reads the datastore it backs up, the NetworkPolicies' argument shapes
 * and the app image contract; platform/ (RagPlatform's step sequence) is the only folder that wires domains
 * together, and nothing imports it. The table is acyclic, so the folders are.
 */
const ALLOWED: Record<string, string[]> = {
    config: [],
    shared: ["config"],
    network: ["shared", "config"],
    observability: ["shared", "config"],
    datastores: ["shared", "config"],
    "model-serving": ["shared", "config"],
    workloads: ["shared", "config"],
    backups: ["datastores", "network", "workloads", "shared", "config"],
    platform: ["backups", "datastores", "model-serving", "network", "observability", "workloads", "shared", "config"],
};

const ROOT = path.join(__dirname, "..");
const MAX_LINES = 300;
const LINES_RULE = `no TypeScript file under components/ or e2e/, and no shell file under e2e/, is over ${MAX_LINES} lines`;

/** The files under `dir` whose names end in `ext` (node_modules and e2e/fixtures, separate programs, aside). */
function sourceFiles(root: string, dir: string, ext = ".ts"): string[] {
    if (!fs.existsSync(path.join(root, dir))) return [];
    return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "node_modules" || rel === path.join("e2e", "fixtures") ? [] : sourceFiles(root, rel, ext);
        return e.name.endsWith(ext) ? [rel] : [];
    });
}

/** Every module a file imports, re-exports or requires. */
const importsOf = (src: string) => [...src.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*|\brequire\(\s*)["']([^"']+)["']/g)].map((m) => m[1]);

/** The file a relative import resolves to (relative to root), or undefined for a package or a missing file. */
function resolve(root: string, fromFile: string, spec: string): string | undefined {
    if (!spec.startsWith(".")) return undefined;
    const base = path.join(path.dirname(fromFile), spec);
    return [`${base}.ts`, path.join(base, "index.ts"), base].find((c) => fs.existsSync(path.join(root, c)) && fs.statSync(path.join(root, c)).isFile());
}

/** The components/ folder a file belongs to ("" for a file directly in components/), or undefined outside it. */
function folderOf(file: string): string | undefined {
    const parts = file.split(path.sep);
    return parts[0] === "components" ? (parts.length > 2 ? parts[1] : "") : undefined;
}

/** A cycle in a dependency table, as a path of folder names, or undefined. */
function folderCycle(table: Record<string, string[]>): string[] | undefined {
    const state = new Map<string, "open" | "done">();
    const visit = (folder: string, trail: string[]): string[] | undefined => {
        if (state.get(folder) === "open") return [...trail.slice(trail.indexOf(folder)), folder];
        if (state.get(folder) === "done") return undefined;
        state.set(folder, "open");
        for (const dep of table[folder] ?? []) {
            const cycle = visit(dep, [...trail, folder]);
            if (cycle) return cycle;
        }
        state.set(folder, "done");
        return undefined;
    };
    for (const folder of Object.keys(table)) {
        const cycle = visit(folder, []);
        if (cycle) return cycle;
    }
    return undefined;
}

/** Every rule, each returning its offenders in the tree at `root` (empty when the rule holds). */
function checkTree(root: string, table: Record<string, string[]>): Record<string, string[]> {
    const read = (rel: string) => fs.readFileSync(path.join(root, rel), "utf8");
    const components = sourceFiles(root, "components");
    const program = ["index.ts", ...components, ...sourceFiles(root, "lib")].filter((f) => fs.existsSync(path.join(root, f)));
    // Code outside components/ that is part of the program or its tooling (test/ may reach into a folder's files
    // to unit-test what the folder keeps to itself, e.g. config/'s validators).
    const outside = ["index.ts", ...sourceFiles(root, "scripts"), ...sourceFiles(root, "e2e"), ...sourceFiles(root, "policy")].filter((f) =>
        fs.existsSync(path.join(root, f)),
    );
    const edges = (files: string[]) => files.flatMap((file) => importsOf(read(file)).map((spec) => ({ file, spec, target: resolve(root, file, spec) })));
    const componentEdges = edges(components);
    const folders = [...new Set(components.map(folderOf))].filter((f): f is string => f !== undefined && f !== "");
    return {
        "every file under components/ sits in a folder of the table": components.filter((f) => !(folderOf(f)! in table)),
        "every folder has an index.ts that starts with a comment saying what it owns": folders.filter(
            (f) => !fs.existsSync(path.join(root, "components", f, "index.ts")) || !read(path.join("components", f, "index.ts")).startsWith("//"),
        ),
        "a folder imports only the folders the table allows": componentEdges
            .filter(({ file, target }) => {
                const [from, to] = [folderOf(file)!, target && folderOf(target)];
                return to !== undefined && to !== from && !(table[from] ?? []).includes(to);
            })
            .map(({ file, spec }) => `${file} imports ${spec}`),
        "another folder is imported through its index, never its files": [...componentEdges, ...edges(outside)]
            .filter(({ file, target }) => {
                const to = target && folderOf(target);
                return to && to !== folderOf(file) && target !== path.join("components", to, "index.ts");
            })
            .map(({ file, spec }) => `${file} imports ${spec}`),
        "no file imports its own folder's index (a cycle through the index)": componentEdges
            .filter(({ file, target }) => file !== target && target === path.join("components", folderOf(file)!, "index.ts"))
            .map(({ file, spec }) => `${file} imports ${spec}`),
        "components/ imports only packages, lib/ and components/": componentEdges
            .filter(
                ({ spec, target }) => spec.startsWith(".") && !(target && (target.startsWith(`components${path.sep}`) || target.startsWith(`lib${path.sep}`))),
            )
            .map(({ file, spec }) => `${file} imports ${spec}`),
        "the folder table has no cycle": [folderCycle(table)?.join(" -> ") ?? ""].filter((c) => c !== ""),
        [LINES_RULE]: [...components, ...sourceFiles(root, "e2e"), ...sourceFiles(root, "e2e", ".sh")].filter(
            (f) => read(f).replace(/\n$/, "").split("\n").length > MAX_LINES,
        ),
        "the program imports nothing from the policy pack (shared code lives in lib/)": program.filter(
            (f) => /from\s+["'](\.\.\/)+policy[/"']/.test(read(f)) || /require\(["'](\.\.\/)+policy/.test(read(f)),
        ),
        "no deprecated `transformations` resource option (stack transforms go through `transforms`)": program.filter((f) =>
            /\btransformations\s*:|registerStackTransformation\b/.test(read(f)),
        ),
        "every ComponentResource registers its outputs": components.filter(
            (f) => /extends pulumi\.ComponentResource\b/.test(read(f)) && !/this\.registerOutputs\(/.test(read(f)),
        ),
        "one component per file": components.filter((f) => (read(f).match(/extends pulumi\.ComponentResource\b/g) ?? []).length > 1),
    };
}

/** A tree that breaks every rule exactly once (the table below adds the cycle). */
const BROKEN: Record<string, string> = {
    "index.ts": `import { RagPlatform } from "./components/platform";\n`,
    "components/config/index.ts": "// config\nexport const PROJECT = 'p';\n",
    "components/shared/index.ts": "// shared\nexport * from './naming';\n",
    "components/shared/naming.ts": `import { PROJECT } from "../config";\nexport const name = PROJECT;\n`,
    "components/shared/uses-network.ts": `import { Policies } from "../network";\nexport const p = Policies;\n`,
    "components/shared/self.ts": `import { name } from ".";\nexport const again = name;\n`,
    "components/network/index.ts": "// network\nexport * from './policies';\n",
    "components/network/policies.ts": `import * as pulumi from "@pulumi/pulumi";\nexport class Policies extends pulumi.ComponentResource {\n    constructor() {\n        super("t", "n", {});\n        this.registerOutputs({});\n    }\n}\n`,
    "components/network/deep.ts": `import { name } from "../shared/naming";\nexport const deep = name;\n`,
    "components/network/two.ts": `import * as pulumi from "@pulumi/pulumi";\nclass A extends pulumi.ComponentResource { x() { this.registerOutputs({}); } }\nclass B extends pulumi.ComponentResource {}\nexport { A, B };\n`,
    "components/network/quiet.ts": `import * as pulumi from "@pulumi/pulumi";\nexport class Quiet extends pulumi.ComponentResource {}\n`,
    "components/network/long.ts": "export const x = 1;\n".repeat(MAX_LINES + 1),
    "e2e/automation/long.ts": "export const x = 1;\n".repeat(MAX_LINES + 1),
    "e2e/fixtures/long/index.ts": "export const x = 1;\n".repeat(MAX_LINES + 1),
    "e2e/ha/long.sh": "echo x\n".repeat(MAX_LINES + 1),
    "e2e/fixtures/long/run.sh": "echo x\n".repeat(MAX_LINES + 1),
    "e2e/ha/short.sh": "echo x\n".repeat(MAX_LINES),
    "components/network/harness.ts": `import { renderStack } from "../../test/harness";\nexport const r = renderStack;\n`,
    "components/platform/index.ts": "export const noHeader = true;\n",
    "components/stray.ts": "export const stray = 1;\n",
    "components/platform/old.ts": `import { rule } from "../../policy/rules";\nexport const opts = { transformations: [rule] };\n`,
    "scripts/tool.ts": `import { name } from "../components/shared/naming";\nexport const n = name;\n`,
    "test/harness.ts": "export const renderStack = 1;\n",
    "policy/rules.ts": "export const rule = 1;\n",
};

const EXPECTED: Record<string, string[]> = {
    "every file under components/ sits in a folder of the table": ["components/stray.ts"],
    "every folder has an index.ts that starts with a comment saying what it owns": ["platform"],
    "a folder imports only the folders the table allows": ["components/shared/uses-network.ts imports ../network"],
    "another folder is imported through its index, never its files": [
        "components/network/deep.ts imports ../shared/naming",
        "scripts/tool.ts imports ../components/shared/naming",
    ],
    "no file imports its own folder's index (a cycle through the index)": ["components/shared/self.ts imports ."],
    "components/ imports only packages, lib/ and components/": [
        "components/network/harness.ts imports ../../test/harness",
        "components/platform/old.ts imports ../../policy/rules",
    ],
    "the folder table has no cycle": ["network -> observability -> network"],
    [LINES_RULE]: ["components/network/long.ts", "e2e/automation/long.ts", "e2e/ha/long.sh"],
    "the program imports nothing from the policy pack (shared code lives in lib/)": ["components/platform/old.ts"],
    "no deprecated `transformations` resource option (stack transforms go through `transforms`)": ["components/platform/old.ts"],
    "every ComponentResource registers its outputs": ["components/network/quiet.ts"],
    "one component per file": ["components/network/two.ts"],
};

describe("architecture rules", () => {
    const found = checkTree(ROOT, ALLOWED);
    let broken: Record<string, string[]>;

    before(() => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rag-architecture-"));
        try {
            for (const [rel, src] of Object.entries(BROKEN)) {
                fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
                fs.writeFileSync(path.join(dir, rel), src);
            }
            broken = checkTree(dir, { ...ALLOWED, network: ["observability", "shared"], observability: ["network"] });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("every rule has a planted violation", () => assert.deepEqual(Object.keys(EXPECTED).sort(), Object.keys(found).sort()));

    for (const rule of Object.keys(EXPECTED)) {
        describe(rule, () => {
            it("holds for this repository", () => assert.deepEqual(found[rule], []));
            it("finds the violation planted in a broken tree", () =>
                assert.deepEqual(
                    [...broken[rule]].sort(),
                    EXPECTED[rule].map((f) => f.split("/").join(path.sep)),
                ));
        });
    }
});
