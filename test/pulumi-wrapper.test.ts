// scripts/pulumi.ts (npm run up|preview|destroy|render): its argument parsing, what render leaves out of a
// stack file, and the dev passphrase it shares with scripts/pulumi.sh (read there by e2e/node/platform.sh).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { DEV_PASSPHRASE, parseArgs, renderableStackFile } from "../scripts/pulumi";

describe("scripts/pulumi.ts (the npm run up/preview/destroy/render wrapper)", () => {
    it("defaults to the dev stack and passes every other flag through to pulumi", () => {
        assert.deepStrictEqual(parseArgs(["up", "--target", "urn:x", "--refresh"]), {
            command: "up",
            stack: "dev",
            passthrough: ["--target", "urn:x", "--refresh"],
            noLocalCluster: false,
        });
    });

    it("takes --no-local-cluster for itself (not passed to pulumi)", () => {
        assert.deepStrictEqual(parseArgs(["up", "--no-local-cluster", "--yes"]), { command: "up", stack: "dev", passthrough: ["--yes"], noLocalCluster: true });
    });

    it("reads --stack NAME, -s NAME, --stack=NAME and -s=NAME", () => {
        assert.strictEqual(parseArgs(["preview", "--stack", "prod"]).stack, "prod");
        assert.strictEqual(parseArgs(["preview", "-s", "prod", "--diff"]).stack, "prod");
        assert.strictEqual(parseArgs(["destroy", "--stack=staging"]).stack, "staging");
        assert.deepStrictEqual(parseArgs(["render", "-s=prod"]), { command: "render", stack: "prod", passthrough: [], noLocalCluster: false });
    });

    it("render drops secure values (both YAML forms) and the stack's salt, and keeps everything else", () => {
        const stackFile = [
            "config:",
            "  rag-platform:environment: prod",
            "  rag-platform:llmApiKey:",
            "    secure: v1:abc",
            "  rag-platform:other: {secure: v1:def}",
            "  rag-platform:kubeContext: prod-cluster",
            "encryptionsalt: v1:salt",
            "",
        ].join("\n");
        const { text, droppedSecure } = renderableStackFile(stackFile);
        assert.strictEqual(droppedSecure, true);
        assert.strictEqual(text, "config:\n  rag-platform:environment: prod\n  rag-platform:kubeContext: prod-cluster\n");
        assert.strictEqual(renderableStackFile("config:\n  rag-platform:environment: dev\n").droppedSecure, false);
    });

    it("supplies the same dev-only passphrase as scripts/pulumi.sh, whose salt Pulumi.dev.yaml holds", () => {
        const sh = fs.readFileSync(path.join(__dirname, "..", "scripts", "pulumi.sh"), "utf8");
        assert.strictEqual(/^DEV_PASSPHRASE="([^"]*)"$/m.exec(sh)?.[1], DEV_PASSPHRASE);
    });
});
