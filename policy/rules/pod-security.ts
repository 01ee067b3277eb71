// The Kubernetes Pod Security Standards, baseline and restricted profiles, with the semantics of the API
// server's Pod Security admission (k8s.io/pod-security-admission/policy, policy version "latest" of
// Kubernetes 1.34): the same fields, the same allowed values, the same pod/container precedence, the same
// exemptions (Windows pods for seccomp, capabilities and allowPrivilegeEscalation). Every container is
// checked: init containers (native sidecars included), containers and ephemeral containers. Pod metadata
// means the pod template's metadata for controllers (its annotations are what the API server checks).
//
// Not modelled, as in a default 1.34 API server: the relaxation for user-namespaced pods (feature gate
// UserNamespacesPodSecurityStandards, alpha, off) and exemptions configured in the API server's admission
// configuration (usernames, runtime classes, namespaces) — use this pack's `exclude` for the latter.
import type { PolicyComplianceFramework, ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";
import { BaseConfig, ContainerView, containerMessage, describe, eachKnown, get, PodView, podMessage, ResourceView, workloadPolicy } from "./common";

const PSS_URL = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

function framework(level: "baseline" | "restricted", control: string): PolicyComplianceFramework {
    return {
        name: "Kubernetes Pod Security Standards",
        version: "v1.34",
        reference: `${level}: ${control}`,
        specification: `${PSS_URL}#${level}`,
    };
}

/** A value that is set (Go's non-nil pointer): not undefined and not null. */
const isSet = (v: unknown): boolean => v !== undefined && v !== null;

const sc = (c: ContainerView): Record<string, any> | undefined => get(c.container, ["securityContext"]) ?? undefined;
const podSc = (pod: PodView): Record<string, any> | undefined => get(pod.spec, ["securityContext"]) ?? undefined;

/** Pod Security exempts Windows pods (spec.os.name windows) from the seccomp, capabilities and allowPrivilegeEscalation checks. */
const isWindows = (pod: PodView): boolean => get(pod.spec, ["os", "name"]) === "windows";

const array = (v: unknown): any[] => (Array.isArray(v) ? v : []);

// ---------------------------------------------------------------------------------------------------
// Allowed values, as Pod Security admission 1.34 ("latest") has them.

/** Baseline: capabilities a container may add (restricted overrides this with NET_BIND_SERVICE only). */
export const BASELINE_CAPABILITIES = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];
export const RESTRICTED_ADDABLE_CAPABILITIES = ["NET_BIND_SERVICE"];

/** Baseline: the safe sysctls (policy version 1.32 and later). */
export const SAFE_SYSCTLS = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

/** Baseline: SELinux types a pod or container may set (policy version 1.31 and later); "" means unset. */
export const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

/** Restricted: the volume sources a pod may use. A volume with no source is defaulted to an emptyDir. */
export const RESTRICTED_VOLUME_SOURCES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"];

const VALID_PROFILE_TYPES = ["RuntimeDefault", "Localhost"];
const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

/** AppArmor annotation values baseline allows: unset/empty, runtime/default, localhost/<profile>. */
const allowedAppArmorAnnotation = (v: unknown): boolean => v === "" || v === "runtime/default" || (typeof v === "string" && v.startsWith("localhost/"));

const show = (v: unknown): string => (typeof v === "string" ? `"${v}"` : JSON.stringify(v));

// ---------------------------------------------------------------------------------------------------

/** Every Pod Security control the pack implements, for documentation and the differential test. */
export const POD_SECURITY_CONTROLS: { control: string; level: "baseline" | "restricted"; policy: string }[] = [
    { control: "HostProcess", level: "baseline", policy: "k8s-no-host-process" },
    { control: "Host Namespaces", level: "baseline", policy: "k8s-no-host-access" },
    { control: "Privileged Containers", level: "baseline", policy: "k8s-no-privilege-escalation" },
    { control: "Capabilities", level: "baseline", policy: "k8s-no-privilege-escalation" },
    { control: "HostPath Volumes", level: "baseline", policy: "k8s-no-host-access" },
    { control: "Host Ports", level: "baseline", policy: "k8s-no-host-access" },
    { control: "Host Probes / Lifecycle Hooks", level: "baseline", policy: "k8s-no-host-access" },
    { control: "AppArmor", level: "baseline", policy: "k8s-apparmor-profile" },
    { control: "SELinux", level: "baseline", policy: "k8s-selinux-options" },
    { control: "/proc Mount Type", level: "baseline", policy: "k8s-proc-mount" },
    { control: "Seccomp", level: "baseline", policy: "k8s-seccomp-profile" },
    { control: "Sysctls", level: "baseline", policy: "k8s-safe-sysctls" },
    { control: "Volume Types", level: "restricted", policy: "k8s-restricted-volume-types" },
    { control: "Privilege Escalation", level: "restricted", policy: "k8s-no-privilege-escalation" },
    { control: "Running as Non-root", level: "restricted", policy: "k8s-run-as-non-root" },
    { control: "Running as Non-root user", level: "restricted", policy: "k8s-run-as-non-root" },
    { control: "Seccomp", level: "restricted", policy: "k8s-seccomp-profile" },
    { control: "Capabilities", level: "restricted", policy: "k8s-no-privilege-escalation" },
];

const PSS_TAGS = ["kubernetes", "pod-security-standards", "security"];

export const podSecurityPolicies: ResourceValidationPolicy[] = [
    workloadPolicy<BaseConfig>({
        name: "k8s-run-as-non-root",
        displayName: "Run as non-root",
        description:
            "Pod Security restricted, Running as Non-root and Non-root user: runAsNonRoot true on the pod or every container, never false on either; runAsUser never 0.",
        severity: "high",
        remediationSteps:
            "Set securityContext.runAsNonRoot: true on the pod (and no container setting it to false), and run as the image's non-root UID, never runAsUser: 0.",
        url: `${PSS_URL}#restricted`,
        tags: [...PSS_TAGS, "restricted"],
        framework: framework("restricted", "Running as Non-root"),
        defaults: {},
        pod: [
            (r, pod, _config, report) => {
                if (podSc(pod)?.runAsNonRoot === false) {
                    report(podMessage(r, pod, "securityContext.runAsNonRoot", "is false", "set it to true (or remove it and set it on every container)"));
                }
            },
            (r, pod, _config, report) => {
                if (podSc(pod)?.runAsUser === 0) {
                    report(podMessage(r, pod, "securityContext.runAsUser", "is 0 (root)", "run as the image's non-root UID, e.g. 10001"));
                }
            },
        ],
        container: [
            (r, _pod, c, _config, report) => {
                if (sc(c)?.runAsUser === 0) {
                    report(containerMessage(r, c, "securityContext.runAsUser", "is 0 (root)", "run as a non-root UID"));
                }
            },
            (r, pod, c, _config, report) => {
                const own = sc(c)?.runAsNonRoot;
                if (own === false) {
                    report(containerMessage(r, c, "securityContext.runAsNonRoot", "is false", "remove it or set it to true"));
                } else if (!isSet(own)) {
                    const onPod = podSc(pod)?.runAsNonRoot;
                    if (onPod !== true) {
                        const problem = isSet(onPod) ? `is not set and the pod's is ${show(onPod)}` : "is not set (nor on the pod)";
                        report(containerMessage(r, c, "securityContext.runAsNonRoot", problem, "set runAsNonRoot: true on the pod or the container"));
                    }
                }
            },
        ],
    }),
    workloadPolicy<BaseConfig>({
        name: "k8s-no-privilege-escalation",
        displayName: "No privilege escalation, no privileged mode, capabilities dropped",
        description:
            "Pod Security baseline Privileged Containers and Capabilities, restricted Privilege Escalation and Capabilities: allowPrivilegeEscalation false, not privileged, capabilities.drop includes ALL, nothing added but NET_BIND_SERVICE (Windows pods: privileged only).",
        severity: "critical",
        remediationSteps:
            'In every container\'s securityContext: allowPrivilegeEscalation: false, no privileged: true, capabilities: { drop: ["ALL"] } and at most add: ["NET_BIND_SERVICE"].',
        url: `${PSS_URL}#restricted`,
        tags: [...PSS_TAGS, "baseline", "restricted"],
        framework: framework("restricted", "Privilege Escalation, Capabilities; baseline: Privileged Containers"),
        defaults: {},
        // Remediation: "ALL" is added to every container's capabilities.drop (nothing else is changed).
        remediatePod: (pod) => {
            if (isWindows(pod)) {
                return;
            }
            for (const c of pod.containers) {
                const s = (c.container.securityContext ??= {});
                const caps = (s.capabilities ??= {});
                const drop = array(caps.drop);
                if (!drop.includes("ALL")) {
                    caps.drop = [...drop, "ALL"];
                }
            }
        },
        container: [
            (r, _pod, c, _config, report) => {
                if (sc(c)?.privileged === true) {
                    report(containerMessage(r, c, "securityContext.privileged", "is true", "remove privileged mode"));
                }
            },
            (r, pod, c, _config, report) => {
                const ape = sc(c)?.allowPrivilegeEscalation;
                if (ape !== false && !isWindows(pod)) {
                    report(
                        containerMessage(
                            r,
                            c,
                            "securityContext.allowPrivilegeEscalation",
                            ape === true ? "is true" : "is not set",
                            "set allowPrivilegeEscalation: false",
                        ),
                    );
                }
            },
            (r, pod, c, _config, report) => {
                if (!array(sc(c)?.capabilities?.drop).includes("ALL") && !isWindows(pod)) {
                    report(containerMessage(r, c, "securityContext.capabilities.drop", 'does not include "ALL"', 'set capabilities.drop: ["ALL"]'));
                }
            },
            (r, pod, c, _config, report) =>
                eachKnown(sc(c)?.capabilities?.add, (cap) => {
                    if (!RESTRICTED_ADDABLE_CAPABILITIES.includes(cap) && !isWindows(pod)) {
                        const fix = `add nothing beyond ${RESTRICTED_ADDABLE_CAPABILITIES.join(", ")}`;
                        report(containerMessage(r, c, "securityContext.capabilities.add", `adds ${show(cap)}`, fix));
                    }
                }),
        ],
    }),
    workloadPolicy<BaseConfig>({
        name: "k8s-seccomp-profile",
        displayName: "Seccomp RuntimeDefault or Localhost",
        description:
            "Pod Security baseline and restricted Seccomp: the pod's seccomp profile, if set, is RuntimeDefault or Localhost, and so is every container's own; a container without one needs it on the pod (Windows pods are exempt).",
        severity: "high",
        remediationSteps: 'Set securityContext.seccompProfile: { type: "RuntimeDefault" } on the pod and remove Unconfined from every container.',
        url: `${PSS_URL}#restricted`,
        tags: [...PSS_TAGS, "baseline", "restricted"],
        framework: framework("restricted", "Seccomp"),
        defaults: {},
        // Remediation: a pod without a seccomp profile gets RuntimeDefault (explicit profiles are left alone).
        remediatePod: (pod) => {
            if (isWindows(pod)) {
                return;
            }
            pod.spec.securityContext ??= {};
            pod.spec.securityContext.seccompProfile ??= { type: "RuntimeDefault" };
        },
        pod: (r, pod, _config, report) => {
            const profile = podSc(pod)?.seccompProfile;
            if (!isWindows(pod) && isSet(profile) && !VALID_PROFILE_TYPES.includes(profile.type)) {
                report(podMessage(r, pod, "securityContext.seccompProfile.type", `is ${show(profile.type)}`, 'use "RuntimeDefault" or "Localhost"'));
            }
        },
        container: (r, pod, c, _config, report) => {
            if (isWindows(pod)) {
                return;
            }
            const own = sc(c)?.seccompProfile;
            if (isSet(own)) {
                if (!VALID_PROFILE_TYPES.includes(own.type)) {
                    report(containerMessage(r, c, "securityContext.seccompProfile.type", `is ${show(own.type)}`, 'use "RuntimeDefault" or "Localhost"'));
                }
                return;
            }
            const podProfile = podSc(pod)?.seccompProfile;
            if (!isSet(podProfile) || !VALID_PROFILE_TYPES.includes(podProfile.type)) {
                report(
                    containerMessage(
                        r,
                        c,
                        "securityContext.seccompProfile.type",
                        isSet(podProfile) ? `is not set and the pod's is ${show(podProfile.type)}` : "is not set (nor on the pod)",
                        'set seccompProfile: { type: "RuntimeDefault" } on the pod',
                    ),
                );
            }
        },
    }),
    workloadPolicy<BaseConfig>({
        name: "k8s-no-host-access",
        displayName: "No host namespaces, hostPath, host ports or host probes",
        description:
            "Pod Security baseline Host Namespaces, HostPath Volumes, Host Ports and Host Probes/Lifecycle Hooks: no hostNetwork, hostPID or hostIPC, no hostPath volume, no hostPort, no host in probes or lifecycle handlers.",
        severity: "critical",
        remediationSteps:
            "Remove hostNetwork/hostPID/hostIPC, hostPath volumes (use emptyDir, ConfigMap, PVC), hostPort (use a Service) and the host field of httpGet/tcpSocket probes and lifecycle handlers.",
        url: `${PSS_URL}#baseline`,
        tags: [...PSS_TAGS, "baseline"],
        framework: framework("baseline", "Host Namespaces, HostPath Volumes, Host Ports, Host Probes / Lifecycle Hooks"),
        defaults: {},
        pod: [
            ...["hostNetwork", "hostPID", "hostIPC"].map((field) => (r: ResourceView, pod: PodView, _config: BaseConfig, report: ReportViolation) => {
                if (pod.spec[field] === true) {
                    report(podMessage(r, pod, field, "is true", `remove ${field}; use a Service for networking`));
                }
            }),
            (r, pod, _config, report) =>
                eachKnown(pod.spec.volumes, (v, i) => {
                    if (isSet(v?.hostPath)) {
                        const what = `mounts ${v.hostPath.path ?? "a node path"} (volume "${v.name}")`;
                        report(podMessage(r, pod, `volumes[${i}].hostPath`, what, "use an emptyDir, a ConfigMap or a PersistentVolumeClaim"));
                    }
                }),
        ],
        container: [
            (r, _pod, c, _config, report) =>
                eachKnown(c.container.ports, (p, i) => {
                    if (isSet(p?.hostPort) && p.hostPort !== 0) {
                        report(containerMessage(r, c, `ports[${i}].hostPort`, `is ${p.hostPort}`, "remove hostPort; expose the port through a Service"));
                    }
                }),
            ...["livenessProbe", "readinessProbe", "startupProbe", "lifecycle.postStart", "lifecycle.preStop"].flatMap((field) =>
                ["httpGet", "tcpSocket"].map((action) => (r: ResourceView, _pod: PodView, c: ContainerView, _config: BaseConfig, report: ReportViolation) => {
                    const host = get(c.container, [...field.split("."), action, "host"]);
                    if (typeof host === "string" && host !== "") {
                        report(containerMessage(r, c, `${field}.${action}.host`, `is "${host}"`, "remove host: probes and hooks must target the pod's own IP"));
                    }
                }),
            ),
        ],
    }),
    workloadPolicy<BaseConfig>({
        name: "k8s-no-host-process",
        displayName: "No Windows HostProcess containers",
        description: "Pod Security baseline HostProcess: neither the pod nor a container sets securityContext.windowsOptions.hostProcess true.",
        severity: "critical",
        remediationSteps: "Remove securityContext.windowsOptions.hostProcess (pod and containers); run node-level Windows tooling outside this namespace.",
        url: `${PSS_URL}#baseline`,
        tags: [...PSS_TAGS, "baseline", "windows"],
        framework: framework("baseline", "HostProcess"),
        defaults: {},
        pod: (r, pod, _config, report) => {
            if (get(podSc(pod), ["windowsOptions", "hostProcess"]) === true) {
                report(podMessage(r, pod, "securityContext.windowsOptions.hostProcess", "is true", "remove it"));
            }
        },
        container: (r, _pod, c, _config, report) => {
            if (get(sc(c), ["windowsOptions", "hostProcess"]) === true) {
                report(containerMessage(r, c, "securityContext.windowsOptions.hostProcess", "is true", "remove it"));
            }
        },
    }),
    workloadPolicy<BaseConfig>({
        name: "k8s-apparmor-profile",
        displayName: "AppArmor not disabled",
        description:
            "Pod Security baseline AppArmor: appArmorProfile.type (pod or container) is RuntimeDefault or Localhost; container.apparmor.security.beta.kubernetes.io/* annotations are runtime/default or localhost/*.",
        severity: "medium",
        remediationSteps: 'Remove Unconfined AppArmor profiles: leave appArmorProfile unset or set { type: "RuntimeDefault" }; drop "unconfined" annotations.',
        url: `${PSS_URL}#baseline`,
        tags: [...PSS_TAGS, "baseline"],
        framework: framework("baseline", "AppArmor"),
        defaults: {},
        pod: [
            (r, pod, _config, report) => {
                const profile = podSc(pod)?.appArmorProfile;
                if (isSet(profile) && !VALID_PROFILE_TYPES.includes(profile.type)) {
                    report(podMessage(r, pod, "securityContext.appArmorProfile.type", `is ${show(profile.type)}`, 'use "RuntimeDefault" or "Localhost"'));
                }
            },
            (r, pod, _config, report) => {
                const annotations = pod.meta.annotations;
                if (!annotations || typeof annotations !== "object") {
                    return;
                }
                const keys = Object.keys(annotations).filter((k) => k.startsWith(APPARMOR_ANNOTATION_PREFIX));
                eachKnown(keys, (key) => {
                    if (!allowedAppArmorAnnotation(annotations[key])) {
                        const fix = 'use "runtime/default" or "localhost/<profile>", or the appArmorProfile field';
                        report(`${describe(r)}: ${pod.metaPath}.annotations["${key}"] is ${show(annotations[key])}; ${fix}`);
                    }
                });
            },
        ],
        container: (r, _pod, c, _config, report) => {
            const profile = sc(c)?.appArmorProfile;
            if (isSet(profile) && !VALID_PROFILE_TYPES.includes(profile.type)) {
                report(containerMessage(r, c, "securityContext.appArmorProfile.type", `is ${show(profile.type)}`, 'use "RuntimeDefault" or "Localhost"'));
            }
        },
    }),
    workloadPolicy<BaseConfig>({
        name: "k8s-selinux-options",
        displayName: "No custom SELinux user, role or type",
        description: `Pod Security baseline SELinux: seLinuxOptions (pod or container) set no user and no role, and a type only among ${SELINUX_TYPES.filter(
            (t) => t,
        )
            .map((t) => `"${t}"`)
            .join(", ")}.`,
        severity: "high",
        remediationSteps: "Remove seLinuxOptions.user and .role, and any type other than container_t, container_init_t, container_kvm_t or container_engine_t.",
        url: `${PSS_URL}#baseline`,
        tags: [...PSS_TAGS, "baseline"],
        framework: framework("baseline", "SELinux"),
        defaults: {},
        pod: (r, pod, _config, report) => {
            for (const problem of seLinuxProblems(podSc(pod)?.seLinuxOptions)) {
                report(podMessage(r, pod, `securityContext.seLinuxOptions.${problem.field}`, problem.problem, problem.fix));
            }
        },
        container: (r, _pod, c, _config, report) => {
            for (const problem of seLinuxProblems(sc(c)?.seLinuxOptions)) {
                report(containerMessage(r, c, `securityContext.seLinuxOptions.${problem.field}`, problem.problem, problem.fix));
            }
        },
    }),
    workloadPolicy<BaseConfig>({
        name: "k8s-proc-mount",
        displayName: "Default /proc mount",
        description: 'Pod Security baseline /proc Mount Type: securityContext.procMount, if set, is "Default".',
        severity: "high",
        remediationSteps: 'Remove securityContext.procMount or set it to "Default".',
        url: `${PSS_URL}#baseline`,
        tags: [...PSS_TAGS, "baseline"],
        framework: framework("baseline", "/proc Mount Type"),
        defaults: {},
        container: (r, _pod, c, _config, report) => {
            const procMount = sc(c)?.procMount;
            if (isSet(procMount) && procMount !== "Default") {
                report(containerMessage(r, c, "securityContext.procMount", `is ${show(procMount)}`, 'remove it or set it to "Default"'));
            }
        },
    }),
    workloadPolicy<BaseConfig>({
        name: "k8s-safe-sysctls",
        displayName: "Only safe sysctls",
        description:
            "Pod Security baseline Sysctls: securityContext.sysctls names only the safe set (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, ...).",
        severity: "high",
        remediationSteps: `Remove sysctls outside the safe set: ${SAFE_SYSCTLS.join(", ")}.`,
        url: `${PSS_URL}#baseline`,
        tags: [...PSS_TAGS, "baseline"],
        framework: framework("baseline", "Sysctls"),
        defaults: {},
        pod: (r, pod, _config, report) => {
            eachKnown(podSc(pod)?.sysctls, (s, i) => {
                if (!SAFE_SYSCTLS.includes(s?.name)) {
                    report(
                        podMessage(
                            r,
                            pod,
                            `securityContext.sysctls[${i}].name`,
                            `is ${show(s?.name)}, not a safe sysctl`,
                            "remove it (set it on the node if needed)",
                        ),
                    );
                }
            });
        },
    }),
    workloadPolicy<BaseConfig>({
        name: "k8s-restricted-volume-types",
        displayName: "Restricted volume types",
        description: `Pod Security restricted Volume Types: every volume is one of ${RESTRICTED_VOLUME_SOURCES.join(", ")} (hostPath is reported by k8s-no-host-access).`,
        severity: "medium",
        remediationSteps:
            "Replace the volume with a PersistentVolumeClaim (any storage backend goes through a StorageClass or CSI), an emptyDir, a ConfigMap or a Secret.",
        url: `${PSS_URL}#restricted`,
        tags: [...PSS_TAGS, "restricted"],
        framework: framework("restricted", "Volume Types"),
        defaults: {},
        pod: (r, pod, _config, report) => {
            eachKnown(pod.spec.volumes, (v, i) => {
                if (!v || typeof v !== "object" || isSet(v.hostPath)) {
                    return;
                }
                const sources = Object.keys(v).filter((k) => k !== "name" && isSet(v[k]));
                const forbidden = sources.filter((k) => !RESTRICTED_VOLUME_SOURCES.includes(k));
                if (forbidden.length > 0) {
                    report(
                        podMessage(
                            r,
                            pod,
                            `volumes[${i}].${forbidden[0]}`,
                            `(volume "${v.name}") is not an allowed volume type`,
                            "use a PersistentVolumeClaim, emptyDir, configMap, secret, projected, downwardAPI, csi, ephemeral or image volume",
                        ),
                    );
                }
            });
        },
    }),
];

function seLinuxProblems(opts: any): { field: string; problem: string; fix: string }[] {
    if (!isSet(opts)) {
        return [];
    }
    const problems: { field: string; problem: string; fix: string }[] = [];
    const type = opts.type ?? "";
    if (!SELINUX_TYPES.includes(type)) {
        problems.push({
            field: "type",
            problem: `is ${show(type)}`,
            fix: "remove it or use container_t, container_init_t, container_kvm_t or container_engine_t",
        });
    }
    if (typeof opts.user === "string" && opts.user !== "") {
        problems.push({ field: "user", problem: `is ${show(opts.user)}`, fix: "remove it" });
    }
    if (typeof opts.role === "string" && opts.role !== "") {
        problems.push({ field: "role", problem: `is ${show(opts.role)}`, fix: "remove it" });
    }
    return problems;
}
