# shellcheck shell=bash
# HA check: a standby that falls behind in replay, seen by the platform's own monitoring (issue 21; sourced by
# e2e/ha/pg-failover.sh after the switchover, before the kill). The switch to mode ha turned the exporters on
# (monitoring.exporters; a 5 s scrape, RagPostgresReplicationLag at 1 MiB for 1 minute), so here:
# 1. the monitoring stack as kube-prometheus-stack users have it (e2e/lib/monitoring.sh) on this cluster; the
#    primary's postgres_exporter, scraped through the primary's Service, reports the standby
#    (pg_stat_replication_pg_wal_lsn_diff with its application_name) and the alert is inactive;
# 2. the standby stops replaying: Patroni in maintenance mode (patronictl pause: it would resume a paused replay at
#    its next loop otherwise), pg_wal_replay_pause() on the standby, then a 15 MiB table written on the primary (a
#    synchronous commit waits for the standby's flush, not its replay, so writes go on);
# 3. the alert fires; replay resumed and Patroni out of maintenance, it goes inactive and the standby is the
#    primary's synchronous standby again, so the failover check after this one starts from its steady state.
# Printed: the lag Prometheus saw, the seconds to firing and to inactive against the for: and the scrape interval.

pg_sql() { kubectl -n "$NS" exec "$1" -c postgres -- psql -h /var/run/postgresql -U postgres -d postgres -tAc "$2"; }
# the lag series of the primary's exporter for STANDBY: its value in bytes, nothing while it has no series
pg_lag_bytes() {
  local v
  v=$(mon_query "max(pg_stat_replication_pg_wal_lsn_diff{namespace=\"$NS\",service=\"rag-postgres-primary\",application_name=\"$1\"})" | head -n1)
  [ -n "$v" ] && printf '%.0f\n' "$v"
}
pg_lag_seen() { [ -n "$(pg_lag_bytes "$1")" ]; }
pg_lag_above() { local b; b=$(pg_lag_bytes "$1") && [ -n "$b" ] && [ "$b" -gt "$2" ]; }

t_mon=$(now)
read -r primary pnode < <(pg_primary)
standby=$(pg_other "$pnode")
if ! mon_install monitoring release=kube-prometheus-stack 2>"$LOGS/ha-monitoring-install.log"; then
  fail "HA PostgreSQL replication lag: the monitoring stack did not come up" "$LOGS/ha-monitoring-install.log"
elif ! cl_wait 120 pg_lag_seen "$standby"; then
  fail "HA PostgreSQL replication lag: no pg_stat_replication_pg_wal_lsn_diff for the standby $standby from the primary $primary's exporter within 120 s of Prometheus Ready (${MON_SECS}s)"
elif mon_check alert --alert RagPostgresReplicationLag --state inactive --deadline 60; then
  lag0=$(pg_lag_bytes "$standby")
  probs=""
  pg_ctl_ "$primary" pause --wait >"$LOGS/pg-lag.log" 2>&1 || probs+="patronictl pause failed; "
  pg_sql "$standby" "select pg_wal_replay_pause()" >>"$LOGS/pg-lag.log" 2>&1 || probs+="pg_wal_replay_pause failed; "
  t_lag=$(now)
  pg_sql "$primary" "create table rag_e2e_lag as select g, repeat('x', 200) as pad from generate_series(1, 65536) g" >>"$LOGS/pg-lag.log" 2>&1 || probs+="the write on the primary failed; "
  if [ -z "$probs" ] && cl_wait 60 pg_lag_above "$standby" 1048576; then
    lag=$(pg_lag_bytes "$standby")
    pass "HA PostgreSQL replication lag: the primary's exporter (through $(kubectl -n "$NS" get servicemonitors -o name | grep -m1 postgres | sed 's#.*/##')) reports the standby $standby $lag0 bytes behind, then $((lag / 1024)) KiB with its replay paused (threshold 1024 KiB)"
    mon_check alert --alert RagPostgresReplicationLag --state firing --deadline 150 --since "$t_lag" --after "the standby's replay was paused and 15 MiB written"
  else
    [ -n "$probs" ] || probs="the lag of the standby $standby not above 1 MiB within 60 s (last: $(pg_lag_bytes "$standby") bytes)"
    fail "HA PostgreSQL replication lag: $probs" "$LOGS/pg-lag.log"
  fi
  pg_sql "$standby" "select pg_wal_replay_resume()" >>"$LOGS/pg-lag.log" 2>&1
  t_resume=$(now)
  pg_ctl_ "$primary" resume --wait >>"$LOGS/pg-lag.log" 2>&1 || fail "HA PostgreSQL replication lag: patronictl resume" "$LOGS/pg-lag.log"
  pg_sql "$primary" "drop table if exists rag_e2e_lag" >>"$LOGS/pg-lag.log" 2>&1
  mon_check alert --alert RagPostgresReplicationLag --state inactive --deadline 90 --since "$t_resume" --after "the standby's replay was resumed"
  cl_wait 60 pg_sync_standby "$primary" || fail "HA PostgreSQL replication lag: $standby not the running synchronous standby of $primary after the check" "$LOGS/pg-lag.log"
fi
record_time "HA PostgreSQL replication lag: monitoring installed, lag caused, alert firing and cleared" "$(elapsed "$t_mon")"
