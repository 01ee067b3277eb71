// Writes a stack's alerting rules and their promtool unit tests: <dir>/rules.yaml and <dir>/tests.yaml.
// Usage: ts-node --transpile-only scripts/alerts/write-promtool-files.ts <dir> [stack=prod]
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { promtoolTests } from "../../test/alerts/promtool-cases";
import { renderRules } from "../../test/alerts/render";

async function main(): Promise<void> {
    const [dir, stack = "prod"] = process.argv.slice(2);
    if (!dir) {
        throw new Error("usage: write-promtool-files.ts <dir> [stack]");
    }
    const { groups, scope } = await renderRules(stack);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "rules.yaml"), yaml.dump({ groups }, { lineWidth: -1 }));
    const tests = groups.flatMap((g) => promtoolTests(scope, g.rules));
    fs.writeFileSync(path.join(dir, "tests.yaml"), yaml.dump({ rule_files: ["rules.yaml"], evaluation_interval: "1m", tests }, { lineWidth: -1 }));
    console.log(`${stack}: ${groups.reduce((n, g) => n + g.rules.length, 0)} alerts, ${tests.length} promtool test groups`);
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});
