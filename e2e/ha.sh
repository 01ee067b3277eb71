#!/usr/bin/env bash
# High availability and autoscaling on three nodes (npm run test:e2e:ha): e2e/node.sh with the HA tier only
# (e2e/ha/main.sh), on a cluster profile of its own (ha: bridge ragha0, its own ranges), so that it runs beside
# the node tier's (.ci/run runs the two at once). Both tiers on one cluster: E2E_TIERS="node ha" bash e2e/node.sh.
exec env E2E_TIERS="${E2E_TIERS:-ha}" E2E_NODES="${E2E_NODES:-3}" E2E_CLUSTER="${E2E_CLUSTER:-ha}" \
  bash "$(dirname "$0")/node.sh" "$@"
