// Validator of `secrets`: generated (default), an existing Secret, or an ExternalSecret (External Secrets Operator).
import type { Checker } from "../checker";
import {
    EXISTING_PLATFORM_SECRET_KEYS,
    EXTERNAL_PLATFORM_SECRET_KEYS,
    PLATFORM_SECRET_KEYS,
    PlatformConfig,
    PlatformSecretKey,
    SECRET_STORE_KINDS,
    SECRETS_KEYS,
    SecretKeyMap,
} from "../types";
import { SECRET_DATA_KEY } from "./datastores";

/** A Go duration as ESO's refreshInterval takes it (time.ParseDuration), e.g. "1h", "15m", "1h30m", "0s". */
export const GO_DURATION = /^(0|(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/;

/** The platform keys a stack must map: the API signing key, and the credential of each in-cluster datastore. */
export function requiredSecretKeys(cfg: PlatformConfig): PlatformSecretKey[] {
    return [
        ...(cfg.postgres.mode === "external" ? [] : (["POSTGRES_PASSWORD"] as const)),
        ...(cfg.redis.mode === "external" ? [] : (["REDIS_PASSWORD"] as const)),
        ...(cfg.vectorStore.mode === "external" ? [] : (["VECTOR_STORE_API_KEY"] as const)),
        "API_SIGNING_KEY",
    ];
}

const EXTERNAL_OWNER: Partial<Record<PlatformSecretKey, "postgres" | "redis" | "vectorStore">> = {
    POSTGRES_PASSWORD: "postgres",
    REDIS_PASSWORD: "redis",
    VECTOR_STORE_API_KEY: "vectorStore",
};

function checkKeyMap(check: Checker, cfg: PlatformConfig, key: string, map: SecretKeyMap | undefined, pattern: RegExp, allowed: string): void {
    check.unknownKeys(key, map, PLATFORM_SECRET_KEYS);
    for (const pk of requiredSecretKeys(cfg)) {
        if (map?.[pk] === undefined) {
            check.fail(`${key}.${pk}`, undefined, `is required: ${allowed} (every platform key the platform would otherwise generate)`);
        }
    }
    for (const pk of PLATFORM_SECRET_KEYS) {
        const v = map?.[pk];
        if (v === undefined) {
            continue;
        }
        const owner = EXTERNAL_OWNER[pk];
        if (owner !== undefined && cfg[owner].mode === "external") {
            check.fail(`${key}.${pk}`, v, `is not used: ${owner}.mode is "external" and its credential comes from ${owner}.existingSecret; remove the key`);
        } else {
            check.string(`${key}.${pk}`, v, pattern, `must be ${allowed}`);
        }
    }
}

export function validateSecrets(check: Checker, cfg: PlatformConfig): void {
    const s = cfg.secrets;
    check.unknownKeys("secrets", s, SECRETS_KEYS);
    if (s?.existingSecret !== undefined && s.externalSecret !== undefined) {
        check.fail(
            "secrets.externalSecret",
            s.externalSecret,
            "must not be set together with secrets.existingSecret: choose one source of the platform's credentials",
        );
    }
    const existing = s?.existingSecret;
    if (existing !== undefined) {
        check.unknownKeys("secrets.existingSecret", existing, EXISTING_PLATFORM_SECRET_KEYS);
        check.dnsSubdomain("secrets.existingSecret.name", existing?.name, "the name of an existing Secret in the platform's namespace");
        checkKeyMap(
            check,
            cfg,
            "secrets.existingSecret.keys",
            existing?.keys,
            SECRET_DATA_KEY,
            "the key of that Secret holding it: letters, digits, '-', '_' and '.' ([-._a-zA-Z0-9]+, at most 253)",
        );
    }
    const eso = s?.externalSecret;
    if (eso !== undefined) {
        check.unknownKeys("secrets.externalSecret", eso, EXTERNAL_PLATFORM_SECRET_KEYS);
        check.dnsSubdomain("secrets.externalSecret.storeName", eso?.storeName, "the name of a SecretStore or ClusterSecretStore");
        if (eso?.storeKind !== undefined) {
            check.oneOf("secrets.externalSecret.storeKind", eso.storeKind, SECRET_STORE_KINDS);
        }
        if (eso?.refreshInterval !== undefined) {
            check.string(
                "secrets.externalSecret.refreshInterval",
                eso.refreshInterval,
                GO_DURATION,
                `must be a Go duration such as "1h", "15m" or "1h30m" ("0s": fetch once)`,
            );
        }
        checkKeyMap(
            check,
            cfg,
            "secrets.externalSecret.remoteKeys",
            eso?.remoteKeys,
            /^\S{1,512}$/,
            "the remote key in the store: no whitespace, at most 512 characters",
        );
    }
}
