#!/usr/bin/env bash
# Runs a command (the test suite) with the integration services of services.sh started, and stops them after.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir=$(mktemp -d "${TMPDIR:-/tmp}/rag-app-services.XXXXXX")
trap 'bash "$here/services.sh" stop "$dir"' EXIT
bash "$here/services.sh" start "$dir"
set -a
# shellcheck disable=SC1091
. "$dir/env"
set +a
"$@"
