import { strict as assert } from "assert";
import { workload } from "./fixtures";
import { runPolicy, TestResource } from "./runner";

const ingress = (spec: Record<string, unknown>): TestResource => ({
    type: "kubernetes:networking.k8s.io/v1:Ingress",
    name: "site",
    props: { metadata: { name: "site", namespace: "apps" }, spec },
});
const rule = (host: string) => ({ host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } });
const namespace = (labels: Record<string, string>): TestResource => ({
    type: "kubernetes:core/v1:Namespace",
    name: "apps",
    props: { metadata: { name: "apps", labels } },
});
const PSA = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
};

describe("policy pack: Ingress, Namespace and stack rules", () => {
    describe("k8s-ingress-tls", () => {
        it("flags an Ingress without TLS", () => {
            const [v] = runPolicy("k8s-ingress-tls", [ingress({ rules: [rule("a.example.com")] })]);
            assert.match(v.message, /^Ingress site: spec\.tls is missing; add a tls entry for a\.example\.com/);
        });
        it("flags a host the TLS entries do not cover", () => {
            const vs = runPolicy("k8s-ingress-tls", [
                ingress({ rules: [rule("a.example.com"), rule("b.example.com")], tls: [{ hosts: ["a.example.com"], secretName: "t" }] }),
            ]);
            assert.equal(vs.length, 1);
            assert.match(vs[0].message, /host "b\.example\.com" is not listed in spec\.tls\[\]\.hosts/);
        });
        it("accepts full TLS coverage, also for a Patch", () => {
            const spec = { rules: [rule("a.example.com")], tls: [{ hosts: ["a.example.com"], secretName: "t" }] };
            assert.deepEqual(runPolicy("k8s-ingress-tls", [ingress(spec), { ...ingress(spec), type: "kubernetes:networking.k8s.io/v1:IngressPatch" }]), []);
        });
        it("can be advisory for development stacks", () => {
            const [v] = runPolicy("k8s-ingress-tls", [ingress({ rules: [rule("a.localhost")] })], { "k8s-ingress-tls": { enforcementLevel: "advisory" } });
            assert.equal(v.level, "advisory");
        });
    });

    describe("k8s-namespace-pod-security", () => {
        it("flags a namespace without labels", () => {
            const messages = runPolicy("k8s-namespace-pod-security", [namespace({})]).map((v) => v.message);
            assert.equal(messages.length, 3);
            assert.match(messages[0], /^Namespace apps: metadata\.labels\["pod-security\.kubernetes\.io\/enforce"\] is missing; set it to "restricted"/);
        });
        it("flags enforce baseline", () => {
            const [v] = runPolicy("k8s-namespace-pod-security", [namespace({ ...PSA, "pod-security.kubernetes.io/enforce": "baseline" })]);
            assert.match(v.message, /is "baseline"; set it to "restricted"/);
        });
        it("accepts restricted with audit and warn", () => {
            assert.deepEqual(runPolicy("k8s-namespace-pod-security", [namespace(PSA)]), []);
        });
        it("honours the exclusion list by namespace name", () => {
            assert.deepEqual(runPolicy("k8s-namespace-pod-security", [namespace({})], { "k8s-namespace-pod-security": { exclude: ["apps"] } }), []);
        });
    });

    describe("k8s-pdb-for-replicated-workloads", () => {
        const replicated = (replicas: number, name = "web") => {
            const w = workload("Deployment", () => undefined, name);
            w.props.spec.replicas = replicas;
            return w;
        };
        const pdb = (matchLabels: Record<string, string>, namespace = "apps"): TestResource => ({
            type: "kubernetes:policy/v1:PodDisruptionBudget",
            name: "web-pdb",
            props: { metadata: { name: "web", namespace }, spec: { maxUnavailable: 1, selector: { matchLabels } } },
        });
        const hpa = (target: string, minReplicas = 2): TestResource => ({
            type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
            name: `${target}-hpa`,
            props: {
                metadata: { name: target, namespace: "apps" },
                spec: { minReplicas, maxReplicas: 5, scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target } },
            },
        });
        it("flags a replicated Deployment without a PDB", () => {
            const [v] = runPolicy("k8s-pdb-for-replicated-workloads", [replicated(3)]);
            assert.match(v.message, /^Deployment web runs 3 replicas but no PodDisruptionBudget in namespace apps selects its pods/);
        });
        it("flags an autoscaled single-replica Deployment without a PDB", () => {
            const [v] = runPolicy("k8s-pdb-for-replicated-workloads", [replicated(1), hpa("web")]);
            assert.match(v.message, /is scaled by HPA web/);
        });
        it("flags a PDB that selects other pods or lives in another namespace", () => {
            assert.equal(runPolicy("k8s-pdb-for-replicated-workloads", [replicated(3), pdb({ app: "other" })]).length, 1);
            assert.equal(runPolicy("k8s-pdb-for-replicated-workloads", [replicated(3), pdb({ app: "web" }, "elsewhere")]).length, 1);
        });
        it("accepts a matching PDB, and a single unscaled replica without one", () => {
            assert.deepEqual(runPolicy("k8s-pdb-for-replicated-workloads", [replicated(3), pdb({ app: "web" })]), []);
            assert.deepEqual(runPolicy("k8s-pdb-for-replicated-workloads", [replicated(1)]), []);
        });
    });

    describe("k8s-hpa-min-replicas", () => {
        const hpa = (minReplicas: number): TestResource => ({
            type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
            name: "web",
            props: { metadata: { name: "web", namespace: "apps" }, spec: { minReplicas, maxReplicas: 5, scaleTargetRef: { kind: "Deployment", name: "web" } } },
        });
        it("flags minReplicas below the configured floor", () => {
            const [v] = runPolicy("k8s-hpa-min-replicas", [hpa(1)], { "k8s-hpa-min-replicas": { minReplicasFloor: 2 } });
            assert.match(v.message, /^HorizontalPodAutoscaler web: spec\.minReplicas is 1, below the floor of 2; raise minReplicas/);
        });
        it("accepts minReplicas at the floor (default 1)", () => {
            assert.deepEqual(runPolicy("k8s-hpa-min-replicas", [hpa(1)]), []);
            assert.deepEqual(runPolicy("k8s-hpa-min-replicas", [hpa(2)], { "k8s-hpa-min-replicas": { minReplicasFloor: 2 } }), []);
        });
    });
});
