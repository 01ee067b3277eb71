// PrometheusRule groups for the platform: what hurts a RAG service, with thresholds from config.
import type { AlertName, AlertThresholds } from "../config";
import { APP_METRICS as APP, apiSeries, CLUSTER_METRICS as K, inNamespace, MonitoredNames } from "./metrics";

export interface AlertRule {
    alert: AlertName;
    expr: string;
    for: string;
    labels: { severity: "warning" | "critical" };
    annotations: { summary: string; description: string; runbook: string };
}

/** A rule as written below: its runbook link is derived from its name (withRunbook). */
export type AlertDraft = Omit<AlertRule, "annotations"> & { annotations: Omit<AlertRule["annotations"], "runbook"> };

/**
 * Each alert's runbook: its own section of docs/operations.md ("### <alert>" under "## Alerts", linked by
 * GitHub's heading anchor, the name in lower case); test/runbooks.test.ts checks every link resolves.
 */
export const RUNBOOK_DOC = "docs/operations.md";
export const runbookLink = (alert: string) => `${RUNBOOK_DOC}#${alert.toLowerCase()}`;
export const withRunbook = (rule: AlertDraft): AlertRule => ({ ...rule, annotations: { ...rule.annotations, runbook: runbookLink(rule.alert) } });

/**
 * An alert's `for:` from monitoring.alerts.forMinutes (ALERT_FOR_MINUTES by default) and the words its
 * description uses for that duration.
 */
export function pendingFor(forMinutes: Record<AlertName, number>, alert: AlertName): { for: string; lasting: string } {
    const m = forMinutes[alert];
    return { for: `${m}m`, lasting: m === 0 ? "at the last evaluation" : `for ${m} minute${m === 1 ? "" : "s"}` };
}

export function alertRules(names: MonitoredNames, t: AlertThresholds): AlertRule[] {
    return alertDrafts(names, t).map(withRunbook);
}

function alertDrafts(names: MonitoredNames, t: AlertThresholds): AlertDraft[] {
    const ns = inNamespace(names);
    const api = apiSeries(names);
    const held = (alert: AlertName) => pendingFor(t.forMinutes, alert);
    const cpu = held("RagHighCpuAgainstLimit");
    const latency = held("RagApiHighLatencyP99");
    const errors = held("RagApiErrorRatio");
    const index = held("RagVectorIndexIncomplete");
    const volume = held("RagVolumeAlmostFull");
    const rules: AlertDraft[] = [
        {
            alert: "RagHighCpuAgainstLimit",
            expr:
                `sum by (namespace, pod, container) (rate(${K.cpuUsage}{${ns}, container!=""}[5m]))\n` +
                `  / sum by (namespace, pod, container) (${K.resourceLimits}{${ns}, resource="cpu"}) > ${t.cpuLimitRatio}`,
            for: cpu.for,
            labels: { severity: "warning" },
            annotations: {
                summary: "Container {{ $labels.pod }}/{{ $labels.container }} runs close to its CPU limit",
                description: `CPU usage has been above ${Math.round(t.cpuLimitRatio * 100)}% of the limit ${cpu.lasting}: it is being throttled. Raise the limit or scale out.`,
            },
        },
        {
            alert: "RagPodRestarting",
            expr: `increase(${K.restarts}{${ns}}[5m]) > ${t.restartsIn5m}`,
            for: held("RagPodRestarting").for,
            labels: { severity: "critical" },
            annotations: {
                summary: "Pod {{ $labels.pod }} is restarting",
                description: `Container {{ $labels.container }} restarted more than ${t.restartsIn5m} times in 5 minutes. Check its logs (kubectl logs --previous) and events.`,
            },
        },
        {
            alert: "RagApiHighLatencyP99",
            expr: `histogram_quantile(0.99, sum by (namespace, le) (rate(${APP.requestDuration}_bucket{${api}}[5m]))) > ${t.p99LatencySeconds}`,
            for: latency.for,
            labels: { severity: "warning" },
            annotations: {
                summary: "RAG API p99 latency is high",
                description: `The 99th percentile of API request latency has been above ${t.p99LatencySeconds}s ${latency.lasting}.`,
            },
        },
        {
            alert: "RagApiErrorRatio",
            expr:
                `sum by (namespace) (rate(${APP.requestsTotal}{${api}, status=~"5.."}[5m]))\n` +
                `  / sum by (namespace) (rate(${APP.requestsTotal}{${api}}[5m])) > ${t.errorRatio}`,
            for: errors.for,
            labels: { severity: "critical" },
            annotations: {
                summary: "RAG API returns too many 5xx responses",
                description: `More than ${t.errorRatio * 100}% of API responses have been 5xx ${errors.lasting}.`,
            },
        },
        {
            alert: "RagVectorIndexIncomplete",
            expr: `max by (namespace) (${APP.vectorIndexMissing}{${api}}) > 0`,
            for: index.for,
            labels: { severity: "critical" },
            annotations: {
                summary: "The vector index lacks chunks that PostgreSQL holds",
                description: `Chunks stored in PostgreSQL have been missing from the active vector collection ${index.lasting} (rag_vector_index_missing_chunks says how many) (a vector store whose volume was wiped or restored from an older copy): answers cannot cite those documents. Rebuild the index from PostgreSQL (index --rebuild).`,
            },
        },
        {
            alert: "RagVolumeAlmostFull",
            expr: `${K.volumeUsed}{${ns}} / ${K.volumeCapacity}{${ns}} > ${t.pvcUsageRatio}`,
            for: volume.for,
            labels: { severity: "warning" },
            annotations: {
                summary: "Volume {{ $labels.persistentvolumeclaim }} is filling up",
                description: `The claim has been more than ${Math.round(t.pvcUsageRatio * 100)}% full ${volume.lasting}. Expand it (the prod StorageClass allows expansion) or clean up.`,
            },
        },
    ];
    if (names.hpas.length > 0) {
        const hpa = `${ns}, horizontalpodautoscaler=~"${names.hpas.join("|")}"`;
        const atMax = held("RagHpaAtMaximum");
        rules.push({
            alert: "RagHpaAtMaximum",
            expr: `${K.hpaCurrentReplicas}{${hpa}} >= ${K.hpaMaxReplicas}{${hpa}}`,
            for: atMax.for,
            labels: { severity: "warning" },
            annotations: {
                summary: "HPA {{ $labels.horizontalpodautoscaler }} is at its maximum",
                description: `The autoscaler has run at maxReplicas ${atMax.lasting}: demand exceeds what it may add. Raise maxReplicas or the resources.`,
            },
        });
    }
    // An external datastore has no StatefulSet here: its provider watches it.
    const candidates: [AlertName, string, string | undefined][] = [
        ["RagPostgresDown", "PostgreSQL", names.datastores.postgres],
        ["RagRedisDown", "Redis", names.datastores.redis],
        ["RagVectorStoreDown", "The vector store", names.datastores.vectorStore],
    ];
    const down = candidates.filter((d): d is [AlertName, string, string] => d[2] !== undefined);
    for (const [alert, what, statefulSet] of down) {
        const gone = held(alert);
        rules.push({
            alert,
            expr: `${K.statefulSetReadyReplicas}{${ns}, statefulset="${statefulSet}"} < 1`,
            for: gone.for,
            labels: { severity: "critical" },
            annotations: {
                summary: `${what} is down`,
                description: `StatefulSet ${statefulSet} has had no ready replica ${gone.lasting}; the RAG API cannot serve requests that need it.`,
            },
        });
    }
    if (names.indexerCronJob !== undefined) {
        rules.push(
            jobGaveUp("RagIndexerJobFailed", t, ns, names.indexerCronJob, "warning", {
                summary: "Re-indexing Job {{ $labels.job_name }} failed",
                description:
                    "The scheduled indexer run gave up: the vector store holds the documents of the last successful run. The failed Job and its pods are kept (no TTL): read them with kubectl logs.",
            }),
        );
    }
    if (names.backupCronJob !== undefined) {
        rules.push(
            jobGaveUp("RagPostgresBackupFailed", t, ns, names.backupCronJob, "critical", {
                summary: "PostgreSQL backup Job {{ $labels.job_name }} failed",
                description:
                    "The scheduled pg_dump gave up: the newest dump on the backup claim is older than this run. The failed Job and its pods are kept (no TTL): read them with kubectl logs, then run a backup by hand.",
            }),
        );
    }
    if (names.vectorSnapshotCronJob !== undefined) {
        rules.push(
            jobGaveUp("RagVectorSnapshotFailed", t, ns, names.vectorSnapshotCronJob, "warning", {
                summary: "Vector-store snapshot Job {{ $labels.job_name }} failed",
                description:
                    "Qdrant refused or failed the scheduled snapshot (snapshot claim full?): the newest snapshot is older than this run. Read the failed Job's logs; the earlier snapshots are kept.",
            }),
        );
    }
    return rules;
}

/**
 * A Job of a CronJob (named `<cronjob>-<scheduled minute>`) whose pods failed while none succeeded or still
 * runs: it gave up (backoffLimit or activeDeadlineSeconds). A run that failed once and then succeeded on retry
 * stays silent; `for` (10 minutes by default) outlasts the Job's retry back-off (10 s, 20 s, 40 s … between attempts,
 * nothing active).
 */
function jobGaveUp(
    alert: AlertName,
    t: AlertThresholds,
    ns: string,
    cronJob: string,
    severity: AlertRule["labels"]["severity"],
    annotations: AlertDraft["annotations"],
): AlertDraft {
    const job = `${ns}, job_name=~"${cronJob}-[0-9]+"`;
    return {
        alert,
        expr: `${K.jobFailedPods}{${job}} > 0\n` + `  unless on (namespace, job_name) (${K.jobSucceededPods}{${job}} > 0 or ${K.jobActivePods}{${job}} > 0)`,
        for: pendingFor(t.forMinutes, alert).for,
        labels: { severity },
        annotations,
    };
}
