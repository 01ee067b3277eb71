// The layout rules of docs/architecture.md that a reviewer would otherwise have to remember.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) return sourceFiles(rel);
        return e.name.endsWith(".ts") ? [rel] : [];
    });
}

const programFiles = () => ["index.ts", ...sourceFiles("components"), ...sourceFiles("lib")];
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");

describe("architecture rules", () => {
    it("no file under components/ is over 300 lines", () => {
        const long = sourceFiles("components")
            .map((f) => ({ f, lines: read(f).split("\n").length - (read(f).endsWith("\n") ? 1 : 0) }))
            .filter(({ lines }) => lines > 300);
        assert.deepEqual(long, [], "split these files into smaller modules");
    });

    it("the program imports nothing from the policy pack (shared code lives in lib/)", () => {
        const offenders = programFiles().filter((f) => /from\s+["'](\.\.\/)+policy[/"']/.test(read(f)) || /require\(["'](\.\.\/)+policy/.test(read(f)));
        assert.deepEqual(offenders, []);
    });

    it("no deprecated `transformations` resource option (stack transforms go through `transforms`)", () => {
        const offenders = programFiles().filter((f) => /\btransformations\s*:|registerStackTransformation\b/.test(read(f)));
        assert.deepEqual(offenders, []);
    });

    it("every ComponentResource registers its outputs", () => {
        const missing = sourceFiles("components").filter((f) => {
            const src = read(f);
            return /extends pulumi\.ComponentResource\b/.test(src) && !/this\.registerOutputs\(/.test(src);
        });
        assert.deepEqual(missing, []);
    });

    it("one component per file", () => {
        const crowded = sourceFiles("components").filter((f) => (read(f).match(/extends pulumi\.ComponentResource\b/g) ?? []).length > 1);
        assert.deepEqual(crowded, []);
    });
});
