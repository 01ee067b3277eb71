// The connection matrix's intended table (issue 23): who may open a TCP connection to whom in the dev stack,
// written from the documented traffic (docs/architecture.md, "Components and traffic", and its NetworkPolicy
// table; docs/operations.md for the backup Job and the frontend's proxy), never from the code that renders
// the policies. matrix.ts probes every cell for real; this file holds the table and the verdicts, no I/O.

/** Who connects: a pod carrying that workload's labels in the platform's namespace, or a pod elsewhere. */
export type Source = "api" | "indexer" | "frontend" | "postgres-backup" | "postgres" | "ingress" | "stranger" | "unlabelled";
/** Where to: the component's client Service (ClusterIP and its port), or the cluster DNS Service (TCP 53). */
export type Target = "postgres" | "redis" | "vector-store" | "api" | "frontend" | "dns";
/** A datastore the stack can point outside the cluster (`<section>.mode: external`). */
export type Datastore = "postgres" | "redis" | "vector-store";
/**
 * Outside the cluster, listening on addresses of the test's own network. `outside`: always, an address no policy
 * names (default-deny egress must shut it for every pod of the namespace). When a datastore runs outside (issue 23
 * item 4): `external` its host and port (an IP literal, so the policy names that address), `external-port` the
 * same host on another port, `external-host` another address on the datastore's port; only `external` may be
 * reached, and only by its clients.
 */
export type ExternalTarget = "outside" | "external" | "external-port" | "external-host";

/** How a cell is reached: the target's Service (kube-proxy, routed through the node) or one of its pods' IP
 *  directly (on one node: across the CNI bridge, where only br_netfilter lets the engine see the frames). */
export type Via = "service" | "pod" | "address";

export const SOURCES: readonly Source[] = ["api", "indexer", "frontend", "postgres-backup", "postgres", "ingress", "stranger", "unlabelled"];
export const TARGETS: readonly Target[] = ["postgres", "redis", "vector-store", "api", "frontend", "dns"];
/** The columns of an external datastore (`outside` is always there). */
export const EXTERNAL_TARGETS: readonly ExternalTarget[] = ["external", "external-port", "external-host"];
export const DATASTORES: readonly Datastore[] = ["postgres", "redis", "vector-store"];

/** What each source stands for (printed with the table). */
export const SOURCE_NOTES: Record<Source, string> = {
    api: "the API's pod labels (its migrate init container runs in the same pod)",
    indexer: "the indexer Job's pod labels",
    frontend: "the frontend's pod labels",
    "postgres-backup": "the backup CronJob's pod labels (scripts/restore-postgres.sh runs a pod from the same template)",
    postgres: "PostgreSQL's pod labels (a datastore opens no connection)",
    ingress: "a pod in the ingress controller's namespace (networkPolicy.ingressControllerNamespace)",
    stranger: "a pod in another namespace",
    unlabelled: "a pod in the platform's namespace without any platform label",
};

export interface Setup {
    /** `ingress.enabled`: without an ingress the frontend forwards /api to the API itself (API_UPSTREAM). */
    ingressEnabled: boolean;
    /** The datastore the stack runs outside the cluster, if any: it has no Service, and the external columns appear. */
    external?: Datastore;
}

/**
 * The intended verdict of one cell: true = the connection must open, false = it must be refused or time out.
 * Undefined = not probed (a component connecting to its own Service proves nothing).
 */
export function intended(source: Source, target: Target | ExternalTarget, setup: Setup): boolean | undefined {
    if (target === "dns") return true; // every pod resolves names: allow-dns (kube-system, 53); other namespaces have no policy
    if (target === setup.external) return undefined; // no such Service: it runs outside
    if (target === "outside" || target === "external" || target === "external-port" || target === "external-host") {
        if (target !== "outside" && setup.external === undefined) return undefined;
        // the platform's policies govern its own namespace only: what other namespaces may reach outside is theirs
        if (source === "ingress" || source === "stranger") return undefined;
        // "only the API and the indexer reach it, on its port only" (and that address only: an IP literal is a /32)
        return target === "external" && (source === "api" || source === "indexer");
    }
    const datastores: Target[] = [...DATASTORES];
    switch (source) {
        case "api":
        case "indexer":
            // API and indexer <-> the datastores; nothing else in the namespace
            if (source === "api" && target === "api") return undefined;
            return datastores.includes(target);
        case "frontend":
            if (target === "frontend") return undefined;
            // the frontend reaches the API only when it is the API's proxy (no ingress)
            return target === "api" ? !setup.ingressEnabled : false;
        case "postgres-backup":
            // "Its NetworkPolicies let it reach PostgreSQL (and DNS) only"
            return target === "postgres";
        case "postgres":
            if (target === "postgres") return undefined;
            return false;
        case "ingress":
            // the ingress controller's namespace -> API and frontend, not the datastores
            return target === "api" || target === "frontend";
        case "stranger":
        case "unlabelled":
            return false;
    }
}

/** How one probe ended. */
export type Outcome = "open" | "timeout" | "refused" | "unreachable" | "error" | "not-run";

/** An allowed cell must open; a refused one must not (a timeout, a reset or an unreachable host all count). */
export function cellOk(allowed: boolean, outcome: Outcome): boolean {
    if (outcome === "not-run" || outcome === "error") return false;
    return allowed ? outcome === "open" : outcome !== "open";
}

export interface Cell {
    source: Source;
    target: Target | ExternalTarget;
    via: Via;
    allowed: boolean;
    outcome: Outcome;
    ms: number;
}

export interface Verdict {
    allowedOpen: number;
    allowedTotal: number;
    refusedShut: number;
    refusedTotal: number;
    wrong: Cell[];
}

export function verdict(cells: readonly Cell[]): Verdict {
    const allowed = cells.filter((c) => c.allowed);
    const refused = cells.filter((c) => !c.allowed);
    return {
        allowedOpen: allowed.filter((c) => cellOk(true, c.outcome)).length,
        allowedTotal: allowed.length,
        refusedShut: refused.filter((c) => cellOk(false, c.outcome)).length,
        refusedTotal: refused.length,
        wrong: cells.filter((c) => !cellOk(c.allowed, c.outcome)),
    };
}

export interface Column {
    target: Target | ExternalTarget;
    via: Via;
}
/** The table's columns: every target through its Service, and every target but DNS through a pod's IP too. */
export const COLUMNS: readonly Column[] = [
    ...TARGETS.map((target) => ({ target, via: "service" as Via })),
    ...TARGETS.filter((t) => t !== "dns").map((target) => ({ target, via: "pod" as Via })),
];

/** The columns of a setup: the in-cluster ones (but an external datastore's), `outside`, and an external datastore's three. */
export function columns(setup: Setup): Column[] {
    const outside: Column = { target: "outside", via: "address" };
    if (setup.external === undefined) return [...COLUMNS, outside];
    return [...COLUMNS.filter((c) => c.target !== setup.external), outside, ...EXTERNAL_TARGETS.map((target) => ({ target, via: "address" as Via }))];
}

/**
 * The table as printed: one row per source, one column per target and path (`api` its Service, `api@pod` a pod's
 * IP); a cell is `allow:open`, `deny:timeout`, ... (intended:measured), marked `!` when the measurement
 * contradicts the intent, `-` when not probed.
 */
export function renderTable(cells: readonly Cell[], cols: readonly Column[] = COLUMNS): string {
    const head = ["from \\ to", ...cols.map((c) => (c.via === "pod" ? `${c.target}@pod` : c.target))];
    const rows = SOURCES.map((s) => [
        s,
        ...cols.map(({ target, via }) => {
            const c = cells.find((x) => x.source === s && x.target === target && x.via === via);
            if (!c) return "-";
            return `${c.allowed ? "allow" : "deny"}:${c.outcome}${cellOk(c.allowed, c.outcome) ? "" : " !"}`;
        }),
    ]);
    const widths = head.map((_, i) => Math.max(...[head, ...rows].map((r) => r[i].length)));
    const line = (r: string[]) =>
        r
            .map((v, i) => v.padEnd(widths[i]))
            .join("  ")
            .trimEnd();
    return [line(head), ...rows.map(line)].join("\n");
}
