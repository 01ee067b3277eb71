import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { configKeyPaths } from "../components/config";
import { ROOT } from "./harness";

/**
 * The keys the first column of docs/config.md's tables names. A cell lists keys in backticks separated by
 * " / "; a key without a dot after the first one is a sibling of the first (`api.gpu.enabled` / `count`);
 * `{a,b}` expands (`storage.appData.{size,accessMode}`); a key covers the keys below it.
 */
export function documentedKeys(markdown: string): string[] {
    const keys: string[] = [];
    for (const line of markdown.split("\n")) {
        const cell = /^\|([^|]*)\|/.exec(line)?.[1] ?? "";
        const tokens = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
        const parent = tokens[0]?.includes(".") ? tokens[0].slice(0, tokens[0].lastIndexOf(".") + 1) : "";
        tokens.forEach((token, i) => keys.push(...expand(i > 0 && !token.includes(".") ? parent + token : token)));
    }
    return keys;
}

function expand(key: string): string[] {
    const brace = /\{([^}]*)\}/.exec(key);
    if (!brace) {
        return [key];
    }
    return brace[1].split(",").flatMap((alt) => expand(key.slice(0, brace.index) + alt.trim() + key.slice(brace.index + brace[0].length)));
}

const covers = (doc: string, key: string) => key === doc || key.startsWith(`${doc}.`);

/** Config keys no documented key covers. */
export function undocumented(markdown: string, keys = configKeyPaths()): string[] {
    const docs = documentedKeys(markdown);
    return keys.filter((k) => !docs.some((d) => covers(d, k)));
}

describe("docs/config.md", () => {
    const markdown = fs.readFileSync(path.join(ROOT, "docs", "config.md"), "utf8");

    it("lists every config key (walked from the key lists of components/config/types.ts)", () => {
        const keys = configKeyPaths();
        assert.ok(keys.length > 100, `only ${keys.length} key paths walked`);
        assert.ok(keys.includes("api.autoscaling.podsMetric.targetAverageValue") && keys.includes("llmApiKey"), keys.join(", "));
        assert.deepEqual(undocumented(markdown, keys), []);
    });

    it("lists no key that does not exist", () => {
        const keys = configKeyPaths();
        const unknown = documentedKeys(markdown).filter((d) => !keys.some((k) => covers(d, k)));
        assert.deepEqual(unknown, []);
    });

    it("notices a key missing from the docs (the check can fail)", () => {
        const withoutRow = markdown
            .split("\n")
            .filter((l) => !l.startsWith("| `ingress.tls."))
            .join("\n");
        assert.deepEqual(undocumented(withoutRow), ["ingress.tls.enabled", "ingress.tls.clusterIssuer", "ingress.tls.secretName"]);
        assert.deepEqual(documentedKeys("| `a.b` / `c` / `d.{e,f}` | x |"), ["a.b", "a.c", "d.e", "d.f"]);
    });
});
