#!/usr/bin/env bash
# Builds the images the on-machine node runs, without a registry or a container daemon, and
# (with --import) imports them into a containerd.
#
#   bash images/build.sh [--import SOCKET] [--app APPDIR] [name ...]     (default: every image)
#
# Each image is images/<name>/build.sh (+ its files), built into an OCI layout with umoci and
# written as an OCI archive to ${RAG_IMAGE_CACHE:-$HOME/.cache/rag-platform-images}/<name>-<hash>.tar
# where <hash> covers the recipe directory, images/lib.sh and images/build-one.sh (and, for the app images,
# the packaged app): a warm cache rebuilds nothing. Prints `<ref> <tar>` per image on stdout; logs go to
# the cache's logs/ directory. See images/README.md for what each image is and how it differs from
# the official one.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${RAG_IMAGE_CACHE:-$HOME/.cache/rag-platform-images}
mkdir -p "$CACHE/logs"
IMPORT_SOCK=
APPDIR=
REFS_ONLY=0
NAMES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --import) IMPORT_SOCK=$2; shift 2 ;;
    --app) APPDIR=$2; shift 2 ;;
    --refs) REFS_ONLY=1; shift ;;
    *) NAMES+=("$1"); shift ;;
  esac
done
BASE_IMAGES=(pause busybox postgres patroni redis chroma node aws-cli)
APP_IMAGES=(rag-api rag-frontend rag-indexer)
if [ ${#NAMES[@]} -eq 0 ]; then
  NAMES=("${BASE_IMAGES[@]}")
  [ -n "$APPDIR" ] && NAMES+=("${APP_IMAGES[@]}")
fi

# the packaged app's content: its images are tagged <app version>-<hash>, so a changed app is a new tag
# (pods roll) and an unchanged one the same (nothing rebuilt, nothing rolled)
APP_HASH= APP_TAG=$(sed -nE 's/^ *"version": *"([^"]+)".*/\1/p' "$HERE/../app/package.json" | head -n1)
if [ -n "$APPDIR" ]; then
  APP_HASH=$(cd "$APPDIR" && find . -path ./node_modules/.cache -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
  APP_TAG=$APP_TAG-${APP_HASH:0:12}
fi

# refs: one place (the e2e and the embedded cluster read them with `images/build.sh [--app DIR] --refs`)
P=localhost/rag-platform
declare -A REFS=(
  [pause]=$P/pause:3.10
  [busybox]=$P/busybox:1.35
  [postgres]=$P/postgres:15-bookworm
  [patroni]=$P/patroni:3.0.2-pg15-bookworm
  [redis]=$P/redis:7.0-bookworm
  [chroma]=$P/chroma:1.0.12
  [node]=$P/node:22.23.3
  [rag-api]=$P/rag-api:$APP_TAG
  [rag-frontend]=$P/rag-frontend:$APP_TAG
  [rag-indexer]=$P/rag-indexer:$APP_TAG
  [metrics-server]=$P/metrics-server:v0.8.0
  [aws-cli]=$P/aws-cli:2.9.19-bookworm
  [prometheus]=$P/prometheus:v3.16.0
  [prometheus-operator]=$P/prometheus-operator:v0.85.0
  [postgres-exporter]=$P/postgres-exporter:v0.19.1
  [redis-exporter]=$P/redis-exporter:v1.88.0
  [kube-state-metrics]=$P/kube-state-metrics:v2.19.1
)
if [ "$REFS_ONLY" = 1 ]; then
  for k in "${!REFS[@]}"; do echo "$k ${REFS[$k]}"; done
  exit 0
fi

log() { echo "[images $(date +%H:%M:%S)] $*" >&2; }
recipe_hash() { # NAME
  local dir=$HERE/$1
  case "$1" in rag-*) dir=$HERE/app ;; esac
  {
    # what goes into the image: the recipe, lib.sh and build-one.sh (not this driver)
    (cd "$HERE" && find "$dir" lib.sh build-one.sh -type f | LC_ALL=C sort | xargs sha256sum | sed "s#$HERE/##")
    echo "ref=${REFS[$1]}"
    case "$1" in
      rag-*) echo "app=$APP_HASH base=$(recipe_hash node)" ;;
      metrics-server | prometheus | kube-state-metrics | postgres-exporter | redis-exporter) sha256sum <"${TOOLCHAIN_BIN:-/nonexistent}/$1" 2>/dev/null ;;
      prometheus-operator) cat "${TOOLCHAIN_BIN:-/nonexistent}"/prometheus-{operator,config-reloader} 2>/dev/null | sha256sum ;;
    esac
  } | sha256sum | cut -c1-16
}

build_one() { # NAME -> prints the tar path
  local name=$1 h tar
  h=$(recipe_hash "$name")
  tar=$CACHE/$name-$h.tar
  # (a hit marks the archive as used: the pruning below spares what a run beside this one uses)
  if [ -f "$tar" ]; then touch "$tar"; log "$name: cached ($tar)"; echo "$tar"; return 0; fi
  local base=
  case "$name" in rag-*) base=$(build_one node) || return 1 ;; esac
  local t0=$SECONDS
  log "$name: building (log: $CACHE/logs/$name.log)"
  # a separate bash, so that set -e holds inside the recipe
  if ! TOOLCHAIN_BIN=${TOOLCHAIN_BIN:-} HERE=$HERE NAME=$name REF=${REFS[$name]} TAR=$tar BASE_TAR=$base APPDIR=$APPDIR CACHE=$CACHE \
    RECIPE_HASH=$h bash "$HERE/build-one.sh" >"$CACHE/logs/$name.log" 2>&1; then
    log "$name: FAILED; last lines of $CACHE/logs/$name.log:"
    tail -n 25 "$CACHE/logs/$name.log" >&2
    return 1
  fi
  rm -f "$tar.import" # an import copy of an earlier build of the same recipe
  log "$name: built in $((SECONDS - t0))s ($(du -h "$tar" | cut -f1))"
  echo "$name $((SECONDS - t0))s $(date -u +%FT%TZ)" >>"$CACHE/logs/times.txt"
  # older builds of the same image, unused for an hour (the HA tier builds the pinned release's app images while
  # the node tier beside it imports the current ones)
  find "$CACHE" -maxdepth 1 \( -name "$name-*.tar" -o -name "$name-*.tar.import" \) ! -name "$(basename "$tar")" \
    ! -name "$(basename "$tar").import" -mmin +60 -delete
  echo "$tar"
}

rc=0
for n in "${NAMES[@]}"; do
  [ -n "${REFS[$n]:-}" ] || { log "unknown image $n"; rc=1; continue; }
  if tar=$(build_one "$n"); then
    if [ -n "$IMPORT_SOCK" ]; then
      # The archive's index names its manifest with umoci's tag (annotation
      # org.opencontainers.image.ref.name); ctr would turn that into a stray `import-<date>:<tag>`
      # image besides --index-name, and the CRI may then resolve the ref to the stray name (sandbox
      # creation fails "image ... import-<date>:pause not found"). Import a copy without it, written once
      # beside the archive (<tar>.import; every node of every cluster imports the same copy).
      imp=$tar.import
      if [ -f "$imp" ]; then
        touch "$imp"
      else
        python3 - "$tar" "$imp.$$" <<'PY' && mv "$imp.$$" "$imp" || { rm -f "$imp.$$"; log "$n: could not write $imp"; rc=1; continue; }
import io, json, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as tin, tarfile.open(dst, "w") as tout:
    for m in tin:
        f = tin.extractfile(m) if m.isfile() else None
        if m.name in ("./index.json", "index.json"):
            idx = json.load(f)
            for d in idx.get("manifests", []):
                d.get("annotations", {}).pop("org.opencontainers.image.ref.name", None)
                if not d.get("annotations"):
                    d.pop("annotations", None)
            data = json.dumps(idx).encode()
            m.size = len(data)
            tout.addfile(m, io.BytesIO(data))
        else:
            tout.addfile(m, f)
PY
      fi
      # --index-name: the image is named by the reference alone. images/import.sh does not unpack (the CRI unpacks an
      # image into its snapshotter when a container of it is first created, so a node unpacks only what it runs; the
      # embedded cluster's up measured: datastore images imported in 5 s instead of 43 s, the pulumi up that creates
      # their containers 21 s longer), and imports nothing this containerd has from the same archive already
      if ! how=$(bash "$HERE/import.sh" "$IMPORT_SOCK" "${REFS[$n]}" "$imp" --index-name 2>>"$CACHE/logs/import.log"); then
        log "$n: import FAILED (see $CACHE/logs/import.log)"
        rc=1
        continue
      fi
      log "$n: $how ($IMPORT_SOCK)"
      if ctr --address "$IMPORT_SOCK" -n k8s.io images ls -q | grep '^import-' >/dev/null; then
        log "$n: ctr left an import-<date> image name"
        rc=1
      fi
    fi
    echo "${REFS[$n]} $tar"
  else
    rc=1
  fi
done
exit $rc
