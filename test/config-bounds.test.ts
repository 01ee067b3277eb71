// Boundary values of the config validators, through the pure parseConfig (no Pulumi program run): the last
// value the Kubernetes rule a validator stands in for accepts, and the first one it refuses.
import { strict as assert } from "assert";
import { ConfigError, parseConfig } from "../components/config";
import { readRawConfig } from "../scripts/stack-config";

/** The problems of a committed stack (Pulumi.<stack>.yaml) with these top-level values replaced, [] when it is valid. */
export function problems(stack: string, raw: Record<string, unknown>): string[] {
    const encoded = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    try {
        parseConfig(stack, { ...readRawConfig(stack), ...encoded });
        return [];
    } catch (err) {
        if (err instanceof ConfigError) {
            return [...err.problems];
        }
        throw err;
    }
}

/** Asserts that the stack is valid. */
export function accepts(stack: string, raw: Record<string, unknown>): void {
    assert.deepEqual(problems(stack, raw), [], JSON.stringify(raw));
}

/** Asserts that the one problem is about `key` and says `allowed`. */
export function refuses(stack: string, raw: Record<string, unknown>, key: string, allowed: RegExp): void {
    const found = problems(stack, raw);
    assert.equal(found.length, 1, `${JSON.stringify(raw)}: ${found.join("; ")}`);
    assert.ok(found[0].startsWith(`rag-platform:${key} = `), found[0]);
    assert.match(found[0], allowed);
}

describe("config boundaries", () => {
    describe("HPA behavior (k8s pkg/apis/autoscaling/validation: validateScalingRules, validateScalingPolicy)", () => {
        const up = (rules: Record<string, unknown>) => ({ api: { autoscaling: { behavior: { scaleUp: rules } } } });
        const policy = (p: Record<string, unknown>) => up({ policies: [{ type: "Pods", value: 4, periodSeconds: 15, ...p }] });

        it("stabilizationWindowSeconds 0 and 3600 pass; -1 and 3601 are refused", () => {
            accepts("prod", up({ stabilizationWindowSeconds: 0 }));
            accepts("prod", up({ stabilizationWindowSeconds: 3600 }));
            refuses("prod", up({ stabilizationWindowSeconds: 3601 }), "api.autoscaling.behavior.scaleUp.stabilizationWindowSeconds", /from 0 to 3600/);
            refuses("prod", up({ stabilizationWindowSeconds: -1 }), "api.autoscaling.behavior.scaleUp.stabilizationWindowSeconds", /from 0 to 3600/);
        });
        it("periodSeconds 1 and 1800 pass; 0 and 1801 are refused", () => {
            accepts("prod", policy({ periodSeconds: 1 }));
            accepts("prod", policy({ periodSeconds: 1800 }));
            refuses("prod", policy({ periodSeconds: 0 }), "api.autoscaling.behavior.scaleUp.policies[0].periodSeconds", /from 1 to 1800/);
            refuses("prod", policy({ periodSeconds: 1801 }), "api.autoscaling.behavior.scaleUp.policies[0].periodSeconds", /from 1 to 1800/);
        });
        it("a policy value 1 and 1000 pass; 0 and 1001 are refused", () => {
            accepts("prod", policy({ value: 1 }));
            accepts("prod", policy({ type: "Percent", value: 1000 }));
            refuses("prod", policy({ value: 0 }), "api.autoscaling.behavior.scaleUp.policies[0].value", /from 1 to 1000/);
            refuses("prod", policy({ value: 1001 }), "api.autoscaling.behavior.scaleUp.policies[0].value", /from 1 to 1000/);
        });
        it("refuses an unknown policy type, select policy or policy key, and an empty policy list", () => {
            refuses("prod", policy({ type: "Nodes" }), "api.autoscaling.behavior.scaleUp.policies[0].type", /"Pods", "Percent"/);
            refuses("prod", up({ selectPolicy: "Fastest" }), "api.autoscaling.behavior.scaleUp.selectPolicy", /"Max", "Min", "Disabled"/);
            refuses("prod", policy({ period: 15 }), "api.autoscaling.behavior.scaleUp.policies[0].period", /not a known key/);
            refuses(
                "dev",
                { frontend: { autoscaling: { behavior: { scaleDown: { policies: [] } } } } },
                "frontend.autoscaling.behavior.scaleDown.policies",
                /non-empty list/,
            );
        });
        it("Disabled turns a direction off and is accepted", () => {
            accepts("prod", { frontend: { autoscaling: { behavior: { scaleDown: { selectPolicy: "Disabled" } } } } });
        });
    });
});
