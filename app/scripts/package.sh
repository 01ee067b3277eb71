#!/usr/bin/env bash
# The app bundle for images: `bash app/scripts/package.sh OUTDIR` writes OUTDIR/app/ =
#   dist/ (compiled entry points api.js, indexer.js, migrate.js, frontend.js, and dist/migrations/*.sql)
#   public/ (the chat page)   package.json   node_modules/ (production dependencies only, no native addons)
# An image copies OUTDIR/app to /app and runs `node /app/dist/<entry>.js` with working directory /app, as
# UID/GID 10001, read-only root filesystem, /tmp writable (see app/README.md, "Platform contract").
# Production dependencies come from the repository's package-lock.json (npm ci), so the bundle is reproducible.
set -euo pipefail
out=${1:?usage: package.sh OUTDIR}
app_dir="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$app_dir/.." && pwd)"
export NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NPM_CONFIG_UPDATE_NOTIFIER=false

if [ ! -x "$root/node_modules/.bin/tsc" ]; then
    (cd "$root" && npm ci --no-audit --no-fund)
fi
(cd "$root" && npm run --silent build --workspace app)

# A copy of the workspace manifests, installed with production dependencies of the app workspace only.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rag-app-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/app" "$tmp/policy"
cp "$root/package.json" "$root/package-lock.json" "$tmp/"
cp "$app_dir/package.json" "$tmp/app/"
cp "$root/policy/package.json" "$tmp/policy/"
# --omit=optional: chromadb's optional native CLI bindings are not needed by the client.
(cd "$tmp" && npm ci --omit=dev --omit=optional --ignore-scripts --workspace app --no-audit --no-fund --loglevel=error >/dev/null)
rm -f "$tmp/node_modules/rag-app" "$tmp/node_modules/.package-lock.json"

mkdir -p "$out"
rm -rf "$out/app"
mkdir -p "$out/app"
cp -r "$app_dir/dist" "$app_dir/public" "$app_dir/package.json" "$out/app/"
mv "$tmp/node_modules" "$out/app/node_modules"

native=$(find "$out/app/node_modules" -name '*.node' | head -5)
if [ -n "$native" ]; then
    echo "package.sh: native addons in the bundle: $native" >&2
    exit 1
fi
# Smoke test: every entry point's modules load from the bundle alone.
(cd "$out/app" && API_SIGNING_KEY=package-smoke-test-signing-key node dist/api.js --print-api-key >/dev/null)
(cd "$out/app" && node -e 'for (const m of ["./dist/lib/runtime", "./dist/lib/migrations", "./dist/lib/indexer", "./dist/frontend"]) require(m)')
echo "package.sh: $out/app ($(du -sh "$out/app" | cut -f1)): node /app/dist/{api,indexer,migrate,frontend}.js"
