// A generated corpus for the Pod Security Standards controls: every control × every workload kind × violating
// and compliant variants. Each object is otherwise compliant with the pack's own stricter rules (limits,
// probes, read-only root filesystem, pinned images, secret env vars) and valid for the API server, so the
// verdict isolates the control. Used by test/policy/pss-corpus.test.ts (the pack's verdicts against the
// labels the generator knows) and by e2e/pss-differential.ts (the pack's verdicts against the real
// kube-apiserver's Pod Security admission).
import type { TestResource } from "./runner";

export type Pod = Record<string, any>;
export type Container = Record<string, any>;

export const CORPUS_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"] as const;
export type CorpusKind = (typeof CORPUS_KINDS)[number];

const API: Record<CorpusKind, { apiVersion: string; type: string }> = {
    Deployment: { apiVersion: "apps/v1", type: "kubernetes:apps/v1:Deployment" },
    StatefulSet: { apiVersion: "apps/v1", type: "kubernetes:apps/v1:StatefulSet" },
    DaemonSet: { apiVersion: "apps/v1", type: "kubernetes:apps/v1:DaemonSet" },
    ReplicaSet: { apiVersion: "apps/v1", type: "kubernetes:apps/v1:ReplicaSet" },
    Job: { apiVersion: "batch/v1", type: "kubernetes:batch/v1:Job" },
    CronJob: { apiVersion: "batch/v1", type: "kubernetes:batch/v1:CronJob" },
    Pod: { apiVersion: "v1", type: "kubernetes:core/v1:Pod" },
};

/** The policies that implement Pod Security controls: the pack's "PSS verdict" is any violation of these. */
export const PSS_POLICIES = [
    "k8s-run-as-non-root",
    "k8s-no-privilege-escalation",
    "k8s-seccomp-profile",
    "k8s-no-host-access",
    "k8s-no-host-process",
    "k8s-apparmor-profile",
    "k8s-selinux-options",
    "k8s-proc-mount",
    "k8s-safe-sysctls",
    "k8s-restricted-volume-types",
];

function container(name: string, probes: boolean): Container {
    const c: Container = {
        name,
        image: "registry.k8s.io/pause:3.10",
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
        env: [{ name: "APP_TOKEN", valueFrom: { secretKeyRef: { name: "app", key: "token", optional: true } } }],
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    };
    if (probes) {
        c.livenessProbe = { httpGet: { path: "/health", port: 8080 } };
        c.readinessProbe = { httpGet: { path: "/ready", port: 8080 } };
    }
    return c;
}

/** A pod spec that passes Pod Security restricted and every rule of the pack: an init container, a native sidecar and the app. */
export function compliantPod(kind: CorpusKind): Pod {
    const sidecar = container("sidecar", true);
    sidecar.restartPolicy = "Always";
    return {
        securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
        automountServiceAccountToken: false,
        initContainers: [container("init", false), sidecar],
        containers: [container("app", true)],
        volumes: [{ name: "tmp", emptyDir: {} }],
        ...(kind === "Job" || kind === "CronJob" ? { restartPolicy: "Never" } : {}),
    };
}

export interface PodEdit {
    spec: Pod;
    /** The pod (template) metadata: annotations land here. */
    meta: Record<string, any>;
}

/** Where a container-level variant is applied. */
export type Target = "container" | "init" | "sidecar";
const TARGETS: Target[] = ["container", "init", "sidecar"];
const pick = (spec: Pod, t: Target): Container => (t === "container" ? spec.containers[0] : spec.initContainers[t === "init" ? 0 : 1]);

export interface Variant {
    control: string;
    /** Short id, unique within the control. */
    id: string;
    violates: boolean;
    edit: (p: PodEdit) => void;
    /**
     * What the e2e cluster (kube-apiserver with --allow-privileged=false) does with it before admission:
     * "privileged" variants are refused by API validation (privileged/hostProcess "disallowed by cluster
     * policy"), so Pod Security admission never sees them.
     */
    refusedByValidation?: "privileged";
}

const sc = (c: Container) => (c.securityContext ??= {});

function containerVariants(
    control: string,
    base: Omit<Variant, "control" | "edit" | "id"> & { id: string; edit: (c: Container, p: PodEdit) => void },
): Variant[] {
    return TARGETS.map((t) => ({
        control,
        id: `${base.id}@${t}`,
        violates: base.violates,
        refusedByValidation: base.refusedByValidation,
        edit: (p: PodEdit) => base.edit(pick(p.spec, t), p),
    }));
}

/** Every variant of every control. Container-level variants are applied to the app container, the init container and the native sidecar. */
export function variants(): Variant[] {
    const v: Variant[] = [];
    // baseline: HostProcess (a hostProcess pod must also set hostNetwork and make every container hostProcess)
    v.push({
        control: "HostProcess",
        id: "pod-hostProcess-true",
        violates: true,
        refusedByValidation: "privileged",
        edit: ({ spec }) => {
            spec.hostNetwork = true;
            spec.securityContext.windowsOptions = { hostProcess: true };
        },
    });
    v.push(...containerVariants("HostProcess", { id: "hostProcess-false", violates: false, edit: (c) => (sc(c).windowsOptions = { hostProcess: false }) }));
    // baseline: host namespaces
    for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
        v.push({ control: "Host Namespaces", id: `${field}-true`, violates: true, edit: ({ spec }) => (spec[field] = true) });
    }
    v.push({
        control: "Host Namespaces",
        id: "all-false",
        violates: false,
        edit: ({ spec }) => Object.assign(spec, { hostNetwork: false, hostPID: false, hostIPC: false }),
    });
    // baseline: privileged
    v.push(
        ...containerVariants("Privileged Containers", {
            id: "privileged-true",
            violates: true,
            refusedByValidation: "privileged",
            // The API refuses privileged: true with allowPrivilegeEscalation: false, so this variant also
            // leaves allowPrivilegeEscalation unset (a restricted violation of its own: not isolatable).
            edit: (c) => {
                sc(c).privileged = true;
                delete sc(c).allowPrivilegeEscalation;
            },
        }),
    );
    v.push(...containerVariants("Privileged Containers", { id: "privileged-false", violates: false, edit: (c) => (sc(c).privileged = false) }));
    // baseline + restricted: capabilities
    v.push(...containerVariants("Capabilities", { id: "add-SYS_ADMIN", violates: true, edit: (c) => (sc(c).capabilities.add = ["SYS_ADMIN"]) }));
    v.push(...containerVariants("Capabilities", { id: "add-CHOWN(baseline-only)", violates: true, edit: (c) => (sc(c).capabilities.add = ["CHOWN"]) }));
    v.push(...containerVariants("Capabilities", { id: "drop-NET_RAW-only", violates: true, edit: (c) => (sc(c).capabilities = { drop: ["NET_RAW"] }) }));
    v.push({
        control: "Capabilities",
        id: "drop-lowercase-all",
        violates: true,
        edit: ({ spec }) => (spec.containers[0].securityContext.capabilities = { drop: ["all"] }),
    });
    v.push({ control: "Capabilities", id: "no-capabilities", violates: true, edit: ({ spec }) => delete spec.containers[0].securityContext.capabilities });
    v.push(...containerVariants("Capabilities", { id: "add-NET_BIND_SERVICE", violates: false, edit: (c) => (sc(c).capabilities.add = ["NET_BIND_SERVICE"]) }));
    v.push({
        control: "Capabilities",
        id: "drop-ALL-and-more",
        violates: false,
        edit: ({ spec }) => (spec.containers[0].securityContext.capabilities = { drop: ["NET_RAW", "ALL"] }),
    });
    // baseline: hostPath
    v.push({
        control: "HostPath Volumes",
        id: "hostPath",
        violates: true,
        edit: ({ spec }) => spec.volumes.push({ name: "logs", hostPath: { path: "/var/log" } }),
    });
    v.push({
        control: "HostPath Volumes",
        id: "emptyDir",
        violates: false,
        edit: ({ spec }) => spec.volumes.push({ name: "logs", emptyDir: { sizeLimit: "64Mi" } }),
    });
    // baseline: host ports
    v.push(...containerVariants("Host Ports", { id: "hostPort-8080", violates: true, edit: (c) => (c.ports = [{ containerPort: 8080, hostPort: 8080 }]) }));
    v.push({ control: "Host Ports", id: "containerPort-only", violates: false, edit: ({ spec }) => (spec.containers[0].ports = [{ containerPort: 8080 }]) });
    v.push({
        control: "Host Ports",
        id: "hostPort-0",
        violates: false,
        edit: ({ spec }) => (spec.containers[0].ports = [{ containerPort: 8080, hostPort: 0 }]),
    });
    // baseline (1.34): host in probes and lifecycle handlers
    v.push({
        control: "Host Probes / Lifecycle Hooks",
        id: "livenessProbe-host",
        violates: true,
        edit: ({ spec }) => (spec.containers[0].livenessProbe.httpGet.host = "10.0.0.1"),
    });
    v.push({
        control: "Host Probes / Lifecycle Hooks",
        id: "readinessProbe-tcp-host@sidecar",
        violates: true,
        edit: ({ spec }) => (spec.initContainers[1].readinessProbe = { tcpSocket: { port: 8080, host: "10.0.0.1" } }),
    });
    v.push({
        control: "Host Probes / Lifecycle Hooks",
        id: "preStop-host",
        violates: true,
        edit: ({ spec }) => (spec.containers[0].lifecycle = { preStop: { httpGet: { path: "/stop", port: 8080, host: "10.0.0.1" } } }),
    });
    v.push({
        control: "Host Probes / Lifecycle Hooks",
        id: "startupProbe-no-host",
        violates: false,
        edit: ({ spec }) => (spec.containers[0].startupProbe = { tcpSocket: { port: 8080 } }),
    });
    // baseline: AppArmor
    v.push(...containerVariants("AppArmor", { id: "field-Unconfined", violates: true, edit: (c) => (sc(c).appArmorProfile = { type: "Unconfined" }) }));
    v.push({
        control: "AppArmor",
        id: "pod-field-Unconfined",
        violates: true,
        edit: ({ spec }) => (spec.securityContext.appArmorProfile = { type: "Unconfined" }),
    });
    v.push({
        control: "AppArmor",
        id: "annotation-unconfined",
        violates: true,
        edit: ({ meta }) => (meta.annotations = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" }),
    });
    v.push({
        control: "AppArmor",
        id: "pod-field-RuntimeDefault",
        violates: false,
        edit: ({ spec }) => (spec.securityContext.appArmorProfile = { type: "RuntimeDefault" }),
    });
    v.push(
        ...containerVariants("AppArmor", {
            id: "field-Localhost",
            violates: false,
            edit: (c) => (sc(c).appArmorProfile = { type: "Localhost", localhostProfile: "k8s-default" }),
        }),
    );
    v.push({
        control: "AppArmor",
        id: "annotation-runtime-default",
        violates: false,
        edit: ({ meta }) => (meta.annotations = { "container.apparmor.security.beta.kubernetes.io/app": "runtime/default" }),
    });
    // baseline: SELinux
    v.push(...containerVariants("SELinux", { id: "type-spc_t", violates: true, edit: (c) => (sc(c).seLinuxOptions = { type: "spc_t" }) }));
    v.push({ control: "SELinux", id: "pod-user", violates: true, edit: ({ spec }) => (spec.securityContext.seLinuxOptions = { user: "system_u" }) });
    v.push({ control: "SELinux", id: "role", violates: true, edit: ({ spec }) => (spec.containers[0].securityContext.seLinuxOptions = { role: "system_r" }) });
    v.push(
        ...containerVariants("SELinux", {
            id: "type-container_t-level",
            violates: false,
            edit: (c) => (sc(c).seLinuxOptions = { type: "container_t", level: "s0:c1,c2" }),
        }),
    );
    v.push({
        control: "SELinux",
        id: "pod-container_engine_t",
        violates: false,
        edit: ({ spec }) => (spec.securityContext.seLinuxOptions = { type: "container_engine_t" }),
    });
    // baseline: /proc mount (Unmasked needs a user namespace: hostUsers false)
    v.push(
        ...containerVariants("/proc Mount Type", {
            id: "Unmasked",
            violates: true,
            edit: (c, p) => {
                p.spec.hostUsers = false;
                sc(c).procMount = "Unmasked";
            },
        }),
    );
    v.push(...containerVariants("/proc Mount Type", { id: "Default", violates: false, edit: (c) => (sc(c).procMount = "Default") }));
    // baseline + restricted: seccomp
    v.push({ control: "Seccomp", id: "pod-Unconfined", violates: true, edit: ({ spec }) => (spec.securityContext.seccompProfile = { type: "Unconfined" }) });
    v.push(...containerVariants("Seccomp", { id: "container-Unconfined", violates: true, edit: (c) => (sc(c).seccompProfile = { type: "Unconfined" }) }));
    v.push({ control: "Seccomp", id: "unset-everywhere", violates: true, edit: ({ spec }) => delete spec.securityContext.seccompProfile });
    v.push({
        control: "Seccomp",
        id: "pod-Unconfined-containers-RuntimeDefault",
        violates: true,
        edit: ({ spec }) => {
            spec.securityContext.seccompProfile = { type: "Unconfined" };
            for (const c of [...spec.initContainers, ...spec.containers]) {
                c.securityContext.seccompProfile = { type: "RuntimeDefault" };
            }
        },
    });
    v.push({
        control: "Seccomp",
        id: "only-containers-RuntimeDefault",
        violates: false,
        edit: ({ spec }) => {
            delete spec.securityContext.seccompProfile;
            for (const c of [...spec.initContainers, ...spec.containers]) {
                c.securityContext.seccompProfile = { type: "RuntimeDefault" };
            }
        },
    });
    v.push(
        ...containerVariants("Seccomp", {
            id: "container-Localhost",
            violates: false,
            edit: (c) => (sc(c).seccompProfile = { type: "Localhost", localhostProfile: "profiles/app.json" }),
        }),
    );
    // baseline: sysctls
    v.push({
        control: "Sysctls",
        id: "net.core.somaxconn",
        violates: true,
        edit: ({ spec }) => (spec.securityContext.sysctls = [{ name: "net.core.somaxconn", value: "1024" }]),
    });
    v.push({
        control: "Sysctls",
        id: "kernel.msgmax",
        violates: true,
        edit: ({ spec }) => (spec.securityContext.sysctls = [{ name: "kernel.msgmax", value: "65536" }]),
    });
    v.push({
        control: "Sysctls",
        id: "safe-set",
        violates: false,
        edit: ({ spec }) =>
            (spec.securityContext.sysctls = [
                { name: "net.ipv4.tcp_keepalive_time", value: "600" },
                { name: "net.ipv4.ip_unprivileged_port_start", value: "1024" },
                { name: "net.ipv4.tcp_rmem", value: "4096 87380 6291456" },
            ]),
    });
    // restricted: volume types
    v.push({
        control: "Volume Types",
        id: "nfs",
        violates: true,
        edit: ({ spec }) => spec.volumes.push({ name: "share", nfs: { server: "nfs.example.com", path: "/exports" } }),
    });
    v.push({
        control: "Volume Types",
        id: "flexVolume",
        violates: true,
        edit: ({ spec }) => spec.volumes.push({ name: "flex", flexVolume: { driver: "example.com/flex" } }),
    });
    v.push({
        control: "Volume Types",
        id: "allowed-types",
        violates: false,
        edit: ({ spec }) =>
            spec.volumes.push(
                { name: "cm", configMap: { name: "app-config", optional: true } },
                { name: "sec", secret: { secretName: "app", optional: true } },
                { name: "proj", projected: { sources: [{ serviceAccountToken: { path: "token", expirationSeconds: 3600 } }] } },
                { name: "dapi", downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] } },
                { name: "pvc", persistentVolumeClaim: { claimName: "data" } },
                { name: "csi", csi: { driver: "secrets-store.csi.k8s.io", readOnly: true } },
                {
                    name: "scratch",
                    ephemeral: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } } },
                },
            ),
    });
    v.push({ control: "Volume Types", id: "no-source(defaults-to-emptyDir)", violates: false, edit: ({ spec }) => spec.volumes.push({ name: "bare" }) });
    // restricted: privilege escalation
    v.push(...containerVariants("Privilege Escalation", { id: "true", violates: true, edit: (c) => (sc(c).allowPrivilegeEscalation = true) }));
    v.push(...containerVariants("Privilege Escalation", { id: "false", violates: false, edit: (c) => (sc(c).allowPrivilegeEscalation = false) }));
    v.push({
        control: "Privilege Escalation",
        id: "unset",
        violates: true,
        edit: ({ spec }) => delete spec.containers[0].securityContext.allowPrivilegeEscalation,
    });
    // restricted: running as non-root
    v.push({
        control: "Running as Non-root",
        id: "unset-everywhere",
        violates: true,
        edit: ({ spec }) => {
            delete spec.securityContext.runAsNonRoot;
            delete spec.containers[0].securityContext.runAsNonRoot;
        },
    });
    v.push(...containerVariants("Running as Non-root", { id: "container-false", violates: true, edit: (c) => (sc(c).runAsNonRoot = false) }));
    v.push({
        control: "Running as Non-root",
        id: "pod-false-containers-true",
        violates: true,
        edit: ({ spec }) => (spec.securityContext.runAsNonRoot = false),
    });
    v.push({
        control: "Running as Non-root",
        id: "only-pod-true",
        violates: false,
        edit: ({ spec }) => {
            for (const c of [...spec.initContainers, ...spec.containers]) {
                delete c.securityContext.runAsNonRoot;
            }
        },
    });
    // restricted: non-root user
    v.push({ control: "Running as Non-root user", id: "pod-runAsUser-0", violates: true, edit: ({ spec }) => (spec.securityContext.runAsUser = 0) });
    v.push(...containerVariants("Running as Non-root user", { id: "container-runAsUser-0", violates: true, edit: (c) => (sc(c).runAsUser = 0) }));
    v.push(...containerVariants("Running as Non-root user", { id: "container-runAsUser-1000", violates: false, edit: (c) => (sc(c).runAsUser = 1000) }));
    return v;
}

export interface CorpusCase {
    /** "Seccomp/pod-Unconfined/Deployment" */
    id: string;
    control: string;
    kind: CorpusKind;
    violates: boolean;
    refusedByValidation?: "privileged";
    /** The Kubernetes object (apiVersion, kind, metadata, spec) as kubectl would send it. */
    manifest: Record<string, any>;
    /** The same object as the policy analyzer sees a Pulumi resource of it. */
    resource: TestResource;
}

/** A DNS-1123 name for a case: lower case, digits and dashes, at most 52 characters (a CronJob's limit), unique per case. */
function objectName(index: number, kind: CorpusKind, v: Variant): string {
    const slug = `${kind}-${v.control}-${v.id}`
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, "");
    return `c${index}-${slug}`.slice(0, 52).replace(/-+$/, ""); // CronJob names: at most 52
}

/** The whole corpus: every variant for every kind, in a namespace `namespace`. */
export function corpus(namespace = "pss"): CorpusCase[] {
    const cases: CorpusCase[] = [];
    let index = 0;
    for (const v of variants()) {
        for (const kind of CORPUS_KINDS) {
            const spec = compliantPod(kind);
            const name = objectName(index++, kind, v);
            const labels = { app: name };
            const meta: Record<string, any> = { labels };
            v.edit({ spec, meta });
            const template = { metadata: meta, spec };
            let manifest: Record<string, any>;
            const metadata = { name, namespace };
            switch (kind) {
                case "Pod":
                    manifest = { metadata: { ...metadata, ...meta, labels }, spec };
                    break;
                case "Job":
                    manifest = { metadata, spec: { backoffLimit: 0, template } };
                    break;
                case "CronJob":
                    manifest = { metadata, spec: { schedule: "0 3 * * *", jobTemplate: { spec: { backoffLimit: 0, template } } } };
                    break;
                case "DaemonSet":
                    manifest = { metadata, spec: { selector: { matchLabels: labels }, template } };
                    break;
                case "StatefulSet":
                    manifest = { metadata, spec: { serviceName: name, replicas: 1, selector: { matchLabels: labels }, template } };
                    break;
                default:
                    manifest = { metadata, spec: { replicas: 1, selector: { matchLabels: labels }, template } };
            }
            manifest = { apiVersion: API[kind].apiVersion, kind, ...manifest };
            cases.push({
                id: `${v.control}/${v.id}/${kind}`,
                control: v.control,
                kind,
                violates: v.violates,
                refusedByValidation: v.refusedByValidation,
                manifest,
                resource: { type: API[kind].type, name, props: JSON.parse(JSON.stringify(manifest)) },
            });
        }
    }
    return cases;
}

/** The bare Pod a controller's template becomes (what Pod Security admission enforces on). */
export function podOfTemplate(c: CorpusCase): Record<string, any> {
    if (c.kind === "Pod") {
        return c.manifest;
    }
    const template = c.kind === "CronJob" ? c.manifest.spec.jobTemplate.spec.template : c.manifest.spec.template;
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            ...JSON.parse(JSON.stringify(template.metadata ?? {})),
            name: `${c.manifest.metadata.name}`.slice(0, 58) + "-pod",
            namespace: c.manifest.metadata.namespace,
        },
        spec: JSON.parse(JSON.stringify(template.spec)),
    };
}
