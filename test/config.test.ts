import * as pulumi from "@pulumi/pulumi";
import { strict as assert } from "assert";
import { ConfigError, parseConfig } from "../components/config";
import { expectConfigProblem, Overrides } from "./harness";

interface BadCase {
    title: string;
    stack?: string;
    overrides: Overrides;
    /** The offending key, as it appears in the message (without the project prefix). */
    key: string;
    /** A fragment of the message that shows the bad value. */
    value: string;
    /** A fragment of the message that says what is allowed. */
    allowed: string;
}

const bad: BadCase[] = [
    { title: "non-numeric replicas", overrides: { api: { replicas: "three" } }, key: "api.replicas", value: '"three"', allowed: "an integer >= 0" },
    { title: "negative replicas", overrides: { frontend: { replicas: -1 } }, key: "frontend.replicas", value: "-1", allowed: "an integer >= 0" },
    { title: "fractional replicas", overrides: { api: { replicas: 1.5 } }, key: "api.replicas", value: "1.5", allowed: "an integer" },
    {
        title: "HPA min above max",
        overrides: { api: { autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 2 }, replicas: 5 } },
        key: "api.autoscaling.minReplicas",
        value: "5",
        allowed: "must not exceed api.autoscaling.maxReplicas (2)",
    },
    {
        title: "replicas outside the HPA range",
        stack: "prod",
        overrides: { api: { replicas: 1 } },
        key: "api.replicas",
        value: "1",
        allowed: "within api.autoscaling.minReplicas..maxReplicas (3..10)",
    },
    {
        title: "CPU target above 100",
        overrides: { api: { autoscaling: { cpuUtilization: 150 } } },
        key: "api.autoscaling.cpuUtilization",
        value: "150",
        allowed: "from 1 to 100",
    },
    {
        title: "memory target of 0",
        overrides: { frontend: { autoscaling: { memoryUtilization: 0 } } },
        key: "frontend.autoscaling.memoryUtilization",
        value: "0",
        allowed: "from 1 to 100",
    },
    {
        title: 'malformed quantity "2GB"',
        overrides: { postgres: { resources: { limits: { memory: "2GB" } } } },
        key: "postgres.resources.limits.memory",
        value: '"2GB"',
        allowed: "Kubernetes memory quantity",
    },
    {
        title: "malformed storage size",
        overrides: { vectorStore: { storage: "20 gigs" } },
        key: "vectorStore.storage",
        value: '"20 gigs"',
        allowed: "storage quantity",
    },
    {
        title: "malformed CPU",
        overrides: { redis: { resources: { requests: { cpu: "half" } } } },
        key: "redis.resources.requests.cpu",
        value: '"half"',
        allowed: "cpu quantity",
    },
    {
        title: "memory limit below request",
        overrides: { api: { resources: { requests: { memory: "2Gi" }, limits: { memory: "1Gi" } } } },
        key: "api.resources.limits.memory",
        value: '"1Gi"',
        allowed: "must not be below api.resources.requests.memory (2Gi)",
    },
    {
        title: "CPU limit below request",
        overrides: { indexer: { resources: { requests: { cpu: "2" }, limits: { cpu: "500m" } } } },
        key: "indexer.resources.limits.cpu",
        value: '"500m"',
        allowed: "must not be below indexer.resources.requests.cpu (2)",
    },
    {
        title: "image without a tag",
        overrides: { api: { image: "ghcr.io/rag-platform/rag-api" } },
        key: "api.image",
        value: '"ghcr.io/rag-platform/rag-api"',
        allowed: "must pin a tag or a digest",
    },
    { title: "image with latest", overrides: { frontend: { image: "nginx:latest" } }, key: "frontend.image", value: '"nginx:latest"', allowed: "not `latest`" },
    { title: "malformed image", overrides: { redis: { image: "Redis 7" } }, key: "redis.image", value: '"Redis 7"', allowed: "image reference" },
    {
        title: "unknown vector engine",
        overrides: { vectorStore: { engine: "pinecone" } },
        key: "vectorStore.engine",
        value: '"pinecone"',
        allowed: '"qdrant", "chroma", "milvus"',
    },
    {
        title: "host with a scheme",
        overrides: { ingress: { host: "https://rag.example.com" } },
        key: "ingress.host",
        value: '"https://rag.example.com"',
        allowed: "DNS host name",
    },
    {
        title: "host with upper case and underscore",
        overrides: { ingress: { host: "RAG_host.example.com" } },
        key: "ingress.host",
        value: '"RAG_host.example.com"',
        allowed: "DNS host name",
    },
    {
        title: "missing host in prod",
        stack: "prod",
        overrides: { ingress: { host: undefined, className: "nginx" } },
        key: "ingress.host",
        value: "(missing)",
        allowed: "is required in prod",
    },
    {
        title: "TLS off in prod",
        stack: "prod",
        overrides: { ingress: { tls: { enabled: false } } },
        key: "ingress.tls.enabled",
        value: "false",
        allowed: "must be true in prod",
    },
    {
        title: "Delete reclaim policy in prod",
        stack: "prod",
        overrides: { storage: { reclaimPolicy: "Delete" } },
        key: "storage.reclaimPolicy",
        value: '"Delete"',
        allowed: 'must be "Retain" in prod',
    },
    {
        title: "unprotected prod",
        stack: "prod",
        overrides: { protectStateful: false },
        key: "protectStateful",
        value: "false",
        allowed: "must be true in prod",
    },
    {
        title: "unknown log level",
        overrides: { app: { logLevel: "verbose" } },
        key: "app.logLevel",
        value: '"verbose"',
        allowed: '"debug", "info", "warning", "error"',
    },
    {
        title: "chunk overlap not below chunk size",
        overrides: { app: { chunkSize: 500, chunkOverlap: 500 } },
        key: "app.chunkOverlap",
        value: "500",
        allowed: "smaller than app.chunkSize (500)",
    },
    { title: "typo in a key", overrides: { api: { replica: 2 } }, key: "api.replica", value: "2", allowed: "is not a known key" },
    { title: "unknown top-level key", overrides: { vectorDb: { engine: "qdrant" } }, key: "vectorDb", value: "engine", allowed: "is not a known key" },
    { title: "invalid namespace", overrides: { namespace: "RAG Platform" }, key: "namespace", value: '"RAG Platform"', allowed: "DNS label" },
    {
        title: "bad cron schedule",
        overrides: { indexer: { schedule: "every night" } },
        key: "indexer.schedule",
        value: '"every night"',
        allowed: "5-field cron",
    },
    { title: "negative backoffLimit", overrides: { indexer: { backoffLimit: -2 } }, key: "indexer.backoffLimit", value: "-2", allowed: "from 0 to 100" },
    { title: "non-boolean flag", overrides: { skipAwait: "yes" }, key: "skipAwait", value: '"yes"', allowed: "true or false" },
    { title: "section that is not an object", overrides: { redis: ["redis:7"] }, key: "redis", value: '["redis:7"]', allowed: "must be an object" },
    {
        title: "bad CORS origin",
        overrides: { ingress: { corsOrigins: ["app.example.com/"] } },
        key: "ingress.corsOrigins[0]",
        value: '"app.example.com/"',
        allowed: "origin",
    },
    { title: "environment not dev or prod", stack: "staging", overrides: {}, key: "environment", value: "(missing)", allowed: '"dev", "prod"' },
];

describe("config validation", () => {
    it("covers at least 20 distinct bad-config cases", () => {
        assert.ok(bad.length >= 20, `${bad.length} cases`);
    });

    for (const c of bad) {
        const stack = c.stack ?? "dev";
        it(`rejects ${c.title} (${stack}) before any resource is registered`, async () => {
            const line = await expectConfigProblem(stack, c.overrides, c.key);
            assert.ok(line.includes(c.value), `value ${c.value} not shown in: ${line}`);
            assert.ok(line.includes(c.allowed), `allowed values "${c.allowed}" not stated in: ${line}`);
            assert.ok(line.includes(`stack "${stack}"`), `stack not named in: ${line}`);
        });
    }

    it("reports every problem of a stack at once", () => {
        assert.throws(
            () => parseConfig("dev", { api: JSON.stringify({ replicas: -1, image: "api:latest" }), vectorStore: JSON.stringify({ engine: "x" }) }),
            (e: ConfigError) => e.problems.length === 3,
        );
    });

    it("fails with a pulumi.RunError, which the Pulumi CLI prints as its message alone, no stack trace", () => {
        const err = (() => {
            try {
                parseConfig("prod", {});
            } catch (e) {
                return e;
            }
            return assert.fail("prod without a host must be refused");
        })();
        assert.ok(err instanceof ConfigError);
        assert.ok(pulumi.RunError.isInstance(err), "the CLI's uncaught-error handler prints a RunError's message only");
        assert.equal(
            err.message,
            'Invalid configuration for stack "prod" (1 problem):\n' +
                '  - rag-platform:ingress.host = (missing): is required in prod: the public host name of the platform, e.g. rag.example.com (stack "prod")',
        );
        assert.equal(err.stackName, "prod");
        assert.deepEqual(err.problems, [err.message.split("\n  - ")[1]]);
        // The stack trace is Error's own again (a `stack` field holding the stack's name used to shadow it).
        assert.match(String(err.stack), /^ConfigError: Invalid configuration|^Error: Invalid configuration/);
        assert.match(String(err.stack), /\n\s+at /);
    });

    it("rejects structured values that are not valid JSON", () => {
        assert.throws(() => parseConfig("dev", { api: "{replicas: 3" }), /rag-platform:api = "\{replicas: 3": must be valid structured/);
    });

    it("accepts both committed stacks and applies per-environment defaults", () => {
        const dev = parseConfig("dev", {});
        const prod = parseConfig("prod", { ingress: JSON.stringify({ host: "rag.example.com" }) });
        assert.equal(dev.environment, "dev");
        assert.equal(dev.api.replicas, 1);
        assert.equal(dev.protectStateful, false);
        assert.equal(prod.api.replicas, 3);
        assert.equal(prod.api.autoscaling.maxReplicas, 10);
        assert.equal(prod.storage.reclaimPolicy, "Retain");
        assert.equal(prod.ingress.tls.clusterIssuer, "letsencrypt-prod");
        assert.equal(prod.protectStateful, true);
    });

    it("lets a stack named otherwise choose its environment", () => {
        const cfg = parseConfig("staging", { environment: "dev" });
        assert.equal(cfg.environment, "dev");
        assert.equal(cfg.namespace, "rag-staging");
    });

    it("follows the engine's image unless the stack pins one", () => {
        assert.equal(parseConfig("dev", { vectorStore: JSON.stringify({ engine: "milvus" }) }).vectorStore.image, "milvusdb/milvus:v2.4.15");
        assert.equal(
            parseConfig("dev", { vectorStore: JSON.stringify({ engine: "chroma", image: "chromadb/chroma:1.0.13" }) }).vectorStore.image,
            "chromadb/chroma:1.0.13",
        );
    });

    it("accepts digests, registry ports and scientific quantities", () => {
        const digest = `registry.local:5000/rag/api@sha256:${"a".repeat(64)}`;
        const cfg = parseConfig("dev", {
            api: JSON.stringify({ image: digest, resources: { requests: { cpu: "0.5", memory: "5e8" }, limits: { cpu: "1", memory: "1Gi" } } }),
        });
        assert.equal(cfg.api.image, digest);
    });
});
