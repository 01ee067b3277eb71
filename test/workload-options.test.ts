// workloads.<name> (scheduling, annotations, extra env) and ingress.extraAnnotations: every option refused
// when bad, with a message naming stack, key, value and what is allowed; every security-weakening attempt
// refused; every option rendered where it belongs; the prod API spread required by default.
import { strict as assert } from "assert";
import { ConfigError, parseConfig, PROJECT } from "../components/config";
import { ingressAnnotationRefusal, MANAGED_ENV, PLATFORM_SETTINGS_KEYS, SECRET_NAME_PATTERNS } from "../components/config/validate/managed-keys";
import { ingressAnnotations } from "../components/network";
import { withWorkloadOptions } from "../components/shared";
import { DEFAULT_SECRET_PATTERNS } from "../policy/rules/env";
import { ALL_MODEL_SERVERS, ALL_OPTIONS, WORKLOADS } from "./fixtures/workload-options";
import { expectConfigProblem, ofComponent, ofType, renderStack, RenderResult, T } from "./harness";

/** The problems parseConfig reports for the dev stack with `overrides` (structured values as JSON). */
function problems(overrides: Record<string, unknown>, stack = "dev"): string[] {
    const raw = Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    try {
        parseConfig(stack, raw);
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
        return [...e.problems];
    }
    return [];
}

const w = (name: string, options: Record<string, unknown>) => ({ workloads: { [name]: options } });

interface BadCase {
    title: string;
    overrides: Record<string, unknown>;
    key: string;
    value: string;
    allowed: string;
}

const HUGE = "x".repeat(256 * 1024);
const bad: BadCase[] = [
    {
        title: "an unknown workload",
        overrides: { workloads: { worker: {} } },
        key: "workloads.worker",
        value: "{}",
        allowed: "known keys of workloads: api, frontend",
    },
    { title: "an unknown option", overrides: w("api", { nodeSelectors: {} }), key: "workloads.api.nodeSelectors", value: "{}", allowed: "is not a known key" },
    {
        title: "a node selector key with a space",
        overrides: w("api", { nodeSelector: { "pool name": "a" } }),
        key: "workloads.api.nodeSelector.pool name",
        value: '"a"',
        allowed: "invalid label key",
    },
    {
        title: "a node selector value of 64 characters",
        overrides: w("redis", { nodeSelector: { pool: "a".repeat(64) } }),
        key: "workloads.redis.nodeSelector.pool",
        value: "aaaa",
        allowed: "must be a label value",
    },
    {
        title: "tolerations not a list",
        overrides: w("api", { tolerations: { key: "a" } }),
        key: "workloads.api.tolerations",
        value: '{"key":"a"}',
        allowed: "must be a list of tolerations",
    },
    {
        title: "a toleration operator Gt (not in k8s 1.34)",
        overrides: w("frontend", { tolerations: [{ key: "a", operator: "Gt", value: "1" }] }),
        key: "workloads.frontend.tolerations[0].operator",
        value: '"Gt"',
        allowed: 'must be one of "Exists", "Equal"',
    },
    {
        title: "a toleration effect NoRun",
        overrides: w("postgres", { tolerations: [{ key: "a", operator: "Exists", effect: "NoRun" }] }),
        key: "workloads.postgres.tolerations[0].effect",
        value: '"NoRun"',
        allowed: '"NoSchedule", "PreferNoSchedule", "NoExecute"',
    },
    {
        title: "operator Exists with a value",
        overrides: w("api", { tolerations: [{ key: "a", operator: "Exists", value: "b" }] }),
        key: "workloads.api.tolerations[0].value",
        value: '"b"',
        allowed: 'must be empty with operator "Exists"',
    },
    {
        title: "an empty key with operator Equal",
        overrides: w("api", { tolerations: [{ operator: "Equal", value: "b" }] }),
        key: "workloads.api.tolerations[0].operator",
        value: '"Equal"',
        allowed: 'must be "Exists" when the key is empty',
    },
    {
        title: "tolerationSeconds without NoExecute",
        overrides: w("api", { tolerations: [{ key: "a", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 30 }] }),
        key: "workloads.api.tolerations[0].tolerationSeconds",
        value: "30",
        allowed: 'only allowed with effect "NoExecute"',
    },
    {
        title: "a toleration key that is no qualified name",
        overrides: w("indexer", { tolerations: [{ key: "a b", operator: "Exists" }] }),
        key: "workloads.indexer.tolerations[0].key",
        value: '"a b"',
        allowed: "must be a taint key",
    },
    {
        title: "an unknown toleration field",
        overrides: w("api", { tolerations: [{ key: "a", operator: "Exists", seconds: 1 }] }),
        key: "workloads.api.tolerations[0].seconds",
        value: "1",
        allowed: "known keys of workloads.api.tolerations[0]: key, operator, value, effect, tolerationSeconds",
    },
    {
        title: "a misspelt affinity field",
        overrides: w("api", { affinity: { nodeAfinity: {} } }),
        key: "workloads.api.affinity.nodeAfinity",
        value: "{}",
        allowed: "nodeAffinity, podAffinity, podAntiAffinity",
    },
    {
        title: "an affinity weight of 0",
        overrides: w("api", {
            affinity: {
                podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, podAffinityTerm: { topologyKey: "kubernetes.io/hostname" } }] },
            },
        }),
        key: "workloads.api.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
        value: "0",
        allowed: "an integer from 1 to 100",
    },
    {
        title: "a node affinity In without values",
        overrides: w("postgres", {
            affinity: {
                nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                        nodeSelectorTerms: [{ matchExpressions: [{ key: "pool", operator: "In", values: [] }] }],
                    },
                },
            },
        }),
        key: "workloads.postgres.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values",
        value: "[]",
        allowed: "non-empty list with operator In",
    },
    {
        title: "a node affinity Gt with a non-integer",
        overrides: w("api", {
            affinity: {
                nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                        nodeSelectorTerms: [{ matchExpressions: [{ key: "cpu", operator: "Gt", values: ["four"] }] }],
                    },
                },
            },
        }),
        key: "workloads.api.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values",
        value: '["four"]',
        allowed: "one integer with operator Gt",
    },
    {
        title: "empty nodeSelectorTerms",
        overrides: w("api", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } }),
        key: "workloads.api.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
        value: "[]",
        allowed: "non-empty list of node selector terms",
    },
    {
        title: "a pod anti-affinity term without a topologyKey",
        overrides: w("frontend", {
            affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "x" } } }] } },
        }),
        key: "workloads.frontend.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
        value: "(missing)",
        allowed: "must be a node label key",
    },
    {
        title: "a label selector operator Gt",
        overrides: w("api", {
            affinity: {
                podAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [
                        { topologyKey: "kubernetes.io/hostname", labelSelector: { matchExpressions: [{ key: "app", operator: "Gt", values: ["1"] }] } },
                    ],
                },
            },
        }),
        key: "workloads.api.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].operator",
        value: '"Gt"',
        allowed: '"In", "NotIn", "Exists", "DoesNotExist"',
    },
    {
        title: "a priority class with an upper-case letter",
        overrides: w("api", { priorityClassName: "High" }),
        key: "workloads.api.priorityClassName",
        value: '"High"',
        allowed: "a PriorityClass name: a lower-case DNS subdomain",
    },
    {
        title: "a system priority class",
        overrides: w("redis", { priorityClassName: "system-node-critical" }),
        key: "workloads.redis.priorityClassName",
        value: '"system-node-critical"',
        allowed: 'must not be a "system-" class',
    },
    {
        title: "an unknown spread mode",
        overrides: w("api", { topologySpread: "sometimes" }),
        key: "workloads.api.topologySpread",
        value: '"sometimes"',
        allowed: 'must be one of "preferred", "required"',
    },
    {
        title: "a spread on a model server",
        overrides: w("llm", { topologySpread: "preferred" }),
        key: "workloads.llm.topologySpread",
        value: '"preferred"',
        allowed: "model servers spread by modelServing.llm.antiAffinity",
    },
    {
        title: "HF_TOKEN on the LLM (modelServing.llm.hfTokenSecret sets it)",
        overrides: w("llm", { extraEnv: [{ name: "HF_TOKEN", secretKeyRef: { name: "x", key: "y" } }] }),
        key: "workloads.llm.extraEnv[0].name",
        value: '"HF_TOKEN"',
        allowed: "may not be overridden",
    },
    {
        title: "a spread on a single-pod datastore",
        overrides: w("postgres", { topologySpread: "required" }),
        key: "workloads.postgres.topologySpread",
        value: '"required"',
        allowed: "only for api and frontend: postgres runs a single pod",
    },
    {
        title: "a pod annotation key with two slashes",
        overrides: w("api", { podAnnotations: { "a/b/c": "x" } }),
        key: "workloads.api.podAnnotations.a/b/c",
        value: '"x"',
        allowed: "not a valid annotation key",
    },
    {
        title: "a non-string annotation value",
        overrides: w("api", { podAnnotations: { team: 1 } }),
        key: "workloads.api.podAnnotations",
        value: '{"team":1}',
        allowed: "map of string to string",
    },
    {
        title: "ServiceAccount annotations over 256 KiB",
        overrides: w("api", { serviceAccountAnnotations: { "example.com/big": HUGE } }),
        key: "workloads.api.serviceAccountAnnotations",
        value: "bytes)",
        allowed: "at most 262144 bytes, keys and values (the API server's 256 KiB)",
    },
    {
        title: "an env name starting with a digit",
        overrides: w("api", { extraEnv: [{ name: "1FOO", value: "x" }] }),
        key: "workloads.api.extraEnv[0].name",
        value: '"1FOO"',
        allowed: "must be an env var name",
    },
    {
        title: "an env var with both value and secretKeyRef",
        overrides: w("api", { extraEnv: [{ name: "FOO", value: "x", secretKeyRef: { name: "s", key: "k" } }] }),
        key: "workloads.api.extraEnv[0]",
        value: '"FOO"',
        allowed: "exactly one of value (a literal) and secretKeyRef",
    },
    {
        title: "an env var with neither",
        overrides: w("api", { extraEnv: [{ name: "FOO" }] }),
        key: "workloads.api.extraEnv[0]",
        value: '"FOO"',
        allowed: "exactly one of value",
    },
    {
        title: "a numeric env value",
        overrides: w("frontend", { extraEnv: [{ name: "FOO", value: 3 }] }),
        key: "workloads.frontend.extraEnv[0].value",
        value: "3",
        allowed: "must be a string",
    },
    {
        title: "a secretKeyRef to a bad Secret name",
        overrides: w("api", { extraEnv: [{ name: "FOO", secretKeyRef: { name: "Bad_Name", key: "k" } }] }),
        key: "workloads.api.extraEnv[0].secretKeyRef.name",
        value: '"Bad_Name"',
        allowed: "a Secret name",
    },
    {
        title: "a secretKeyRef with a bad key",
        overrides: w("api", { extraEnv: [{ name: "FOO", secretKeyRef: { name: "s", key: "a/b" } }] }),
        key: "workloads.api.extraEnv[0].secretKeyRef.key",
        value: '"a/b"',
        allowed: "must be a Secret key",
    },
    {
        title: "the same env name twice",
        overrides: w("api", {
            extraEnv: [
                { name: "FOO", value: "a" },
                { name: "FOO", value: "b" },
            ],
        }),
        key: "workloads.api.extraEnv[1].name",
        value: '"FOO"',
        allowed: "appears twice",
    },
];

/** Attempts to weaken security or override what the platform manages: each refused. */
const refused: BadCase[] = [
    {
        title: "extra env replacing POSTGRES_PASSWORD in the API",
        overrides: w("api", { extraEnv: [{ name: "POSTGRES_PASSWORD", secretKeyRef: { name: "mine", key: "pw" } }] }),
        key: "workloads.api.extraEnv[0].name",
        value: '"POSTGRES_PASSWORD"',
        allowed: "is set by the platform for api and may not be overridden",
    },
    {
        title: "extra env replacing a ConfigMap setting (DB_HOST) in the indexer",
        overrides: w("indexer", { extraEnv: [{ name: "DB_HOST", value: "evil" }] }),
        key: "workloads.indexer.extraEnv[0].name",
        value: '"DB_HOST"',
        allowed: "is set by the platform for indexer",
    },
    {
        title: "extra env replacing DATABASE_URL",
        overrides: w("api", { extraEnv: [{ name: "DATABASE_URL", value: "postgresql://x" }] }),
        key: "workloads.api.extraEnv[0].name",
        value: '"DATABASE_URL"',
        allowed: "may not be overridden",
    },
    {
        title: "POSTGRES_HOST_AUTH_METHOD=trust on PostgreSQL",
        overrides: w("postgres", { extraEnv: [{ name: "POSTGRES_HOST_AUTH_METHOD", value: "trust" }] }),
        key: "workloads.postgres.extraEnv[0].name",
        value: '"POSTGRES_HOST_AUTH_METHOD"',
        allowed: "(names starting with POSTGRES_)",
    },
    {
        title: "PGDATA on PostgreSQL",
        overrides: w("postgres", { extraEnv: [{ name: "PGDATA", value: "/tmp" }] }),
        key: "workloads.postgres.extraEnv[0].name",
        value: '"PGDATA"',
        allowed: "(names starting with PG)",
    },
    {
        title: "REDISCLI_AUTH on Redis",
        overrides: w("redis", { extraEnv: [{ name: "REDISCLI_AUTH", secretKeyRef: { name: "x", key: "y" } }] }),
        key: "workloads.redis.extraEnv[0].name",
        value: '"REDISCLI_AUTH"',
        allowed: "may not be overridden",
    },
    {
        title: "Qdrant's API key on the vector store",
        overrides: w("vectorStore", { extraEnv: [{ name: "QDRANT__SERVICE__API_KEY", secretKeyRef: { name: "x", key: "y" } }] }),
        key: "workloads.vectorStore.extraEnv[0].name",
        value: '"QDRANT__SERVICE__API_KEY"',
        allowed: "(names starting with QDRANT__SERVICE__)",
    },
    {
        title: "a secret-looking env var as a literal",
        overrides: w("api", { extraEnv: [{ name: "OTEL_API_KEY", value: "s3cr3t" }] }),
        key: "workloads.api.extraEnv[0].value",
        value: '"(redacted)"',
        allowed: "OTEL_API_KEY looks secret; use secretKeyRef",
    },
    {
        title: "an AppArmor annotation",
        overrides: w("api", { podAnnotations: { "container.apparmor.security.beta.kubernetes.io/api": "unconfined" } }),
        key: "workloads.api.podAnnotations.container.apparmor.security.beta.kubernetes.io/api",
        value: '"unconfined"',
        allowed: "is security-relevant (AppArmor, seccomp",
    },
    {
        title: "a seccomp pod annotation",
        overrides: w("redis", { podAnnotations: { "seccomp.security.alpha.kubernetes.io/pod": "unconfined" } }),
        key: "workloads.redis.podAnnotations.seccomp.security.alpha.kubernetes.io/pod",
        value: '"unconfined"',
        allowed: "is security-relevant",
    },
    {
        title: "a container seccomp annotation",
        overrides: w("indexer", { podAnnotations: { "container.seccomp.security.alpha.kubernetes.io/indexer": "unconfined" } }),
        key: "workloads.indexer.podAnnotations.container.seccomp.security.alpha.kubernetes.io/indexer",
        value: '"unconfined"',
        allowed: "is security-relevant",
    },
    {
        title: "an AppArmor profile annotation under another prefix",
        overrides: w("api", { podAnnotations: { "example.com/apparmor-profile": "unconfined" } }),
        key: "workloads.api.podAnnotations.example.com/apparmor-profile",
        value: '"unconfined"',
        allowed: "is security-relevant",
    },
    {
        title: "the PodSecurityPolicy annotation",
        overrides: w("api", { podAnnotations: { "kubernetes.io/psp": "privileged" } }),
        key: "workloads.api.podAnnotations.kubernetes.io/psp",
        value: '"privileged"',
        allowed: "is security-relevant",
    },
    {
        title: "a CRI-O runtime annotation (devices)",
        overrides: w("api", { podAnnotations: { "io.kubernetes.cri-o.Devices": "/dev/fuse" } }),
        key: "workloads.api.podAnnotations.io.kubernetes.cri-o.Devices",
        value: '"/dev/fuse"',
        allowed: "is a container-runtime annotation",
    },
    {
        title: "a request-mirroring Ingress annotation",
        overrides: { ingress: { extraAnnotations: { "nginx.ingress.kubernetes.io/mirror-target": "https://elsewhere.example.com$request_uri" } } },
        key: "ingress.extraAnnotations.nginx.ingress.kubernetes.io/mirror-target",
        value: "elsewhere.example.com",
        allowed: "copies every request",
    },
    {
        title: "ssl-passthrough on the Ingress",
        overrides: { ingress: { extraAnnotations: { "nginx.ingress.kubernetes.io/ssl-passthrough": "true" } } },
        key: "ingress.extraAnnotations.nginx.ingress.kubernetes.io/ssl-passthrough",
        value: '"true"',
        allowed: "skips TLS termination and the rate limit",
    },
    {
        title: "the platform's scrape annotation",
        overrides: w("api", { podAnnotations: { "prometheus.io/scrape": "false" } }),
        key: "workloads.api.podAnnotations.prometheus.io/scrape",
        value: '"false"',
        allowed: "is managed by the platform (prometheus.io/*)",
    },
    {
        title: "Pulumi's skipAwait annotation",
        overrides: w("postgres", { podAnnotations: { "pulumi.com/skipAwait": "true" } }),
        key: "workloads.postgres.podAnnotations.pulumi.com/skipAwait",
        value: '"true"',
        allowed: "is managed by the platform (pulumi.com/*)",
    },
    {
        title: "an nginx configuration-snippet",
        overrides: { ingress: { extraAnnotations: { "nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers x;" } } },
        key: "ingress.extraAnnotations.nginx.ingress.kubernetes.io/configuration-snippet",
        value: "more_set_headers",
        allowed: "nginx snippet",
    },
    {
        title: "an nginx server-snippet",
        overrides: { ingress: { extraAnnotations: { "nginx.ingress.kubernetes.io/server-snippet": "location / {}" } } },
        key: "ingress.extraAnnotations.nginx.ingress.kubernetes.io/server-snippet",
        value: "location",
        allowed: "CVE-2021-25742",
    },
    {
        title: "an nginx auth-snippet",
        overrides: { ingress: { extraAnnotations: { "nginx.ingress.kubernetes.io/auth-snippet": "x" } } },
        key: "ingress.extraAnnotations.nginx.ingress.kubernetes.io/auth-snippet",
        value: '"x"',
        allowed: "nginx snippet",
    },
    {
        title: "a rate-limit override",
        overrides: { ingress: { extraAnnotations: { "nginx.ingress.kubernetes.io/limit-rps": "100000" } } },
        key: "ingress.extraAnnotations.nginx.ingress.kubernetes.io/limit-rps",
        value: '"100000"',
        allowed: "is set by the platform (rate limit",
    },
    {
        title: "a rate-limit allowlist (bypasses the limit)",
        overrides: { ingress: { extraAnnotations: { "nginx.ingress.kubernetes.io/limit-whitelist": "0.0.0.0/0" } } },
        key: "ingress.extraAnnotations.nginx.ingress.kubernetes.io/limit-whitelist",
        value: "0.0.0.0/0",
        allowed: "is set by the platform",
    },
    {
        title: "a body-size override",
        overrides: { ingress: { extraAnnotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "0" } } },
        key: "ingress.extraAnnotations.nginx.ingress.kubernetes.io/proxy-body-size",
        value: '"0"',
        allowed: "use the ingress.* keys",
    },
    {
        title: "a TLS-redirect override",
        overrides: { ingress: { extraAnnotations: { "nginx.ingress.kubernetes.io/ssl-redirect": "false" } } },
        key: "ingress.extraAnnotations.nginx.ingress.kubernetes.io/ssl-redirect",
        value: '"false"',
        allowed: "TLS redirect",
    },
    {
        title: "a CORS override",
        overrides: { ingress: { extraAnnotations: { "nginx.ingress.kubernetes.io/cors-allow-origin": "*" } } },
        key: "ingress.extraAnnotations.nginx.ingress.kubernetes.io/cors-allow-origin",
        value: '"*"',
        allowed: "CORS",
    },
    {
        title: "a cert-manager issuer override",
        overrides: { ingress: { extraAnnotations: { "cert-manager.io/cluster-issuer": "self-signed" } } },
        key: "ingress.extraAnnotations.cert-manager.io/cluster-issuer",
        value: '"self-signed"',
        allowed: "use ingress.tls.clusterIssuer",
    },
];

describe("workloads.<name> and ingress.extraAnnotations: config", () => {
    for (const c of [...bad, ...refused]) {
        it(`refuses ${c.title}, naming the stack, key, value and what is allowed`, () => {
            const found = problems(c.overrides);
            const line = found.find((p) => p.startsWith(`${PROJECT}:${c.key} = `));
            assert.ok(line, `no problem names ${c.key}:\n${found.join("\n")}`);
            assert.ok(line.includes(c.value), `value ${c.value} not shown: ${line}`);
            assert.ok(line.includes(c.allowed), `"${c.allowed}" not in: ${line}`);
            assert.ok(line.includes('(stack "dev")'), line);
        });
    }

    it("annotation size at the boundary: the API server's 256 KiB for a ServiceAccount, 4 KiB less where the platform adds its own", () => {
        const sized = (bytes: number) => ({ "example.com/k": "x".repeat(bytes - "example.com/k".length) });
        assert.deepEqual(problems(w("api", { serviceAccountAnnotations: sized(262144) })), []);
        assert.equal(problems(w("api", { serviceAccountAnnotations: sized(262145) })).length, 1);
        assert.deepEqual(problems(w("api", { podAnnotations: sized(258048) })), []);
        const [pod] = problems(w("api", { podAnnotations: sized(258049) }));
        assert.match(pod, /workloads\.api\.podAnnotations = "\(258049 bytes\)": annotations may total at most 258048 bytes.*less 4096 for the platform's own/);
        const [ingress] = problems({ ingress: { extraAnnotations: sized(258049) } });
        assert.match(ingress, /ingress\.extraAnnotations = "\(258049 bytes\)"/);
    });

    it("accepts the env names the API server accepts ('.', '-', '_', leading '_'), refuses '=' and spaces", () => {
        assert.deepEqual(
            problems(
                w("api", {
                    extraEnv: [
                        { name: "_my.setting-x", value: "1" },
                        { name: "a", value: "" },
                    ],
                }),
            ),
            [],
        );
        for (const name of ["A=B", "A B", "", "ÄPFEL"]) {
            assert.ok(
                problems(w("api", { extraEnv: [{ name, value: "1" }] })).some((p) => p.includes("must be an env var name")),
                name,
            );
        }
    });

    it("never echoes a secret-looking literal back", () => {
        const found = problems(w("api", { extraEnv: [{ name: "DB_PASSWORD_X", value: "hunter2" }] })).join("\n");
        assert.ok(found.includes("looks secret"), found);
        assert.ok(!found.includes("hunter2"), found);
    });

    it("fails a prod stack before any resource is registered", async () => {
        const line = await expectConfigProblem(
            "prod",
            w("api", { podAnnotations: { "container.apparmor.security.beta.kubernetes.io/api": "unconfined" } }),
            "workloads.api.podAnnotations.container.apparmor.security.beta.kubernetes.io/api",
        );
        assert.match(line, /security-relevant/);
    });

    it("accepts every option set to a good value", () => {
        assert.deepEqual(problems(ALL_OPTIONS), []);
        assert.deepEqual(
            problems(ALL_OPTIONS, "prod").filter((p) => p.includes("workloads") || p.includes("extraAnnotations")),
            [],
        );
    });

    it("accepts an empty-key Exists toleration, NoExecute with tolerationSeconds, and plain Ingress annotations", () => {
        const found = problems({
            ...w("api", {
                tolerations: [
                    { operator: "Exists" },
                    { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 30 },
                ],
            }),
            ingress: { extraAnnotations: { "nginx.ingress.kubernetes.io/whitelist-source-range": "10.0.0.0/8", "external-dns.alpha.kubernetes.io/ttl": "60" } },
        });
        assert.deepEqual(found, []);
    });

    it("refuses every annotation the platform's Ingress sets (kept in step with ingress.ts)", () => {
        const set = ingressAnnotations({
            ...parseConfig("dev", {}).ingress,
            tls: { enabled: true, clusterIssuer: "letsencrypt-prod", secretName: "tls" },
            corsOrigins: ["https://app.example.com"],
        });
        for (const key of Object.keys(set)) {
            assert.ok(ingressAnnotationRefusal(key), `${key} is set by the platform but not refused`);
        }
    });

    it("refuses the same secret-looking names as the policy pack's env rule", () => {
        assert.deepEqual([...SECRET_NAME_PATTERNS].sort(), [...DEFAULT_SECRET_PATTERNS].sort());
    });
});

/** The stateless web services leave a failed node after 10 s (components/workloads/web-service.ts). */
const WEB = ["api", "frontend"];
const NODE_FAILURE = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];

const podSpecs = (r: RenderResult, component: string): any[] => {
    const kinds = component === "indexer" ? [T.Job] : component === "api" || component === "frontend" ? [T.Deployment] : [T.StatefulSet];
    const specs = kinds.map((k) => ofComponent(r, k, component).inputs.spec.template);
    if (component === "indexer") {
        const cronJobs = ofType(r, T.CronJob).filter((c) => c.inputs.metadata?.labels?.["app.kubernetes.io/component"] === "indexer");
        specs.push(...cronJobs.map((c) => c.inputs.spec.jobTemplate.spec.template));
    }
    return specs;
};

describe("workloads.<name> and ingress.extraAnnotations: rendered objects", () => {
    let dev: RenderResult;
    let prod: RenderResult;
    let all: RenderResult;
    before(async () => {
        [dev, prod, all] = await Promise.all([
            renderStack("dev"),
            renderStack("prod", ALL_MODEL_SERVERS),
            renderStack("prod", { ...ALL_OPTIONS, ...ALL_MODEL_SERVERS }),
        ]);
    });

    const spreadOf = (r: RenderResult, component: string) =>
        Object.fromEntries(podSpecs(r, component)[0].spec.topologySpreadConstraints.map((t: any) => [t.topologyKey, t.whenUnsatisfiable]));

    it("prod spreads the API required over nodes (DoNotSchedule, tainted nodes not counted), zones preferred", () => {
        assert.deepEqual(spreadOf(prod, "api"), { "kubernetes.io/hostname": "DoNotSchedule", "topology.kubernetes.io/zone": "ScheduleAnyway" });
        const hostname = podSpecs(prod, "api")[0].spec.topologySpreadConstraints[0];
        assert.equal(hostname.nodeTaintsPolicy, "Honor");
        // the skew among one revision's pods: after a rolling update, still one API pod per node
        for (const t of podSpecs(prod, "api")[0].spec.topologySpreadConstraints) assert.deepEqual(t.matchLabelKeys, ["pod-template-hash"], t.topologyKey);
        assert.deepEqual(spreadOf(prod, "frontend"), { "kubernetes.io/hostname": "ScheduleAnyway", "topology.kubernetes.io/zone": "ScheduleAnyway" });
    });

    it("dev keeps the preferred spread everywhere (today's output), and prod's API can be set back to preferred", async () => {
        assert.deepEqual(spreadOf(dev, "api"), { "kubernetes.io/hostname": "ScheduleAnyway", "topology.kubernetes.io/zone": "ScheduleAnyway" });
        assert.equal(podSpecs(dev, "api")[0].spec.topologySpreadConstraints[0].nodeTaintsPolicy, undefined);
        const preferred = await renderStack("prod", w("api", { topologySpread: "preferred" }));
        assert.deepEqual(spreadOf(preferred, "api"), { "kubernetes.io/hostname": "ScheduleAnyway", "topology.kubernetes.io/zone": "ScheduleAnyway" });
        const required = await renderStack("dev", w("frontend", { topologySpread: "required" }));
        assert.equal(spreadOf(required, "frontend")["kubernetes.io/hostname"], "DoNotSchedule");
    });

    it("without options nothing is added: no priority class, selector, toleration, extra annotation or env", () => {
        for (const component of Object.values(WORKLOADS)) {
            for (const t of podSpecs(prod, component)) {
                assert.equal(t.spec.priorityClassName, undefined, component);
                // The LLM's GPU selector and toleration, and the web services' node-failure tolerations, are the platform's own.
                assert.deepEqual(t.spec.nodeSelector, component === "llm" ? { "nvidia.com/gpu.present": "true" } : undefined, component);
                const own = component === "llm" ? ["nvidia.com/gpu"] : WEB.includes(component) ? NODE_FAILURE : [];
                assert.deepEqual(
                    (t.spec.tolerations ?? []).map((x: any) => x.key),
                    own,
                    component,
                );
                assert.ok(!t.spec.containers.some((c: any) => (c.env ?? []).some((e: any) => e.name.startsWith("EXTRA_"))), component);
                assert.equal(t.metadata.annotations?.["example.com/team"], undefined, component);
            }
            assert.equal(ofComponent(prod, T.ServiceAccount, component).inputs.metadata.annotations, undefined, component);
        }
    });

    for (const [name, component] of Object.entries(WORKLOADS)) {
        it(`${name}: node selector, tolerations, affinity, priority class, annotations and env reach its pods and ServiceAccount`, () => {
            for (const t of podSpecs(all, component)) {
                const spec = t.spec;
                // The LLM keeps its GPU node selector and toleration (checked below for the GPU API).
                const gpu = name === "llm";
                assert.deepEqual(spec.nodeSelector, {
                    "node.kubernetes.io/pool": `rag-${name.toLowerCase()}`,
                    ...(gpu ? { "nvidia.com/gpu.present": "true" } : {}),
                });
                assert.deepEqual(spec.tolerations, [
                    ...(WEB.includes(component) ? NODE_FAILURE.map((key) => ({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: 10 })) : []),
                    ...(gpu ? [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] : []),
                    { key: "dedicated", operator: "Equal", value: "rag", effect: "NoSchedule" },
                ]);
                assert.equal(spec.priorityClassName, "rag-high");
                assert.equal(spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight, 50);
                assert.equal(spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight, 10);
                assert.equal(t.metadata.annotations["example.com/team"], "search");
                for (const c of spec.containers) {
                    const env = c.env.slice(-2);
                    assert.deepEqual(env, [
                        { name: "EXTRA_SETTING", value: "on" },
                        { name: "EXTRA_TOKEN", valueFrom: { secretKeyRef: { name: "extra-credentials", key: "token" } } },
                    ]);
                }
                for (const c of spec.initContainers ?? []) {
                    assert.ok(!c.env.some((e: any) => e.name.startsWith("EXTRA_")), "init containers get no extra env");
                }
                // The security contexts are the platform's, whatever the options.
                assert.equal(spec.securityContext.seccompProfile.type, "RuntimeDefault");
                assert.equal(spec.automountServiceAccountToken, false);
            }
            const sa = ofComponent(all, T.ServiceAccount, component);
            assert.deepEqual(sa.inputs.metadata.annotations, { "eks.amazonaws.com/role-arn": `arn:aws:iam::123456789012:role/rag-${name}` });
            assert.equal(sa.inputs.automountServiceAccountToken, false);
        });
    }

    it("keeps the platform's spread terms and scrape annotations next to the stack's", () => {
        const api = podSpecs(all, "api")[0];
        assert.equal(
            api.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey,
            "kubernetes.io/hostname",
        );
        assert.equal(api.spec.topologySpreadConstraints.length, 2);
        assert.equal(api.metadata.annotations["prometheus.io/scrape"], "true");
        const frontend = podSpecs(all, "frontend")[0];
        assert.equal(frontend.metadata.annotations["prometheus.io/port"], "9090");
        // Qdrant's /metrics needs its key, which annotation-based scrapers do not send: no scrape annotations
        const qdrant = podSpecs(all, "vector-store")[0];
        assert.equal(qdrant.metadata.annotations["example.com/team"], "search");
        assert.deepEqual(
            Object.keys(qdrant.metadata.annotations).filter((k) => k.startsWith("prometheus.io/")),
            [],
        );
    });

    it("the GPU API keeps its GPU node selector and toleration next to the stack's", async () => {
        const r = await renderStack("prod", { ...ALL_OPTIONS, api: { gpu: { enabled: true } } });
        const spec = podSpecs(r, "api")[0].spec;
        assert.deepEqual(spec.nodeSelector, { "node.kubernetes.io/pool": "rag-api", "nvidia.com/gpu.present": "true" });
        assert.deepEqual(
            spec.tolerations.map((t: any) => t.key),
            [...NODE_FAILURE, "nvidia.com/gpu", "dedicated"],
        );
    });

    it("the Ingress carries the extra annotations and keeps the platform's", () => {
        const ing = ofType(all, T.Ingress)[0].inputs.metadata.annotations;
        assert.equal(ing["nginx.ingress.kubernetes.io/whitelist-source-range"], "10.0.0.0/8");
        assert.equal(ing["nginx.ingress.kubernetes.io/limit-rps"], "50");
        assert.equal(ing["nginx.ingress.kubernetes.io/force-ssl-redirect"], "true");
    });
});

describe("workloads.<name>: what the platform sets stays the platform's", () => {
    it("every env name a platform container sets is refused as extra env for that workload (each vector engine, every model server, PostgreSQL's modes)", async () => {
        const stacks = await Promise.all([
            renderStack("prod", ALL_MODEL_SERVERS),
            renderStack("prod", { postgres: { mode: "ha" } }), // the Patroni members' PATRONI_*
            renderStack("dev", { vectorStore: { engine: "chroma" } }),
            renderStack("dev", { vectorStore: { engine: "milvus" } }),
            // External datastores: the app's credentials come from the operator's Secrets, under the same names.
            renderStack("dev", {
                postgres: { mode: "external", host: "db.example.com", tls: true, existingSecret: { name: "pg", key: "password" } },
                redis: { mode: "external", host: "redis.example.com", existingSecret: { name: "redis", key: "auth" } },
            }),
        ]);
        for (const r of stacks) {
            for (const [name, component] of Object.entries(WORKLOADS)) {
                const kinds: string[] = [T.Deployment, T.StatefulSet, T.Job];
                if (!r.resources.some((x) => kinds.includes(x.type) && x.inputs.metadata?.labels?.["app.kubernetes.io/component"] === component)) {
                    continue; // a model server not in the cluster in this stack
                }
                const names = new Set<string>(
                    podSpecs(r, component).flatMap((t) => t.spec.containers.flatMap((c: any) => (c.env ?? []).map((e: any) => e.name))),
                );
                const configMapKeys = component === "api" ? Object.keys(ofType(r, T.ConfigMap).find((c) => c.inputs.data?.DB_HOST)!.inputs.data) : [];
                for (const env of [...names, ...configMapKeys]) {
                    const found = problems(w(name, { extraEnv: [{ name: env, secretKeyRef: { name: "s", key: "k" } }] }));
                    assert.ok(
                        found.some((p) => p.includes("may not be overridden")),
                        `${name}: ${env} is set by the platform but accepted as extra env (MANAGED_ENV: ${JSON.stringify(MANAGED_ENV[name as keyof typeof MANAGED_ENV])})`,
                    );
                }
            }
        }
    });

    it("PLATFORM_SETTINGS_KEYS is exactly the platform ConfigMap's keys (reranker in-cluster, so every key is set)", async () => {
        const r = await renderStack("prod", { modelServing: { reranker: { mode: "in-cluster" } } });
        const data = ofType(r, T.ConfigMap).find((c) => c.inputs.data?.DB_HOST)!.inputs.data;
        assert.deepEqual(Object.keys(data).sort(), [...PLATFORM_SETTINGS_KEYS].sort());
    });

    it("a colliding env name that got past the validator is refused when the pod spec is built", () => {
        const spec = {
            containers: [{ name: "api", image: "x:1", env: [{ name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }] }],
        };
        const opts = {
            nodeSelector: {},
            tolerations: [],
            podAnnotations: {},
            serviceAccountAnnotations: {},
            extraEnv: [{ name: "POSTGRES_PASSWORD", value: "x" }],
        };
        assert.throws(() => withWorkloadOptions(spec, opts), /extra env POSTGRES_PASSWORD would replace the value the platform sets in container api/);
        assert.doesNotThrow(() => withWorkloadOptions(spec, { ...opts, extraEnv: [{ name: "OTHER", value: "x" }] }));
    });
});
