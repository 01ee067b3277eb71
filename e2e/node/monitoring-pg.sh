# shellcheck shell=bash
# RagPostgresConnectionsNearMax caused for real (sourced by e2e/node/monitoring.sh): PostgreSQL's connections held
# past the alert's ratio of max_connections (90% of it; monitoring.alerts.postgresConnectionsRatio is 0.8 by
# default). One session opens them with dblink over the pod's socket (one client process, not one per connection,
# inside the container's memory limit) and holds them until the alert is seen firing; that session is then
# terminated (pg_terminate_backend; its dblink connections close with it) and the alert must clear.
# pg_conns_start runs before the Redis fill and pg_conns_check after it: the alert's for: (1 minute here) passes
# while Redis is being filled. Needs $pgpod (the PostgreSQL pod).
PG_HOLD_APP=e2e-pg-hold
t_conn=
pg_held=

# shellcheck disable=SC2016 # expanded in the container
pgq() { K -n "$NS" exec "$pgpod" -c postgres -- sh -c 'psql -v ON_ERROR_STOP=1 -h /var/run/postgresql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tA "$@"' sh "$@"; }
pg_conns() { pgq -c 'SELECT count(*) FROM pg_stat_activity WHERE datname IS NOT NULL' 2>/dev/null; }

pg_conns_start() {
  local pg_max pg_now pg_open
  pg_max=$(pgq -c 'SHOW max_connections' 2>/dev/null)
  pg_now=$(pg_conns)
  pg_open=$((${pg_max:-0} * 90 / 100 - ${pg_now:-0}))
  t_conn=$(now)
  if [ "${pg_max:-0}" -gt 0 ] && [ "$pg_open" -gt 0 ] && pgq -c 'CREATE EXTENSION IF NOT EXISTS dblink' >"$LOGS/monitoring-pg-conns.log" 2>&1; then
    # held at most 300 s should pg_conns_check never come (its terminate ends it as soon as the alert fires)
    pgq -c "SET application_name = '$PG_HOLD_APP'" \
      -c "SELECT count(dblink_connect('e2e' || i, 'host=/var/run/postgresql dbname=' || current_database() || ' user=' || current_user)) FROM generate_series(1, $pg_open) i" \
      -c 'SELECT pg_sleep(300)' >>"$LOGS/monitoring-pg-conns.log" 2>&1 &
    pg_held=$!
    sleep 5
    say "monitoring: PostgreSQL held at $(pg_conns) of $pg_max connections ($pg_open opened by one dblink session)"
  else
    fail "monitoring: could not hold PostgreSQL's connections (max ${pg_max:-?}, now ${pg_now:-?})" "$LOGS/monitoring-pg-conns.log" 5
    t_conn=
  fi
}

pg_conns_check() {
  [ -n "$t_conn" ] || return 0
  local t_closed ended
  mon_check alert --alert RagPostgresConnectionsNearMax --state firing --deadline "$(mon_deadline "$t_conn" 150)" \
    --since "$t_conn" --after "the connections were opened"
  ended=$(pgq -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '$PG_HOLD_APP'" 2>>"$LOGS/monitoring-pg-conns.log")
  wait "$pg_held"
  t_closed=$(now)
  say "monitoring: the holding session ended (${ended:-?} terminated) $(elapsed "$t_conn")s after it began; PostgreSQL at $(pg_conns) connections"
  mon_check alert --alert RagPostgresConnectionsNearMax --state inactive --deadline 60 --since "$t_closed" --after "they closed"
  pgq -c 'DROP EXTENSION dblink' >>"$LOGS/monitoring-pg-conns.log" 2>&1
  record_time "PostgreSQL connections near max: alert firing, then cleared (beside the Redis fill)" "$(elapsed "$t_conn")"
  t_conn=
}
