# shellcheck shell=bash
# The Pulumi side of the scale simulation (sourced by e2e/scale.sh): the repository's program and policy pack
# copied to the work dir (the repository's Pulumi.<stack>.yaml is never touched), a private PULUMI_HOME on
# the toolchain's plugins, file backends in the work dir, and every step through the Automation API
# (e2e/stack.ts, called as `P`, as the node e2e does).
#   stacks_setup                       copies, environment, the `P` wrapper; PROG, PROG_MULTI, POLICY_ARGS
#   stack_prod_config                  the prod stack's config changes (the only ones; see e2e/README.md)

# shellcheck source=../lib/pulumi-work.sh
. "$E2E_DIR/lib/pulumi-work.sh"

stacks_setup() {
  mkdir -p "$WORK/state-multi"
  pulumi_work_env
  export PULUMI_CONFIG_PASSPHRASE=${E2E_PROD_PASSPHRASE:-e2e-prod-passphrase}
  PROG=$WORK/project
  pulumi_work_copy "$PROG"
  # the program and the pack run as JavaScript (Pulumi.yaml main: main.js): compile the copy (npm run build:js)
  (cd "$PROG" && node scripts/build-js.js --quiet) || { echo "e2e: npm run build:js failed in $PROG" >&2; return 1; }
  PROJECT=$(sed -n 's/^name:[[:space:]]*//p' "$PROG/Pulumi.yaml" | head -n1 | tr -d '"'"'"' ')
  # the multi-instance program the tests use (test/fixtures/multi-platform.ts) as a project of its own: the
  # same copy with Pulumi.yaml's `main` pointing at it (its own backend, so its stack can be "prod" too)
  PROG_MULTI=$WORK/project-multi
  cp -a "$PROG" "$PROG_MULTI"
  # (TypeScript through the language host's ts-node: the fixture is not part of the bundle)
  sed -i -e 's|^main: .*|main: test/fixtures/multi-platform.ts|' -e 's|^    typescript: false|    typescript: true|' "$PROG_MULTI/Pulumi.yaml"
  pulumi_work_p
  export E2E_PROG=$PROG STACK=prod
  POLICY_ARGS=(--policy-pack "$PROG/policy" --policy-pack-config "$PROG/policy/config/prod.json")
}

# What changes in prod's config, through stack config only:
#   kubeContext  e2e          the test cluster's context (prod pins its own; the program refuses to guess)
#   skipAwait    true         readiness is not what this test proves (KWOK would make every pod Ready, but the
#                             checks poll the scheduler's placements themselves, and no ingress controller
#                             publishes the Ingress's address)
#   modelServing.reranker.mode in-cluster   the whole model-serving tier: vLLM and TEI are in-cluster in prod
#                             already, the reranker is local by default
# Storage stays prod's (ebs.csi.aws.com, gp3, Retain; the app-data claim on the operator's `efs-sc` class): the
# provisioner stand-in plays the CSI drivers, and the test creates `efs-sc` as the cluster would have it.
stack_prod_config() {
  P config "$PROJECT:kubeContext" e2e "$PROJECT:skipAwait" true &&
    P config "$PROJECT:modelServing.reranker.mode" in-cluster --path
}
