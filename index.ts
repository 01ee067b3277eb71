// rag-platform: read and validate the stack's config, deploy the platform, export what operators need.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { capacityReport, skipAwait } from "./components/shared";
import { loadConfig } from "./components/config";
import { RagPlatform } from "./components/platform";

const { config, llmApiKey } = loadConfig();
if (config.skipAwait) {
    // Test only (no kubelet in the end-to-end test): a stack transform, run by the engine on every resource.
    pulumi.runtime.registerResourceTransform(skipAwait);
}

// Render mode writes manifests for GitOps tools instead of touching a cluster. The SDK would fill
// `kubeconfig` from $KUBECONFIG, which the provider refuses next to renderYamlToDirectory: pass "".
// Otherwise a stack that names its kube context (required in prod) gets an explicit provider pinned to it
// (kubeconfig from $KUBECONFIG or ~/.kube/config as usual, other settings at their defaults), so a preview
// cannot run against whatever context is current; without one (dev) the default provider uses the current context.
const provider = config.renderYamlToDirectory
    ? new k8s.Provider("render-yaml", { renderYamlToDirectory: config.renderYamlToDirectory, kubeconfig: "" })
    : config.kubeContext
      ? new k8s.Provider("kube-context", { context: config.kubeContext })
      : undefined;

const platform = new RagPlatform("rag", { config, llmApiKey }, provider ? { providers: { kubernetes: provider } } : {});

export const environment = config.environment;
export const namespace = platform.namespace;
export const url = platform.url;
export const services = platform.services;
export const secretName = platform.secretName;
// What the stack asks of the cluster, from its config alone (the same report as `npm run capacity`).
export const capacity = capacityReport(config);
