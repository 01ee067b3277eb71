import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StorageConfig } from "../config";
import { Identity, labels, metadata, objectName } from "../shared";

export interface PlatformStorageArgs {
    identity: Identity;
    config: StorageConfig;
    protect: boolean;
}

/**
 * The platform's StorageClass (per-environment provisioner and parameters, WaitForFirstConsumer so volumes
 * follow pod scheduling, Retain in prod) and the shared app-data claim the API mounts at /app/data.
 */
export class PlatformStorage extends pulumi.ComponentResource {
    /** The class every platform volume uses; undefined means the cluster's default class. */
    readonly storageClassName?: pulumi.Output<string>;
    readonly appDataClaimName: pulumi.Output<string>;

    constructor(name: string, args: PlatformStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:PlatformStorage", name, {}, opts);
        const { identity, config } = args;
        if (config.createClass) {
            const storageClass = new k8s.storage.v1.StorageClass(
                `${name}-class`,
                {
                    // Cluster-scoped: the namespace in the name keeps platform instances apart.
                    metadata: { name: pulumi.output(identity.namespace).apply((ns) => objectName(ns, "data")), labels: labels(identity) },
                    provisioner: config.provisioner,
                    // An empty map would be applied as "parameters: {}", which Kubernetes refuses to update later.
                    ...(Object.keys(config.parameters).length ? { parameters: config.parameters } : {}),
                    reclaimPolicy: config.reclaimPolicy,
                    allowVolumeExpansion: config.allowVolumeExpansion,
                    volumeBindingMode: "WaitForFirstConsumer",
                },
                { parent: this, protect: args.protect },
            );
            this.storageClassName = storageClass.metadata.name;
        }
        const appDataClass = config.appData.storageClassName ?? this.storageClassName;
        const claim = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-app-data`,
            {
                metadata: metadata(identity, objectName(identity.instance, "app-data")),
                spec: {
                    accessModes: [config.appData.accessMode],
                    ...(appDataClass ? { storageClassName: appDataClass } : {}),
                    resources: { requests: { storage: config.appData.size } },
                },
            },
            // The provider treats a Pending claim on a WaitForFirstConsumer class as ready (pulumi-kubernetes#3130).
            { parent: this, protect: args.protect },
        );
        this.appDataClaimName = claim.metadata.name;
        this.registerOutputs({ storageClassName: this.storageClassName, appDataClaimName: this.appDataClaimName });
    }
}
