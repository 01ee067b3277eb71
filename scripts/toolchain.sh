#!/usr/bin/env bash
# Builds the end-to-end toolchain from Go modules (no prebuilt binaries are downloaded):
#   etcd, kube-apiserver, kube-controller-manager, kubectl   (Kubernetes control plane)
#   kubelet, kube-scheduler, kube-proxy, coredns, local-path-provisioner
#                                                            (the on-machine node; optional: a failed
#                                                            build is logged, the control plane stays usable)
#   kwok                                                     (e2e/scale.sh; only when asked for by name)
#   pulumi (CLI + engine), pulumi-language-nodejs,
#   pulumi-resource-kubernetes, pulumi-resource-random       (plugins, installed into a private PULUMI_HOME)
#
# Everything goes into a cache directory OUTSIDE the repository, keyed by the versions below:
#   ${RAG_TOOLCHAIN_DIR:-$HOME/.cache/rag-platform-toolchain}/<key>/{bin,pulumi-home,logs,src}
# Idempotent: a component whose stamp file exists is not rebuilt, so a warm machine builds nothing.
# The last line printed is `TOOLCHAIN_BIN=<dir>`; `eval "$(scripts/toolchain.sh --env)"` exports
# PATH, PULUMI_HOME and the no-download settings instead.
#
# Usage: scripts/toolchain.sh [--env] [component ...]     (default: all components)
#
# Plugins: the module proxy reachable here refuses (HTTP 403) the modules of the Node.js language
# host (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) and of both providers
# (github.com/pulumi/pulumi-kubernetes/provider/v4, github.com/pulumi/pulumi-random/provider/v4,
# and github.com/pulumi/pulumi-terraform-bridge). For each of those the script first tries the
# real module; when the proxy refuses it, it builds the stand-in in scripts/toolchain/standins/cmd/<name>/ (our
# own code on top of the published pulumi sdk/v3 and k8s.io modules) and says so in the log and
# in bin/STANDINS. RAG_TOOLCHAIN_STANDINS=never makes a refused module an error instead.
set -euo pipefail

PULUMI_VERSION=3.248.0
K8S_PROVIDER_VERSION=4.34.2
RANDOM_PROVIDER_VERSION=4.21.2
KUBERNETES_VERSION=1.34.4
ETCD_VERSION=3.6.5
# Node components: added after r2 without a RECIPE bump (each has its own stamp, so they build
# incrementally into the same cache dir); their versions are recorded in their stamps.
COREDNS_VERSION=1.12.4
LOCAL_PATH_PROVISIONER_VERSION=0.0.30
RECIPE=2 # bump when the build recipe (this file or scripts/toolchain/) changes

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
ROOT=${RAG_TOOLCHAIN_DIR:-$HOME/.cache/rag-platform-toolchain}
KEY="pulumi-${PULUMI_VERSION}_k8sprov-${K8S_PROVIDER_VERSION}_random-${RANDOM_PROVIDER_VERSION}_kube-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_r${RECIPE}"
DIR=$ROOT/$KEY
BIN=$DIR/bin
SRC=$DIR/src
LOGS=$DIR/logs
PULUMI_HOME_DIR=$DIR/pulumi-home
STANDINS=${RAG_TOOLCHAIN_STANDINS:-auto}

ALL=(etcd kube-apiserver kube-controller-manager kubectl pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-random plugins
  kubelet kube-scheduler kube-proxy coredns local-path-provisioner)
# Only the node e2e (e2e/node.sh) needs these: when one fails to build, the script says so and goes
# on, and the admission-only e2e still runs.
OPTIONAL=" kubelet kube-scheduler kube-proxy coredns local-path-provisioner "

# kwok (e2e/scale.sh only: simulated nodes for the real kube-scheduler): on demand, never in a bare run
# (`scripts/toolchain.sh kwok`); optional like the node components. Own stamp, no RECIPE bump. It also
# writes the module's fast node/pod stages (with the lease heartbeat kwokctl adds) to kwok-stages.yaml.
KWOK_VERSION=0.8.0
ALL+=(kwok)
OPTIONAL+="kwok "
ON_DEMAND=" kwok "
build_kwok() {
  local w=$SRC/kwok mod
  rm -rf "$w" && mkdir -p "$w" && cd "$w" &&
    printf 'module ragtoolchain/kwok\n\ngo 1.26.0\n\nrequire sigs.k8s.io/kwok v%s\n' "$KWOK_VERSION" >go.mod &&
    "$GO" build -trimpath -ldflags "-s -w" -o "$BIN/kwok.tmp" sigs.k8s.io/kwok/cmd/kwok &&
    mod=$("$GO" list -m -f '{{.Dir}}' sigs.k8s.io/kwok) && [ -n "$mod" ] &&
    for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
      echo "---" && cat "$mod/kustomize/stage/$f.yaml" || return 1
    done >"$BIN/kwok-stages.yaml" &&
    mv "$BIN/kwok.tmp" "$BIN/kwok" && "$BIN/kwok" --version
}

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

ENV_ONLY=0
WANT=()
for a in "$@"; do
  case "$a" in
    --env) ENV_ONLY=1 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) WANT+=("$a") ;;
  esac
done
[ ${#WANT[@]} -gt 0 ] || for c in "${ALL[@]}"; do [[ "${ON_DEMAND:-}" == *" $c "* ]] || WANT+=("$c"); done
if [ "$ENV_ONLY" = 1 ]; then print_env; exit 0; fi
# RAG_TOOLCHAIN_REBUILD="name ..." forces those components to be rebuilt (e.g. after editing a stand-in).
REBUILD=${RAG_TOOLCHAIN_REBUILD:-}

mkdir -p "$BIN" "$SRC" "$LOGS" "$PULUMI_HOME_DIR" "$ROOT/go"

# Go settings: a module and build cache of our own (so the numbers for a cold build are honest and
# nothing leaks into the user's caches), static binaries, the local Go only.
export GOMODCACHE=$ROOT/go/mod
export GOCACHE=$ROOT/go/build
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0
# The checksum database reachable here does not know the recent pulumi releases (lookups answer
# 404); the module proxy still serves them, so skip the checksum database for those paths only.
export GONOSUMDB=${GONOSUMDB:-github.com/pulumi}
export GOWORK=off
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

log() { echo "[toolchain $(date +%H:%M:%S)] $*" >&2; }

# Serialise concurrent runs on the same key.
exec 9>"$DIR/.lock"
flock 9

# A stand-in's stamp records a hash of its sources, so that editing them rebuilds it on a warm cache.
STANDIN_HASH=$(cd "$HERE/toolchain/standins" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
is_standin_built() { [ -f "$BIN/STANDINS" ] && grep -qx "$1" "$BIN/STANDINS"; }
built() {
  [ -f "$BIN/.stamp-$1" ] || return 1
  [ "$1" = plugins ] || [ -x "$BIN/$1" ] || return 1
  if is_standin_built "$1"; then grep -q "standin=$STANDIN_HASH" "$BIN/.stamp-$1" || return 1; fi
  return 0
}
stamp() {
  local extra=""
  is_standin_built "$1" && extra=" standin=$STANDIN_HASH"
  echo "$(date -u +%FT%TZ)$extra" >"$BIN/.stamp-$1"
}

# run_component NAME: build it unless stamped, log duration to logs/times.txt.
run_component() {
  local name=$1
  if built "$name"; then log "$name: up to date"; return 0; fi
  log "$name: building (log: $LOGS/$name.log)"
  local t0=$SECONDS
  if "build_${name//-/_}" >"$LOGS/$name.log" 2>&1; then
    local dt=$((SECONDS - t0))
    stamp "$name"
    case "$name" in pulumi|pulumi-resource-*) rm -f "$BIN/.stamp-plugins" ;; esac
    echo "$name ${dt}s $(date -u +%FT%TZ)" >>"$LOGS/times.txt"
    log "$name: built in ${dt}s"
  else
    log "$name: FAILED after $((SECONDS - t0))s; last lines of $LOGS/$name.log:"
    tail -n 30 "$LOGS/$name.log" >&2
    return 1
  fi
}

# ---------------------------------------------------------------------------------------------
# Kubernetes: a wrapper module requiring k8s.io/kubernetes with every ./staging replace mapped to
# the published k8s.io/<name> v0.<minor>.<patch> module.
k8s_wrapper() {
  local w=$SRC/kubernetes
  [ -f "$w/.ready" ] && { echo "$w"; return; }
  rm -rf "$w" && mkdir -p "$w"
  local stagever="v0.${KUBERNETES_VERSION#*.}"
  (cd "$w" && "$GO" mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" >/dev/null)
  local mod=$GOMODCACHE/cache/download/k8s.io/kubernetes/@v/v$KUBERNETES_VERSION.mod
  {
    echo "module ragtoolchain/kubernetes"
    echo
    grep -E '^go [0-9]' "$mod"
    grep -E '^godebug' "$mod" || true
    echo
    echo "require k8s.io/kubernetes v$KUBERNETES_VERSION"
    echo
    echo "replace ("
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$mod" | awk -v v="$stagever" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } >"$w/go.mod"
  touch "$w/.ready"
  echo "$w"
}

k8s_ldflags() {
  local minor=${KUBERNETES_VERSION#*.}; minor=${minor%%.*}
  local f="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f="$f -X $p.gitVersion=v$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    f="$f -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$f"
}

build_k8s_cmd() {
  local cmd=$1 w
  w=$(k8s_wrapper)
  cd "$w"
  "$GO" build -trimpath -ldflags "$(k8s_ldflags)" -o "$BIN/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
  mv "$BIN/$cmd.tmp" "$BIN/$cmd"
  "$BIN/$cmd" --version
}
build_kube_apiserver() { build_k8s_cmd kube-apiserver; }
build_kube_controller_manager() { build_k8s_cmd kube-controller-manager; }
# node binaries: same wrapper and ldflags; chained because set -e does not apply inside run_component's `if`
build_node_cmd() {
  local cmd=$1 w
  w=$(k8s_wrapper) && cd "$w" &&
    "$GO" build -trimpath -ldflags "$(k8s_ldflags)" -o "$BIN/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd" &&
    mv "$BIN/$cmd.tmp" "$BIN/$cmd" && "$BIN/$cmd" --version
}
build_kubelet() { build_node_cmd kubelet; }
build_kube_scheduler() { build_node_cmd kube-scheduler; }
build_kube_proxy() { build_node_cmd kube-proxy; }

# CoreDNS: the module root (coredns.go) is the main package; a wrapper module requires it.
build_coredns() {
  local w=$SRC/coredns
  # (run_component calls this inside an `if`, where set -e does not apply: chain every step)
  rm -rf "$w" && mkdir -p "$w" && cd "$w" &&
    printf 'module ragtoolchain/coredns\n\ngo 1.24.0\n\nrequire github.com/coredns/coredns v%s\n' "$COREDNS_VERSION" >go.mod &&
    "$GO" build -trimpath -ldflags "-s -w" -o "$BIN/coredns.tmp" github.com/coredns/coredns &&
    mv "$BIN/coredns.tmp" "$BIN/coredns" && "$BIN/coredns" -version
}

# local-path-provisioner: the module root is the main package (no replaces).
build_local_path_provisioner() {
  local w=$SRC/local-path-provisioner
  rm -rf "$w" && mkdir -p "$w" && cd "$w" &&
    printf 'module ragtoolchain/local-path-provisioner\n\ngo 1.23.0\n\nrequire github.com/rancher/local-path-provisioner v%s\n' "$LOCAL_PATH_PROVISIONER_VERSION" >go.mod &&
    "$GO" build -trimpath -ldflags "-s -w" -o "$BIN/local-path-provisioner.tmp" github.com/rancher/local-path-provisioner &&
    mv "$BIN/local-path-provisioner.tmp" "$BIN/local-path-provisioner" && "$BIN/local-path-provisioner" --version
}
build_kubectl() {
  local w; w=$(k8s_wrapper); cd "$w"
  "$GO" build -trimpath -ldflags "$(k8s_ldflags)" -o "$BIN/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl
  mv "$BIN/kubectl.tmp" "$BIN/kubectl"
  "$BIN/kubectl" version --client
}

# ---------------------------------------------------------------------------------------------
# etcd: the server module's root package is the etcd main package.
build_etcd() {
  local w=$SRC/etcd
  rm -rf "$w" && mkdir -p "$w" && cd "$w"
  printf 'module ragtoolchain/etcd\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" >go.mod
  "$GO" build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$BIN/etcd.tmp" "$BIN/etcd"
  "$BIN/etcd" --version
}

# ---------------------------------------------------------------------------------------------
# Pulumi CLI: pkg/v3 replaces sdk/v3 with a relative path, so require both explicitly and copy its
# one non-relative replace.
pulumi_wrapper() {
  local w=$SRC/pulumi
  [ -f "$w/.ready" ] && { echo "$w"; return; }
  rm -rf "$w" && mkdir -p "$w"
  (cd "$w" && "$GO" mod download -json "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" >/dev/null)
  local mod=$GOMODCACHE/cache/download/github.com/pulumi/pulumi/pkg/v3/@v/v$PULUMI_VERSION.mod
  {
    echo "module ragtoolchain/pulumi"
    echo
    grep -E '^go [0-9]' "$mod"
    echo
    echo "require ("
    echo "	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION"
    echo "	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION"
    echo ")"
    echo
    grep -E '^replace [^ ]+ => [^.][^ ]* v' "$mod" || true
  } >"$w/go.mod"
  touch "$w/.ready"
  echo "$w"
}
PULUMI_LDFLAGS="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"

build_pulumi() {
  local w; w=$(pulumi_wrapper); cd "$w"
  "$GO" build -trimpath -tags osusergo,grpcnotrace -ldflags "$PULUMI_LDFLAGS" -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  mv "$BIN/pulumi.tmp" "$BIN/pulumi"
  PULUMI_HOME=$PULUMI_HOME_DIR PULUMI_SKIP_UPDATE_CHECK=true "$BIN/pulumi" version
}

# module_available MODULE@VERSION: does the module proxy serve it?
module_available() {
  local out
  if out=$(cd "$SRC" && "$GO" list -m -json "$1" 2>&1); then return 0; fi
  log "module proxy refuses $1: $(echo "$out" | tr '\n' ' ' | cut -c1-300)"
  return 1
}

# commit of the pulumi tag (the language host module has no tags of its own)
pulumi_tag_commit() {
  (cd "$SRC" && "$GO" list -m -json "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION") |
    sed -n 's/.*"Hash": "\([0-9a-f]*\)".*/\1/p' | head -n1
}

standin_or_fail() {
  local name=$1
  if [ "$STANDINS" = never ]; then
    echo "the real $name is not available from the module proxy and RAG_TOOLCHAIN_STANDINS=never" >&2
    return 1
  fi
  echo "$name: building the STAND-IN from scripts/toolchain/standins/cmd/$name (the real module is refused by the module proxy)"
  touch "$BIN/STANDINS"
  grep -qx "$name" "$BIN/STANDINS" || echo "$name" >>"$BIN/STANDINS"
}

# build_standin NAME LDFLAGS: our own implementation, scripts/toolchain/standins/cmd/NAME, built
# against the same pulumi sdk/v3 and k8s.io/* versions as above.
build_standin() {
  local name=$1 ldflags=$2
  local w=$SRC/standins
  rm -rf "$w" && mkdir -p "$w"
  cp -R "$HERE/toolchain/standins/." "$w/"
  cd "$w"
  sed -i -e "s/@PULUMI_VERSION@/$PULUMI_VERSION/g" -e "s/@STAGE_VERSION@/v0.${KUBERNETES_VERSION#*.}/g" go.mod
  "$GO" build -trimpath -ldflags "$ldflags" -o "$BIN/$name.tmp" "./cmd/$name"
  mv "$BIN/$name.tmp" "$BIN/$name"
}

build_pulumi_language_nodejs() {
  local commit mod=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
  commit=$(pulumi_tag_commit)
  if [ -n "$commit" ] && module_available "$mod@$commit"; then
    local w=$SRC/pulumi-language-nodejs
    rm -rf "$w" && mkdir -p "$w" && cd "$w"
    cp "$(pulumi_wrapper)/go.mod" go.mod
    sed -i 's#^module .*#module ragtoolchain/pulumi-language-nodejs#' go.mod
    "$GO" get "$mod@$commit" "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
    "$GO" build -trimpath -ldflags "$PULUMI_LDFLAGS" -o "$BIN/pulumi-language-nodejs.tmp" "$mod"
    mv "$BIN/pulumi-language-nodejs.tmp" "$BIN/pulumi-language-nodejs"
  else
    standin_or_fail pulumi-language-nodejs
    build_standin pulumi-language-nodejs "$PULUMI_LDFLAGS"
  fi
  # the dynamic-provider plugin is a shell script shipped in the sdk module
  local sdk; sdk=$(cd "$SRC" && "$GO" mod download -json "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  install -m 0755 "$sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"
}

# The providers: only stand-ins are built. If the module proxy ever serves the real modules, say so
# (building them needs a recipe of its own: see e2e/README.md).
real_provider_note() { # SDK_MODULE@TAG PROVIDER_MODULE: is the provider at the tag's commit served?
  local hash
  hash=$(cd "$SRC" && "$GO" list -m -json "$1" 2>/dev/null | sed -n 's/.*"Hash": "\([0-9a-f]*\)".*/\1/p' | head -n1) || true
  if [ -n "$hash" ] && module_available "$2@$hash"; then
    echo "NOTE: the module proxy now serves $2@$hash: the real provider could be built instead of the stand-in"
  fi
}

# The REAL Kubernetes provider, from the module proxy: at the commit of the pinned release when it is
# served, otherwise at the newest commit the proxy serves (older upstream code; installed as the
# pinned version, which @pulumi/kubernetes requests). Records its provenance in bin/PROVENANCE.
build_real_kubernetes_provider() {
  local mod=github.com/pulumi/pulumi-kubernetes/provider/v4 sdk=github.com/pulumi/pulumi-kubernetes/sdk/v4 hash="" version="" dir
  hash=$(cd "$SRC" && "$GO" list -m -json "$sdk@v$K8S_PROVIDER_VERSION" 2>/dev/null | sed -n 's/.*"Hash": "\([0-9a-f]*\)".*/\1/p' | head -n1) || true
  if [ -n "$hash" ] && module_available "$mod@$hash"; then
    version=$(cd "$SRC" && "$GO" list -m "$mod@$hash" | awk '{print $2}')
  else
    version=$(cd "$SRC" && "$GO" list -m "$mod@latest" 2>/dev/null | awk '{print $2}') || true
  fi
  [ -n "$version" ] || return 1
  dir=$(cd "$SRC" && "$GO" mod download -json "$mod@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p') || return 1
  [ -n "$dir" ] || return 1
  local w=$SRC/pulumi-kubernetes-provider
  rm -rf "$w" && cp -R "$dir" "$w" && chmod -R u+w "$w" && cd "$w" || return 1
  # go.mod points the SDK at ../sdk (the repository's layout): use the published module it requires.
  sed -i '\#^replace github.com/pulumi/pulumi-kubernetes/sdk/v4 => ../sdk#d' go.mod
  # (set -e does not apply inside an `if` condition: every step checks itself)
  (cd cmd/pulumi-resource-kubernetes && VERSION=$K8S_PROVIDER_VERSION "$GO" run generate.go) || return 1
  "$GO" build -trimpath -ldflags "-s -w -X $mod/pkg/version.Version=$K8S_PROVIDER_VERSION" \
    -o "$BIN/pulumi-resource-kubernetes.tmp" ./cmd/pulumi-resource-kubernetes || return 1
  mv "$BIN/pulumi-resource-kubernetes.tmp" "$BIN/pulumi-resource-kubernetes" || return 1
  local sdkv; sdkv=$(awk '$1 == "'"$sdk"'" {print $2}' go.mod | head -n1)
  touch "$BIN/PROVENANCE"
  sed -i '/^pulumi-resource-kubernetes:/d' "$BIN/PROVENANCE"
  echo "pulumi-resource-kubernetes: upstream $mod@$version (requires sdk $sdkv), installed as plugin v$K8S_PROVIDER_VERSION" >>"$BIN/PROVENANCE"
  [ -f "$BIN/STANDINS" ] && sed -i '/^pulumi-resource-kubernetes$/d' "$BIN/STANDINS"
  return 0
}

build_pulumi_resource_kubernetes() {
  if [ "${RAG_TOOLCHAIN_K8S_PROVIDER:-real}" = real ] && build_real_kubernetes_provider; then
    echo "pulumi-resource-kubernetes: built the REAL upstream provider ($(grep '^pulumi-resource-kubernetes:' "$BIN/PROVENANCE"))"
    return 0
  fi
  standin_or_fail pulumi-resource-kubernetes
  build_standin pulumi-resource-kubernetes "-s -w -X main.version=$K8S_PROVIDER_VERSION"
}

build_pulumi_resource_random() {
  real_provider_note "github.com/pulumi/pulumi-random/sdk/v4@v$RANDOM_PROVIDER_VERSION" github.com/pulumi/pulumi-random/provider/v4 || true
  standin_or_fail pulumi-resource-random
  build_standin pulumi-resource-random "-s -w -X main.version=$RANDOM_PROVIDER_VERSION"
}

# Install the provider binaries as plugins of the private PULUMI_HOME (no download ever).
build_plugins() {
  export PULUMI_HOME=$PULUMI_HOME_DIR PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  "$BIN/pulumi" plugin install resource kubernetes "v$K8S_PROVIDER_VERSION" --file "$BIN/pulumi-resource-kubernetes" --reinstall
  "$BIN/pulumi" plugin install resource random "v$RANDOM_PROVIDER_VERSION" --file "$BIN/pulumi-resource-random" --reinstall
  "$BIN/pulumi" plugin ls
}

T0=$SECONDS
log "cache: $DIR"
for c in $REBUILD; do rm -f "$BIN/.stamp-$c"; done
# plugins must be (re)installed whenever a provider was rebuilt
for c in "${WANT[@]}"; do case "$c" in pulumi-resource-*) built "$c" || rm -f "$BIN/.stamp-plugins" ;; esac; done
OPTIONAL_FAILED=()
for c in "${WANT[@]}"; do
  if [[ "$OPTIONAL" == *" $c "* ]]; then
    run_component "$c" || { OPTIONAL_FAILED+=("$c"); log "$c: optional (node e2e only); continuing without it"; }
  else
    run_component "$c"
  fi
done
[ ${#OPTIONAL_FAILED[@]} -eq 0 ] || log "node components NOT built: ${OPTIONAL_FAILED[*]} (e2e/node.sh will report the node as unavailable)"
log "done in $((SECONDS - T0))s; $(du -sh "$DIR" 2>/dev/null | cut -f1) in $DIR, $(du -sh "$ROOT/go" 2>/dev/null | cut -f1) of Go caches"
[ -f "$BIN/STANDINS" ] && log "stand-ins in use: $(tr '\n' ' ' <"$BIN/STANDINS")"
[ -f "$BIN/PROVENANCE" ] && log "$(cat "$BIN/PROVENANCE")"
# RAG_TOOLCHAIN_PRUNE=1: drop the Go build cache (~5 GB) once everything is built; the module cache
# (~2 GB) stays so that a later rebuild needs no downloads.
if [ "${RAG_TOOLCHAIN_PRUNE:-0}" = 1 ] && [ -d "$GOCACHE" ]; then
  rm -rf "$GOCACHE"
  log "pruned the Go build cache; $(du -sh "$ROOT" | cut -f1) left in $ROOT"
fi
echo "TOOLCHAIN_BIN=$BIN"
