// The connection matrix's intended table and verdicts (e2e/netpol/intent.ts): the part of the node tier's
// NetworkPolicy check that needs no cluster. The probing itself runs in e2e/node.sh with E2E_NETPOL=1.
import { strict as assert } from "node:assert";
import { Cell, cellOk, COLUMNS, intended, renderTable, SOURCES, TARGETS, verdict } from "../e2e/netpol/intent";

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
