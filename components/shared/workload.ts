// The ONE place for the platform's workload defaults: labels, the Pod Security "restricted" security
// contexts, probes, resources, writable scratch directories and service accounts. Components describe what
// differs (image, ports, env, writable paths); everything secure-by-default is applied here.
import * as k8s from "@pulumi/kubernetes";
import { SKIP_AWAIT_ANNOTATION } from "./skip-await";
import * as pulumi from "@pulumi/pulumi";
import type { Environment, ResourceSpec, WorkloadOptions } from "../config";
import { spread, withWorkloadOptions } from "./workload-options";

type Input<T> = pulumi.Input<T>;
type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Probe = k8s.types.input.core.v1.Probe;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

export const PART_OF = "rag-platform";

/** Who a workload is: the platform instance, its component and its environment. */
export interface Identity {
    /** The platform instance (one per namespace). */
    instance: string;
    /** The component, e.g. "api" or "postgres". */
    component: string;
    environment: Environment;
    namespace: pulumi.Input<string>;
}

/** Labels that select a component's pods: stable for the life of the workload. */
export function selectorLabels(id: Identity): Record<string, string> {
    return { "app.kubernetes.io/name": id.component, "app.kubernetes.io/instance": id.instance };
}

/** Labels every object of a component carries. */
export function labels(id: Identity): Record<string, string> {
    return {
        ...selectorLabels(id),
        "app.kubernetes.io/component": id.component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        "rag-platform/environment": id.environment,
    };
}

/** Object metadata for a component's object named `name`. */
export function metadata(id: Identity, name: string, annotations?: Record<string, string>): k8s.types.input.meta.v1.ObjectMeta {
    return { name, namespace: id.namespace, labels: labels(id), ...(annotations ? { annotations } : {}) };
}

/**
 * A Service's metadata: as metadata(), plus `pulumi.com/skipAwait`. The provider would otherwise hold every
 * dependent of a Service until the Service has Ready endpoints; the workloads' own awaits already wait for
 * their pods, and a client (the ConfigMap naming the datastores, hence the API) needs only the Service's name.
 * Without it `pulumi up` ran the datastores, then the API, then the indexer one after the other.
 */
export function serviceMetadata(id: Identity, name: string): k8s.types.input.meta.v1.ObjectMeta {
    return metadata(id, name, { [SKIP_AWAIT_ANNOTATION]: "true" });
}

/**
 * Metadata without a name: Pulumi names the object `<resource name>-<random suffix>`. Used for objects
 * whose content pods read at start (the platform ConfigMap and Secret, Jobs): a changed ConfigMap or
 * Secret is replaced create-before-delete under a new name, so every pod template that references it
 * changes and its workload rolls onto the new values.
 */
export function autonamedMetadata(id: Identity): k8s.types.input.meta.v1.ObjectMeta {
    return { namespace: id.namespace, labels: labels(id) };
}

/** The non-root identity a container image supports. */
export interface RunAs {
    uid: number;
    gid: number;
    /** Group that owns mounted volumes. @default gid */
    fsGroup?: number;
}

export function podSecurityContext(runAs: RunAs): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: runAs.uid,
        runAsGroup: runAs.gid,
        fsGroup: runAs.fsGroup ?? runAs.gid,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
    };
}

export function containerSecurityContext(runAs: RunAs): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: runAs.uid,
        runAsGroup: runAs.gid,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Probe timings; `PROBE_DEFAULTS` fills what a probe leaves out. */
export interface ProbeTiming {
    /** @default 0 */
    initialDelaySeconds?: number;
    /** @default 10 */
    periodSeconds?: number;
    /** @default 3 (exec probes: 5) */
    timeoutSeconds?: number;
    /** @default 3 */
    failureThreshold?: number;
}

const PROBE_DEFAULTS: Required<ProbeTiming> = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 };

export function httpProbe(path: string, port: string | number, timing: ProbeTiming = {}): Probe {
    return { httpGet: { path, port }, ...PROBE_DEFAULTS, ...timing };
}

export function execProbe(command: string[], timing: ProbeTiming = {}): Probe {
    return { exec: { command }, ...PROBE_DEFAULTS, timeoutSeconds: 5, ...timing };
}

/** A startup probe that gives a slow-starting container `seconds` before liveness takes over. */
export function startupProbe(probe: Probe, seconds: number): Probe {
    return { ...probe, initialDelaySeconds: 0, periodSeconds: 5, failureThreshold: Math.ceil(seconds / 5) };
}

/** Liveness, readiness and (optionally) startup probes of a long-running container. */
export interface Probes {
    liveness: Probe;
    readiness: Probe;
    startup?: Probe;
}

export function resourceRequirements(spec: ResourceSpec, extended: Record<string, Input<string>> = {}): k8s.types.input.core.v1.ResourceRequirements {
    return {
        requests: { cpu: spec.requests.cpu, memory: spec.requests.memory, ...extended },
        limits: { cpu: spec.limits.cpu, memory: spec.limits.memory, ...extended },
    };
}

/** A container as components describe it; `pod()` turns it into a hardened Kubernetes container. */
export interface ContainerArgs {
    name: string;
    image: string;
    resources: ResourceSpec;
    /** Extended resources (e.g. nvidia.com/gpu) requested and limited alike. */
    extendedResources?: Record<string, Input<string>>;
    ports?: { name: string; containerPort: number }[];
    command?: Input<string>[];
    args?: Input<string>[];
    env?: Input<k8s.types.input.core.v1.EnvVar>[];
    envFrom?: Input<k8s.types.input.core.v1.EnvFromSource>[];
    /** Long-running containers must have probes; Job containers and init containers have none. */
    probes?: Probes;
    /** Paths the image writes to: each gets its own emptyDir, since the root filesystem is read-only. */
    writablePaths?: string[];
    volumeMounts?: VolumeMount[];
    /** Seconds to keep serving after the pod is marked terminating (preStop sleep, no shell needed). @default no preStop hook */
    preStopSleepSeconds?: number;
    /** A command run in the container right after it starts (lifecycle.postStart); a failure restarts the container. */
    postStartCommand?: Input<string>[];
    workingDir?: string;
}

/** The emptyDir volume name for a writable path: "/var/run/postgresql" becomes "scratch-var-run-postgresql". */
export function scratchVolumeName(path: string): string {
    return `scratch-${path
        .replace(/^\/+|\/+$/g, "")
        .replace(/[^a-z0-9]+/gi, "-")
        .toLowerCase()}`.slice(0, 63);
}

function hardenContainer(c: ContainerArgs, runAs: RunAs): Container {
    const scratchMounts: VolumeMount[] = (c.writablePaths ?? []).map((path) => ({ name: scratchVolumeName(path), mountPath: path }));
    return {
        name: c.name,
        image: c.image,
        imagePullPolicy: "IfNotPresent",
        ...(c.command ? { command: c.command } : {}),
        ...(c.args ? { args: c.args } : {}),
        ...(c.workingDir ? { workingDir: c.workingDir } : {}),
        ...(c.ports ? { ports: c.ports.map((p) => ({ ...p, protocol: "TCP" })) } : {}),
        ...(c.env ? { env: c.env } : {}),
        ...(c.envFrom ? { envFrom: c.envFrom } : {}),
        resources: resourceRequirements(c.resources, c.extendedResources),
        ...(c.probes
            ? {
                  livenessProbe: c.probes.liveness,
                  readinessProbe: c.probes.readiness,
                  ...(c.probes.startup ? { startupProbe: c.probes.startup } : {}),
              }
            : {}),
        ...(c.preStopSleepSeconds || c.postStartCommand
            ? {
                  lifecycle: {
                      ...(c.postStartCommand ? { postStart: { exec: { command: c.postStartCommand } } } : {}),
                      ...(c.preStopSleepSeconds ? { preStop: { sleep: { seconds: c.preStopSleepSeconds } } } : {}),
                  },
              }
            : {}),
        securityContext: containerSecurityContext(runAs),
        terminationMessagePolicy: "FallbackToLogsOnError",
        volumeMounts: [...scratchMounts, ...(c.volumeMounts ?? [])],
    };
}

export interface PodArgs {
    serviceAccountName: Input<string>;
    runAs: RunAs;
    containers: ContainerArgs[];
    initContainers?: ContainerArgs[];
    /** Volumes beyond the scratch emptyDirs (each scratch emptyDir has `sizeLimit: scratchSizeLimit`; ConfigMaps, PVCs). */
    volumes?: Volume[];
    /** @default [] */
    imagePullSecrets?: string[];
    /** Seconds between SIGTERM and SIGKILL. @default unset: Kubernetes' 30 */
    terminationGracePeriodSeconds?: number;
    /** Spread replicas across nodes and zones using these selector labels. */
    spreadBy?: Record<string, string>;
    /** With spreadBy: never two replicas on one node (required anti-affinity) instead of only preferring it. @default false */
    requireSeparateNodes?: boolean;
    /** Size limit of each scratch emptyDir (writablePaths). @default "256Mi" */
    scratchSizeLimit?: string;
    nodeSelector?: Record<string, string>;
    tolerations?: k8s.types.input.core.v1.Toleration[];
    /** @default unset: Kubernetes' "Always" (Jobs set "Never") */
    restartPolicy?: "Always" | "OnFailure" | "Never";
    /** The stack's scheduling, env and spread options for this workload (workload-options.ts). */
    options?: WorkloadOptions;
}

/** A hardened pod spec: restricted security contexts, no service-account token, scratch emptyDirs. */
export function pod(args: PodArgs): PodSpec {
    const all = [...(args.initContainers ?? []), ...args.containers];
    const scratchPaths = [...new Set(all.flatMap((c) => c.writablePaths ?? []))];
    const scratchVolumes: Volume[] = scratchPaths.map((path) => ({ name: scratchVolumeName(path), emptyDir: { sizeLimit: args.scratchSizeLimit ?? "256Mi" } }));
    return withWorkloadOptions(
        {
            serviceAccountName: args.serviceAccountName,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurityContext(args.runAs),
            ...(args.restartPolicy ? { restartPolicy: args.restartPolicy } : {}),
            ...(args.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: args.terminationGracePeriodSeconds } : {}),
            ...(args.imagePullSecrets?.length ? { imagePullSecrets: args.imagePullSecrets.map((name) => ({ name })) } : {}),
            ...(args.nodeSelector && Object.keys(args.nodeSelector).length ? { nodeSelector: args.nodeSelector } : {}),
            ...(args.tolerations?.length ? { tolerations: args.tolerations } : {}),
            ...(args.spreadBy ? spread(args.spreadBy, args.requireSeparateNodes ?? false, args.options?.topologySpread === "required") : {}),
            ...(args.initContainers?.length ? { initContainers: args.initContainers.map((c) => hardenContainer(c, args.runAs)) } : {}),
            containers: args.containers.map((c) => hardenContainer(c, args.runAs)),
            volumes: [...scratchVolumes, ...(args.volumes ?? [])],
        },
        args.options,
    );
}

/**
 * A memory-backed /dev/shm of `sizeLimit` (the container runtime's default is 64Mi): PyTorch and NCCL pass
 * tensors between processes through it. It counts against the pod's memory limit.
 */
export function sharedMemory(sizeLimit: string): { volume: Volume; mount: VolumeMount } {
    return { volume: { name: "dshm", emptyDir: { medium: "Memory", sizeLimit } }, mount: { name: "dshm", mountPath: "/dev/shm" } };
}

/** A dedicated ServiceAccount that mounts no API token: no platform workload talks to the Kubernetes API. */
export function serviceAccount(
    id: Identity,
    name: string,
    opts: pulumi.CustomResourceOptions,
    annotations?: Record<string, string>,
): k8s.core.v1.ServiceAccount {
    const meta = metadata(id, name, annotations);
    return new k8s.core.v1.ServiceAccount(`${id.instance}-${id.component}-sa`, { metadata: meta, automountServiceAccountToken: false }, opts);
}

/** Prometheus scrape annotations for a pod template. */
export function scrapeAnnotations(port: number, path = "/metrics"): Record<string, string> {
    return { "prometheus.io/scrape": "true", "prometheus.io/port": `${port}`, "prometheus.io/path": path };
}

/** An env var read from a key of a Secret. */
export function secretEnv(name: string, secretName: Input<string>, key: string, optional = false): k8s.types.input.core.v1.EnvVar {
    return { name, valueFrom: { secretKeyRef: { name: secretName, key, ...(optional ? { optional: true } : {}) } } };
}
