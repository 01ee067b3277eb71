// Runbooks: every rendered alert links to its own section of docs/operations.md, that section is about that
// alert, no section documents an alert that does not exist, and every in-repository Markdown link to a
// heading (docs/*.md, README.md) lands on one.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { RUNBOOK_DOC } from "../components/observability/alerts";
import { ROOT } from "./harness";
import { renderRules } from "./alerts/render";

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
export function headingAnchors(markdown: string): Map<string, { title: string; level: number; body: string }> {
    const anchors = new Map<string, { title: string; level: number; body: string }>();
    const seen = new Map<string, number>();
    const lines = markdown.split("\n");
    let fenced = false;
    const headings: { line: number; level: number; title: string }[] = [];
    lines.forEach((line, i) => {
        if (/^(```|~~~)/.test(line)) fenced = !fenced;
        const m = !fenced && /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
        if (m) headings.push({ line: i, level: m[1].length, title: m[2] });
    });
    headings.forEach((h, k) => {
        const next = headings.slice(k + 1).find((o) => o.level <= h.level);
        const base = h.title
            .toLowerCase()
            .replace(/[^\p{L}\p{N}\s_-]/gu, "")
            .replace(/\s/g, "-");
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        anchors.set(n === 0 ? base : `${base}-${n}`, {
            title: h.title,
            level: h.level,
            body: lines.slice(h.line + 1, next ? next.line : lines.length).join("\n"),
        });
    });
    return anchors;
}

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

describe("runbooks (docs/operations.md#<alert>)", () => {
    const doc = headingAnchors(read(RUNBOOK_DOC));
    const alertSections = [...doc.values()].filter((s) => s.level === 3 && /^Rag[A-Za-z0-9]+$/.test(s.title));

    it("GitHub's anchors: punctuation dropped, repeats numbered", () => {
        const a = headingAnchors("# Availability: what it gives, what it costs\n## Scale\n```\n# not a heading\n```\n## Scale\n### RagPodRestarting\n");
        assert.deepEqual([...a.keys()], ["availability-what-it-gives-what-it-costs", "scale", "scale-1", "ragpodrestarting"]);
        assert.equal(a.get("scale")!.body.includes("# not a heading"), true);
    });

    // dev renders no PrometheusRule (monitoring.enabled is false there)
    for (const stack of ["prod"]) {
        it(`${stack}: every alert's runbook is its own section, about it`, async () => {
            const rules = (await renderRules(stack)).groups.flatMap((g) => g.rules);
            assert.ok(rules.length >= 9, `${stack} renders ${rules.length} alerts`);
            for (const r of rules) {
                const [file, anchor] = String(r.annotations.runbook).split("#");
                assert.equal(file, RUNBOOK_DOC, `${r.alert}: runbook ${r.annotations.runbook}`);
                const section = doc.get(anchor);
                assert.ok(section, `${r.alert}: ${RUNBOOK_DOC} has no heading with the anchor #${anchor}`);
                assert.equal(section.title, r.alert, `${r.alert}: #${anchor} is the section "${section.title}"`);
                assert.ok(section.body.trim().split(/\s+/).length >= 25, `${r.alert}: its section says too little`);
            }
        });
    }

    it("every alert section documents an alert that prod renders (none stale)", async () => {
        const prod = new Set((await renderRules("prod")).groups.flatMap((g) => g.rules.map((r) => r.alert)));
        assert.ok(alertSections.length >= prod.size, `${alertSections.length} sections for ${prod.size} alerts`);
        for (const s of alertSections) {
            assert.ok(prod.has(s.title), `${RUNBOOK_DOC} documents ${s.title}, which no rule defines`);
        }
    });

    it("every Markdown link to a heading in README.md and docs/ resolves", () => {
        const files = [
            "README.md",
            ...fs
                .readdirSync(path.join(ROOT, "docs"))
                .filter((f) => f.endsWith(".md"))
                .map((f) => `docs/${f}`),
        ];
        const broken: string[] = [];
        let checked = 0;
        for (const file of files) {
            const text = read(file).replace(/```[\s\S]*?```/g, "");
            for (const m of text.matchAll(/\]\(([^)\s]*?)#([^)\s]+)\)/g)) {
                const target = m[1] ? path.normalize(path.join(path.dirname(file), m[1])) : file;
                if (/^[a-z]+:/.test(m[1]) || !target.endsWith(".md") || !fs.existsSync(path.join(ROOT, target))) continue;
                checked++;
                if (!headingAnchors(read(target)).has(m[2])) broken.push(`${file}: ${m[0]}`);
            }
        }
        assert.ok(checked > 10, `only ${checked} links to headings found`);
        assert.deepEqual(broken, []);
    });
});
