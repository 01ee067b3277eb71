// Each Pod Security control: a violating and a compliant case, with the admission semantics that are easy to
// get wrong (pod/container precedence, Windows exemptions, annotations on the pod template, ephemeral
// containers, native sidecars). The whole matrix (control × kind × variant) is in pss-corpus.test.ts.
import { strict as assert } from "assert";
import { container, main, Pod, workload, WorkloadKind } from "./fixtures";
import { runPack, runPolicy, TestResource } from "./runner";

interface Case {
    title: string;
    kind?: WorkloadKind;
    edit: (pod: Pod, meta: Record<string, any>) => void;
    /** Each pattern must match one violation of the policy, in order; [] means compliant. */
    expect: RegExp[];
}

/** A compliant workload whose pod spec and pod (template) metadata `edit` changes. */
function edited(kind: WorkloadKind, edit: Case["edit"]): TestResource {
    let meta: Record<string, any> = {};
    const r = workload(kind, (pod) => edit(pod, (meta = {})));
    if (Object.keys(meta).length > 0) {
        const target =
            kind === "Pod" ? r.props.metadata : kind === "CronJob" ? r.props.spec.jobTemplate.spec.template.metadata : r.props.spec.template.metadata;
        Object.assign(target, meta);
    }
    return r;
}

function check(policy: string, cases: Case[]): void {
    describe(policy, () => {
        for (const c of cases) {
            it(`${c.expect.length ? "flags" : "accepts"} ${c.title}`, () => {
                const violations = runPolicy(policy, [edited(c.kind ?? "Deployment", c.edit)]);
                assert.equal(violations.length, c.expect.length, violations.map((v) => v.message).join("\n"));
                c.expect.forEach((pattern, i) => assert.match(violations[i].message, pattern));
            });
        }
    });
}

const ephemeral = (name = "debug") => {
    const c = container(name);
    delete c.resources;
    delete c.livenessProbe;
    delete c.readinessProbe;
    return c;
};
const sidecar = () => {
    const c = container("proxy");
    c.restartPolicy = "Always";
    return c;
};
const windows = (p: Pod) => {
    p.os = { name: "windows" };
};

describe("Pod Security Standards controls", () => {
    check("k8s-run-as-non-root", [
        {
            title: "the pod setting runAsNonRoot false although every container sets true (admission refuses the explicit false)",
            edit: (p) => (p.securityContext.runAsNonRoot = false),
            expect: [/^Deployment web: spec\.template\.spec\.securityContext\.runAsNonRoot is false; set it to true/],
        },
        {
            title: "an ephemeral container without runAsNonRoot when the pod does not set it",
            kind: "Pod",
            edit: (p) => {
                delete p.securityContext.runAsNonRoot;
                p.ephemeralContainers = [ephemeral()];
                delete p.ephemeralContainers[0].securityContext.runAsNonRoot;
            },
            expect: [/^Pod web, container "debug": spec\.ephemeralContainers\[0\]\.securityContext\.runAsNonRoot is not set \(nor on the pod\)/],
        },
        {
            title: "runAsUser 0 on a native sidecar",
            edit: (p) => p.initContainers.push(Object.assign(sidecar(), { securityContext: { ...sidecar().securityContext, runAsUser: 0 } })),
            expect: [/init container "proxy": spec\.template\.spec\.initContainers\[1\]\.securityContext\.runAsUser is 0 \(root\)/],
        },
        {
            title: "runAsNonRoot only on every container (none on the pod) and a non-zero runAsUser",
            edit: (p) => {
                delete p.securityContext.runAsNonRoot;
                main(p).securityContext.runAsUser = 1000;
            },
            expect: [],
        },
    ]);

    check("k8s-no-privilege-escalation", [
        {
            title: 'a capability that baseline allows but restricted does not (CHOWN), and "all" in lower case',
            edit: (p) => (main(p).securityContext.capabilities = { drop: ["all"], add: ["CHOWN"] }),
            expect: [/capabilities\.drop does not include "ALL"/, /capabilities\.add adds "CHOWN"/],
        },
        {
            title: "a privileged ephemeral container",
            kind: "Pod",
            edit: (p) => (p.ephemeralContainers = [Object.assign(ephemeral(), { securityContext: { ...ephemeral().securityContext, privileged: true } })]),
            expect: [/container "debug": spec\.ephemeralContainers\[0\]\.securityContext\.privileged is true; remove privileged mode/],
        },
        {
            title: "a privileged container in a Windows pod (Windows pods are exempt from the rest, not from privileged)",
            edit: (p) => {
                windows(p);
                main(p).securityContext = { privileged: true };
            },
            expect: [/containers\[0\]\.securityContext\.privileged is true/],
        },
        {
            title: "a Windows pod without allowPrivilegeEscalation or capabilities (admission exempts Windows pods)",
            edit: (p) => {
                windows(p);
                main(p).securityContext = {};
                p.initContainers[0].securityContext = {};
            },
            expect: [],
        },
    ]);

    check("k8s-seccomp-profile", [
        {
            title: "an Unconfined pod profile even when every container sets RuntimeDefault",
            edit: (p) => {
                p.securityContext.seccompProfile = { type: "Unconfined" };
                for (const c of [...p.initContainers, ...p.containers]) {
                    c.securityContext.seccompProfile = { type: "RuntimeDefault" };
                }
            },
            expect: [/^Deployment web: spec\.template\.spec\.securityContext\.seccompProfile\.type is "Unconfined"/],
        },
        {
            title: "a container without a profile when the pod's is Unconfined",
            edit: (p) => (p.securityContext.seccompProfile = { type: "Unconfined" }),
            expect: [
                /securityContext\.seccompProfile\.type is "Unconfined"/,
                /initContainers\[0\].*is not set and the pod's is "Unconfined"/,
                /containers\[0\].*is not set and the pod's is "Unconfined"/,
            ],
        },
        {
            title: "no pod profile when every container sets RuntimeDefault",
            edit: (p) => {
                delete p.securityContext.seccompProfile;
                for (const c of [...p.initContainers, ...p.containers]) {
                    c.securityContext.seccompProfile = { type: "RuntimeDefault" };
                }
            },
            expect: [],
        },
        { title: "a Windows pod without any profile (exempt)", edit: (p) => (windows(p), delete p.securityContext.seccompProfile), expect: [] },
    ]);

    check("k8s-no-host-access", [
        {
            title: "a host in an httpGet liveness probe and a tcpSocket preStop hook",
            edit: (p) => {
                main(p).livenessProbe.httpGet.host = "10.0.0.1";
                main(p).lifecycle = { preStop: { tcpSocket: { port: 8080, host: "db.internal" } } };
            },
            expect: [/livenessProbe\.httpGet\.host is "10\.0\.0\.1"; remove host/, /lifecycle\.preStop\.tcpSocket\.host is "db\.internal"/],
        },
        {
            title: "a host port on an ephemeral container",
            kind: "Pod",
            edit: (p) => (p.ephemeralContainers = [Object.assign(ephemeral(), { ports: [{ containerPort: 9000, hostPort: 9000 }] })]),
            expect: [/spec\.ephemeralContainers\[0\]\.ports\[0\]\.hostPort is 9000/],
        },
        {
            title: "hostPort 0 (unset) and probes without a host",
            edit: (p) => {
                main(p).ports = [{ containerPort: 8080, hostPort: 0 }];
                main(p).startupProbe = { tcpSocket: { port: 8080 } };
            },
            expect: [],
        },
    ]);

    check("k8s-no-host-process", [
        {
            title: "hostProcess on the pod and on a container",
            edit: (p) => {
                p.securityContext.windowsOptions = { hostProcess: true };
                main(p).securityContext.windowsOptions = { hostProcess: true };
            },
            expect: [
                /^Deployment web: spec\.template\.spec\.securityContext\.windowsOptions\.hostProcess is true/,
                /containers\[0\]\.securityContext\.windowsOptions\.hostProcess is true/,
            ],
        },
        { title: "hostProcess false", edit: (p) => (main(p).securityContext.windowsOptions = { hostProcess: false, runAsUserName: "app" }), expect: [] },
    ]);

    check("k8s-apparmor-profile", [
        {
            title: "an Unconfined profile on the pod and on an init container",
            edit: (p) => {
                p.securityContext.appArmorProfile = { type: "Unconfined" };
                p.initContainers[0].securityContext.appArmorProfile = { type: "Unconfined" };
            },
            expect: [
                /^Deployment web: spec\.template\.spec\.securityContext\.appArmorProfile\.type is "Unconfined"/,
                /init container "migrate".*appArmorProfile\.type is "Unconfined"/,
            ],
        },
        {
            title: "an unconfined annotation on the pod template",
            edit: (_p, meta) => (meta.annotations = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" }),
            expect: [/^Deployment web: spec\.template\.metadata\.annotations\["container\.apparmor\.security\.beta\.kubernetes\.io\/app"\] is "unconfined"/],
        },
        {
            title: "an unconfined annotation on a bare Pod's own metadata",
            kind: "Pod",
            edit: (_p, meta) => (meta.annotations = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" }),
            expect: [/^Pod web: metadata\.annotations\[/],
        },
        {
            title: "an unconfined annotation on a CronJob's pod template",
            kind: "CronJob",
            edit: (_p, meta) => (meta.annotations = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" }),
            expect: [/^CronJob web: spec\.jobTemplate\.spec\.template\.metadata\.annotations\[/],
        },
        {
            title: "RuntimeDefault and Localhost profiles, runtime/default and localhost/ annotations",
            edit: (p, meta) => {
                p.securityContext.appArmorProfile = { type: "RuntimeDefault" };
                main(p).securityContext.appArmorProfile = { type: "Localhost", localhostProfile: "app" };
                meta.annotations = {
                    "container.apparmor.security.beta.kubernetes.io/app": "localhost/app",
                    "container.apparmor.security.beta.kubernetes.io/migrate": "runtime/default",
                };
            },
            expect: [],
        },
    ]);

    it("k8s-apparmor-profile reads the pod template's annotations, not the controller's own", () => {
        const r = workload("Deployment");
        r.props.metadata.annotations = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" };
        assert.deepEqual(runPolicy("k8s-apparmor-profile", [r]), []);
    });

    check("k8s-selinux-options", [
        {
            title: "a custom type on a container, a user and a role on the pod",
            edit: (p) => {
                main(p).securityContext.seLinuxOptions = { type: "spc_t" };
                p.securityContext.seLinuxOptions = { user: "system_u", role: "system_r" };
            },
            expect: [
                /securityContext\.seLinuxOptions\.user is "system_u"; remove it/,
                /securityContext\.seLinuxOptions\.role is "system_r"/,
                /containers\[0\]\.securityContext\.seLinuxOptions\.type is "spc_t"/,
            ],
        },
        {
            title: "container_t with a level, and container_engine_t on the pod",
            edit: (p) => {
                main(p).securityContext.seLinuxOptions = { type: "container_t", level: "s0:c1,c2" };
                p.securityContext.seLinuxOptions = { type: "container_engine_t" };
            },
            expect: [],
        },
    ]);

    check("k8s-proc-mount", [
        {
            title: "an Unmasked /proc",
            edit: (p) => (main(p).securityContext.procMount = "Unmasked"),
            expect: [/securityContext\.procMount is "Unmasked"; remove it or set it to "Default"/],
        },
        { title: "the Default /proc", edit: (p) => (main(p).securityContext.procMount = "Default"), expect: [] },
    ]);

    check("k8s-safe-sysctls", [
        {
            title: "an unsafe sysctl",
            edit: (p) =>
                (p.securityContext.sysctls = [
                    { name: "net.ipv4.tcp_keepalive_time", value: "600" },
                    { name: "net.core.somaxconn", value: "1024" },
                ]),
            expect: [/securityContext\.sysctls\[1\]\.name is "net\.core\.somaxconn", not a safe sysctl/],
        },
        {
            title: "the safe set (1.32 additions included)",
            edit: (p) =>
                (p.securityContext.sysctls = [
                    { name: "net.ipv4.tcp_rmem", value: "4096 87380 6291456" },
                    { name: "kernel.shm_rmid_forced", value: "1" },
                ]),
            expect: [],
        },
    ]);

    check("k8s-restricted-volume-types", [
        {
            title: "an NFS volume (hostPath is left to k8s-no-host-access)",
            edit: (p) => p.volumes.push({ name: "share", nfs: { server: "nfs", path: "/" } }, { name: "logs", hostPath: { path: "/var/log" } }),
            expect: [/spec\.template\.spec\.volumes\[1\]\.nfs \(volume "share"\) is not an allowed volume type/],
        },
        {
            title: "every allowed type, and a volume without a source (the API server defaults it to emptyDir)",
            edit: (p) =>
                p.volumes.push(
                    { name: "a", configMap: { name: "c" } },
                    { name: "b", secret: { secretName: "s" } },
                    { name: "c", projected: { sources: [] } },
                    { name: "d", downwardAPI: { items: [] } },
                    { name: "e", persistentVolumeClaim: { claimName: "p" } },
                    { name: "f", csi: { driver: "d" } },
                    { name: "g", ephemeral: { volumeClaimTemplate: { spec: {} } } },
                    { name: "h", image: { reference: "ghcr.io/acme/data:1" } },
                    { name: "i" },
                ),
            expect: [],
        },
    ]);

    it("ephemeral containers are judged by Pod Security, but not by the resources and probes rules (the API server forbids those fields)", () => {
        const r = workload("Pod", (p) => (p.ephemeralContainers = [ephemeral()]));
        assert.deepEqual(runPack([r]), []);
    });
});

describe("policy metadata and policy/README.md", () => {
    const readme = require("fs").readFileSync(require("path").join(__dirname, "..", "..", "policy", "README.md"), "utf8") as string;
    const { allPolicies } = require("../../policy/rules") as typeof import("../../policy/rules");

    it("every policy carries severity, remediation steps, a URL and tags; the Pod Security ones a compliance framework", () => {
        for (const p of allPolicies) {
            assert.ok(["low", "medium", "high", "critical"].includes(p.severity ?? ""), p.name);
            assert.ok((p.remediationSteps ?? "").length > 20, p.name);
            assert.match(p.url ?? "", /^https:\/\/kubernetes\.io\/docs\//, p.name);
            assert.ok((p.tags ?? []).includes("kubernetes"), p.name);
            assert.ok(p.displayName, p.name);
        }
        const pss = allPolicies.filter((p) => p.tags?.includes("pod-security-standards") && p.name !== "k8s-namespace-pod-security");
        assert.equal(pss.length, 10);
        assert.ok(pss.every((p) => p.framework?.name === "Kubernetes Pod Security Standards"));
    });

    it("the README's rules table lists every policy with its severity, and `remediate` exactly where a remediateResource exists", () => {
        for (const p of allPolicies) {
            const row = readme.split("\n").find((l) => l.startsWith("| ") && l.includes(`| \`${p.name}\``));
            assert.ok(row, `README row for ${p.name}`);
            const cells = row.split("|").map((c) => c.trim());
            assert.equal(cells[3], p.severity, p.name);
            assert.equal(cells[6] === "`remediate`", "remediateResource" in p && !!p.remediateResource, p.name);
        }
    });
});
