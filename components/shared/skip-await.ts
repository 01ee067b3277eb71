// Test-only: the end-to-end test has no kubelet, so nothing ever becomes Ready. With `skipAwait` set,
// index.ts registers this stack transform: every Kubernetes object is annotated pulumi.com/skipAwait and
// the provider does not wait for readiness. Not part of any component.
import type * as pulumi from "@pulumi/pulumi";

export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";

/** Adds the skipAwait annotation to a Kubernetes object's metadata; leaves everything else (providers, components, random) alone. */
export const skipAwait: pulumi.ResourceTransform = (args) => {
    if (!args.type.startsWith("kubernetes:")) {
        return undefined;
    }
    const metadata = (args.props.metadata ?? {}) as Record<string, unknown>;
    const annotations = { ...((metadata.annotations as Record<string, string>) ?? {}), [SKIP_AWAIT_ANNOTATION]: "true" };
    return { props: { ...args.props, metadata: { ...metadata, annotations } }, opts: args.opts };
};
