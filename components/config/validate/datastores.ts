// Validators of where each datastore runs (mode in-cluster / external) and how the platform reaches an external one.
import { isIP } from "net";
import type { Checker } from "../checker";
import { isDns1123Subdomain } from "../k8s-validation";
import { DATASTORE_MODES, DatastoreConnectionConfig, PlatformConfig, SECRET_KEY_KEYS, SecretKeyConfig, SINGLE_DATASTORE_MODES } from "../types";

/** A Secret's data key (k8s.io/apimachinery IsConfigMapKey): letters, digits, '-', '_', '.', at most 253. */
export const SECRET_DATA_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

export type DatastoreSection = "postgres" | "redis" | "vectorStore";
const WHAT: Record<DatastoreSection, string> = { postgres: "password", redis: "password", vectorStore: "API key" };

/** `name` must be an existing Secret's name, `key` one of its data keys. */
export function checkSecretKeyRef(check: Checker, key: string, value: SecretKeyConfig | undefined, what: string): void {
    check.unknownKeys(key, value, SECRET_KEY_KEYS);
    check.dnsSubdomain(`${key}.name`, value?.name, `the name of an existing Secret in the platform's namespace holding ${what}`);
    check.string(`${key}.key`, value?.key, SECRET_DATA_KEY, `must be a key of that Secret: letters, digits, '-', '_' and '.' ([-._a-zA-Z0-9]+, at most 253)`);
}

/** A host the pods can reach: a DNS name (lower case) or an IPv4/IPv6 literal. */
export function isHost(v: unknown): v is string {
    return typeof v === "string" && (isIP(v) !== 0 || isDns1123Subdomain(v));
}

/**
 * `mode`, and for `external` the host, port, TLS and the existing Secret holding the credential. The
 * external-only keys set on an in-cluster datastore are errors: they would be silently ignored.
 */
export function checkDatastoreConnection(check: Checker, cfg: PlatformConfig, section: DatastoreSection): void {
    const c: DatastoreConnectionConfig = cfg[section];
    check.oneOf(`${section}.mode`, c.mode, section === "postgres" ? DATASTORE_MODES : SINGLE_DATASTORE_MODES);
    check.bool(`${section}.tls`, c.tls);
    if (c.mode !== "external") {
        const inCluster = `is for mode "external" only; ${section}.mode is "${c.mode}" (the platform runs it: remove the key, or set ${section}.mode: external)`;
        for (const k of ["host", "port", "existingSecret"] as const) {
            if (c[k] !== undefined) {
                check.fail(`${section}.${k}`, c[k], inCluster);
            }
        }
        if (c.tls === true) {
            check.fail(`${section}.tls`, c.tls, `must be false for mode "${c.mode}" (the in-cluster ${section} serves plain TCP inside the namespace)`);
        }
        return;
    }
    if (c.host === undefined) {
        check.fail(`${section}.host`, undefined, `is required for mode "external": the DNS name or IP address of the ${section} server`);
    } else if (!isHost(c.host)) {
        check.fail(`${section}.host`, c.host, "must be a lower-case DNS name such as db.example.com or an IPv4/IPv6 address (no scheme, port or path)");
    }
    if (c.port !== undefined) {
        check.int(`${section}.port`, c.port, 1, 65535);
    }
    // Chroma checks no API key: an external Chroma needs no Secret.
    const keyless = section === "vectorStore" && cfg.vectorStore.engine === "chroma";
    if (c.existingSecret === undefined && !keyless) {
        check.fail(
            `${section}.existingSecret`,
            undefined,
            `is required for mode "external": { name, key } of an existing Secret in the platform's namespace holding the ${WHAT[section]}`,
        );
    } else if (c.existingSecret !== undefined) {
        checkSecretKeyRef(check, `${section}.existingSecret`, c.existingSecret, `the ${WHAT[section]}`);
    }
}

export const validatePostgresConnection = (check: Checker, cfg: PlatformConfig): void => checkDatastoreConnection(check, cfg, "postgres");
export const validateRedisConnection = (check: Checker, cfg: PlatformConfig): void => checkDatastoreConnection(check, cfg, "redis");
export const validateVectorStoreConnection = (check: Checker, cfg: PlatformConfig): void => checkDatastoreConnection(check, cfg, "vectorStore");
