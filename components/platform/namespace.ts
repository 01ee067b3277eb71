import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import { PART_OF } from "../shared";

/** The platform's Namespace, labelled for Pod Security Admission `restricted` (enforce, audit, warn). */
export function platformNamespace(instance: string, cfg: PlatformConfig, opts: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(
        `${instance}-namespace`,
        {
            metadata: {
                name: cfg.namespace,
                labels: {
                    "app.kubernetes.io/part-of": PART_OF,
                    "app.kubernetes.io/instance": instance,
                    "rag-platform/environment": cfg.environment,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/audit-version": "latest",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/warn-version": "latest",
                },
            },
        },
        opts,
    );
}
