// The pod behind a Service for the matrix's `x@pod` columns (matrix.ts): which pod and port a probe connects to
// directly. No I/O here.
//
// Read from the Service's own pods, not its EndpointSlices: a slice lists its ports in the order of their hashes
// (k8s.io/endpointslice NewPortMapKey sorts them in place), so its first port can be another port of the Service
// (the frontend's `metrics`, which only the monitoring namespace may reach), and a slice can lag a replaced pod.

export interface ServicePort {
    name?: string;
    port: number;
    protocol?: string;
    targetPort?: number | string;
}

export interface PodSummary {
    metadata: { name: string; deletionTimestamp?: string; labels?: Record<string, string> };
    spec: { containers: { ports?: { name?: string; containerPort: number; protocol?: string }[] }[] };
    status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

export interface PodTarget {
    pod: string;
    podIp: string;
    podPort: number;
}

/** The port a pod listens on for a Service port: its targetPort (a number, or the name of a container port), else the port. */
export function containerPort(port: ServicePort, pod: PodSummary): number | undefined {
    const target = port.targetPort ?? port.port;
    if (typeof target === "number") return target;
    const protocol = port.protocol ?? "TCP";
    for (const c of pod.spec.containers) for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? "TCP") === protocol) return p.containerPort;
    return undefined;
}

/** Whether the pod serves now: Running, Ready, not being deleted, with an address. */
export function serving(pod: PodSummary): boolean {
    const ready = (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
    return pod.status?.phase === "Running" && ready && !pod.metadata.deletionTimestamp && !!pod.status?.podIP;
}

/** The first serving pod (by name) that has the Service port's target port, with its address and that port. */
export function podTarget(port: ServicePort, pods: PodSummary[]): PodTarget | undefined {
    for (const pod of [...pods].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
        const podPort = containerPort(port, pod);
        if (serving(pod) && podPort !== undefined) return { pod: pod.metadata.name, podIp: pod.status?.podIP as string, podPort };
    }
    return undefined;
}
