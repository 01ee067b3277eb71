// Compliant Kubernetes objects to start from: each policy test states only what it changes.
import type { TestResource } from "./runner";

export type Pod = Record<string, any>;
export type Container = Record<string, any>;

export function container(name = "app"): Container {
    return {
        name,
        image: "ghcr.io/acme/app:1.2.3",
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        livenessProbe: { httpGet: { path: "/health", port: 8080 } },
        readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
        env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }],
    };
}

export function initContainer(name = "migrate"): Container {
    const c = container(name);
    delete c.livenessProbe;
    delete c.readinessProbe;
    return c;
}

export function podSpec(): Pod {
    return {
        securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
        initContainers: [initContainer()],
        containers: [container()],
        volumes: [{ name: "tmp", emptyDir: {} }],
    };
}

const WORKLOAD_TYPES = {
    Deployment: "kubernetes:apps/v1:Deployment",
    StatefulSet: "kubernetes:apps/v1:StatefulSet",
    DaemonSet: "kubernetes:apps/v1:DaemonSet",
    ReplicaSet: "kubernetes:apps/v1:ReplicaSet",
    Job: "kubernetes:batch/v1:Job",
    CronJob: "kubernetes:batch/v1:CronJob",
    Pod: "kubernetes:core/v1:Pod",
    DeploymentPatch: "kubernetes:apps/v1:DeploymentPatch",
} as const;

export type WorkloadKind = keyof typeof WORKLOAD_TYPES;

/** A compliant workload of `kind` named `name`; `edit` changes its pod spec. */
export function workload(kind: WorkloadKind = "Deployment", edit: (pod: Pod) => void = () => undefined, name = "web"): TestResource {
    const pod = podSpec();
    if (kind === "Job" || kind === "CronJob") {
        for (const c of pod.containers) {
            delete c.livenessProbe;
            delete c.readinessProbe;
        }
        pod.restartPolicy = "Never";
    }
    edit(pod);
    const metadata = { name, namespace: "apps", labels: { app: name } };
    const template = { metadata: { labels: { app: name } }, spec: pod };
    let spec: Record<string, unknown>;
    switch (kind) {
        case "Pod":
            return { type: WORKLOAD_TYPES.Pod, name, props: { apiVersion: "v1", kind: "Pod", metadata, spec: pod } };
        case "CronJob":
            spec = { schedule: "0 * * * *", jobTemplate: { spec: { template } } };
            break;
        case "Job":
            spec = { template };
            break;
        default:
            spec = { replicas: 1, selector: { matchLabels: { app: name } }, template };
    }
    return { type: WORKLOAD_TYPES[kind], name, props: { metadata, spec } };
}

/** The first container of a pod spec (what most edits touch). */
export const main = (pod: Pod): Container => pod.containers[0];
