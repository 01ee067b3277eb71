#!/bin/sh
# Chroma server from the chromadb Python package: serves on 0.0.0.0:8000 (CHROMA_HOST/CHROMA_PORT)
# with its data in $PERSIST_DIRECTORY (default /data), like chromadb/chroma's image.
set -eu
if [ $# -gt 0 ]; then exec "$@"; fi
export HOME=${HOME:-/tmp}
exec /opt/chroma/bin/chroma run --host "${CHROMA_HOST:-0.0.0.0}" --port "${CHROMA_PORT:-8000}" \
  --path "${PERSIST_DIRECTORY:-/data}"
