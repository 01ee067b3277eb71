# shellcheck shell=bash
# The Pulumi work area every cluster test sets up the same way (sourced by e2e/run.sh, e2e/lib/pulumi-env.sh and
# e2e/scale/stacks.sh; REPO, WORK and the toolchain's PULUMI_HOME set):
#   pulumi_work_env         a private PULUMI_HOME on the toolchain's plugins (shared read-only), a local file backend
#                           in $WORK/state with no metadata sidecars (?metadata=skip: scripts/lib/local-state.ts),
#                           no update check, no plugin download, no Pulumi Cloud token
#   pulumi_work_copy DEST   the repository copied to DEST, so that its Pulumi.<stack>.yaml are never modified (what
#                           git ignores and the build's outputs left behind), node_modules linked; the caller
#                           compiles the copy (npm run build:js) and reports it its own way
#   pulumi_work_p           $WORK/bin/P on PATH: the Pulumi steps on the Automation API (e2e/stack.ts), a script so
#                           that `timeout` can run it
pulumi_work_env() {
  mkdir -p "$WORK/pulumi-home" "$WORK/state"
  [ -e "$WORK/pulumi-home/plugins" ] || ln -s "$PULUMI_HOME/plugins" "$WORK/pulumi-home/plugins"
  export PULUMI_HOME=$WORK/pulumi-home PULUMI_BACKEND_URL="file://$WORK/state?metadata=skip"
  export PULUMI_SKIP_CONFIRMATIONS=true PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_IGNORE_AMBIENT_PLUGINS=true
  export PULUMI_NODEJS_TRANSPILE_ONLY=${E2E_TRANSPILE_ONLY:-true} NO_COLOR=1 FORCE_COLOR=0
  unset PULUMI_ACCESS_TOKEN
}

pulumi_work_copy() { # DEST
  mkdir -p "$1"
  tar -C "$REPO" --exclude=./node_modules --exclude=./.git --exclude=./.pulumi --exclude=./.pulumi-state \
    --exclude=./rendered --exclude=./.e2e --exclude=./.cluster --exclude=./app/node_modules --exclude=./app/dist \
    --exclude=./bin --exclude=./policy/bin -cf - . | tar -C "$1" -xf -
  ln -s "$REPO/node_modules" "$1/node_modules"
}

pulumi_work_p() {
  mkdir -p "$WORK/bin"
  cat >"$WORK/bin/P" <<EOF
#!/usr/bin/env bash
exec node -r "$REPO/node_modules/ts-node/register/transpile-only" "$REPO/e2e/stack.ts" "\$@"
EOF
  chmod +x "$WORK/bin/P"
  export PATH="$WORK/bin:$PATH"
}
