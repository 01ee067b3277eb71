#!/usr/bin/env bash
# Real datastores for the app's integration tests, on 127.0.0.1 and free ports, in a throwaway directory:
# PostgreSQL 15 and Redis from Debian packages, Chroma from PyPI (the version of the platform's Chroma image).
#   services.sh start DIR   installs what is missing (idempotent), starts all three, writes DIR/env
#   services.sh stop DIR    stops them and removes DIR
# DIR/env holds RAG_TEST_* variables (see app/test/services.ts); DIR/redis.conf restarts Redis in tests.
set -euo pipefail

CHROMA_VERSION=1.0.12 # chromadb/chroma:1.0.12 in components/config/defaults.ts
CACHE_DIR="${RAG_APP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rag-platform-app}"
VENV="$CACHE_DIR/chroma-venv"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

install_missing() {
    local pkgs=()
    [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || pkgs+=(postgresql-15)
    command -v redis-server >/dev/null || pkgs+=(redis-server)
    if [ ${#pkgs[@]} -gt 0 ]; then
        echo "services: installing ${pkgs[*]}" >&2
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
    fi
    if [ ! -x "$VENV/bin/chroma" ] || [ ! -f "$VENV/.installed-chromadb-$CHROMA_VERSION" ]; then
        echo "services: installing chromadb==$CHROMA_VERSION into $VENV" >&2
        mkdir -p "$CACHE_DIR"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q --disable-pip-version-check "chromadb==$CHROMA_VERSION"
        touch "$VENV/.installed-chromadb-$CHROMA_VERSION"
    fi
}

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

wait_for() { # what, command...
    local what=$1
    shift
    for _ in $(seq 1 150); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    echo "services: $what did not start" >&2
    return 1
}

start() {
    local dir=$1
    mkdir -p "$dir"
    chmod 755 "$dir"
    install_missing
    local bin pg_port redis_port chroma_port pg_password redis_password
    bin=$(pg_bin)
    pg_port=$(free_port)
    redis_port=$(free_port)
    chroma_port=$(free_port)
    pg_password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
    redis_password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')

    # PostgreSQL refuses to run as root: use the postgres user then.
    local run=()
    mkdir -p "$dir/pg" "$dir/pgsock"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$dir/pg" "$dir/pgsock"
        run=(runuser -u postgres --)
    fi
    echo "$pg_password" >"$dir/pgpass"
    chmod 644 "$dir/pgpass"
    "${run[@]}" "$bin/initdb" -D "$dir/pg/data" -U rag --pwfile="$dir/pgpass" -A scram-sha-256 >"$dir/initdb.log" 2>&1
    rm -f "$dir/pgpass"
    "${run[@]}" "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w -t 30 \
        -o "-p $pg_port -k $dir/pgsock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
    PGPASSWORD=$pg_password "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U rag -d postgres -qc "CREATE DATABASE rag" >/dev/null

    cat >"$dir/redis.conf" <<CONF
bind 127.0.0.1
port $redis_port
requirepass $redis_password
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
save ""
appendonly no
CONF
    redis-server "$dir/redis.conf"
    wait_for redis redis-cli -p "$redis_port" --no-auth-warning -a "$redis_password" ping

    mkdir -p "$dir/chroma"
    # `&` on the chroma command alone: $! is Chroma's pid (nohup execs it), the pid stop() kills. (On a
    # `cd && nohup` list it was a subshell's, and Chroma outlived every stop.)
    (
        cd "$dir"
        nohup "$VENV/bin/chroma" run --path "$dir/chroma" --host 127.0.0.1 --port "$chroma_port" >"$dir/chroma.log" 2>&1 &
        echo $! >"$dir/chroma.pid"
    )
    wait_for chroma node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "http://127.0.0.1:$chroma_port/api/v2/heartbeat"

    cat >"$dir/env" <<ENV
RAG_TEST_SERVICES_DIR=$dir
RAG_TEST_DATABASE_URL=postgresql://rag:$pg_password@127.0.0.1:$pg_port/rag
RAG_TEST_PG_PORT=$pg_port
RAG_TEST_POSTGRES_PASSWORD=$pg_password
RAG_TEST_REDIS_PORT=$redis_port
RAG_TEST_REDIS_PASSWORD=$redis_password
RAG_TEST_CHROMA_PORT=$chroma_port
ENV
    echo "services: postgresql :$pg_port, redis :$redis_port, chroma :$chroma_port ($dir)" >&2
}

stop() {
    local dir=$1
    [ -d "$dir" ] || return 0
    if [ -f "$dir/chroma.pid" ]; then
        local pid
        pid=$(cat "$dir/chroma.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
    if [ -f "$dir/pg/data/postmaster.pid" ]; then
        local run=()
        [ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
        "${run[@]}" "$(pg_bin)/pg_ctl" -D "$dir/pg/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    sleep 0.3
    rm -rf "$dir"
}

case "${1:-}" in
    start) start "${2:?services.sh start DIR}" ;;
    stop) stop "${2:?services.sh stop DIR}" ;;
    install) install_missing ;;
    *)
        echo "usage: services.sh start|stop DIR | install" >&2
        exit 2
        ;;
esac
