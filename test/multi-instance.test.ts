import { strict as assert } from "assert";
import * as path from "path";
import { renderProgram, T } from "./harness";

describe("several platforms in one stack", () => {
    it("three instances register without a URN or object-name clash, each in its own namespace", async () => {
        const r = await renderProgram(path.join(__dirname, "fixtures", "multi-platform.ts"), "prod");
        const urns = r.resources.map((x) => x.urn);
        assert.equal(new Set(urns).size, urns.length, "duplicate URNs");
        const objects = r.resources.filter((x) => x.type.startsWith("kubernetes:"));
        const keys = objects.map((o) => `${o.inputs.apiVersion}/${o.inputs.kind}/${o.inputs.metadata.namespace ?? ""}/${o.inputs.metadata.name ?? o.name}`);
        assert.equal(new Set(keys).size, keys.length, "two objects share a Kubernetes identity");
        assert.deepEqual(r.outputs.namespaces, ["rag-prod-1", "rag-prod-2", "rag-prod-3"]);
        assert.equal(objects.filter((o) => o.type === T.StorageClass).length, 3);
        assert.equal(objects.length, 3 * 80); // as the prod stack (platform.test.ts "resource counts per stack")
    });
});
