// Table-driven policy tests: one `it` per case, each a compliant workload with one edit, and the
// violations of one policy it must produce ([] = compliant).
import { strict as assert } from "assert";
import { Pod, workload, WorkloadKind } from "./fixtures";
import { runPolicy } from "./runner";

export interface Case {
    title: string;
    kind?: WorkloadKind;
    edit: (pod: Pod) => void;
    /** Each pattern must match one violation of the policy; [] means compliant. */
    expect: RegExp[];
}

/** Runs `cases` against `policy`; a case without `kind` uses `defaultKind`, its workload is named `name`. */
export function checkPolicy(policy: string, cases: Case[], defaultKind: WorkloadKind = "Deployment", name?: string): void {
    describe(policy, () => {
        for (const c of cases) {
            it(`${c.expect.length ? "flags" : "accepts"} ${c.title}`, () => {
                const violations = runPolicy(policy, [workload(c.kind ?? defaultKind, c.edit, name)]);
                assert.equal(violations.length, c.expect.length, violations.map((v) => v.message).join("\n"));
                c.expect.forEach((pattern, i) => assert.match(violations[i].message, pattern));
                assert.ok(violations.every((v) => v.level === "mandatory"));
            });
        }
    });
}
