import { strict as assert } from "assert";
import { allPolicies } from "../../policy/rules";
import { POD_SECURITY_CONTROLS } from "../../policy/rules/pod-security";
import { CORPUS_KINDS, corpus, PSS_POLICIES } from "./pss-corpus";
import { runPack } from "./runner";

describe("Pod Security corpus (also run against the API server by e2e/pss-differential.ts)", () => {
    const cases = corpus();

    it("has every control × every kind × violating and compliant variants, at least 150 objects", () => {
        assert.ok(cases.length >= 150, `${cases.length} objects`);
        const controls = new Set(POD_SECURITY_CONTROLS.map((c) => c.control));
        for (const control of controls) {
            for (const kind of CORPUS_KINDS) {
                for (const violates of [true, false]) {
                    assert.ok(
                        cases.some((c) => c.control === control && c.kind === kind && c.violates === violates),
                        `${control} × ${kind} × ${violates ? "violating" : "compliant"}`,
                    );
                }
            }
        }
        assert.equal(new Set(cases.map((c) => c.manifest.metadata.name)).size, cases.length, "object names are unique");
        assert.ok(
            cases.every((c) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(c.manifest.metadata.name)),
            "object names are DNS labels",
        );
    });

    it("every PSS policy of the pack is one the corpus judges, and every policy of the pack is known to it", () => {
        const names = allPolicies.map((p) => p.name);
        for (const p of PSS_POLICIES) {
            assert.ok(names.includes(p), p);
        }
        assert.deepEqual([...new Set(POD_SECURITY_CONTROLS.map((c) => c.policy))].sort(), [...PSS_POLICIES].sort());
    });

    it("the pack's Pod Security verdict equals the generator's label for every object, and no other rule fires", () => {
        const wrong: string[] = [];
        for (const c of cases) {
            const violations = runPack([c.resource]);
            const other = violations.filter((v) => !PSS_POLICIES.includes(v.policy));
            const pss = violations.filter((v) => PSS_POLICIES.includes(v.policy));
            if (other.length > 0) {
                wrong.push(`${c.id}: not isolated: ${other.map((v) => `${v.policy}: ${v.message}`).join(" | ")}`);
            }
            if (pss.length > 0 !== c.violates) {
                wrong.push(
                    `${c.id}: expected ${c.violates ? "a violation" : "none"}, got ${pss.map((v) => `${v.policy}: ${v.message}`).join(" | ") || "none"}`,
                );
            }
        }
        assert.deepEqual(wrong, []);
    });
});
