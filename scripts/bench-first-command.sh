#!/usr/bin/env bash
# The README's first command as a newcomer meets it, measured: a clean clone of this checkout's HEAD with nothing of
# ours cached (the toolchain, Go's caches, the images and the app package go to an empty folder; npm's cache and the
# Debian packages stay as they are), then `npm ci`, `npm run up -- --yes`, `npm run ask`, `npm run destroy -- --yes`
# and `npm run cluster -- down`. Prints each step's seconds, the up's own step lines, and the toolchain's wall and
# CPU per group; removes the folder at the end (about 15 GB while it runs).
#
#   bash scripts/bench-first-command.sh        (root, Linux: the embedded cluster; about 20 minutes on 2 cores)
#
# Not part of .ci/run (its toolchain and images are cached); docs/operations.md has its figures.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if ip link show raglocal0 >/dev/null 2>&1; then
  echo "an embedded cluster runs on this machine (bridge raglocal0): stop it first (npm run cluster -- down)" >&2
  exit 1
fi
T=$(mktemp -d /tmp/rag-first-command.XXXX)
trap 'rm -rf "$T"' EXIT
export RAG_TOOLCHAIN_DIR=$T/toolchain RAG_IMAGE_CACHE=$T/images RAG_APP_CACHE=$T/app
echo "work dir $T ($(date -u +%FT%TZ)); $(nproc) cores; $(git -C "$REPO" log --oneline -1 | cut -c1-100)"
git clone -q "$REPO" "$T/rag-platform" && cd "$T/rag-platform" || exit 1
rc=0
# step NAME LOG CMD...: runs it, prints its exit code and seconds
step() {
  local name=$1 log=$2 t=$SECONDS r
  shift 2
  "$@" >"$log" 2>&1
  r=$?
  [ $r = 0 ] || rc=1
  echo "$name: exit $r, $((SECONDS - t))s"
  return $r
}
t0=$SECONDS
step "npm ci" "$T/npm-ci.log" npm ci --no-audit --no-fund
t1=$SECONDS
if step "npm run up -- --yes" "$T/up.log" npm run up -- --yes; then
  grep -E '^rag-platform: .*(done in|built beside|up in|ready in|FAILED|failed)' "$T/up.log" | cut -c1-200 | sed 's/^/  /'
  step "npm run ask" "$T/ask.log" npm run --silent ask -- "What does the platform deploy?" &&
    echo "  first cited answer $((SECONDS - t1))s after npm ci: $(grep -o '\[doc:[0-9]*\]' "$T/ask.log" | head -n 1 | grep . || echo 'NO CITATION')"
  step "npm run destroy -- --yes" "$T/destroy.log" npm run destroy -- --yes
else
  tail -n 30 "$T/up.log"
fi
step "npm run cluster -- down" "$T/down.log" npm run cluster -- down && tail -n 1 "$T/down.log" | sed 's/^/  /'
echo "toolchain (logs/times.txt: wall per component, CPU per group):"
sed 's/^/  /' "$T"/toolchain/*/logs/times.txt 2>/dev/null
echo "total $((SECONDS - t0))s, exit $rc"
exit $rc
