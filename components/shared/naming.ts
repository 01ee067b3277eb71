// The ONE naming helper for Kubernetes objects (bitnami's `common.names.fullname`): every object name the
// platform builds comes from here, so every name is a valid DNS label of at most 63 characters.
import { createHash } from "crypto";

/** Longest Kubernetes object name that is valid everywhere (DNS label, RFC 1123; Services need it). */
export const MAX_NAME_LENGTH = 63;

/** Who owns a name: the platform instance and, for a component's objects, the component. */
export interface NameOwner {
    instance: string;
    component?: string;
}

/**
 * The Kubernetes name of an object: `<instance>[-<component>][-<suffix>...]`, e.g. `rag-postgres-headless`.
 * Longer than 63 characters, it is cut and ends in a short hash of the full name (so two long names that
 * share their first 56 characters stay distinct); it never ends in '-'.
 */
export function objectName(owner: string | NameOwner, ...suffixes: string[]): string {
    const parts = typeof owner === "string" ? [owner] : [owner.instance, ...(owner.component ? [owner.component] : [])];
    const full = [...parts, ...suffixes].filter((p) => p !== "").join("-");
    if (full.length <= MAX_NAME_LENGTH) {
        return full;
    }
    const hash = createHash("sha256").update(full).digest("hex").slice(0, 6);
    return `${full.slice(0, MAX_NAME_LENGTH - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}
