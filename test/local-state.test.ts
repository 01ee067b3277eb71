// The local state backend and a killed CLI (scripts/lib/local-state.ts): npm run up's backend writes no metadata
// sidecars, and npm run recover finds the torn ones a kill leaves in a backend that does. The same tear is injected
// into the node tier's real state after its SIGKILLed `up` (e2e/node/interrupted.sh), where the real CLI fails on it
// ("failed to load checkpoint: EOF") until the recovery removes it.
import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { brokenSidecars, fileBackendDir, localBackendUrl } from "../scripts/lib/local-state";

describe("local state backend: metadata sidecars a killed CLI can tear", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "rag-state-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("opens the platform's local backend without sidecars, and reads the directory back from the URL", () => {
        const url = localBackendUrl("/repo/.pulumi-state");
        assert.equal(url, "file:///repo/.pulumi-state?metadata=skip");
        assert.equal(fileBackendDir(url), "/repo/.pulumi-state");
        assert.equal(fileBackendDir("file://state", "/work"), "/work/state", "relative to the working directory");
        assert.equal(fileBackendDir("file://~/st?no_tmp_dir=true", "/work", "/home/me"), "/home/me/st");
        assert.equal(fileBackendDir("file://~", "/work", "/home/me"), "/home/me");
        for (const other of ["s3://bucket/rag", "https://api.pulumi.com", undefined]) assert.equal(fileBackendDir(other), undefined);
    });

    it("finds the torn sidecars (empty or cut short) and leaves whole ones and the checkpoints alone", () => {
        const stacks = path.join(dir, ".pulumi", "stacks", "rag-platform");
        fs.mkdirSync(stacks, { recursive: true });
        const attrs = JSON.stringify({ "user.content_type": "application/octet-stream", md5: "q1w2e3" });
        fs.writeFileSync(path.join(dir, ".pulumi", "meta.yaml"), "version: 1\n");
        fs.writeFileSync(path.join(dir, ".pulumi", "meta.yaml.attrs"), attrs);
        fs.writeFileSync(path.join(stacks, "dev.json"), '{"version":3}');
        fs.writeFileSync(path.join(stacks, "dev.json.attrs"), ""); // truncated, killed before the write
        fs.writeFileSync(path.join(stacks, "dev.json.bak"), '{"version":3}');
        fs.writeFileSync(path.join(stacks, "dev.json.bak.attrs"), attrs);
        fs.writeFileSync(path.join(stacks, "prod.json.attrs"), attrs.slice(0, 20)); // cut short
        fs.writeFileSync(path.join(stacks, "prod.json"), "not json: a checkpoint is never a sidecar");
        assert.deepEqual(brokenSidecars(dir), [path.join(stacks, "dev.json.attrs"), path.join(stacks, "prod.json.attrs")]);
    });

    it("finds nothing in a backend with no sidecars, or not created yet", () => {
        fs.mkdirSync(path.join(dir, ".pulumi", "stacks", "p"), { recursive: true });
        fs.writeFileSync(path.join(dir, ".pulumi", "stacks", "p", "dev.json"), "{}");
        assert.deepEqual(brokenSidecars(dir), []);
        assert.deepEqual(brokenSidecars(path.join(dir, "missing")), []);
    });
});
