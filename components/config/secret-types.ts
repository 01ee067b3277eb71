// Where the platform's credentials come from: generated (the default: @pulumi/random into an autonamed
// Secret), a Secret the operator already has, or a Secret that External Secrets Operator syncs.

/** The keys of the platform Secret (each also the env var a workload reads it into). */
export const PLATFORM_SECRET_KEYS = ["POSTGRES_PASSWORD", "REDIS_PASSWORD", "VECTOR_STORE_API_KEY", "API_SIGNING_KEY", "LLM_API_KEY"] as const;
export type PlatformSecretKey = (typeof PLATFORM_SECRET_KEYS)[number];

/** Platform key → key in the operator's Secret (or remote key in the secret store). */
export type SecretKeyMap = Partial<Record<PlatformSecretKey, string>>;

/** An existing Secret in the platform's namespace that holds the platform's credentials. */
export interface ExistingPlatformSecretConfig {
    name: string;
    keys: SecretKeyMap;
}
export const EXISTING_PLATFORM_SECRET_KEYS = ["name", "keys"] as const satisfies readonly (keyof ExistingPlatformSecretConfig)[];

export const SECRET_STORE_KINDS = ["SecretStore", "ClusterSecretStore"] as const;

/** An ExternalSecret (external-secrets.io/v1) that makes External Secrets Operator create the platform Secret. */
export interface ExternalPlatformSecretConfig {
    storeName: string;
    /** @default "SecretStore" (in the platform's namespace) */
    storeKind?: (typeof SECRET_STORE_KINDS)[number];
    /** How often ESO re-reads the store (a Go duration such as "1h" or "15m"; "0s": once). @default "1h" */
    refreshInterval?: string;
    /** Platform key → remote key in the store. */
    remoteKeys: SecretKeyMap;
}
export const EXTERNAL_PLATFORM_SECRET_KEYS = [
    "storeName",
    "storeKind",
    "refreshInterval",
    "remoteKeys",
] as const satisfies readonly (keyof ExternalPlatformSecretConfig)[];

/** At most one of the two; neither: the platform generates its secrets (the default). */
export interface SecretsConfig {
    existingSecret?: ExistingPlatformSecretConfig;
    externalSecret?: ExternalPlatformSecretConfig;
}
export const SECRETS_KEYS = ["existingSecret", "externalSecret"] as const satisfies readonly (keyof SecretsConfig)[];
