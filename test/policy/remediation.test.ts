// The three remediations (enforcement level `remediate`): Namespace Pod Security labels, a RuntimeDefault
// seccomp profile for pods without one, "ALL" in every container's capabilities.drop. Each is applied the
// way the analyzer applies it (props behind unknownCheckingProxy, edited in place) and the object then passes.
import { strict as assert } from "assert";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { allPolicies } from "../../policy/rules";
import { main, workload } from "./fixtures";
import { remediate, runPack, runPolicy, TestResource } from "./runner";

const namespace = (labels?: Record<string, string>): TestResource => ({
    type: "kubernetes:core/v1:Namespace",
    name: "apps",
    props: { metadata: { name: "apps", ...(labels ? { labels } : {}) } },
});

describe("remediations", () => {
    it("exactly the namespace labels, seccomp and capabilities policies have a remediateResource", () => {
        assert.deepEqual(
            allPolicies.filter((p) => "remediateResource" in p && p.remediateResource).map((p) => p.name),
            ["k8s-no-privilege-escalation", "k8s-seccomp-profile", "k8s-namespace-pod-security"],
        );
    });

    it("k8s-namespace-pod-security: adds the missing labels, sets enforce to restricted, keeps an existing audit level and other labels", () => {
        const props = remediate(
            "k8s-namespace-pod-security",
            namespace({ team: "search", "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/audit": "restricted" }),
        )!;
        assert.deepEqual(props.metadata.labels, {
            team: "search",
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        });
        assert.deepEqual(remediate("k8s-namespace-pod-security", namespace())!.metadata.labels["pod-security.kubernetes.io/warn"], "restricted");
    });

    it("k8s-seccomp-profile: a pod without a profile gets RuntimeDefault; an explicit Unconfined is left alone and still flagged", () => {
        const bare = workload("CronJob", (p) => delete p.securityContext.seccompProfile);
        assert.equal(runPolicy("k8s-seccomp-profile", [bare]).length, 2);
        const fixed = remediate("k8s-seccomp-profile", bare)!;
        assert.deepEqual(fixed.spec.jobTemplate.spec.template.spec.securityContext.seccompProfile, { type: "RuntimeDefault" });
        assert.deepEqual(runPolicy("k8s-seccomp-profile", [{ ...bare, props: fixed }]), []);
        const unconfined = workload("Deployment", (p) => (main(p).securityContext.seccompProfile = { type: "Unconfined" }));
        const still = remediate("k8s-seccomp-profile", unconfined)!;
        assert.equal(runPolicy("k8s-seccomp-profile", [{ ...unconfined, props: still }]).length, 1);
    });

    it("k8s-no-privilege-escalation: adds ALL to capabilities.drop of every container, keeping other drops and adds", () => {
        const r = workload("Deployment", (p) => {
            delete main(p).securityContext.capabilities;
            p.initContainers[0].securityContext.capabilities = { drop: ["NET_RAW"], add: ["NET_BIND_SERVICE"] };
        });
        const fixed = remediate("k8s-no-privilege-escalation", r)!;
        assert.deepEqual(fixed.spec.template.spec.containers[0].securityContext.capabilities, { drop: ["ALL"] });
        assert.deepEqual(fixed.spec.template.spec.initContainers[0].securityContext.capabilities, { drop: ["NET_RAW", "ALL"], add: ["NET_BIND_SERVICE"] });
        assert.deepEqual(runPolicy("k8s-no-privilege-escalation", [{ ...r, props: fixed }]), []);
    });

    it("enforcement level remediate: the pack fixes the objects before validating them (what cannot be fixed stays mandatory)", () => {
        const r = workload("Deployment", (p) => {
            delete p.securityContext.seccompProfile;
            delete main(p).securityContext.capabilities;
            main(p).securityContext.privileged = true;
        });
        const config = {
            "k8s-seccomp-profile": { enforcementLevel: "remediate" as const },
            "k8s-no-privilege-escalation": { enforcementLevel: "remediate" as const },
        };
        const violations = runPack([r, namespace()], { ...config, "k8s-namespace-pod-security": { enforcementLevel: "remediate" } });
        assert.deepEqual(
            violations.map((v) => [v.policy, v.level]),
            [["k8s-no-privilege-escalation", "mandatory"]],
        );
        assert.match(violations[0].message, /securityContext\.privileged is true/);
    });

    it("remediations leave Windows pods and excluded namespaces alone, and work with unknown values elsewhere (preview)", () => {
        const win = workload("Deployment", (p) => {
            p.os = { name: "windows" };
            delete p.securityContext.seccompProfile;
        });
        assert.equal(remediate("k8s-seccomp-profile", win)!.spec.template.spec.securityContext.seccompProfile, undefined);
        const excluded = workload("Deployment", (p) => delete p.securityContext.seccompProfile);
        assert.equal(remediate("k8s-seccomp-profile", excluded, { "k8s-seccomp-profile": { exclude: ["apps"] } }), undefined);
        const previewed = workload("Deployment", (p) => {
            delete p.securityContext.seccompProfile;
            main(p).image = unknownValue;
            main(p).env[0].value = unknownValue;
        });
        const fixed = remediate("k8s-seccomp-profile", previewed)!;
        assert.deepEqual(fixed.spec.template.spec.securityContext.seccompProfile, { type: "RuntimeDefault" });
        assert.equal(fixed.spec.template.spec.containers[0].image, unknownValue);
    });
});
