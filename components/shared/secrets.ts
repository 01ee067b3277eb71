import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformSecretKey, SecretKeyMap, SecretsConfig } from "../config";
import { objectName } from "./naming";
import type { SecretRef } from "./wiring";
import { autonamedMetadata, Identity, metadata, secretEnv } from "./workload";

export interface PlatformSecretsArgs {
    identity: Identity;
    /** Changing this value regenerates every generated secret (it is the RandomPassword keeper). */
    rotation: string;
    /** Optional user-supplied LLM provider key (`pulumi config set --secret llmApiKey`); generated mode only. */
    llmApiKey?: pulumi.Output<string>;
    /** Where the credentials come from: generated (neither key set), the operator's Secret, or an ExternalSecret. */
    source: SecretsConfig;
    /** Keys the platform neither generates nor maps: the credentials of external datastores (their own Secrets). */
    skip: PlatformSecretKey[];
}

/** Keys of the platform Secret; each is also the env var name a workload reads it into. */
export const SECRET_KEYS = {
    postgresPassword: "POSTGRES_PASSWORD",
    redisPassword: "REDIS_PASSWORD",
    vectorStoreApiKey: "VECTOR_STORE_API_KEY",
    apiSigningKey: "API_SIGNING_KEY",
    llmApiKey: "LLM_API_KEY",
} as const satisfies Record<string, PlatformSecretKey>;

const GENERATED = [
    ["postgres-password", SECRET_KEYS.postgresPassword, 32],
    ["redis-password", SECRET_KEYS.redisPassword, 32],
    ["vector-store-api-key", SECRET_KEYS.vectorStoreApiKey, 40],
    ["api-signing-key", SECRET_KEYS.apiSigningKey, 64],
] as const;

/** An env var read from a SecretRef (never a plain value). */
export function secretRefEnv(name: string, ref: SecretRef): k8s.types.input.core.v1.EnvVar {
    return secretEnv(name, ref.name, ref.key, ref.optional === true);
}

/**
 * The platform's credentials, from one of three sources. Default: generated with @pulumi/random (Pulumi
 * secrets end to end) into one autonamed Kubernetes Secret with the optional LLM key; values are
 * alphanumeric so they are safe in URLs and command lines, length carries the entropy. `secrets.existingSecret`:
 * the operator's Secret, nothing is created. `secrets.externalSecret`: an ExternalSecret (external-secrets.io/v1)
 * from which External Secrets Operator creates and refreshes the Secret. Keys in `skip` are neither generated
 * nor mapped (external datastores' credentials).
 */
export class PlatformSecrets extends pulumi.ComponentResource {
    /** Name of the Kubernetes Secret the workloads read their credentials from. */
    readonly secretName: pulumi.Output<string>;
    readonly hasLlmApiKey: boolean;
    private readonly keyOf: (key: PlatformSecretKey) => string;
    private readonly skip: ReadonlySet<PlatformSecretKey>;

    constructor(name: string, args: PlatformSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:PlatformSecrets", name, {}, opts);
        const { existingSecret, externalSecret } = args.source;
        this.skip = new Set(args.skip);
        this.hasLlmApiKey = args.llmApiKey !== undefined;
        if (existingSecret) {
            this.secretName = pulumi.output(existingSecret.name);
            this.keyOf = mapped(existingSecret.keys);
        } else if (externalSecret) {
            const target = objectName(args.identity);
            const data = (Object.entries(externalSecret.remoteKeys) as [PlatformSecretKey, string][])
                .filter(([key]) => !this.skip.has(key))
                .map(([secretKey, key]) => ({ secretKey, remoteRef: { key } }));
            const es = new k8s.apiextensions.CustomResource(
                `${name}-external-secret`,
                {
                    apiVersion: "external-secrets.io/v1",
                    kind: "ExternalSecret",
                    metadata: metadata(args.identity, target),
                    spec: {
                        refreshInterval: externalSecret.refreshInterval ?? "1h",
                        secretStoreRef: { name: externalSecret.storeName, kind: externalSecret.storeKind ?? "SecretStore" },
                        // Owner: the Secret is ESO's, deleted with the ExternalSecret.
                        target: { name: target, creationPolicy: "Owner" },
                        data,
                    },
                },
                { parent: this },
            );
            // The ExternalSecret's target: the workloads wait for the ExternalSecret, ESO creates the Secret.
            this.secretName = es.metadata.apply(() => target);
            this.keyOf = (key) => key;
        } else {
            this.secretName = this.generate(name, args);
            this.keyOf = (key) => key;
        }
        this.registerOutputs({ secretName: this.secretName });
    }

    /** Where the workloads read `key` from. The LLM key is always optional; a skipped key has no place here. */
    ref(key: PlatformSecretKey): SecretRef {
        if (this.skip.has(key)) {
            throw new Error(`${key} is not a platform secret here: it belongs to an external datastore`);
        }
        return { name: this.secretName, key: this.keyOf(key), ...(key === SECRET_KEYS.llmApiKey ? { optional: true } : {}) };
    }

    private generate(name: string, args: PlatformSecretsArgs): pulumi.Output<string> {
        const stringData: Record<string, pulumi.Input<string>> = {};
        for (const [suffix, key, length] of GENERATED) {
            if (this.skip.has(key)) {
                continue;
            }
            const password = new random.RandomPassword(
                `${name}-${suffix}`,
                { length, special: false, minUpper: 2, minLower: 2, minNumeric: 2, keepers: { rotation: args.rotation } },
                { parent: this },
            );
            stringData[key] = password.result;
        }
        if (args.llmApiKey) {
            stringData[SECRET_KEYS.llmApiKey] = args.llmApiKey;
        }
        const secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                // Autonamed: a rotation replaces the Secret under a new name, which rolls every workload using it.
                metadata: autonamedMetadata(args.identity),
                type: "Opaque",
                stringData: pulumi.secret(stringData),
            },
            { parent: this, additionalSecretOutputs: ["data", "stringData"] },
        );
        return secret.metadata.name;
    }
}

/** The operator's key for a platform key; LLM_API_KEY unmapped is looked up (optionally) under its own name. */
function mapped(keys: SecretKeyMap): (key: PlatformSecretKey) => string {
    return (key) => keys[key] ?? key;
}
