#!/usr/bin/env bash
# Builds the project's toolchain from Go modules (no prebuilt binary is ever downloaded), in groups that build
# side by side (the pulumi group as two chains, the Kubernetes provider beside the CLI; the on-demand programs
# one chain per module):
#   kube    ONE Go module (k8s.io/kubernetes with its staging replaces, plus the other programs' modules,
#           so every shared dependency compiles once): etcd, kube-apiserver, kube-controller-manager,
#           kube-scheduler, kubelet, kube-proxy, kubectl, coredns (only the plugins the clusters use),
#           metrics-server, local-path-provisioner
#   pulumi  the Pulumi CLI and engine, pulumi-language-nodejs, pulumi-resource-kubernetes,
#           pulumi-resource-random, installed as plugins into a private PULUMI_HOME
#   kwok    on demand only (e2e/scale.sh: simulated nodes for the real kube-scheduler), never in `all`;
#           also writes the module's fast node/pod stages (with the lease heartbeat) to kwok-stages.yaml
#   kube-router  on demand only (CL_NETPOL=1 clusters: the NetworkPolicy engine, its network-policy controller
#           alone), never in `all`; needs iptables and ipset from Debian at run time
#   versitygw  on demand only (the node tier's S3 server for the backups' off-site copy: Versity S3 Gateway,
#           Apache-2.0, its POSIX backend)
#   prometheus, prometheus-operator, prometheus-config-reloader, kube-state-metrics, postgres-exporter,
#           redis-exporter  on demand only (the node tier's live monitoring)
#
# Usage: scripts/toolchain.sh [--env] [--progress] [--quiet] [GROUP|COMPONENT ...]
#   GROUP: kube, pulumi, admission (what e2e/run.sh needs: etcd, kube-apiserver, kube-controller-manager,
#   kubectl and pulumi), all (default). A component that is built is not rebuilt: a warm machine builds
#   nothing. --env prints exports (PATH, PULUMI_HOME, no-download settings); --progress prints a line every
#   30 s while a group builds (npm run up uses it).
#
# Cache (outside the repository, by content): ${RAG_TOOLCHAIN_DIR:-$HOME/.cache/rag-platform-toolchain}/
#   <versions>/{bin,pulumi-home,logs,src}, and Go's module and build caches in go/ beside them, shared by
#   every version (a new version recompiles only what changed). A component's stamp records the hash of its
#   group's recipe (the versions, this file's recipe number and scripts/toolchain/), so changing a recipe
#   rebuilds that group only. Per-component wall times, and each group's CPU (user + system), go to logs/times.txt.
#
# Plugins: the module proxy reachable here refuses (HTTP 403) the Node.js language host
# (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) and the random provider
# (github.com/pulumi/pulumi-random/provider/v4, github.com/pulumi/pulumi-terraform-bridge): for those the
# stand-ins in scripts/toolchain/standins/ are built (our own code on the published pulumi sdk/v3), listed
# in bin/STANDINS. The Kubernetes provider is the real upstream module (bin/PROVENANCE says which commit).
# RAG_TOOLCHAIN_STANDINS=never makes a refused module an error instead.
set -euo pipefail

PULUMI_VERSION=3.248.0
K8S_PROVIDER_VERSION=4.34.2
RANDOM_PROVIDER_VERSION=4.21.2
KUBERNETES_VERSION=1.34.4
ETCD_VERSION=3.6.5
COREDNS_VERSION=1.12.4
LOCAL_PATH_PROVISIONER_VERSION=0.0.30
METRICS_SERVER_VERSION=0.8.0
RECIPE_KUBE=3   # bump when the kube group's recipe changes (also hashed: scripts/toolchain/kube/)
RECIPE_PULUMI=3 # bump when the pulumi group's recipe changes (also hashed: scripts/toolchain/standins/)

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
ROOT=${RAG_TOOLCHAIN_DIR:-$HOME/.cache/rag-platform-toolchain}
KEY="pulumi-${PULUMI_VERSION}_k8sprov-${K8S_PROVIDER_VERSION}_random-${RANDOM_PROVIDER_VERSION}_kube-${KUBERNETES_VERSION}"
DIR=$ROOT/$KEY
BIN=$DIR/bin
SRC=$DIR/src
LOGS=$DIR/logs
PULUMI_HOME_DIR=$DIR/pulumi-home
STANDINS=${RAG_TOOLCHAIN_STANDINS:-auto}

KUBE_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl coredns
  metrics-server local-path-provisioner)
PULUMI_COMPONENTS=(pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-random plugins)
KWOK_COMPONENTS=(kwok)
KWOK_VERSION=0.8.0
# on-demand programs built alone from one module each: NAME -> "module version package version-variable [tags]"
# (version-variable: main.X or a full import path gets v<version>; "path.X=value" that value; "-" nothing)
declare -A SOLO=(
  [kube-router]="github.com/cloudnativelabs/kube-router/v2 2.1.0 cmd/kube-router pkg/version.Version" # the only v2 the proxy serves
  [versitygw]="github.com/versity/versitygw 1.8.0 cmd/versitygw main.Version"
  # the node tier's live monitoring (e2e/node/monitoring.sh): the operator and the reloader it adds to Prometheus
  [prometheus-operator]="github.com/prometheus-operator/prometheus-operator 0.85.0 cmd/operator github.com/prometheus/common/version.Version"
  [prometheus-config-reloader]="github.com/prometheus-operator/prometheus-operator 0.85.0 cmd/prometheus-config-reloader github.com/prometheus/common/version.Version"
  # Prometheus 3.16 (its Go module's tag v0.316.0, promtool's in scripts/alerts-check.sh) with the Kubernetes
  # service discovery alone (the cloud SDKs left out); the web UI's assets are not embedded (the API serves)
  [prometheus]="github.com/prometheus/prometheus 0.316.0 cmd/prometheus github.com/prometheus/common/version.Version=3.16.0 netgo,remove_all_sd,enable_kubernetes_sd"
  # the kube_* series the platform's alerts and dashboard read (its main package is the module's root)
  [kube-state-metrics]="k8s.io/kube-state-metrics/v2 2.19.1 . github.com/prometheus/common/version.Version"
  # the datastore exporters, sidecars of PostgreSQL and Redis: the newest releases the proxy serves, next to the
  # ones the stacks pin (components/config/images.ts: postgres_exporter v0.20.0, redis_exporter v1.90.0; refused)
  [postgres-exporter]="github.com/prometheus-community/postgres_exporter 0.19.1 cmd/postgres_exporter github.com/prometheus/common/version.Version"
  [redis-exporter]="github.com/oliver006/redis_exporter 1.88.0 . main.BuildVersion"
)
ADMISSION_COMPONENTS=(etcd kube-apiserver kube-controller-manager kubectl "${PULUMI_COMPONENTS[@]}")

print_env() {
  cat <<EOF
export PATH="$BIN:\$PATH"
export PULUMI_HOME="$PULUMI_HOME_DIR"
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
export TOOLCHAIN_BIN="$BIN"
EOF
}

ENV_ONLY=0 PROGRESS=0
WANT=()
for a in "$@"; do
  case "$a" in
    --env) ENV_ONLY=1 ;;
    --progress) PROGRESS=1 ;;
    -h | --help) sed -n '2,/^set -euo pipefail/{/^set/!p}' "$0"; exit 0 ;;
    kube) WANT+=("${KUBE_COMPONENTS[@]}") ;;
    pulumi) WANT+=("${PULUMI_COMPONENTS[@]}") ;;
    admission) WANT+=("${ADMISSION_COMPONENTS[@]}") ;;
    kwok) WANT+=("${KWOK_COMPONENTS[@]}") ;;
    all) WANT+=("${KUBE_COMPONENTS[@]}" "${PULUMI_COMPONENTS[@]}") ;;
    *) WANT+=("$a") ;;
  esac
done
[ ${#WANT[@]} -gt 0 ] || WANT=("${KUBE_COMPONENTS[@]}" "${PULUMI_COMPONENTS[@]}")
if [ "$ENV_ONLY" = 1 ]; then print_env; exit 0; fi
for c in "${WANT[@]}"; do
  case " ${KUBE_COMPONENTS[*]} ${PULUMI_COMPONENTS[*]} ${KWOK_COMPONENTS[*]} ${!SOLO[*]} " in *" $c "*) ;; *) echo "toolchain: unknown component or group '$c'" >&2; exit 2 ;; esac
done

mkdir -p "$BIN" "$SRC" "$LOGS" "$PULUMI_HOME_DIR" "$ROOT/go"
# Go settings: module and build caches of our own (so a cold build's figures are honest and nothing leaks
# into the user's caches), static binaries, the local Go only. The checksum database reachable here does
# not know the recent pulumi releases (404) while the proxy serves them: skip it for those paths only.
export GOMODCACHE=$ROOT/go/mod GOCACHE=$ROOT/go/build GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local
export CGO_ENABLED=0 GOWORK=off GONOSUMDB=${GONOSUMDB:-github.com/pulumi}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

log() { echo "[toolchain $(date +%H:%M:%S)] $*" >&2; }
# hash_of PATH...: a group's recipe files under scripts/toolchain/
hash_of() { (cd "$HERE/toolchain" && find "$@" -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16); }
KUBE_HASH=$(echo "r$RECIPE_KUBE $KUBERNETES_VERSION $ETCD_VERSION $COREDNS_VERSION $LOCAL_PATH_PROVISIONER_VERSION $METRICS_SERVER_VERSION $(hash_of kube.sh kube)" | sha256sum | cut -c1-16)
PULUMI_HASH=$(echo "r$RECIPE_PULUMI $PULUMI_VERSION $K8S_PROVIDER_VERSION $RANDOM_PROVIDER_VERSION $(hash_of pulumi.sh standins)" | sha256sum | cut -c1-16)
KWOK_HASH=$(echo "kwok $KWOK_VERSION" | sha256sum | cut -c1-16)
solo_hash() { echo "$1 ${SOLO[$1]}" | sha256sum | cut -c1-16; } # the whole recipe line: module, version, package, stamp, tags
group_hash() {
  case " ${KUBE_COMPONENTS[*]} " in
    *" $1 "*) echo "$KUBE_HASH" ;;
    *) case "$1" in kwok) echo "$KWOK_HASH" ;; *) if [ -n "${SOLO[$1]:-}" ]; then solo_hash "$1"; else echo "$PULUMI_HASH"; fi ;; esac ;;
  esac
}
built() {
  [ -f "$BIN/.stamp-$1" ] && grep -q "recipe=$(group_hash "$1")" "$BIN/.stamp-$1" || return 1
  [ "$1" = plugins ] || [ -x "$BIN/$1" ]
}
stamp() { echo "$(date -u +%FT%TZ) recipe=$(group_hash "$1")" >"$BIN/.stamp-$1"; }
record() { echo "$1 ${2}s $(date -u +%FT%TZ)" >>"$LOGS/times.txt"; }
# record_cpu NAME: the CPU this background job's builds took (bash's `times`: user and system of every child it
# waited for, go's compiles and links included), beside the wall times: a cold build's wall hides which group
# costs the most when they all share two cores
record_cpu() {
  local line f=$LOGS/.times.$BASHPID
  times >"$f" # not in a pipe or $(...): a subshell would report its own children, none
  line=$(awk -v n="$1" 'NR == 2 { split($1, u, "m"); split($2, s, "m"); us = u[1] * 60 + u[2]; ss = s[1] * 60 + s[2]; printf "cpu %s %.0fs (user %.0f, system %.0f)", n, us + ss, us, ss }' "$f")
  rm -f "$f"
  echo "$line $(date -u +%FT%TZ)" >>"$LOGS/times.txt"
  log "$line"
}

# ticker LABEL: a line every 30 s while a group builds (killed by the caller)
ticker() {
  local t0=$SECONDS
  while sleep 30; do log "$1: still building ($((SECONDS - t0))s so far)"; done
}

# shellcheck source=toolchain/kube.sh
. "$HERE/toolchain/kube.sh"
# shellcheck source=toolchain/pulumi.sh
. "$HERE/toolchain/pulumi.sh"

# build_kwok: the kwok controller from its module, and the module's fast node/pod stages
build_kwok() {
  local w=$SRC/kwok mod t=$SECONDS
  log "kwok $KWOK_VERSION: building"
  (rm -rf "$w" && mkdir -p "$w" && cd "$w" &&
    printf 'module ragtoolchain/kwok\n\ngo 1.26.0\n\nrequire sigs.k8s.io/kwok v%s\n' "$KWOK_VERSION" >go.mod &&
    "$GO" build -trimpath -ldflags "-s -w" -o "$BIN/kwok.tmp" sigs.k8s.io/kwok/cmd/kwok &&
    mod=$("$GO" list -m -f '{{.Dir}}' sigs.k8s.io/kwok) && [ -n "$mod" ] &&
    for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
      echo "---" && cat "$mod/kustomize/stage/$f.yaml" || exit 1
    done >"$BIN/kwok-stages.yaml" &&
    mv "$BIN/kwok.tmp" "$BIN/kwok" && "$BIN/kwok" --version) >"$LOGS/kwok.log" 2>&1 || { log "kwok: FAILED (log: $LOGS/kwok.log)"; return 1; }
  stamp kwok && record kwok $((SECONDS - t))
}

# build_solo NAME: a program of SOLO from its own module (its own dependency graph: kube-router's is client-go
# 0.29), the version stamped into it. kube-router: only its network-policy controller is used (--run-firewall,
# no router, no service proxy: scripts/cluster/addons.sh).
build_solo() {
  local name=$1 w=$SRC/$1 t=$SECONDS module version pkg var tags ld="-s -w"
  read -r module version pkg var tags <<<"${SOLO[$name]}"
  [ "$pkg" = . ] && pkg= || pkg=/$pkg # "." names the module's root package
  case $var in -) ;; *=*) ld+=" -X $var" ;; main.* | *.*/*) ld+=" -X $var=v$version" ;; *) ld+=" -X $module/$var=v$version" ;; esac
  log "$name $version: building"
  (rm -rf "$w" && mkdir -p "$w" && cd "$w" &&
    printf 'module ragtoolchain/%s\n\ngo 1.26.0\n\nrequire %s v%s\n' "$name" "$module" "$version" >go.mod &&
    "$GO" build -trimpath ${tags:+-tags "$tags"} -ldflags "$ld" -o "$BIN/$name.tmp" "$module$pkg" &&
    mv "$BIN/$name.tmp" "$BIN/$name" && { "$BIN/$name" --version || "$BIN/$name" version; }) >"$LOGS/$name.log" 2>&1 || { log "$name: FAILED (log: $LOGS/$name.log)"; return 1; }
  stamp "$name" && record "$name" $((SECONDS - t))
}

T0=$SECONDS
KUBE_TODO=() PULUMI_TODO=() KWOK_TODO=() SOLO_TODO=()
for c in "${WANT[@]}"; do
  built "$c" && continue
  case " ${KUBE_COMPONENTS[*]} " in
    *" $c "*) KUBE_TODO+=("$c") ;;
    *) case "$c" in kwok) KWOK_TODO+=(kwok) ;; *) if [ -n "${SOLO[$c]:-}" ]; then SOLO_TODO+=("$c"); else PULUMI_TODO+=("$c"); fi ;; esac ;;
  esac
done
# plugins are (re)installed whenever a provider is rebuilt
case " ${PULUMI_TODO[*]:-} " in *" pulumi-resource-"*) case " ${PULUMI_TODO[*]} " in *" plugins "*) ;; *) PULUMI_TODO+=(plugins) ;; esac ;; esac
if [ ${#KUBE_TODO[@]} -eq 0 ] && [ ${#PULUMI_TODO[@]} -eq 0 ] && [ ${#KWOK_TODO[@]} -eq 0 ] && [ ${#SOLO_TODO[@]} -eq 0 ]; then
  log "up to date (${WANT[*]}) in $DIR"
  echo "TOOLCHAIN_BIN=$BIN"
  exit 0
fi
log "cache: $DIR; to build: ${KUBE_TODO[*]:-} ${PULUMI_TODO[*]:-} ${KWOK_TODO[*]:-} ${SOLO_TODO[*]:-}"
[ -s "$LOGS/times.txt" ] || log "a cold build takes roughly 18-30 minutes on 2 cores (kube and pulumi alone: 18 min, ~2,150 s of CPU); a warm one, seconds"
pids=()
if [ ${#KUBE_TODO[@]} -gt 0 ]; then
  (exec 9>"$DIR/.lock-kube" && flock 9 && build_kube_group "${KUBE_TODO[@]}" && record_cpu "kube (${KUBE_TODO[*]})") &
  pids+=($!)
fi
if [ ${#PULUMI_TODO[@]} -gt 0 ]; then
  (build_pulumi_chains "${PULUMI_TODO[@]}" && record_cpu "pulumi (${PULUMI_TODO[*]})") &
  pids+=($!)
fi
if [ ${#KWOK_TODO[@]} -gt 0 ]; then
  (exec 9>"$DIR/.lock-kwok" && flock 9 && build_kwok && record_cpu kwok) &
  pids+=($!)
fi
# programs of one module at one version build one after the other: the second finds the packages they share
# compiled in Go's cache (two builds at once would both compile them); different modules side by side
declare -A SOLO_CHAINS=()
for c in "${SOLO_TODO[@]}"; do
  read -r module version _ <<<"${SOLO[$c]}"
  SOLO_CHAINS["$module@$version"]+="$c "
done
for chain in "${SOLO_CHAINS[@]}"; do
  (for c in $chain; do (exec 9>"$DIR/.lock-$c" && flock 9 && build_solo "$c") || exit 1; done && record_cpu "${chain% }") &
  pids+=($!)
done
TICK=
if [ "$PROGRESS" = 1 ]; then ticker "toolchain" & TICK=$!; fi
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
[ -n "$TICK" ] && kill "$TICK" 2>/dev/null
if [ $rc -ne 0 ]; then
  log "FAILED after $((SECONDS - T0))s (logs in $LOGS)"
  exit 1
fi
log "done in $((SECONDS - T0))s; $(du -sh "$DIR" 2>/dev/null | cut -f1) in $DIR, $(du -sh "$ROOT/go" 2>/dev/null | cut -f1) of Go caches"
[ -f "$BIN/STANDINS" ] && log "stand-ins in use: $(tr '\n' ' ' <"$BIN/STANDINS")"
[ -f "$BIN/PROVENANCE" ] && log "$(cat "$BIN/PROVENANCE")"
# RAG_TOOLCHAIN_PRUNE=1: drop Go's build cache (GBs) once everything is built; the module cache stays
if [ "${RAG_TOOLCHAIN_PRUNE:-0}" = 1 ] && [ -d "$GOCACHE" ]; then
  rm -rf "$GOCACHE"
  log "pruned the Go build cache; $(du -sh "$ROOT" | cut -f1) left in $ROOT"
fi
echo "TOOLCHAIN_BIN=$BIN"
