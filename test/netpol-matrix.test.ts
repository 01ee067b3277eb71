// The connection matrix's intended table and verdicts (e2e/netpol/intent.ts): the part of the node tier's
// NetworkPolicy check that needs no cluster. The probing itself runs in e2e/node.sh with E2E_NETPOL=1.
import { strict as assert } from "node:assert";
import { Cell, cellOk, columns, COLUMNS, EXTERNAL_TARGETS, intended, renderTable, SOURCES, TARGETS, verdict } from "../e2e/netpol/intent";
import { PodSummary, podTarget } from "../e2e/netpol/pod-target";

const withIngress = { ingressEnabled: true };
const withoutIngress = { ingressEnabled: false };

describe("connection matrix: the intended table", () => {
    it("every source may resolve names (DNS), whatever its namespace or labels", () => {
        for (const s of SOURCES) assert.equal(intended(s, "dns", withIngress), true, s);
    });

    it("the API and the indexer reach the three datastores and nothing else", () => {
        for (const s of ["api", "indexer"] as const) {
            assert.deepEqual(
                ["postgres", "redis", "vector-store"].map((t) => intended(s, t as "postgres", withIngress)),
                [true, true, true],
            );
            assert.equal(intended(s, "frontend", withIngress), false);
        }
        assert.equal(intended("indexer", "api", withIngress), false);
    });

    it("the frontend reaches the API only when it is the API's proxy (no ingress), never a datastore", () => {
        assert.equal(intended("frontend", "api", withIngress), false);
        assert.equal(intended("frontend", "api", withoutIngress), true);
        for (const t of ["postgres", "redis", "vector-store"] as const) assert.equal(intended("frontend", t, withoutIngress), false);
    });

    it("the ingress controller's namespace reaches the API and the frontend only; strangers and unlabelled pods nothing", () => {
        assert.deepEqual(
            TARGETS.filter((t) => t !== "dns").map((t) => intended("ingress", t, withIngress)),
            [false, false, false, true, true],
        );
        for (const s of ["stranger", "unlabelled", "postgres"] as const)
            for (const t of TARGETS.filter((x) => x !== "dns")) assert.notEqual(intended(s, t, withIngress), true, `${s} -> ${t}`);
    });

    it("the backup Job reaches PostgreSQL only", () => {
        assert.deepEqual(
            TARGETS.map((t) => intended("postgres-backup", t, withIngress)),
            [true, false, false, false, false, true],
        );
    });
});

describe("connection matrix: an address outside the cluster that no policy names", () => {
    it("is refused to every pod of the platform's namespace, whatever its policies allow in the cluster", () => {
        for (const s of ["api", "indexer", "frontend", "postgres-backup", "postgres", "unlabelled"] as const)
            for (const setup of [withIngress, withoutIngress, { ingressEnabled: true, external: "redis" as const }])
                assert.equal(intended(s, "outside", setup), false, s);
    });

    it("is not judged for other namespaces (their egress is not the platform's to restrict)", () => {
        assert.equal(intended("ingress", "outside", withIngress), undefined);
        assert.equal(intended("stranger", "outside", withIngress), undefined);
    });
});

describe("connection matrix: a datastore outside the cluster (issue 23 item 4)", () => {
    const externalRedis = { ingressEnabled: true, external: "redis" as const };

    it("only the API and the indexer reach the external datastore, on its address and port only", () => {
        for (const s of ["api", "indexer"] as const)
            assert.deepEqual(
                EXTERNAL_TARGETS.map((t) => intended(s, t, externalRedis)),
                [true, false, false],
                s,
            );
        for (const s of ["frontend", "postgres-backup", "postgres", "unlabelled"] as const)
            for (const t of EXTERNAL_TARGETS) assert.equal(intended(s, t, externalRedis), false, `${s} -> ${t}`);
    });

    it("does not judge other namespaces' egress (the platform's policies govern its own namespace)", () => {
        for (const s of ["ingress", "stranger"] as const) for (const t of EXTERNAL_TARGETS) assert.equal(intended(s, t, externalRedis), undefined);
    });

    it("has no external columns without an external datastore, and no in-cluster columns for the one outside", () => {
        for (const t of EXTERNAL_TARGETS) assert.equal(intended("api", t, { ingressEnabled: true }), undefined);
        assert.deepEqual(columns({ ingressEnabled: true }), [...COLUMNS, { target: "outside", via: "address" }]);
        const cols = columns(externalRedis);
        assert.deepEqual(
            cols.filter((c) => c.target === "redis"),
            [],
        );
        assert.equal(intended("api", "redis", externalRedis), undefined);
        assert.deepEqual(
            cols.filter((c) => c.via === "address").map((c) => c.target),
            ["outside", "external", "external-port", "external-host"],
        );
        assert.equal(cols.length, COLUMNS.length - 2 + 4);
        assert.equal(intended("api", "postgres", externalRedis), true, "the other datastores stay in the cluster");
    });

    it("prints the external columns after the in-cluster ones", () => {
        const cells: Cell[] = [
            { source: "api", target: "external", via: "address", allowed: true, outcome: "open", ms: 4 },
            { source: "api", target: "external-port", via: "address", allowed: false, outcome: "timeout", ms: 3000 },
        ];
        const [head, api] = renderTable(cells, columns(externalRedis)).split("\n");
        assert.match(head, /frontend@pod\s+outside\s+external\s+external-port\s+external-host$/);
        assert.match(api, /-\s+allow:open\s+deny:timeout\s+-$/);
    });
});

describe("connection matrix: verdicts", () => {
    it("an allowed cell must open; a refused cell must not (timeout, reset or unreachable)", () => {
        assert.equal(cellOk(true, "open"), true);
        assert.equal(cellOk(true, "timeout"), false);
        assert.equal(cellOk(true, "refused"), false);
        assert.equal(cellOk(false, "timeout"), true);
        assert.equal(cellOk(false, "refused"), true);
        assert.equal(cellOk(false, "unreachable"), true);
        assert.equal(cellOk(false, "open"), false);
        assert.equal(cellOk(false, "not-run"), false, "a probe that did not run proves nothing");
        assert.equal(cellOk(true, "error"), false);
    });

    it("counts and lists the cells contrary to the intent, and marks them in the table", () => {
        const cells: Cell[] = [
            { source: "api", target: "postgres", via: "service", allowed: true, outcome: "open", ms: 3 },
            { source: "api", target: "postgres", via: "pod", allowed: true, outcome: "timeout", ms: 20000 },
            { source: "stranger", target: "postgres", via: "service", allowed: false, outcome: "timeout", ms: 3000 },
            { source: "stranger", target: "api", via: "pod", allowed: false, outcome: "open", ms: 2 },
        ];
        const v = verdict(cells);
        assert.deepEqual([v.allowedOpen, v.allowedTotal, v.refusedShut, v.refusedTotal], [1, 2, 1, 2]);
        assert.deepEqual(
            v.wrong.map((c) => `${c.source}->${c.target}@${c.via}`),
            ["api->postgres@pod", "stranger->api@pod"],
        );
        const table = renderTable(cells).split("\n");
        assert.equal(table.length, SOURCES.length + 1);
        assert.equal(table[0].trim().split(/\s+/).length, COLUMNS.length + 3, "header: the three words of 'from \\ to', then one column per target and path");
        const api = table.find((l) => l.startsWith("api "));
        assert.match(api ?? "", /allow:open\s+.*allow:timeout !/);
        assert.match(table.find((l) => l.startsWith("stranger")) ?? "", /deny:timeout.*deny:open !/);
        assert.match(table.find((l) => l.startsWith("frontend")) ?? "", /^frontend(\s+-)+$/, "cells not probed print as -");
    });
});

describe("connection matrix: the pod behind a Service (x@pod columns)", () => {
    const port = { name: "http", port: 80, protocol: "TCP", targetPort: "http" };
    const pod = (name: string, over: { ready?: boolean; phase?: string; deleting?: boolean; ip?: string } = {}): PodSummary => ({
        metadata: { name, ...(over.deleting ? { deletionTimestamp: "2026-12-05T00:00:00Z" } : {}) },
        // the frontend's shape: metrics first in the container, as an EndpointSlice may list it first too
        spec: {
            containers: [
                {
                    ports: [
                        { name: "metrics", containerPort: 9090 },
                        { name: "http", containerPort: 8080 },
                    ],
                },
            ],
        },
        status: {
            phase: over.phase ?? "Running",
            podIP: over.ip ?? "10.244.0.7",
            conditions: [{ type: "Ready", status: over.ready === false ? "False" : "True" }],
        },
    });

    it("connects to the container port the Service port targets by name, not the pod's first port", () => {
        assert.deepEqual(podTarget(port, [pod("rag-frontend-a")]), { pod: "rag-frontend-a", podIp: "10.244.0.7", podPort: 8080 });
        assert.equal(podTarget({ ...port, targetPort: 8081 }, [pod("a")])?.podPort, 8081);
        assert.equal(podTarget({ name: "x", port: 6379 }, [pod("a")])?.podPort, 6379);
        assert.equal(podTarget({ ...port, targetPort: "grpc" }, [pod("a")]), undefined);
        assert.equal(podTarget({ ...port, protocol: "UDP" }, [pod("a")]), undefined);
    });

    it("takes only a pod that serves now: Running, Ready, not being deleted (a replaced pod's address is no target)", () => {
        assert.equal(podTarget(port, [pod("a", { deleting: true }), pod("b", { ready: false }), pod("c", { phase: "Pending" })]), undefined);
        assert.equal(podTarget(port, [pod("a", { deleting: true, ip: "10.244.0.5" }), pod("b", { ip: "10.244.0.9" })])?.podIp, "10.244.0.9");
        assert.equal(podTarget(port, [pod("z", { ip: "10.244.0.3" }), pod("m", { ip: "10.244.0.4" })])?.pod, "m");
    });
});
