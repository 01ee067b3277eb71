import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { autonamedMetadata, Identity } from "./workload";

export interface PlatformSecretsArgs {
    identity: Identity;
    /** Changing this value regenerates every generated secret (it is the RandomPassword keeper). */
    rotation: string;
    /** Optional user-supplied LLM provider key (`pulumi config set --secret llmApiKey`). */
    llmApiKey?: pulumi.Output<string>;
}

/** Keys of the platform Secret; each is also the env var name a workload reads it into. */
export const SECRET_KEYS = {
    postgresPassword: "POSTGRES_PASSWORD",
    redisPassword: "REDIS_PASSWORD",
    vectorStoreApiKey: "VECTOR_STORE_API_KEY",
    apiSigningKey: "API_SIGNING_KEY",
    llmApiKey: "LLM_API_KEY",
} as const;

const GENERATED = [
    ["postgres-password", SECRET_KEYS.postgresPassword, 32],
    ["redis-password", SECRET_KEYS.redisPassword, 32],
    ["vector-store-api-key", SECRET_KEYS.vectorStoreApiKey, 40],
    ["api-signing-key", SECRET_KEYS.apiSigningKey, 64],
] as const;

/**
 * Generates the platform's passwords and keys with @pulumi/random (Pulumi secrets end to end) and stores
 * them, with the optional LLM key, in one Kubernetes Secret. Values are alphanumeric so they are safe in
 * URLs and command lines; length carries the entropy.
 */
export class PlatformSecrets extends pulumi.ComponentResource {
    /** Name of the Kubernetes Secret holding every key in SECRET_KEYS. */
    readonly secretName: pulumi.Output<string>;
    readonly hasLlmApiKey: boolean;

    constructor(name: string, args: PlatformSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("rag-platform:index:PlatformSecrets", name, {}, opts);
        const stringData: Record<string, pulumi.Input<string>> = {};
        for (const [suffix, key, length] of GENERATED) {
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
        this.hasLlmApiKey = args.llmApiKey !== undefined;
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
        this.secretName = secret.metadata.name;
        this.registerOutputs({ secretName: this.secretName });
    }
}
