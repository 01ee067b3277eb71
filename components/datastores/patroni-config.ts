// Patroni's configuration file and the scripts it runs, mounted from a ConfigMap into every member of the
// PostgreSQL cluster (postgres-ha.ts). No secret in them: passwords come from the environment (secretKeyRef).

/** Where the ConfigMap is mounted. */
export const CONFIG_PATH = "/etc/patroni";
/** Patroni's own roles: the superuser (its local connections, pg_rewind) and the standbys' replication role. */
export const SUPERUSER = "postgres";
export const REPLICATION_USER = "replicator";

/** The SQL of a password for role "$1" from the variable named $2, written to psql's stdin (never its argv). */
const PASSWORD_SQL = String.raw`password_sql() { eval "pw=\$$2"; printf 'ALTER ROLE "%s" WITH PASSWORD '\''%s'\'';\n' "$1" "$pw"; }`;

/**
 * Run once, right after `initdb` on the first member (Patroni's post_bootstrap; its first argument is a connection
 * string as the superuser over the local socket): the app's role (POSTGRES_USER, its password from the platform
 * Secret, pg_monitor for the exporter; not a superuser) and its database, owned by it (the app's migrations create
 * their tables and the trusted extension pg_trgm there). Generated passwords are alphanumeric (PlatformSecrets):
 * no quoting beyond '...'.
 */
export const POST_BOOTSTRAP = String.raw`#!/bin/sh
set -eu
${PASSWORD_SQL}
{
  printf 'CREATE ROLE "%s" LOGIN;\nGRANT pg_monitor TO "%s";\n' "$POSTGRES_USER" "$POSTGRES_USER"
  password_sql "$POSTGRES_USER" POSTGRES_PASSWORD
  printf 'CREATE DATABASE "%s" OWNER "%s";\n' "$POSTGRES_DB" "$POSTGRES_USER"
} | psql -v ON_ERROR_STOP=1 -q -d "$1"
`;

/**
 * Patroni's on_start and on_role_change callback (arguments: the action, the role, the scope). On the primary it
 * sets the app role's password from the platform Secret, so that a rotated Secret reaches the database with no
 * manual step: a rotation rolls the members, the primary last, and whichever member is promoted then (or starts
 * as the primary) applies the password its environment holds; replicas receive it by replication. Patroni does
 * not wait for callbacks; this one waits up to a minute for a promotion to finish. Patroni takes the PATRONI_*
 * variables out of the environment its callbacks get: the script names the superuser itself.
 */
export const APPLY_PASSWORD = String.raw`#!/bin/sh
set -u
[ $# -ge 2 ] || exit 0
case "$2" in master | primary) ;; *) exit 0 ;; esac
${PASSWORD_SQL}
sql() { psql -v ON_ERROR_STOP=1 -q -h /var/run/postgresql -U ${SUPERUSER} -d postgres "$@"; }
for i in $(seq 1 60); do
  if [ "$(sql -tAc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && password_sql "$POSTGRES_USER" POSTGRES_PASSWORD | sql; then
    echo "apply-password: the password of role $POSTGRES_USER is the platform Secret's"
    exit 0
  fi
  sleep 1
done
echo "apply-password: could not set the password of role $POSTGRES_USER on the primary" >&2
exit 1
`;

/**
 * Patroni's configuration file (JSON is YAML): what is not in the PATRONI_* environment. `bootstrap.dcs` is
 * written to the DCS once, by the member that initialises the cluster: synchronous replication (a commit is
 * acknowledged once a standby has it too, and only that standby may be promoted: an acknowledged write survives
 * the loss of the primary), pg_rewind for a former primary, checksums. Replicas clone the primary with a fast
 * checkpoint (the default waits for the next scheduled one: minutes).
 */
export function patroniConfig(): Record<string, unknown> {
    return {
        bootstrap: {
            dcs: {
                ttl: 30,
                loop_wait: 10,
                retry_timeout: 10,
                maximum_lag_on_failover: 1048576,
                synchronous_mode: true,
                postgresql: { use_pg_rewind: true, use_slots: true, parameters: { wal_log_hints: "on", password_encryption: "scram-sha-256" } },
            },
            initdb: [{ encoding: "UTF8" }, { locale: "C.UTF-8" }, "data-checksums", { "auth-local": "trust" }, { "auth-host": "scram-sha-256" }],
            post_bootstrap: `${CONFIG_PATH}/post-bootstrap.sh`,
        },
        postgresql: {
            basebackup: [{ checkpoint: "fast" }],
            // the superuser over the pod's own socket (Patroni, the callbacks); over TCP a password, replication for its role only
            pg_hba: ["local all all trust", `host replication ${REPLICATION_USER} all scram-sha-256`, "host all all all scram-sha-256"],
            callbacks: { on_start: `${CONFIG_PATH}/apply-password.sh`, on_role_change: `${CONFIG_PATH}/apply-password.sh` },
            parameters: { unix_socket_directories: "/var/run/postgresql" },
        },
    };
}
