# shellcheck shell=bash
# The Pulumi side of the cluster tests (sourced by each tier, once): the toolchain's CLI and plugins, a
# private PULUMI_HOME, a local file backend, the repository copied to the work dir (its Pulumi.<stack>.yaml
# are never touched), `P STEP ...` (the Pulumi steps on the Automation API, e2e/stack.ts, stack $STACK) and
# configure_stack (the images built here through stack config).
[ -n "${PULUMI_ENV_READY:-}" ] && return 0
PULUMI_ENV_READY=1
# the Pulumi side of the toolchain (a warm cache: nothing to do)
if ! run "$LOGS/toolchain-pulumi.log" bash "$REPO/scripts/toolchain.sh" pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-random plugins; then
  fail "scripts/toolchain.sh (pulumi and plugins)" "$LOGS/toolchain-pulumi.log"
fi
# shellcheck source=pulumi-work.sh
. "$E2E_DIR/lib/pulumi-work.sh"
pulumi_work_env
# the dev stack's passphrase: the one scripts/pulumi.sh supplies (Pulumi.dev.yaml holds its salt)
DEV_PASS=$(sed -nE 's/^DEV_PASSPHRASE="?([^"]*)"?$/\1/p' "$REPO/scripts/pulumi.sh" | head -n1)
export PULUMI_CONFIG_PASSPHRASE=${E2E_DEV_PASSPHRASE:-${DEV_PASS:-e2e-dev-passphrase}}
PROG=$WORK/project
pulumi_work_copy "$PROG"
# the program and the policy pack run as JavaScript (Pulumi.yaml main: main.js): compile the copy's sources
# into the copy's bin/ and policy/bin/ (npm run build:js), never the repository's
(cd "$PROG" && node scripts/build-js.js --quiet) || { echo "e2e: npm run build:js failed in $PROG" >&2; exit 1; }
PROJECT=$(sed -n 's/^name:[[:space:]]*//p' "$PROG/Pulumi.yaml" | head -n1 | tr -d '"'"'"' ')
# P STEP ARGS...: the Pulumi steps on the Automation API (e2e/stack.ts), on the copy, stack $STACK (default dev)
pulumi_work_p
export E2E_PROG=$PROG
POLICY_ARGS=(--policy-pack "$PROG/policy")
[ -f "$PROG/policy/config/dev.json" ] && POLICY_ARGS+=(--policy-pack-config "$PROG/policy/config/dev.json")

# config_pairs STACK "KEY VALUE"...: stack config by path, one key and its value per argument (the value may hold
# spaces, e.g. a cron schedule), all in one `pulumi config set-all` (a node start and a CLI call per value cost
# ~1.5 s each on the busy machine: the HA tier's config alone took about a minute)
config_pairs() {
  local s=$1 kv args=()
  shift
  for kv in "$@"; do args+=("$PROJECT:${kv%% *}" "${kv#* }"); done
  STACK=$s P config "${args[@]}" --path
}

# stack config: images built here, Chroma as the vector store, and the caller's own "KEY VALUE" pairs
configure_stack() { # STACK ["KEY VALUE"...]
  config_pairs "$1" "postgres.image ${IMG[postgres]}" "redis.image ${IMG[redis]}" "vectorStore.engine chroma" \
    "vectorStore.image ${IMG[chroma]}" "api.image ${IMG[rag-api]}" "frontend.image ${IMG[rag-frontend]}" \
    "indexer.image ${IMG[rag-indexer]}" "${@:2}"
}
