#!/usr/bin/env bash
# The wrapper behind `npm run up|preview|destroy|render` is scripts/pulumi.ts; this file forwards to it for
# callers of the former shell wrapper (same arguments). e2e/node/platform.sh reads the dev passphrase from the
# line below; scripts/pulumi.ts holds the same value (test/pulumi-wrapper.test.ts checks that they agree).
set -euo pipefail
DEV_PASSPHRASE="rag-platform-dev-only-passphrase"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node -r ts-node/register/transpile-only scripts/pulumi.ts "$@"
