// Rule 8: images are pinned to a tag other than `latest`, or to a digest.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BaseConfig, containerMessage, workloadPolicy } from "./common";

/** The image's tag (undefined when untagged) and digest; a registry's port is not a tag. */
export function imageReference(image: string): { tag?: string; digest?: string } {
    const [name, digest] = image.split("@", 2);
    const lastSegment = name.slice(name.lastIndexOf("/") + 1);
    const colon = lastSegment.lastIndexOf(":");
    return { tag: colon >= 0 ? lastSegment.slice(colon + 1) : undefined, digest };
}

export const imagePolicies: ResourceValidationPolicy[] = [
    workloadPolicy<BaseConfig>({
        name: "k8s-image-pinned",
        displayName: "Pinned images",
        severity: "medium",
        remediationSteps: "Pin every image to a version tag other than latest (repo:1.2.3) or to a digest (repo@sha256:...).",
        url: "https://kubernetes.io/docs/concepts/containers/images/#image-names",
        tags: ["kubernetes", "supply-chain", "reliability"],
        description: "Container images are pinned to a version tag (not latest) or a digest.",
        defaults: {},
        container: (r, _pod, c, _config, report) => {
            const image = c.container.image;
            if (typeof image !== "string" || image === "") {
                report(containerMessage(r, c, "image", "is missing", "set a pinned image such as postgres:16.4-alpine"));
                return;
            }
            const { tag, digest } = imageReference(image);
            if (digest) {
                return;
            }
            if (!tag) {
                report(containerMessage(r, c, "image", `"${image}" has no tag (it means latest)`, `pin a version, e.g. "${image}:1.2.3", or a digest`));
            } else if (tag === "latest") {
                report(containerMessage(r, c, "image", `"${image}" uses the latest tag`, "pin a version tag or a digest"));
            }
        },
    }),
];
