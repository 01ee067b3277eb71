# shellcheck shell=bash
# The pulumi group of scripts/toolchain.sh (sourced): the CLI (a wrapper module requiring pkg/v3 and sdk/v3
# explicitly, with pkg's one non-relative replace copied: pkg/v3 replaces sdk/v3 with a relative path), the
# Node.js language host and the random provider (stand-ins when the proxy refuses the real modules), the
# REAL Kubernetes provider, and the plugin install into the private PULUMI_HOME. Two chains side by side (and
# beside the kube group): the CLI, the language host and the random stand-in one after the other (they share
# the pinned pulumi sdk/v3's compiled packages), and the Kubernetes provider (its own module graph: pulumi
# v3.215, client-go 0.33; nothing compiled in common with the CLI); the plugins are installed once both are done.

PULUMI_LDFLAGS="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"

pulumi_wrapper() {
  local w=$SRC/pulumi
  [ -f "$w/.ready" ] && { echo "$w"; return; }
  rm -rf "$w" && mkdir -p "$w"
  (cd "$w" && "$GO" mod download -json "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" >/dev/null) || return 1
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

build_pulumi() {
  local w
  w=$(pulumi_wrapper) && cd "$w" &&
    "$GO" build -trimpath -tags osusergo,grpcnotrace -ldflags "$PULUMI_LDFLAGS" -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi &&
    mv "$BIN/pulumi.tmp" "$BIN/pulumi" &&
    PULUMI_HOME=$PULUMI_HOME_DIR PULUMI_SKIP_UPDATE_CHECK=true "$BIN/pulumi" version
}

# module_available MODULE@VERSION: does the module proxy serve it?
module_available() {
  local out
  if out=$(cd "$SRC" && "$GO" list -m -json "$1" 2>&1); then return 0; fi
  echo "module proxy refuses $1: $(echo "$out" | tr '\n' ' ' | cut -c1-300)"
  return 1
}

# commit of the pulumi tag (the language host module has no tags of its own)
pulumi_tag_commit() {
  (cd "$SRC" && "$GO" list -m -json "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION") |
    sed -n 's/.*"Hash": "\([0-9a-f]*\)".*/\1/p' | head -n1
}

standin_or_fail() {
  if [ "$STANDINS" = never ]; then
    echo "the real $1 is not available from the module proxy and RAG_TOOLCHAIN_STANDINS=never"
    return 1
  fi
  echo "$1: building the STAND-IN from scripts/toolchain/standins/cmd/$1 (the real module is refused by the module proxy)"
  touch "$BIN/STANDINS"
  grep -qx "$1" "$BIN/STANDINS" || echo "$1" >>"$BIN/STANDINS"
}

# build_standin NAME LDFLAGS: our own implementation, built against the same pulumi sdk/v3 and k8s.io/*
build_standin() {
  local name=$1 ldflags=$2 w=$SRC/standins
  rm -rf "$w" && mkdir -p "$w" && cp -R "$HERE/toolchain/standins/." "$w/" && cd "$w" &&
    sed -i -e "s/@PULUMI_VERSION@/$PULUMI_VERSION/g" -e "s/@STAGE_VERSION@/v0.${KUBERNETES_VERSION#*.}/g" go.mod &&
    "$GO" build -trimpath -ldflags "$ldflags" -o "$BIN/$name.tmp" "./cmd/$name" &&
    mv "$BIN/$name.tmp" "$BIN/$name"
}

build_pulumi_language_nodejs() {
  local commit mod=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 sdk
  commit=$(pulumi_tag_commit)
  if [ -n "$commit" ] && module_available "$mod@$commit"; then
    local w=$SRC/pulumi-language-nodejs
    rm -rf "$w" && mkdir -p "$w" && cd "$w" && cp "$(pulumi_wrapper)/go.mod" go.mod &&
      sed -i 's#^module .*#module ragtoolchain/pulumi-language-nodejs#' go.mod &&
      "$GO" get "$mod@$commit" "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" &&
      "$GO" build -trimpath -ldflags "$PULUMI_LDFLAGS" -o "$BIN/pulumi-language-nodejs.tmp" "$mod" &&
      mv "$BIN/pulumi-language-nodejs.tmp" "$BIN/pulumi-language-nodejs" || return 1
  else
    standin_or_fail pulumi-language-nodejs && build_standin pulumi-language-nodejs "$PULUMI_LDFLAGS" || return 1
  fi
  # the dynamic-provider plugin is a shell script shipped in the sdk module
  sdk=$(cd "$SRC" && "$GO" mod download -json "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p') &&
    install -m 0755 "$sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"
}

# The REAL Kubernetes provider, from the module proxy: at the commit of the pinned release when it is
# served, otherwise at the newest commit the proxy serves (older upstream code; installed as the pinned
# version, which @pulumi/kubernetes requests). Records its provenance in bin/PROVENANCE.
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
  (cd cmd/pulumi-resource-kubernetes && VERSION=$K8S_PROVIDER_VERSION "$GO" run generate.go) || return 1
  "$GO" build -trimpath -ldflags "-s -w -X $mod/pkg/version.Version=$K8S_PROVIDER_VERSION" \
    -o "$BIN/pulumi-resource-kubernetes.tmp" ./cmd/pulumi-resource-kubernetes || return 1
  mv "$BIN/pulumi-resource-kubernetes.tmp" "$BIN/pulumi-resource-kubernetes" || return 1
  local sdkv
  sdkv=$(awk '$1 == "'"$sdk"'" {print $2}' go.mod | head -n1)
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
  standin_or_fail pulumi-resource-kubernetes && build_standin pulumi-resource-kubernetes "-s -w -X main.version=$K8S_PROVIDER_VERSION"
}

build_pulumi_resource_random() {
  standin_or_fail pulumi-resource-random && build_standin pulumi-resource-random "-s -w -X main.version=$RANDOM_PROVIDER_VERSION"
}

# the provider binaries as plugins of the private PULUMI_HOME (no download ever)
build_plugins() {
  export PULUMI_HOME=$PULUMI_HOME_DIR PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  "$BIN/pulumi" plugin install resource kubernetes "v$K8S_PROVIDER_VERSION" --file "$BIN/pulumi-resource-kubernetes" --reinstall &&
    "$BIN/pulumi" plugin install resource random "v$RANDOM_PROVIDER_VERSION" --file "$BIN/pulumi-resource-random" --reinstall &&
    "$BIN/pulumi" plugin ls
}

build_pulumi_group() {
  local c t0 logf
  for c in "$@"; do
    logf=$LOGS/$c.log
    t0=$SECONDS
    log "pulumi: building $c (log: $logf)"
    if ("build_${c//-/_}") >"$logf" 2>&1; then
      stamp "$c"
      record "$c" $((SECONDS - t0))
      log "pulumi: $c built in $((SECONDS - t0))s"
    else
      log "pulumi: $c FAILED after $((SECONDS - t0))s; last lines of $logf:"
      tail -n 30 "$logf" >&2
      return 1
    fi
  done
}

# build_pulumi_chains COMPONENT...: the Kubernetes provider beside the rest, then the plugins (cold, the
# provider took ~12 min after the CLI's ~22: at the end it built alone on a partly idle machine)
build_pulumi_chains() {
  local c main=() k8s=() plugins=() kpid="" rc=0
  for c in "$@"; do
    case $c in pulumi-resource-kubernetes) k8s+=("$c") ;; plugins) plugins+=("$c") ;; *) main+=("$c") ;; esac
  done
  if [ ${#k8s[@]} -gt 0 ]; then
    (exec 9>"$DIR/.lock-pulumi-kubernetes" && flock 9 && build_pulumi_group "${k8s[@]}") &
    kpid=$!
  fi
  if [ ${#main[@]} -gt 0 ]; then
    (exec 9>"$DIR/.lock-pulumi" && flock 9 && build_pulumi_group "${main[@]}") || rc=1
  fi
  if [ -n "$kpid" ]; then wait "$kpid" || rc=1; fi
  [ $rc = 0 ] || return 1
  [ ${#plugins[@]} -eq 0 ] || (exec 9>"$DIR/.lock-pulumi" && flock 9 && build_pulumi_group "${plugins[@]}")
}
