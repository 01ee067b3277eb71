// Boundary values of the config validators, through the pure parseConfig (no Pulumi program run): the last
// value the Kubernetes rule a validator stands in for accepts, and the first one it refuses.
import { strict as assert } from "assert";
import { ConfigError, parseConfig } from "../components/config";
import { cronProblem, isDns1123Label, isDns1123Subdomain, isQualifiedName, isValidLabelValue } from "../components/config/k8s-validation";
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

    describe("names (k8s.io/apimachinery/pkg/util/validation)", () => {
        const label = (n: number) => "a".repeat(n);
        /** A DNS subdomain of exactly n characters: 63-character labels joined by dots. */
        const subdomain = (n: number) => {
            const parts: string[] = [];
            let left = n;
            while (left > 0) {
                const len = Math.min(63, left);
                parts.push("b".repeat(len));
                left -= len + 1;
            }
            const s = parts.join(".");
            return s.length === n ? s : s.slice(0, n).replace(/\.$/, "c");
        };

        it("IsDNS1123Label: 63 characters pass, 64 do not; no upper case, no leading or trailing '-'", () => {
            assert.ok(isDns1123Label(label(63)) && !isDns1123Label(label(64)));
            for (const bad of ["", "-a", "a-", "A", "a_b", "a.b"]) {
                assert.ok(!isDns1123Label(bad), bad);
            }
            accepts("dev", { namespace: label(63) });
            refuses("dev", { namespace: label(64) }, "namespace", /DNS label .*at most 63/);
            accepts("dev", { networkPolicy: { ingressControllerNamespace: label(63) } });
            refuses("dev", { networkPolicy: { ingressControllerNamespace: label(64) } }, "networkPolicy.ingressControllerNamespace", /at most 63/);
            refuses("dev", { monitoring: { prometheusNamespace: "Monitoring" } }, "monitoring.prometheusNamespace", /DNS label/);
        });

        it("IsDNS1123Subdomain: 253 characters pass, 254 do not", () => {
            assert.equal(subdomain(253).length, 253);
            assert.ok(isDns1123Subdomain(subdomain(253)) && !isDns1123Subdomain(subdomain(254)));
            assert.ok(!isDns1123Subdomain("a..b") && !isDns1123Subdomain(".a") && !isDns1123Subdomain("a."));
            accepts("dev", { ingress: { host: subdomain(253) } });
            refuses("dev", { ingress: { host: subdomain(254) } }, "ingress.host", /DNS host name.*at most 253/);
            refuses("dev", { ingress: { className: subdomain(254) } }, "ingress.className", /at most 253/);
            refuses("dev", { imagePullSecrets: ["ok", subdomain(254)] }, "imagePullSecrets[1]", /Secret name/);
            accepts("dev", { imagePullSecrets: [subdomain(253)] });
            refuses(
                "prod",
                { ingress: { host: "rag.example.com", tls: { enabled: true, clusterIssuer: "letsencrypt-prod", secretName: "TLS" } } },
                "ingress.tls.secretName",
                /Secret name/,
            );
        });

        it("IsQualifiedName and IsValidLabelValue: label keys and values of selectorLabels and the GPU nodeSelector", () => {
            assert.ok(isQualifiedName(label(63)) && !isQualifiedName(label(64)));
            assert.ok(isQualifiedName(`${subdomain(253)}/${label(63)}`) && !isQualifiedName(`${subdomain(254)}/x`));
            assert.ok(isQualifiedName("nvidia.com/gpu.present") && isQualifiedName("Release_1.x"));
            for (const bad of ["", "/a", "a/", "a/b/c", "-a", "a b", "Example.com/a"]) {
                assert.ok(!isQualifiedName(bad), bad);
            }
            assert.ok(isValidLabelValue("") && isValidLabelValue(label(63)) && !isValidLabelValue(label(64)) && !isValidLabelValue("a b"));
            accepts("dev", { monitoring: { selectorLabels: { [label(63)]: label(63) } } });
            refuses("dev", { monitoring: { selectorLabels: { [label(64)]: "x" } } }, `monitoring.selectorLabels.${label(64)}`, /invalid label key/);
            refuses("dev", { monitoring: { selectorLabels: { release: label(64) } } }, "monitoring.selectorLabels.release", /label value.*at most 63/);
            refuses(
                "dev",
                { api: { gpu: { nodeSelector: { "nvidia.com/gpu.present": "yes please" } } } },
                "api.gpu.nodeSelector.nvidia.com/gpu.present",
                /label value/,
            );
            accepts("dev", { api: { gpu: { nodeSelector: { "nvidia.com/gpu.present": "true" } } } });
            refuses("dev", { api: { gpu: { nodeSelector: { "nvidia.com/gpu.present": true } } } }, "api.gpu.nodeSelector", /map of string to string/);
        });

        it("a StorageClass provisioner is a qualified name (validateProvisioner)", () => {
            accepts("dev", { storage: { provisioner: `example.com/${label(63)}` } });
            refuses("dev", { storage: { provisioner: `example.com/${label(64)}` } }, "storage.provisioner", /at most 63/);
        });
    });

    describe("cron schedules (the API server parses them with robfig/cron/v3 ParseStandard)", () => {
        const sched = (schedule: string) => ({ indexer: { schedule } });

        it("accepts each field's whole range, lists, ranges, steps, names and descriptors", () => {
            for (const ok of [
                "0 2 * * *",
                "59 23 31 12 6",
                "0 0 1 1 0",
                "*/15 * * * *",
                "0 8-18/2 * * MON-FRI",
                "0 3 1,15 jan,Jul sun",
                "5 4 ? * *",
                "@daily",
                "@hourly",
            ]) {
                assert.equal(cronProblem(ok), undefined, ok);
                accepts("prod", sched(ok));
            }
        });
        it("refuses the first value past each field's range", () => {
            const cases: [string, RegExp][] = [
                ["60 2 * * *", /minute "60" is outside 0-59/],
                ["0 24 * * *", /hour "24" is outside 0-23/],
                ["0 2 0 * *", /day of month "0" is outside 1-31/],
                ["0 2 32 * *", /day of month "32" is outside 1-31/],
                ["0 2 * 0 *", /month "0" is outside 1-12/],
                ["0 2 * 13 *", /month "13" is outside 1-12/],
                ["0 2 * * 7", /day of week "7" is outside 0-6/],
            ];
            for (const [bad, why] of cases) {
                assert.match(cronProblem(bad) ?? "", why, bad);
            }
            refuses("prod", sched("0 24 * * *"), "indexer.schedule", /5-field cron schedule.*hour "24" is outside 0-23/);
        });
        it("refuses malformed schedules", () => {
            const cases: [string, RegExp][] = [
                ["0 2 * *", /4 fields, not 5/],
                ["0 0 2 * * *", /6 fields/],
                ["*/0 * * * *", /step of 0/],
                ["0 5-2 * * *", /starts after it ends/],
                ["0 2 * * MONDAY", /not a number or name/],
                ["0 2 * FOO *", /not a number or name/],
                ["0 2 L * *", /not a number/],
                ["CRON_TZ=UTC 0 2 * * *", /time-zone prefix/],
                ["@fortnightly", /unknown descriptor/],
                ["", /empty/],
            ];
            for (const [bad, why] of cases) {
                assert.match(cronProblem(bad) ?? "", why, bad);
            }
        });
    });

    describe("counts and ranges", () => {
        it("replicas: 1000 is a plan, 1001 a typo; HPA bounds likewise", () => {
            accepts("dev", { api: { replicas: 1000 } });
            refuses("dev", { api: { replicas: 1001 } }, "api.replicas", /from 0 to 1000/);
            accepts("prod", { frontend: { replicas: 2, autoscaling: { maxReplicas: 1000 } } });
            refuses("prod", { frontend: { replicas: 2, autoscaling: { maxReplicas: 1001 } } }, "frontend.autoscaling.maxReplicas", /from 1 to 1000/);
        });
        it("NodePorts: 30000 and 32767 pass (the default service-node-port-range); 29999 and 32768 do not", () => {
            accepts("dev", { localAccess: { enabled: true, apiNodePort: 30000, frontendNodePort: 32767 } });
            refuses("dev", { localAccess: { enabled: true, apiNodePort: 29999, frontendNodePort: 30001 } }, "localAccess.apiNodePort", /from 30000 to 32767/);
            refuses(
                "dev",
                { localAccess: { enabled: true, apiNodePort: 30000, frontendNodePort: 32768 } },
                "localAccess.frontendNodePort",
                /from 30000 to 32767/,
            );
        });
        it("quantities: positive Kubernetes quantities only", () => {
            accepts("dev", { redis: { resources: { requests: { cpu: "1m", memory: "1Ki" }, limits: { cpu: "0.5", memory: "1e9" } } } });
            refuses("dev", { redis: { storage: "0" } }, "redis.storage", /positive Kubernetes storage quantity/);
            refuses("dev", { redis: { storage: "-1Gi" } }, "redis.storage", /positive Kubernetes storage quantity/);
            refuses("dev", { redis: { storage: "1 Gi" } }, "redis.storage", /positive Kubernetes storage quantity/);
        });
    });

    describe("CORS", () => {
        it("a wildcard origin is refused in prod and allowed in dev", () => {
            refuses(
                "prod",
                { ingress: { host: "rag.example.com", tls: { enabled: true, clusterIssuer: "letsencrypt-prod", secretName: "tls" }, corsOrigins: ["*"] } },
                "ingress.corsOrigins[0]",
                /must not be "\*" in prod/,
            );
            accepts("prod", {
                ingress: {
                    host: "rag.example.com",
                    tls: { enabled: true, clusterIssuer: "letsencrypt-prod", secretName: "tls" },
                    corsOrigins: ["https://app.example.com"],
                },
            });
            accepts("dev", { ingress: { corsOrigins: ["*"] } });
        });
    });
});
