// What a stack asks of the cluster, computed from its config alone (no cluster needed): CPU and memory
// requests and limits at the configured replica counts and at every HPA's maximum, and storage requested.
import { exportersEnabled, PlatformConfig, ResourceSpec } from "../config";
import { formatBytes, formatCpu, parseQuantity } from "./quantity";

export interface CapacityRow {
    component: string;
    replicas: number;
    maxReplicas: number;
    resources: ResourceSpec;
    /** GPUs (the extended resource) per replica; absent or 0 without GPU. */
    gpus?: number;
}

export interface Totals {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

export interface CapacityReport {
    stack: string;
    rows: CapacityRow[];
    /** At the configured replica counts (the indexer Job included: it runs at deploy time). */
    current: Totals;
    /** With every HPA at its maximum. */
    atMaximum: Totals;
    storage: { volumes: Record<string, string>; total: string };
    /** GPUs requested at the configured replica counts and with every HPA at its maximum. */
    gpus: { current: number; atMaximum: number };
}

function total(rows: CapacityRow[], replicas: (r: CapacityRow) => number): Totals {
    const sum = (pick: (r: CapacityRow) => string) => rows.reduce((acc, r) => acc + replicas(r) * (parseQuantity(pick(r)) ?? 0), 0);
    return {
        requests: { cpu: formatCpu(sum((r) => r.resources.requests.cpu)), memory: formatBytes(sum((r) => r.resources.requests.memory)) },
        limits: { cpu: formatCpu(sum((r) => r.resources.limits.cpu)), memory: formatBytes(sum((r) => r.resources.limits.memory)) },
    };
}

export function capacityReport(cfg: PlatformConfig): CapacityReport {
    const scaled = (component: string, svc: PlatformConfig["api"] | PlatformConfig["frontend"]): CapacityRow => ({
        component,
        replicas: svc.replicas,
        maxReplicas: svc.autoscaling.enabled ? svc.autoscaling.maxReplicas : svc.replicas,
        resources: svc.resources,
    });
    const fixed = (component: string, resources: ResourceSpec, replicas: number): CapacityRow => ({ component, replicas, maxReplicas: replicas, resources });
    const single = (component: string, resources: ResourceSpec): CapacityRow => fixed(component, resources, 1);
    // mode ha: every PostgreSQL member (and its exporter) is a full copy
    const pgMembers = cfg.postgres.mode === "ha" ? cfg.postgres.instances : 1;
    // An external datastore (mode external) asks nothing of the cluster.
    const inCluster = (section: "postgres" | "redis" | "vectorStore") => cfg[section].mode !== "external";
    // With monitoring on, the in-cluster PostgreSQL and Redis each run their exporter as a sidecar.
    const exporter = (section: "postgres" | "redis") =>
        exportersEnabled(cfg.monitoring) && inCluster(section)
            ? [fixed(`${section}-exporter`, cfg.monitoring.exporters.resources, section === "postgres" ? pgMembers : 1)]
            : [];
    const datastoreRows = [
        ...(inCluster("postgres") ? [fixed("postgres", cfg.postgres.resources, pgMembers)] : []),
        ...exporter("postgres"),
        ...(inCluster("redis") ? [single("redis", cfg.redis.resources)] : []),
        ...exporter("redis"),
        ...(inCluster("vectorStore") ? [single(`vector-store (${cfg.vectorStore.engine})`, cfg.vectorStore.resources)] : []),
    ];
    // Backups of the in-cluster datastores only (an external one is its provider's to back up).
    const backup = cfg.backup.enabled && inCluster("postgres");
    const qdrant = cfg.vectorStore.engine === "qdrant" && inCluster("vectorStore");
    const snapshots = cfg.backup.enabled && qdrant;
    const rows = [
        scaled("api", cfg.api),
        scaled("frontend", cfg.frontend),
        ...datastoreRows,
        single("indexer", cfg.indexer.resources),
        // The nightly dump: counted like the indexer Job (its peak while it runs).
        ...(backup ? [single("postgres-backup", cfg.backup.resources)] : []),
        ...(snapshots ? [single("vector-snapshot", cfg.backup.resources)] : []),
        ...modelServerRows(cfg),
    ];
    const volumes: Record<string, string> = {
        ...(inCluster("postgres")
            ? { [pgMembers > 1 ? `postgres (x${pgMembers})` : "postgres"]: formatBytes(pgMembers * (parseQuantity(cfg.postgres.storage) ?? 0)) }
            : {}),
        ...(inCluster("redis") ? { redis: cfg.redis.storage } : {}),
        ...(inCluster("vectorStore") ? { "vector-store": cfg.vectorStore.storage } : {}),
        "app-data": cfg.storage.appData.size,
        ...(backup ? { "postgres-backup": cfg.backup.storage } : {}),
        ...(qdrant ? { "vector-store snapshots": cfg.backup.vectorSnapshotStorage } : {}),
    };
    for (const row of modelServerRows(cfg)) {
        // One model cache claim per replica (a StatefulSet's claims stay when it scales down).
        const cache = row.component === "llm" ? cfg.modelServing.llm.cacheSize : cfg.modelServing[row.component as "embedding" | "reranker"].cacheSize;
        volumes[`${row.component} model cache (x${row.maxReplicas})`] = formatBytes(row.maxReplicas * (parseQuantity(cache) ?? 0));
    }
    const gpus = (replicas: (r: CapacityRow) => number) => rows.reduce((acc, r) => acc + replicas(r) * (r.gpus ?? 0), 0);
    const storageBytes = Object.values(volumes).reduce((acc, q) => acc + (parseQuantity(q) ?? 0), 0);
    return {
        stack: cfg.stack,
        rows,
        current: total(rows, (r) => r.replicas),
        atMaximum: total(rows, (r) => r.maxReplicas),
        storage: { volumes, total: formatBytes(storageBytes) },
        gpus: { current: gpus((r) => r.replicas), atMaximum: gpus((r) => r.maxReplicas) },
    };
}

/** The in-cluster model servers: the LLM (GPUs, HPA on queued requests), embeddings and the reranker. */
function modelServerRows(cfg: PlatformConfig): CapacityRow[] {
    const ms = cfg.modelServing;
    const rows: CapacityRow[] = [];
    if (ms.llm.mode === "in-cluster") {
        const a = ms.llm.autoscaling;
        rows.push({
            component: "llm",
            replicas: ms.llm.replicas,
            maxReplicas: a.enabled ? a.maxReplicas : ms.llm.replicas,
            resources: ms.llm.resources,
            gpus: ms.llm.gpu.count,
        });
    }
    for (const name of ["embedding", "reranker"] as const) {
        const tei = ms[name];
        if (tei.mode === "in-cluster") {
            rows.push({
                component: name,
                replicas: tei.replicas,
                maxReplicas: tei.replicas,
                resources: tei.resources,
                gpus: tei.gpu.enabled ? tei.gpu.count : 0,
            });
        }
    }
    return rows;
}

/** The report as a plain-text table for the terminal. */
export function formatCapacityReport(report: CapacityReport): string {
    const header = ["component", "replicas", "max", "cpu req", "cpu lim", "mem req", "mem lim", "gpus"];
    const lines = report.rows.map((r) => [
        r.component,
        `${r.replicas}`,
        `${r.maxReplicas}`,
        r.resources.requests.cpu,
        r.resources.limits.cpu,
        r.resources.requests.memory,
        r.resources.limits.memory,
        `${r.gpus ?? 0}`,
    ]);
    const totals = (label: string, t: Totals, gpus: number) => [label, "", "", t.requests.cpu, t.limits.cpu, t.requests.memory, t.limits.memory, `${gpus}`];
    const table = [
        header,
        ...lines,
        totals("total (current)", report.current, report.gpus.current),
        totals("total (HPA max)", report.atMaximum, report.gpus.atMaximum),
    ];
    const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
    const render = (row: string[]) =>
        row
            .map((cell, i) => cell.padEnd(widths[i]))
            .join("  ")
            .trimEnd();
    const storage = Object.entries(report.storage.volumes)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
    return [`Capacity of stack "${report.stack}"`, ...table.map(render), `storage requested: ${report.storage.total} (${storage})`].join("\n");
}
