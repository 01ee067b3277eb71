// Config of external datastores (postgres/redis/vectorStore mode external) and of the platform's own secrets
// (secrets.existingSecret / secrets.externalSecret): accepted shapes and every refusal, each naming stack, key,
// value and what is allowed.
import { strict as assert } from "assert";
import { ConfigError, parseConfig } from "../components/config";
import { checkLlmApiKeySource } from "../components/config/load";
import { EXISTING_SECRET, EXTERNAL_POSTGRES, EXTERNAL_SECRET, PG_SECRET } from "./external-fixtures";
import { expectConfigProblem, Overrides } from "./harness";

interface BadCase {
    title: string;
    overrides: Overrides;
    key: string;
    value: string;
    allowed: string;
}

const bad: BadCase[] = [
    {
        title: "an external datastore without a host",
        overrides: { postgres: { mode: "external", existingSecret: PG_SECRET } },
        key: "postgres.host",
        value: "(missing)",
        allowed: 'is required for mode "external"',
    },
    {
        title: "a host with a scheme",
        overrides: { redis: { mode: "external", host: "redis://cache.example.com", existingSecret: PG_SECRET } },
        key: "redis.host",
        value: '"redis://cache.example.com"',
        allowed: "a lower-case DNS name such as db.example.com or an IPv4/IPv6 address",
    },
    { title: "port 0", overrides: { postgres: { ...EXTERNAL_POSTGRES, port: 0 } }, key: "postgres.port", value: "0", allowed: "an integer from 1 to 65535" },
    {
        title: "port 65536",
        overrides: { vectorStore: { mode: "external", host: "10.0.0.7", port: 65536, existingSecret: PG_SECRET } },
        key: "vectorStore.port",
        value: "65536",
        allowed: "an integer from 1 to 65535",
    },
    {
        title: "a mode that does not exist",
        overrides: { redis: { mode: "managed" } },
        key: "redis.mode",
        value: '"managed"',
        allowed: 'must be one of "in-cluster", "external"',
    },
    {
        title: "an in-cluster datastore with a host",
        overrides: { postgres: { host: "db.example.com" } },
        key: "postgres.host",
        value: '"db.example.com"',
        allowed: 'is for mode "external" only',
    },
    {
        title: "an in-cluster datastore with an existing Secret",
        overrides: { redis: { existingSecret: PG_SECRET } },
        key: "redis.existingSecret",
        value: "rds-credentials",
        allowed: 'is for mode "external" only',
    },
    {
        title: "an in-cluster datastore with TLS",
        overrides: { vectorStore: { tls: true } },
        key: "vectorStore.tls",
        value: "true",
        allowed: 'must be false for mode "in-cluster"',
    },
    {
        title: "TLS not a boolean",
        overrides: { postgres: { ...EXTERNAL_POSTGRES, tls: "yes" } },
        key: "postgres.tls",
        value: '"yes"',
        allowed: "must be true or false",
    },
    {
        title: "an external datastore without its Secret",
        overrides: { redis: { mode: "external", host: "cache.example.com" } },
        key: "redis.existingSecret",
        value: "(missing)",
        allowed: "{ name, key } of an existing Secret in the platform's namespace holding the password",
    },
    {
        title: "an existing Secret name that is not a DNS subdomain",
        overrides: { postgres: { ...EXTERNAL_POSTGRES, existingSecret: { name: "RDS_Credentials", key: "password" } } },
        key: "postgres.existingSecret.name",
        value: '"RDS_Credentials"',
        allowed: "a lower-case DNS subdomain",
    },
    {
        title: "a Secret key with a slash",
        overrides: { vectorStore: { mode: "external", host: "qdrant.example.com", existingSecret: { name: "qdrant", key: "api/key" } } },
        key: "vectorStore.existingSecret.key",
        value: '"api/key"',
        allowed: "[-._a-zA-Z0-9]+",
    },
    {
        title: "an unknown key in existingSecret",
        overrides: { postgres: { ...EXTERNAL_POSTGRES, existingSecret: { ...PG_SECRET, namespace: "db" } } },
        key: "postgres.existingSecret.namespace",
        value: '"db"',
        allowed: "known keys of postgres.existingSecret: name, key",
    },
    {
        title: "both secrets.existingSecret and secrets.externalSecret",
        overrides: { secrets: { existingSecret: EXISTING_SECRET, externalSecret: EXTERNAL_SECRET } },
        key: "secrets.externalSecret",
        value: '"storeName":"vault"',
        allowed: "must not be set together with secrets.existingSecret",
    },
    {
        title: "an existing platform Secret without the signing key",
        overrides: { secrets: { existingSecret: { name: "own", keys: { ...EXISTING_SECRET.keys, API_SIGNING_KEY: undefined } } } },
        key: "secrets.existingSecret.keys.API_SIGNING_KEY",
        value: "(missing)",
        allowed: "is required",
    },
    {
        title: "an existing platform Secret named with upper case",
        overrides: { secrets: { existingSecret: { ...EXISTING_SECRET, name: "Own" } } },
        key: "secrets.existingSecret.name",
        value: '"Own"',
        allowed: "a lower-case DNS subdomain",
    },
    {
        title: "an unknown platform key",
        overrides: { secrets: { existingSecret: { ...EXISTING_SECRET, keys: { ...EXISTING_SECRET.keys, OPENAI_KEY: "x" } } } },
        key: "secrets.existingSecret.keys.OPENAI_KEY",
        value: '"x"',
        allowed: "known keys of secrets.existingSecret.keys: POSTGRES_PASSWORD, REDIS_PASSWORD, VECTOR_STORE_API_KEY, API_SIGNING_KEY, LLM_API_KEY",
    },
    {
        title: "a mapped key that is not a Secret key",
        overrides: { secrets: { existingSecret: { ...EXISTING_SECRET, keys: { ...EXISTING_SECRET.keys, REDIS_PASSWORD: "redis password" } } } },
        key: "secrets.existingSecret.keys.REDIS_PASSWORD",
        value: '"redis password"',
        allowed: "[-._a-zA-Z0-9]+",
    },
    {
        title: "a platform key mapped for an external datastore",
        overrides: { postgres: EXTERNAL_POSTGRES, secrets: { existingSecret: EXISTING_SECRET } },
        key: "secrets.existingSecret.keys.POSTGRES_PASSWORD",
        value: '"pg"',
        allowed: 'is not used: postgres.mode is "external" and its credential comes from postgres.existingSecret',
    },
    {
        title: "an ExternalSecret store kind that does not exist",
        overrides: { secrets: { externalSecret: { ...EXTERNAL_SECRET, storeKind: "VaultStore" } } },
        key: "secrets.externalSecret.storeKind",
        value: '"VaultStore"',
        allowed: 'must be one of "SecretStore", "ClusterSecretStore"',
    },
    {
        title: "a refresh interval that is not a Go duration",
        overrides: { secrets: { externalSecret: { ...EXTERNAL_SECRET, refreshInterval: "1 hour" } } },
        key: "secrets.externalSecret.refreshInterval",
        value: '"1 hour"',
        allowed: 'must be a Go duration such as "1h"',
    },
    {
        title: "an ExternalSecret without its store",
        overrides: { secrets: { externalSecret: { ...EXTERNAL_SECRET, storeName: undefined } } },
        key: "secrets.externalSecret.storeName",
        value: "(missing)",
        allowed: "the name of a SecretStore or ClusterSecretStore",
    },
    {
        title: "an ExternalSecret missing a remote key",
        overrides: { secrets: { externalSecret: { ...EXTERNAL_SECRET, remoteKeys: { API_SIGNING_KEY: "rag/signing" } } } },
        key: "secrets.externalSecret.remoteKeys.POSTGRES_PASSWORD",
        value: "(missing)",
        allowed: "is required: the remote key in the store",
    },
];

describe("config: external datastores and the platform's own secrets", () => {
    for (const c of bad) {
        it(`rejects ${c.title} before any resource is registered`, async () => {
            const line = await expectConfigProblem("dev", c.overrides, c.key);
            assert.ok(line.includes(c.value), `value ${c.value} not shown in: ${line}`);
            assert.ok(line.includes(c.allowed), `allowed values "${c.allowed}" not stated in: ${line}`);
            assert.ok(line.includes('stack "dev"'), `stack not named in: ${line}`);
        });
    }

    it("defaults every datastore to in-cluster without TLS and the secrets to generated", () => {
        const cfg = parseConfig("dev", {});
        for (const s of [cfg.postgres, cfg.redis, cfg.vectorStore]) {
            assert.equal(s.mode, "in-cluster");
            assert.equal(s.tls, false);
            assert.equal(s.host, undefined);
        }
        assert.deepEqual(cfg.secrets, {});
    });

    it("accepts external datastores by DNS name, IPv4 and IPv6 literal, with and without a port", () => {
        const cfg = parseConfig("dev", {
            postgres: JSON.stringify(EXTERNAL_POSTGRES),
            redis: JSON.stringify({ mode: "external", host: "10.20.30.40", port: 6380, tls: true, existingSecret: { name: "redis", key: "auth" } }),
            vectorStore: JSON.stringify({ mode: "external", host: "fd00::17", existingSecret: { name: "qdrant", key: "api-key" } }),
        });
        assert.equal(cfg.postgres.host, "db.example.com");
        assert.equal(cfg.redis.port, 6380);
        assert.equal(cfg.vectorStore.tls, false);
    });

    it("needs no Secret for an external Chroma (it checks no key), but does for Qdrant and Milvus", () => {
        const chroma = parseConfig("dev", { vectorStore: JSON.stringify({ engine: "chroma", mode: "external", host: "chroma.example.com" }) });
        assert.equal(chroma.vectorStore.existingSecret, undefined);
        for (const engine of ["qdrant", "milvus"]) {
            assert.throws(
                () => parseConfig("dev", { vectorStore: JSON.stringify({ engine, mode: "external", host: "vectors.example.com" }) }),
                (e: ConfigError) => e.problems.length === 1 && e.problems[0].startsWith("rag-platform:vectorStore.existingSecret = (missing): is required"),
            );
        }
    });

    it("accepts an existing Secret or an ExternalSecret, needing no key for an external datastore", () => {
        const keys = { REDIS_PASSWORD: "r", VECTOR_STORE_API_KEY: "v", API_SIGNING_KEY: "s", LLM_API_KEY: "openai" };
        const cfg = parseConfig("dev", {
            postgres: JSON.stringify(EXTERNAL_POSTGRES),
            secrets: JSON.stringify({ existingSecret: { name: "own", keys } }),
        });
        assert.deepEqual(cfg.secrets.existingSecret?.keys, keys);
        assert.equal(parseConfig("dev", { secrets: JSON.stringify({ externalSecret: EXTERNAL_SECRET }) }).secrets.externalSecret?.storeName, "vault");
    });

    it("refuses llmApiKey (stack config) together with the operator's own Secret, without showing the key", () => {
        const own = parseConfig("dev", { secrets: JSON.stringify({ existingSecret: EXISTING_SECRET }) });
        assert.throws(
            () => checkLlmApiKeySource(own, true),
            (e: ConfigError) =>
                e.problems.length === 1 &&
                e.problems[0] ===
                    'rag-platform:llmApiKey = "[secret]": must not be set with secrets.existingSecret: put the key in that Secret and map LLM_API_KEY to it (stack "dev")',
        );
        checkLlmApiKeySource(own, false);
        checkLlmApiKeySource(parseConfig("dev", {}), true);
    });
});
