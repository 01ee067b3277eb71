# shellcheck shell=bash
# The kube group of scripts/toolchain.sh (sourced): one Go module that requires k8s.io/kubernetes (every
# ./staging replace mapped to the published k8s.io/<name> v0.<minor>.<patch>, its godebug line copied) and
# the modules of etcd, CoreDNS, metrics-server and local-path-provisioner, so Go's
# version selection picks one version of every shared dependency (client-go, grpc, protobuf, prometheus...)
# and each package compiles once. The requested programs are built by one `go build` (Go schedules all of
# their packages and links together on both cores); local-path-provisioner by a second one, because it
# imports github.com/Sirupsen/logrus, which collides (case-insensitively) with github.com/sirupsen/logrus in
# the others' graphs when they are loaded together.

# component -> package to build
kube_package() {
  case "$1" in
    etcd) echo go.etcd.io/etcd/server/v3 ;;
    coredns) echo ./coredns ;;
    metrics-server) echo sigs.k8s.io/metrics-server/cmd/metrics-server ;;
    local-path-provisioner) echo github.com/rancher/local-path-provisioner ;;
    *) echo "k8s.io/kubernetes/cmd/$1" ;;
  esac
}
# the file `go build -o DIR/` writes for a package (its last path element)
kube_output() { case "$1" in etcd) echo server ;; *) basename "$(kube_package "$1")" ;; esac; }

kube_ldflags() {
  local minor=${KUBERNETES_VERSION#*.} f="-s -w" p
  minor=${minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f="$f -X $p.gitVersion=v$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    f="$f -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$f"
}

# kube_module: the module's folder, made once per recipe
kube_module() {
  local w=$SRC/kube
  if [ -f "$w/.ready" ] && grep -qx "$KUBE_HASH" "$w/.ready"; then echo "$w"; return 0; fi
  rm -rf "$w" && mkdir -p "$w" && cp -R "$HERE/toolchain/kube/." "$w/" || return 1
  (cd "$w" && "$GO" mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" >/dev/null) || return 1
  local mod=$GOMODCACHE/cache/download/k8s.io/kubernetes/@v/v$KUBERNETES_VERSION.mod
  local stagever="v0.${KUBERNETES_VERSION#*.}"
  {
    echo "module ragtoolchain/kube"
    echo
    grep -E '^go [0-9]' "$mod"
    grep -E '^godebug' "$mod" || true
    echo
    echo "require k8s.io/kubernetes v$KUBERNETES_VERSION"
    echo
    echo "replace ("
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$mod" | awk -v v="$stagever" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } >"$w/go.mod" || return 1
  (cd "$w" && "$GO" get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" "github.com/coredns/coredns@v$COREDNS_VERSION" \
    "sigs.k8s.io/metrics-server@v$METRICS_SERVER_VERSION" \
    "github.com/rancher/local-path-provisioner@v$LOCAL_PATH_PROVISIONER_VERSION") >&2 || return 1
  echo "$KUBE_HASH" >"$w/.ready"
  echo "$w"
}

# kube_build LOG COMPONENT...: one go build for all of them, then each binary to bin/ and stamped
kube_build() {
  local logf=$1 w out c pkgs=() t0=$SECONDS
  shift
  w=$(kube_module 2>>"$logf") || return 1
  out=$w/out.$$
  rm -rf "$out" && mkdir -p "$out"
  for c in "$@"; do pkgs+=("$(kube_package "$c")"); done
  (cd "$w" && "$GO" build -trimpath -ldflags "$(kube_ldflags)" -o "$out/" "${pkgs[@]}") >>"$logf" 2>&1 || return 1
  for c in "$@"; do
    mv "$out/$(kube_output "$c")" "$BIN/$c" || return 1
    stamp "$c"
    record "$c" $((SECONDS - t0))
  done
  rm -rf "$out"
}

build_kube_group() {
  local logf=$LOGS/kube.log t0=$SECONDS c main=() lpp=()
  for c in "$@"; do
    if [ "$c" = local-path-provisioner ]; then lpp+=("$c"); else main+=("$c"); fi
  done
  log "kube: building ${*} (one Go module; log: $logf)"
  : >"$logf"
  if [ ${#main[@]} -gt 0 ] && ! kube_build "$logf" "${main[@]}"; then
    log "kube: FAILED after $((SECONDS - t0))s; last lines of $logf:"
    tail -n 30 "$logf" >&2
    return 1
  fi
  if [ ${#lpp[@]} -gt 0 ] && ! kube_build "$logf" "${lpp[@]}"; then
    log "kube: local-path-provisioner FAILED; last lines of $logf:"
    tail -n 30 "$logf" >&2
    return 1
  fi
  log "kube: built ${*} in $((SECONDS - t0))s"
  "$BIN/kube-apiserver" --version >>"$logf" 2>&1 || true
}
