import { strict as assert } from "assert";
import { allPolicies } from "../../policy/rules";
import { imageReference } from "../../policy/rules/images";
import { Case, checkPolicy } from "./cases";
import { main, workload, WorkloadKind } from "./fixtures";
import { PackConfig, runPack, runPolicy, TestResource } from "./runner";

const check = (policy: string, cases: Case[]) => checkPolicy(policy, cases);

const none = () => undefined;

describe("policy pack rules", () => {
    it("every policy is mandatory by default and has a config schema with an exclusion list", () => {
        assert.equal(allPolicies.length, 22);
        for (const p of allPolicies) {
            assert.equal(p.enforcementLevel, "mandatory", p.name);
            assert.ok(p.configSchema?.properties.exclude, p.name);
        }
    });

    it("accepts a compliant object of every workload kind", () => {
        const kinds: WorkloadKind[] = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "DeploymentPatch"];
        const violations = runPack(kinds.map((k) => workload(k, none, k.toLowerCase())));
        assert.deepEqual(violations, []);
    });

    check("k8s-container-resources", [
        {
            title: "a missing memory limit, naming resource, container, path and fix",
            edit: (p) => delete main(p).resources.limits.memory,
            expect: [
                /^Deployment web, container "app": spec\.template\.spec\.containers\[0\]\.resources\.limits\.memory is missing; set a memory limit \(e\.g\. "512Mi"\)$/,
            ],
        },
        {
            title: "a missing CPU request",
            edit: (p) => delete main(p).resources.requests.cpu,
            expect: [/resources\.requests\.cpu is missing; set a cpu request/],
        },
        { title: "no resources at all", edit: (p) => delete main(p).resources, expect: [/requests\.cpu/, /limits\.cpu/, /requests\.memory/, /limits\.memory/] },
        {
            title: "an init container without limits",
            edit: (p) => delete p.initContainers[0].resources.limits,
            expect: [
                /init container "migrate": spec\.template\.spec\.initContainers\[0\]\.resources\.limits\.cpu is missing/,
                /initContainers\[0\]\.resources\.limits\.memory is missing/,
            ],
        },
        {
            title: "a limit below the request",
            edit: (p) => (main(p).resources.limits.memory = "64Mi"),
            expect: [/resources\.limits\.memory \(64Mi\) is below the request \(128Mi\)/],
        },
        {
            title: "a malformed quantity",
            edit: (p) => (main(p).resources.limits.memory = "2GB"),
            expect: [/resources\.limits\.memory is not a valid quantity \("2GB"\)/],
        },
        {
            title: "a CronJob's nested template",
            kind: "CronJob",
            edit: (p) => delete main(p).resources.limits.cpu,
            expect: [/^CronJob web, container "app": spec\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.resources\.limits\.cpu is missing/],
        },
        {
            title: "a bare Pod",
            kind: "Pod",
            edit: (p) => delete main(p).resources.requests.memory,
            expect: [/^Pod web, container "app": spec\.containers\[0\]\.resources\.requests\.memory/],
        },
        {
            title: "a DeploymentPatch",
            kind: "DeploymentPatch",
            edit: (p) => delete main(p).resources.limits.cpu,
            expect: [/^Deployment web, container "app".*limits\.cpu is missing/],
        },
        {
            title: "millicores equal to whole cores",
            edit: (p) => Object.assign(main(p).resources, { requests: { cpu: "1000m", memory: "1Gi" }, limits: { cpu: "1", memory: "1024Mi" } }),
            expect: [],
        },
    ]);

    describe("k8s-container-resources thresholds", () => {
        it("flags a limit above the configured maximum and accepts one below", () => {
            const big = workload("Deployment", (p) => Object.assign(main(p).resources.limits, { cpu: "8", memory: "16Gi" }));
            const config: PackConfig = { "k8s-container-resources": { maxCpuLimit: "4", maxMemoryLimit: "8Gi" } };
            const messages = runPolicy("k8s-container-resources", [big], config).map((v) => v.message);
            assert.deepEqual(messages.length, 2);
            assert.match(messages[0], /limits\.cpu \(8\) exceeds the allowed maximum 4/);
            assert.match(messages[1], /limits\.memory \(16Gi\) exceeds the allowed maximum 8Gi/);
            assert.deepEqual(runPolicy("k8s-container-resources", [workload()], config), []);
        });
    });

    check("k8s-container-probes", [
        {
            title: "a Deployment container without a liveness probe",
            edit: (p) => delete main(p).livenessProbe,
            expect: [/containers\[0\]\.livenessProbe is missing; add a liveness probe/],
        },
        {
            title: "a StatefulSet container without a readiness probe",
            kind: "StatefulSet",
            edit: (p) => delete main(p).readinessProbe,
            expect: [/^StatefulSet web, container "app".*readinessProbe is missing/],
        },
        {
            title: "a DaemonSet without probes",
            kind: "DaemonSet",
            edit: (p) => (delete main(p).livenessProbe, delete main(p).readinessProbe),
            expect: [/livenessProbe/, /readinessProbe/],
        },
        {
            title: "a native sidecar init container without probes",
            edit: (p) => (p.initContainers[0].restartPolicy = "Always"),
            expect: [/init container "migrate".*livenessProbe/, /init container "migrate".*readinessProbe/],
        },
        { title: "a Job without probes", kind: "Job", edit: none, expect: [] },
        { title: "a CronJob without probes", kind: "CronJob", edit: none, expect: [] },
        { title: "init containers without probes", edit: none, expect: [] },
    ]);

    check("k8s-run-as-non-root", [
        {
            title: "runAsNonRoot unset on pod and container",
            edit: (p) => (delete p.securityContext.runAsNonRoot, delete main(p).securityContext.runAsNonRoot),
            expect: [/containers\[0\]\.securityContext\.runAsNonRoot is not set \(nor on the pod\)/],
        },
        {
            title: "a container overriding runAsNonRoot to false",
            edit: (p) => (main(p).securityContext.runAsNonRoot = false),
            expect: [/containers\[0\]\.securityContext\.runAsNonRoot is false; remove it or set it to true/],
        },
        {
            title: "runAsUser 0 on the pod",
            edit: (p) => (p.securityContext.runAsUser = 0),
            expect: [/spec\.template\.spec\.securityContext\.runAsUser is 0 \(root\)/],
        },
        {
            title: "runAsUser 0 on an init container",
            edit: (p) => (p.initContainers[0].securityContext.runAsUser = 0),
            expect: [/init container "migrate".*runAsUser is 0/],
        },
        {
            title: "runAsNonRoot only on the pod",
            edit: (p) => delete main(p).securityContext.runAsNonRoot && delete p.initContainers[0].securityContext.runAsNonRoot,
            expect: [],
        },
    ]);

    check("k8s-no-privilege-escalation", [
        {
            title: "allowPrivilegeEscalation unset",
            edit: (p) => delete main(p).securityContext.allowPrivilegeEscalation,
            expect: [/allowPrivilegeEscalation is not set; set allowPrivilegeEscalation: false/],
        },
        {
            title: "allowPrivilegeEscalation true",
            edit: (p) => (main(p).securityContext.allowPrivilegeEscalation = true),
            expect: [/allowPrivilegeEscalation is true/],
        },
        { title: "a privileged container", edit: (p) => (main(p).securityContext.privileged = true), expect: [/securityContext\.privileged is true/] },
        {
            title: "capabilities not dropped",
            edit: (p) => (main(p).securityContext.capabilities = { drop: ["NET_RAW"] }),
            expect: [/capabilities\.drop does not include "ALL"; set capabilities\.drop: \["ALL"\]/],
        },
        {
            title: "an added SYS_ADMIN",
            edit: (p) => (main(p).securityContext.capabilities.add = ["SYS_ADMIN"]),
            expect: [/capabilities\.add adds "SYS_ADMIN"; add nothing beyond NET_BIND_SERVICE/],
        },
        { title: "an added NET_BIND_SERVICE", edit: (p) => (main(p).securityContext.capabilities.add = ["NET_BIND_SERVICE"]), expect: [] },
        {
            title: "an init container without a security context",
            edit: (p) => delete p.initContainers[0].securityContext,
            expect: [/init container "migrate".*allowPrivilegeEscalation is not set/, /init container "migrate".*capabilities\.drop/],
        },
    ]);

    check("k8s-read-only-root-filesystem", [
        {
            title: "a writable root filesystem",
            edit: (p) => (main(p).securityContext.readOnlyRootFilesystem = false),
            expect: [/readOnlyRootFilesystem is not true; set readOnlyRootFilesystem: true and mount an emptyDir/],
        },
        {
            title: "an unset readOnlyRootFilesystem in a CronJob",
            kind: "CronJob",
            edit: (p) => delete main(p).securityContext.readOnlyRootFilesystem,
            expect: [/^CronJob web.*readOnlyRootFilesystem is not true/],
        },
    ]);

    check("k8s-seccomp-profile", [
        {
            title: "no seccomp profile anywhere",
            edit: (p) => delete p.securityContext.seccompProfile,
            expect: [
                /initContainers\[0\]\.securityContext\.seccompProfile\.type is not set/,
                /spec\.containers\[0\]\.securityContext\.seccompProfile\.type is not set \(nor on the pod\)/,
            ],
        },
        {
            title: "a container overriding to Unconfined",
            edit: (p) => (main(p).securityContext.seccompProfile = { type: "Unconfined" }),
            expect: [/containers\[0\]\.securityContext\.seccompProfile\.type is "Unconfined"; use "RuntimeDefault" or "Localhost"/],
        },
        {
            title: "a Localhost profile on the container",
            edit: (p) => (main(p).securityContext.seccompProfile = { type: "Localhost", localhostProfile: "p.json" }),
            expect: [],
        },
    ]);

    check("k8s-no-host-access", [
        { title: "hostNetwork", edit: (p) => (p.hostNetwork = true), expect: [/spec\.template\.spec\.hostNetwork is true/] },
        { title: "hostPID and hostIPC", edit: (p) => Object.assign(p, { hostPID: true, hostIPC: true }), expect: [/hostPID is true/, /hostIPC is true/] },
        {
            title: "a hostPath volume",
            edit: (p) => p.volumes.push({ name: "docker", hostPath: { path: "/var/run/docker.sock" } }),
            expect: [/volumes\[1\]\.hostPath mounts \/var\/run\/docker\.sock/],
        },
        { title: "a host port", edit: (p) => (main(p).ports = [{ containerPort: 80, hostPort: 80 }]), expect: [/ports\[0\]\.hostPort is 80/] },
        { title: "hostNetwork false and plain ports", edit: (p) => ((p.hostNetwork = false), (main(p).ports = [{ containerPort: 8080 }])), expect: [] },
    ]);

    check("k8s-image-pinned", [
        { title: "an untagged image", edit: (p) => (main(p).image = "nginx"), expect: [/image "nginx" has no tag \(it means latest\)/] },
        { title: "the latest tag", edit: (p) => (main(p).image = "ghcr.io/acme/app:latest"), expect: [/uses the latest tag; pin a version tag or a digest/] },
        { title: "a registry port without a tag", edit: (p) => (main(p).image = "localhost:5000/app"), expect: [/"localhost:5000\/app" has no tag/] },
        {
            title: "an untagged init container image",
            edit: (p) => (p.initContainers[0].image = "busybox"),
            expect: [/init container "migrate".*"busybox" has no tag/],
        },
        { title: "a digest", edit: (p) => (main(p).image = `nginx@sha256:${"a".repeat(64)}`), expect: [] },
        { title: "a registry port with a tag", edit: (p) => (main(p).image = "localhost:5000/app:2.0"), expect: [] },
    ]);

    check("k8s-secret-env-from-secret", [
        {
            title: "a plain password",
            edit: (p) => main(p).env.push({ name: "POSTGRES_PASSWORD", value: "hunter2" }),
            expect: [/env\[1\]\.value sets POSTGRES_PASSWORD in plain text; store it in a Secret/],
        },
        {
            title: "a plain API key, case-insensitively",
            edit: (p) => main(p).env.push({ name: "openai_api_key", value: "sk-1" }),
            expect: [/sets openai_api_key in plain text/],
        },
        {
            title: "a token from a ConfigMap",
            edit: (p) => main(p).env.push({ name: "GITHUB_TOKEN", valueFrom: { configMapKeyRef: { name: "c", key: "t" } } }),
            expect: [/valueFrom\.configMapKeyRef reads GITHUB_TOKEN from a configMapKeyRef/],
        },
        {
            title: "a secret in an init container",
            edit: (p) => (p.initContainers[0].env = [{ name: "SECRET", value: "x" }]),
            expect: [/init container "migrate".*sets SECRET in plain text/],
        },
        {
            title: "a *_FILE path and $(VAR) references",
            edit: (p) => main(p).env.push({ name: "DB_PASSWORD_FILE", value: "/run/secrets/db" }, { name: "REDIS_PASSWORD_COPY", value: "$(REDIS_PASSWORD)" }),
            expect: [],
        },
        { title: "non-secret plain values", edit: (p) => main(p).env.push({ name: "LOG_LEVEL", value: "info" }), expect: [] },
    ]);

    describe("config", () => {
        const violating = workload("Deployment", (p) => delete main(p).resources.limits.memory);
        it("an enforcement level from the pack config (advisory)", () => {
            const [v] = runPolicy("k8s-container-resources", [violating], { "k8s-container-resources": { enforcementLevel: "advisory" } });
            assert.equal(v.level, "advisory");
        });
        it("disabled turns the rule off", () => {
            assert.deepEqual(runPolicy("k8s-container-resources", [violating], { "k8s-container-resources": { enforcementLevel: "disabled" } }), []);
        });
        it("the exclusion list skips a namespace or a resource name, and only those", () => {
            assert.deepEqual(runPolicy("k8s-container-resources", [violating], { "k8s-container-resources": { exclude: ["apps"] } }), []);
            assert.deepEqual(runPolicy("k8s-container-resources", [violating], { "k8s-container-resources": { exclude: ["web"] } }), []);
            assert.equal(runPolicy("k8s-container-resources", [violating], { "k8s-container-resources": { exclude: ["other"] } }).length, 1);
        });
        it("configurable secret name patterns", () => {
            const r = workload("Deployment", (p) => main(p).env.push({ name: "DSN", value: "postgres://u:p@h/db" }));
            assert.equal(runPolicy("k8s-secret-env-from-secret", [r]).length, 0);
            assert.equal(runPolicy("k8s-secret-env-from-secret", [r], { "k8s-secret-env-from-secret": { secretNamePatterns: ["DSN"] } }).length, 1);
        });
        it("resources that are not workloads are left alone", () => {
            const cm: TestResource = { type: "kubernetes:core/v1:ConfigMap", name: "c", props: { data: { PASSWORD: "x" } } };
            assert.deepEqual(runPack([cm]), []);
        });
    });

    describe("imageReference", () => {
        it("tells tags from registry ports", () => {
            assert.deepEqual(imageReference("localhost:5000/a/b:1.0"), { tag: "1.0", digest: undefined });
            assert.deepEqual(imageReference("localhost:5000/a/b"), { tag: undefined, digest: undefined });
        });
    });
});
