#!/usr/bin/env bash
# Lints .github/workflows with actionlint, built from its Go module into a cache outside the repository
# (nothing prebuilt is downloaded). Called by .ci/run; `bash scripts/actionlint.sh` by hand.
set -euo pipefail
VERSION=1.7.12
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
CACHE=${RAG_TOOLCHAIN_DIR:-$HOME/.cache/rag-platform-toolchain}/tools/actionlint-$VERSION
BIN=$CACHE/actionlint
if [ ! -x "$BIN" ]; then
  export PATH="$PATH:/usr/local/go/bin"
  mkdir -p "$CACHE"
  GOBIN=$CACHE GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
    GOMODCACHE=${RAG_TOOLCHAIN_DIR:-$HOME/.cache/rag-platform-toolchain}/go/mod GOCACHE=${RAG_TOOLCHAIN_DIR:-$HOME/.cache/rag-platform-toolchain}/go/build \
    go install "github.com/rhysd/actionlint/cmd/actionlint@v$VERSION"
fi
cd "$ROOT"
"$BIN" -version | head -n1
"$BIN" -color=false
echo "actionlint: $(ls .github/workflows/*.yml | wc -l) workflows clean"
