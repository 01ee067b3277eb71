// `ts-node --transpile-only scripts/dump-resources.ts OUT_DIR`: runs the program under Pulumi's mocks (the test
// harness) for a set of stacks and fixtures and writes every registered resource (type, name, URN, parent,
// inputs and the options that matter), sorted, as one JSON file per case. Two dumps compared with `cmp` prove a
// refactoring (e.g. moving files) changed neither what is rendered nor any URN or component type token.
import * as fs from "fs";
import * as path from "path";
import { EXISTING_SECRET, EXTERNAL_POSTGRES, EXTERNAL_SECRET } from "../test/external-fixtures";
import { ALL_MODEL_SERVERS, ALL_OPTIONS } from "../test/fixtures/workload-options";
import { Overrides, renderProgram, RenderResult, renderStack, ROOT } from "../test/harness";

type Case = [name: string, render: () => Promise<RenderResult>];

const stack =
    (s: string, overrides: Overrides = {}) =>
    () =>
        renderStack(s, overrides);
const EXTERNAL_ALL: Overrides = {
    postgres: { mode: "external", host: "10.1.2.3", port: 6432, existingSecret: { name: "pg", key: "password" } },
    redis: { mode: "external", host: "fd00::6379", tls: true, existingSecret: { name: "redis", key: "auth-token" } },
    vectorStore: { mode: "external", host: "qdrant.example.com", port: 443, tls: true, existingSecret: { name: "qdrant", key: "api-key" } },
};

const CASES: Case[] = [
    ["dev", stack("dev")],
    ["prod", stack("prod")],
    ["dev-everything-on", stack("dev", { monitoring: { enabled: true }, verticalAutoscaling: { enabled: true }, localAccess: { enabled: true } })],
    ["dev-chroma", stack("dev", { vectorStore: { engine: "chroma" } })],
    ["prod-milvus", stack("prod", { vectorStore: { engine: "milvus" } })],
    ["dev-external-postgres", stack("dev", { postgres: EXTERNAL_POSTGRES, monitoring: { enabled: true }, verticalAutoscaling: { enabled: true } })],
    ["prod-external-all", stack("prod", EXTERNAL_ALL)],
    ["dev-existing-secret", stack("dev", { secrets: { existingSecret: EXISTING_SECRET } })],
    ["dev-external-secret", stack("dev", { secrets: { externalSecret: EXTERNAL_SECRET } })],
    ["prod-workload-options", stack("prod", { ...ALL_OPTIONS, ...ALL_MODEL_SERVERS })],
    ["prod-skip-await", stack("prod", { skipAwait: true, llmApiKey: "sk-test-123" })],
    ["prod-multi-instance", () => renderProgram(path.join(ROOT, "test", "fixtures", "multi-platform.ts"), "prod")],
];

/** Objects with their keys sorted, so the JSON text depends on content only. */
function sorted(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sorted);
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
        );
    }
    return value;
}

async function main(): Promise<void> {
    const out = process.argv[2];
    if (!out) {
        console.error("usage: scripts/dump-resources.ts OUT_DIR");
        process.exit(2);
    }
    fs.mkdirSync(out, { recursive: true });
    for (const [name, render] of CASES) {
        const r = await render();
        const resources = [...r.resources].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
        const dump = { resources, outputs: r.outputs, secretOutputs: [...r.secretOutputs].sort() };
        fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify(sorted(dump), null, 1) + "\n");
        const components = new Set(resources.filter((x) => !x.type.includes(":") || x.type.startsWith("rag-platform:")).map((x) => x.type));
        console.log(`${name}: ${resources.length} resources, component types: ${[...components].sort().join(" ")}`);
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
