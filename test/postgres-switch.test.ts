// npm run up/preview refuse a PostgreSQL mode switch the config asks for while the running StatefulSet is still
// protected (scripts/lib/postgres-switch.ts): prod's default became mode ha, and a prod stack created before it
// must not get an empty database by a plain upgrade.
import { strict as assert } from "assert";
import { parseConfig } from "../components/config";
import { postgresSwitchProblem, runningPostgresMode, StateResource } from "../scripts/lib/postgres-switch";
import { readRawConfig } from "../scripts/stack-config";

const sts = (name: string, labels: Record<string, string>, protect: boolean, namespace = "rag-prod"): StateResource => ({
    type: "kubernetes:apps/v1:StatefulSet",
    protect,
    outputs: { metadata: { name, namespace, labels: { "app.kubernetes.io/component": "postgres", ...labels } } },
});
const single = (protect = true) => sts("rag-postgres", {}, protect);
const members = (protect = true) => sts("rag-postgres-ha", { "rag-platform/patroni-cluster": "rag-postgres-ha" }, protect);
const redis: StateResource = {
    type: "kubernetes:apps/v1:StatefulSet",
    protect: true,
    outputs: { metadata: { name: "rag-redis", namespace: "rag-prod", labels: { "app.kubernetes.io/component": "redis" } } },
};
const prod = (postgres: Record<string, unknown> = {}) =>
    parseConfig("prod", { ...readRawConfig("prod"), ...(Object.keys(postgres).length ? { postgres: JSON.stringify({ storage: "10Gi", ...postgres }) } : {}) });

describe("npm run up: a PostgreSQL mode switch without the runbook is refused", () => {
    it("reads the running mode from the state: Patroni's scope label or not, in the stack's namespace only", () => {
        assert.deepEqual(runningPostgresMode([redis, single()], "rag-prod"), { mode: "in-cluster", name: "rag-postgres", protect: true });
        assert.deepEqual(runningPostgresMode([members(false)], "rag-prod"), { mode: "ha", name: "rag-postgres-ha", protect: false });
        assert.equal(runningPostgresMode([sts("rag-postgres", {}, true, "other")], "rag-prod"), undefined);
        assert.equal(runningPostgresMode([redis], "rag-prod"), undefined);
    });

    it("refuses a prod stack that runs one protected instance and gets prod's default (ha), saying both ways out", () => {
        const problem = postgresSwitchProblem("prod", [redis, single()], prod());
        assert.ok(problem);
        assert.match(
            problem,
            /stack prod runs PostgreSQL in mode in-cluster \(StatefulSet rag-postgres\), and its config says postgres\.mode ha \(prod's default/,
        );
        assert.match(problem, /pulumi config set --path postgres\.mode in-cluster --stack prod/);
        assert.match(problem, /Switch PostgreSQL to mode ha/);
        // and the way back, from a protected Patroni cluster to one instance
        assert.match(postgresSwitchProblem("prod", [members()], prod({ mode: "in-cluster" }))!, /runs PostgreSQL in mode ha .* says postgres\.mode in-cluster/);
    });

    it("lets the up run: same mode, a new stack, the runbook's unprotected StatefulSet, or an external database", () => {
        assert.equal(postgresSwitchProblem("prod", [single()], prod({ mode: "in-cluster" })), undefined);
        assert.equal(postgresSwitchProblem("prod", [members()], prod()), undefined);
        assert.equal(postgresSwitchProblem("prod", [], prod()), undefined);
        assert.equal(postgresSwitchProblem("prod", [single(false)], prod()), undefined);
        const external = prod({ mode: "external", host: "db.example.com", existingSecret: { name: "pg", key: "password" } });
        assert.equal(postgresSwitchProblem("prod", [single()], external), undefined);
    });
});
