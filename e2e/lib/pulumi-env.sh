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
mkdir -p "$WORK/pulumi-home" "$WORK/state"
ln -s "$PULUMI_HOME/plugins" "$WORK/pulumi-home/plugins"
export PULUMI_HOME=$WORK/pulumi-home PULUMI_BACKEND_URL="file://$WORK/state?metadata=skip"
export PULUMI_SKIP_CONFIRMATIONS=true PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_IGNORE_AMBIENT_PLUGINS=true
export PULUMI_NODEJS_TRANSPILE_ONLY=${E2E_TRANSPILE_ONLY:-true} NO_COLOR=1 FORCE_COLOR=0
# the dev stack's passphrase: the one scripts/pulumi.sh supplies (Pulumi.dev.yaml holds its salt)
DEV_PASS=$(sed -nE 's/^DEV_PASSPHRASE="?([^"]*)"?$/\1/p' "$REPO/scripts/pulumi.sh" | head -n1)
export PULUMI_CONFIG_PASSPHRASE=${E2E_DEV_PASSPHRASE:-${DEV_PASS:-e2e-dev-passphrase}}
unset PULUMI_ACCESS_TOKEN
PROG=$WORK/project
mkdir -p "$PROG"
tar -C "$REPO" --exclude=./node_modules --exclude=./.git --exclude=./.pulumi --exclude=./.pulumi-state \
  --exclude=./rendered --exclude=./.e2e --exclude=./.cluster --exclude=./app/node_modules --exclude=./app/dist --exclude=./bin --exclude=./policy/bin -cf - . | tar -C "$PROG" -xf -
ln -s "$REPO/node_modules" "$PROG/node_modules"
# the program and the policy pack run as JavaScript (Pulumi.yaml main: main.js): compile the copy's sources
# into the copy's bin/ and policy/bin/ (npm run build:js), never the repository's
(cd "$PROG" && node scripts/build-js.js --quiet) || { echo "e2e: npm run build:js failed in $PROG" >&2; exit 1; }
PROJECT=$(sed -n 's/^name:[[:space:]]*//p' "$PROG/Pulumi.yaml" | head -n1 | tr -d '"'"'"' ')
# P STEP ARGS...: the Pulumi steps on the Automation API (e2e/stack.ts), on the copy, stack $STACK (default
# dev); a script so that `timeout` can run it
mkdir -p "$WORK/bin"
cat >"$WORK/bin/P" <<EOF
#!/usr/bin/env bash
exec node -r "$REPO/node_modules/ts-node/register/transpile-only" "$REPO/e2e/stack.ts" "\$@"
EOF
chmod +x "$WORK/bin/P"
export PATH="$WORK/bin:$PATH" E2E_PROG=$PROG
POLICY_ARGS=(--policy-pack "$PROG/policy")
[ -f "$PROG/policy/config/dev.json" ] && POLICY_ARGS+=(--policy-pack-config "$PROG/policy/config/dev.json")

# stack config: images built here, Chroma as the vector store; nothing else changes
configure_stack() { # STACK
  local s=$1
  STACK=$s P config "$PROJECT:postgres.image" "${IMG[postgres]}" --path &&
    STACK=$s P config "$PROJECT:redis.image" "${IMG[redis]}" --path &&
    STACK=$s P config "$PROJECT:vectorStore.engine" chroma --path &&
    STACK=$s P config "$PROJECT:vectorStore.image" "${IMG[chroma]}" --path &&
    STACK=$s P config "$PROJECT:api.image" "${IMG[rag-api]}" --path &&
    STACK=$s P config "$PROJECT:frontend.image" "${IMG[rag-frontend]}" --path &&
    STACK=$s P config "$PROJECT:indexer.image" "${IMG[rag-indexer]}" --path
}
