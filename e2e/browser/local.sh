#!/usr/bin/env bash
# The browser check without a cluster: the app's API and frontend on 127.0.0.1 against the real PostgreSQL,
# Redis and Chroma of app/scripts/services.sh (started and stopped around the run), then e2e/browser/chat.ts
# against them, through its ingress stand-in as on the node. Screenshots go to ARTIFACT_DIR (default: a new
# temp dir, printed). Needs /usr/bin/chromium (bash e2e/browser/install.sh).
#   bash e2e/browser/local.sh [ARTIFACT_DIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
artifacts=${1:-$(mktemp -d "${TMPDIR:-/tmp}/rag-browser.XXXXXX")}
mkdir -p "$artifacts"
echo "# artifacts: $artifacts"
cd "$repo"
exec bash app/scripts/with-services.sh node -r ts-node/register/transpile-only e2e/browser/local.ts "$artifacts"
