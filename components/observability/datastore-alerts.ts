// Alerts read from the datastores' exporters (postgres_exporter, redis_exporter, sidecars of the in-cluster
// PostgreSQL and Redis when monitoring is on), with thresholds from monitoring.alerts. An external datastore has
// no exporter here: its provider watches it. Replication lag: PostgreSQL in mode ha (Patroni) has standbys, read on
// the primary (whose exporter the ServiceMonitor scrapes, through its Service); the single-instance PostgreSQL and
// Redis have no replica to lag.
import { AlertDraft, AlertRule, pendingFor, withRunbook } from "./alerts";
import type { AlertThresholds } from "../config";
import { DATASTORE_METRICS as D, inNamespace, MonitoredNames } from "./metrics";

export function datastoreAlertRules(names: MonitoredNames, t: AlertThresholds): AlertRule[] {
    const series = (service: string) => `${inNamespace(names)}, service="${service}"`;
    const drafts: AlertDraft[] = [];
    const postgres = names.exporters?.postgres;
    if (postgres !== undefined) {
        const pg = series(postgres);
        const near = pendingFor(t.forMinutes, "RagPostgresConnectionsNearMax");
        drafts.push({
            alert: "RagPostgresConnectionsNearMax",
            expr:
                `sum by (namespace, service) (${D.postgresConnections}{${pg}})\n` +
                `  / max by (namespace, service) (${D.postgresMaxConnections}{${pg}}) > ${t.postgresConnectionsRatio}`,
            for: near.for,
            labels: { severity: "warning" },
            annotations: {
                summary: "PostgreSQL {{ $labels.service }} is running out of connections",
                description: `Client connections have been above ${Math.round(t.postgresConnectionsRatio * 100)}% of max_connections ${near.lasting}: new connections will soon be refused. Check the API's and the indexer's pool sizes against their replica counts.`,
            },
        });
        if ((names.postgresStandbys ?? 0) > 0) {
            const lag = pendingFor(t.forMinutes, "RagPostgresReplicationLag");
            const mib = Math.round((t.postgresReplicationLagBytes / 1024 / 1024) * 10) / 10;
            drafts.push({
                alert: "RagPostgresReplicationLag",
                expr: `max by (namespace, service, application_name) (${D.postgresReplicationLag}{${pg}}) > ${t.postgresReplicationLagBytes}`,
                for: lag.for,
                labels: { severity: "warning" },
                annotations: {
                    summary: "PostgreSQL standby {{ $labels.application_name }} lags behind the primary",
                    description: `The standby has been more than ${mib} MiB of WAL behind the primary in replay ${lag.lasting}: a failover to it would first wait for the replay, and reads on it see old data. Check the standby's disk and CPU, a long query on it holding replay back, and the network between them (patronictl list shows each member's lag).`,
                },
            });
        }
    }
    const redis = names.exporters?.redis;
    if (redis !== undefined) {
        const rd = series(redis);
        const memory = pendingFor(t.forMinutes, "RagRedisMemoryNearLimit");
        const evicting = pendingFor(t.forMinutes, "RagRedisEvictingKeys");
        drafts.push(
            {
                alert: "RagRedisMemoryNearLimit",
                expr:
                    `max by (namespace, service) (${D.redisMemoryUsed}{${rd}})\n` +
                    `  / max by (namespace, service) (${D.redisMemoryMax}{${rd}} > 0) > ${t.redisMemoryRatio}`,
                for: memory.for,
                labels: { severity: "warning" },
                annotations: {
                    summary: "Redis {{ $labels.service }} is near its maxmemory",
                    description: `Redis has used more than ${Math.round(t.redisMemoryRatio * 100)}% of its maxmemory (80% of the container's memory limit) ${memory.lasting}: it evicts cached answers to make room. Raise redis.resources.limits.memory if the hit rate matters.`,
                },
            },
            {
                alert: "RagRedisEvictingKeys",
                expr: `sum by (namespace, service) (increase(${D.redisEvictedKeys}{${rd}}[5m])) > ${t.redisEvictionsIn5m}`,
                for: evicting.for,
                labels: { severity: "warning" },
                annotations: {
                    summary: "Redis {{ $labels.service }} is evicting keys",
                    description: `Redis has evicted more than ${t.redisEvictionsIn5m} keys in 5 minutes, ${evicting.lasting}: the cache is too small for its working set, and answers are recomputed.`,
                },
            },
        );
    }
    return drafts.map(withRunbook);
}
