// Preview semantics: during `pulumi preview` of a new stack, values computed by other resources are unknown,
// and @pulumi/policy's unknownCheckingProxy makes reading one throw UnknownValueError (the analyzer then
// reports "can't run policy ... during preview", advisory). These tests run the pack the same way over
// objects where, one at a time, every field (leaf or subtree) is unknown, and require: no crash; no
// violation invented for a compliant object; no violation silently passed (the policy still reports it, or
// says it could not run); and a violation on known fields is still reported when an unrelated field is unknown.
import { strict as assert } from "assert";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { allPolicies } from "../../policy/rules";
import { corpus, PSS_POLICIES } from "./pss-corpus";
import { main, workload } from "./fixtures";
import { CANT_RUN, mandatory, runPack, runPolicy, TestResource } from "./runner";

const preview = { preview: true };
const pssPolicies = allPolicies.filter((p) => PSS_POLICIES.includes(p.name));

/** Every path of an object (objects, arrays and leaves), depth-first. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    if (value === null || typeof value !== "object") {
        return [prefix];
    }
    const children = Array.isArray(value) ? value.map((v, i) => paths(v, [...prefix, i])) : Object.entries(value).map(([k, v]) => paths(v, [...prefix, k]));
    return [...(prefix.length ? [prefix] : []), ...children.flat()];
}

/**
 * The paths to make unknown: all of them, except that inside the init containers (the same shape as the app
 * container, whose every field is covered) only their securityContext and restartPolicy are taken.
 */
function pathsToTry(props: unknown): (string | number)[][] {
    return paths(props).filter((p) => {
        const i = p.indexOf("initContainers");
        return i < 0 || p.length <= i + 2 || p[i + 2] === "securityContext" || p[i + 2] === "restartPolicy";
    });
}

/** A copy of the resource with the value at `path` unknown (what the engine sends during preview). */
function withUnknown(r: TestResource, path: (string | number)[]): TestResource {
    const props = JSON.parse(JSON.stringify(r.props));
    let cur: any = props;
    for (const key of path.slice(0, -1)) {
        cur = cur[key];
    }
    cur[path[path.length - 1]] = unknownValue;
    return { ...r, props };
}

// One variant per control and verdict, as a Deployment for every other control and as a CronJob (the deepest
// template) for the rest: every field of each made unknown in turn (about 2,500 runs of the pack).
const controls = [...new Set(corpus().map((c) => c.control))];
const cases = corpus().filter((c, _i, all) => {
    if (c.kind !== (controls.indexOf(c.control) % 2 === 0 ? "Deployment" : "CronJob")) {
        return false;
    }
    return all.find((x) => x.kind === c.kind && x.control === c.control && x.violates === c.violates) === c;
});

describe("preview: unknown values (unknownCheckingProxy, as the analyzer runs policies during a preview)", () => {
    it("a compliant object with any one field unknown: no crash and no mandatory violation", () => {
        let runs = 0;
        const problems: string[] = [];
        for (const c of cases.filter((x) => !x.violates)) {
            for (const path of pathsToTry(c.resource.props)) {
                const violations = runPack([withUnknown(c.resource, path)], {}, undefined, preview);
                runs++;
                if (mandatory(violations).length > 0) {
                    problems.push(`${c.id} with ${path.join(".")} unknown: ${mandatory(violations)[0].message}`);
                }
            }
        }
        assert.ok(runs > 1000, `${runs} runs`);
        assert.deepEqual(problems.slice(0, 5), []);
    });

    it("a violating object with any one field unknown: the Pod Security policy still reports the violation, or says it could not run; never a silent pass", () => {
        let runs = 0;
        let stillMandatory = 0;
        const problems: string[] = [];
        for (const c of cases.filter((x) => x.violates)) {
            for (const path of pathsToTry(c.resource.props)) {
                const violations = runPack([withUnknown(c.resource, path)], {}, pssPolicies, preview);
                runs++;
                const reported = violations.some((v) => v.level === "mandatory");
                stillMandatory += reported ? 1 : 0;
                if (!reported && !violations.some((v) => v.level === "advisory" && v.message.startsWith(CANT_RUN))) {
                    problems.push(`${c.id} with ${path.join(".")} unknown: silently passed`);
                }
            }
        }
        assert.ok(runs > 1000, `${runs} runs`);
        assert.deepEqual(problems.slice(0, 5), []);
        // Most unknown fields are unrelated to the violation: it must still be reported as mandatory.
        assert.ok(stillMandatory / runs > 0.9, `${stillMandatory} of ${runs} still mandatory`);
    });

    it("a violation on known fields is still mandatory when the name, image, env values, resources or another container are unknown", () => {
        const r = workload("Deployment", (p) => {
            p.securityContext.runAsUser = 0;
            main(p).image = unknownValue;
            main(p).env[0] = { name: "DB_PASSWORD", value: unknownValue };
            main(p).resources.limits = unknownValue;
            p.initContainers[0] = unknownValue;
        });
        r.props.metadata.name = unknownValue;
        const violations = runPolicy("k8s-run-as-non-root", [r], {}, preview);
        assert.deepEqual(
            violations.map((v) => [v.level, v.message]),
            [
                ["mandatory", "Deployment web: spec.template.spec.securityContext.runAsUser is 0 (root); run as the image's non-root UID, e.g. 10001"],
                [
                    "advisory",
                    "can't run policy 'k8s-run-as-non-root' during preview: string value at .spec.template.spec.initContainers.0 can't be known during preview",
                ],
            ],
        );
        // and the rules that read the unknown fields say they could not run (advisory), without crashing
        const others = runPack([r], {}, undefined, preview).filter((v) =>
            ["k8s-image-pinned", "k8s-container-resources", "k8s-secret-env-from-secret"].includes(v.policy),
        );
        assert.ok(others.length >= 3 && others.every((v) => v.level === "advisory" && v.message.startsWith(CANT_RUN)), JSON.stringify(others));
    });

    it("an unknown pod-level value that decides the verdict is not treated as compliant", () => {
        const r = workload("Deployment", (p) => {
            p.securityContext.runAsNonRoot = unknownValue;
            delete main(p).securityContext.runAsNonRoot;
        });
        const [v] = runPolicy("k8s-run-as-non-root", [r], {}, preview);
        assert.equal(v.level, "advisory");
        assert.match(
            v.message,
            /^can't run policy 'k8s-run-as-non-root' during preview: string value at \.spec\.template\.spec\.securityContext\.runAsNonRoot can't be known during preview/,
        );
    });

    it("stack policies: an HPA with an unknown minReplicas does not hide another workload's missing PDB", () => {
        const web = workload("Deployment", () => undefined, "web");
        web.props.spec.replicas = 3;
        const api = workload("Deployment", () => undefined, "api");
        api.props.spec.replicas = unknownValue;
        const hpa: TestResource = {
            type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
            name: "api",
            props: {
                metadata: { name: "api", namespace: "apps" },
                spec: { minReplicas: unknownValue, maxReplicas: 5, scaleTargetRef: { kind: "Deployment", name: "api" } },
            },
        };
        const pdb = runPolicy("k8s-pdb-for-replicated-workloads", [web, api, hpa], {}, preview);
        assert.deepEqual(
            pdb.map((v) => v.level),
            ["mandatory", "advisory"],
        );
        assert.match(pdb[0].message, /^Deployment web runs 3 replicas but no PodDisruptionBudget/);
        const floor = runPolicy("k8s-hpa-min-replicas", [hpa], { "k8s-hpa-min-replicas": { minReplicasFloor: 2 } }, preview);
        assert.deepEqual(
            floor.map((v) => v.level),
            ["advisory"],
        );
    });

    it("Namespace and Ingress rules with unknown labels or hosts: advisory, no crash", () => {
        const ns: TestResource = { type: "kubernetes:core/v1:Namespace", name: "apps", props: { metadata: { name: "apps", labels: unknownValue } } };
        const ing: TestResource = {
            type: "kubernetes:networking.k8s.io/v1:Ingress",
            name: "site",
            props: { metadata: { name: "site" }, spec: { rules: [{ host: unknownValue }], tls: [{ hosts: [unknownValue] }] } },
        };
        const violations = runPack([ns, ing], {}, undefined, preview);
        assert.deepEqual(
            violations.map((v) => [v.policy, v.level]),
            [
                ["k8s-ingress-tls", "advisory"],
                ["k8s-namespace-pod-security", "advisory"],
            ],
        );
    });

    it("the same objects with every value known are judged normally (the preview runner changes nothing else)", () => {
        for (const c of cases) {
            const normal = runPack([c.resource]).map((v) => v.message);
            const proxied = runPack([c.resource], {}, undefined, preview).map((v) => v.message);
            assert.deepEqual(proxied, normal, c.id);
        }
    });
});
