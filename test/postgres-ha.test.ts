// postgres.mode ha: a Patroni cluster (components/datastores/postgres-ha.ts): members spread one per node,
// Kubernetes as the DCS with the least RBAC, synchronous replication, clients on the primary's Service, the
// platform Secret by reference only, the NetworkPolicies the members need, and the config it is refused with.
import { strict as assert } from "assert";
import { parseConfig } from "../components/config";
import { capacityReport } from "../components/shared";
import { readRawConfig } from "../scripts/stack-config";
import { autoname, byName, expectConfigProblem, ofType, RenderResult, renderStack, T } from "./harness";

const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const policy = (r: RenderResult, name: string) => byName(r, T.NetworkPolicy, name).inputs.spec;

describe("PostgreSQL mode ha (Patroni)", () => {
    let ha: RenderResult;
    let single: RenderResult;
    before(async () => {
        ha = await renderStack("prod"); // prod's default
        single = await renderStack("prod", { postgres: { mode: "in-cluster" } });
    });

    it("is prod's default (dev keeps one instance): 3 members, one per node, started together, protected and retained in prod", () => {
        const sts = byName(ha, T.StatefulSet, "rag-postgres-ha");
        assert.equal(sts.inputs.spec.replicas, 3);
        assert.equal(sts.inputs.spec.podManagementPolicy, "Parallel");
        assert.deepEqual(sts.inputs.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
        assert.equal(sts.protect, true);
        const spec = sts.inputs.spec.template.spec;
        const required = spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
        assert.deepEqual(required, [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: sts.inputs.spec.selector.matchLabels } }]);
        // only the members: never the single instance's pod, which has the same name labels during a switch
        assert.equal(sts.inputs.spec.selector.matchLabels["rag-platform/patroni-cluster"], "rag-postgres-ha");
        // the single-instance StatefulSet is not rendered beside it
        assert.deepEqual(
            ofType(ha, T.StatefulSet)
                .map((s) => s.inputs.metadata.name)
                .filter((n: string) => n.startsWith("rag-postgres")),
            ["rag-postgres-ha"],
        );
        assert.equal(byName(single, T.StatefulSet, "rag-postgres").inputs.spec.replicas, 1);
        assert.equal(byName(ha, T.PDB, "rag-postgres-ha").inputs.spec.maxUnavailable, 1);
    });

    it("postgres.instances sets the members; the capacity report counts each member and its volume", async () => {
        const five = await renderStack("prod", { postgres: { mode: "ha", instances: 5 } });
        assert.equal(byName(five, T.StatefulSet, "rag-postgres-ha").inputs.spec.replicas, 5);
        const raw = readRawConfig("prod");
        const cfg = parseConfig("prod", { ...raw, postgres: JSON.stringify({ ...JSON.parse(raw.postgres), mode: "ha", instances: 5 }) });
        const report = capacityReport(cfg);
        assert.equal(report.rows.find((r) => r.component === "postgres")?.replicas, 5);
        assert.equal(report.storage.volumes["postgres (x5)"], "50Gi");
    });

    it("configures Patroni from the environment and its ConfigMap; passwords by secretKeyRef only", () => {
        const c = byName(ha, T.StatefulSet, "rag-postgres-ha").inputs.spec.template.spec.containers[0];
        const env = envOf(c);
        const platformSecret = autoname(ofType(ha, T.Secret).find((x) => x.name.startsWith("rag-secrets"))!.name);
        // the app's role: the platform Secret's password; Patroni's own roles: the cluster's own Secret
        assert.deepEqual(env.POSTGRES_PASSWORD, { secretKeyRef: { name: platformSecret, key: "POSTGRES_PASSWORD" } });
        assert.equal(env.POSTGRES_USER, "rag");
        assert.deepEqual(env.PATRONI_SUPERUSER_PASSWORD, { secretKeyRef: { name: "rag-postgres-patroni-roles", key: "SUPERUSER_PASSWORD" } });
        assert.deepEqual(env.PATRONI_REPLICATION_PASSWORD, { secretKeyRef: { name: "rag-postgres-patroni-roles", key: "REPLICATION_PASSWORD" } });
        assert.equal(env.PATRONI_SUPERUSER_USERNAME, "postgres");
        assert.equal(env.PATRONI_REPLICATION_USERNAME, "replicator");
        const roles = byName(ha, T.Secret, "rag-postgres-patroni-roles");
        // generated (@pulumi/random), a Pulumi secret, and nowhere else (the platform test checks every value for every object)
        assert.deepEqual(roles.inputs.stringData, {
            SUPERUSER_PASSWORD: "mock-rag-postgres-superuser-password-value",
            REPLICATION_PASSWORD: "mock-rag-postgres-replication-password-value",
        });
        assert.ok(roles.secretInputs.includes("stringData"));
        for (const res of ha.resources.filter((x) => x.type !== T.Secret && x.type !== T.RandomPassword)) {
            assert.ok(!JSON.stringify(res.inputs).includes("mock-rag-postgres-"), `${res.type} ${res.name} holds a password`);
        }
        assert.equal(env.PATRONI_SCOPE, "rag-postgres-ha");
        assert.equal(env.POSTGRES_DB, "rag");
        // Patroni finds its members by these labels plus its scope label: exactly the StatefulSet's selector
        assert.deepEqual(
            { ...JSON.parse(env.PATRONI_KUBERNETES_LABELS), [env.PATRONI_KUBERNETES_SCOPE_LABEL]: env.PATRONI_SCOPE },
            byName(ha, T.StatefulSet, "rag-postgres-ha").inputs.spec.selector.matchLabels,
        );
        assert.equal(c.image, "ghcr.io/rag-platform/patroni:3.0.2-pg15");
        assert.deepEqual(c.readinessProbe.httpGet, { path: "/readiness", port: "patroni" });
        assert.deepEqual(c.livenessProbe.httpGet, { path: "/liveness", port: "patroni" });
        const cm = ofType(ha, T.ConfigMap).find((m) => m.inputs.metadata.name === "rag-postgres-patroni");
        assert.ok(cm, "the Patroni ConfigMap");
        const config = JSON.parse(cm.inputs.data["patroni.yml"]);
        assert.equal(config.bootstrap.dcs.synchronous_mode, true);
        assert.deepEqual(config.postgresql.basebackup, [{ checkpoint: "fast" }]);
        // the token only where Patroni runs: automount off, a projected (expiring) token in the Patroni container
        const spec = byName(ha, T.StatefulSet, "rag-postgres-ha").inputs.spec.template.spec;
        assert.equal(spec.automountServiceAccountToken, false);
        const token = spec.volumes.find((v: any) => v.name === "kube-api-access");
        assert.equal(token.projected.sources[0].serviceAccountToken.expirationSeconds, 3607);
        assert.ok(c.volumeMounts.some((m: any) => m.name === "kube-api-access" && m.readOnly));
    });

    it("Patroni may edit ConfigMaps and label pods in its namespace, nothing more", () => {
        const role = byName(ha, "kubernetes:rbac.authorization.k8s.io/v1:Role", "rag-postgres-ha");
        assert.deepEqual(
            role.inputs.rules.map((r: any) => r.resources[0]),
            ["configmaps", "pods"],
        );
        assert.ok(!role.inputs.rules.some((r: any) => r.verbs.includes("*") || r.resources.includes("secrets")));
        assert.equal(ofType(ha, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").length, 0);
    });

    it("clients reach the primary: the Service selects the member Patroni labels master; the app and backup use it", () => {
        const svc = byName(ha, T.Service, "rag-postgres-primary");
        assert.equal(svc.inputs.spec.selector["rag-platform/postgres-role"], "master");
        const cm = ofType(ha, T.ConfigMap).find((m) => m.inputs.data?.DB_HOST !== undefined);
        assert.ok(cm, "the platform ConfigMap");
        assert.match(cm.inputs.data.DB_HOST, /^rag-postgres-primary\./);
        const backup = ofType(ha, T.CronJob).find((j) => j.inputs.metadata.name === "rag-postgres-backup");
        assert.ok(backup, "the backup CronJob");
        const env = envOf(backup.inputs.spec.jobTemplate.spec.template.spec.containers[0]);
        assert.equal(env.PGHOST, "rag-postgres-primary");
    });

    it("monitoring follows it: the exporter series' service label is the primary's Service, the StatefulSet's is the members'", () => {
        const rules = ofType(ha, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")[0].inputs.spec.groups[0].rules as any[];
        const board = byName(ha, T.ConfigMap, "rag-dashboard").inputs.data["rag-platform.json"] as string;
        const exprs = rules.map((r) => r.expr as string).join("\n") + board;
        const services = ofType(ha, T.Service).map((x) => x.inputs.metadata.name);
        const named = [...exprs.matchAll(/service=\\?"([^"\\]+)\\?"/g)].map((m) => m[1]);
        for (const n of named) assert.ok(services.includes(n), `a series names the Service ${n}, which is not rendered`);
        const pg = rules.find((r) => r.alert === "RagPostgresConnectionsNearMax");
        assert.match(pg.expr, /service="rag-postgres-primary"/);
        assert.match(exprs, /statefulset="rag-postgres-ha"/);
        // the ServiceMonitor reaches the exporter through the primary's Service, which has the metrics port
        const primary = byName(ha, T.Service, "rag-postgres-primary");
        assert.ok(primary.inputs.spec.ports.some((p: any) => p.name === "metrics"));
    });

    it("NetworkPolicies: the members reach each other on 5432 and 8008, and the API server; the single instance needs neither", () => {
        const peers = policy(ha, "rag-allow-postgres-peers");
        assert.deepEqual(
            peers.ingress[0].ports.map((p: any) => p.port),
            [5432, 8008],
        );
        assert.deepEqual(peers.egress[0].to, peers.ingress[0].from);
        const api = policy(ha, "rag-allow-kube-api");
        assert.deepEqual(
            api.egress[0].ports.map((p: any) => p.port),
            [443, 6443],
        );
        assert.deepEqual(api.podSelector.matchExpressions[0].values, ["postgres"]);
        const names = ofType(single, T.NetworkPolicy).map((p) => p.inputs.metadata.name);
        assert.ok(!names.includes("rag-allow-postgres-peers") && !names.includes("rag-allow-kube-api"));
    });

    it("refuses ha for Redis and the vector store, and instances outside 2..9", async () => {
        assert.match(await expectConfigProblem("prod", { redis: { mode: "ha" } }, "redis.mode"), /in-cluster.*external/);
        assert.match(await expectConfigProblem("prod", { vectorStore: { mode: "ha" } }, "vectorStore.mode"), /in-cluster.*external/);
        assert.match(await expectConfigProblem("prod", { postgres: { mode: "ha", instances: 1 } }, "postgres.instances"), /2/);
        await expectConfigProblem("prod", { postgres: { mode: "ha", instances: 10 } }, "postgres.instances");
    });
});
