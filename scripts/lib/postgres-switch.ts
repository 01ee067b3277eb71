// npm run up and preview refuse, before Pulumi plans anything, a config that would replace a running PostgreSQL
// of one mode by an empty one of the other (postgres.mode in-cluster <-> ha): the new StatefulSet starts without
// the documents, and the app is repointed to it. The switch is docs/operations.md's "Switch PostgreSQL to mode
// ha" (a dump, the old StatefulSet unprotected, up, restore); keeping the running mode is one config line.
import type { PlatformConfig } from "../../components/config";

/** A resource of a stack's exported state, as far as this check reads it. */
export interface StateResource {
    type: string;
    protect?: boolean;
    outputs?: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };
}

const COMPONENT = "app.kubernetes.io/component";
/** The label Patroni's members carry (components/datastores/postgres-ha.ts SCOPE_LABEL). */
const PATRONI_SCOPE = "rag-platform/patroni-cluster";

/** The mode of the PostgreSQL the state holds in the namespace: "ha" (Patroni members), "in-cluster", or none. */
export function runningPostgresMode(resources: StateResource[], namespace: string): { mode: "in-cluster" | "ha"; name: string; protect: boolean } | undefined {
    for (const r of resources) {
        const m = r.outputs?.metadata;
        if (r.type !== "kubernetes:apps/v1:StatefulSet" || m?.namespace !== namespace || m.labels?.[COMPONENT] !== "postgres") continue;
        return { mode: m.labels[PATRONI_SCOPE] !== undefined ? "ha" : "in-cluster", name: m.name ?? "?", protect: r.protect === true };
    }
    return undefined;
}

/**
 * Why `up` must not run, or undefined: the config asks for the other mode while the running StatefulSet is still
 * protected (the runbook unprotects it once the dump is taken: then the switch goes ahead). Pulumi's own preview
 * would refuse too, but its hint (unprotect) leads to an empty database; this one says what to do.
 */
export function postgresSwitchProblem(stack: string, resources: StateResource[], cfg: PlatformConfig): string | undefined {
    const wanted = cfg.postgres.mode;
    if (wanted === "external") return undefined; // bringing your own: the operator moves the data
    const running = runningPostgresMode(resources, cfg.namespace);
    if (!running || running.mode === wanted || !running.protect) return undefined;
    return (
        `stack ${stack} runs PostgreSQL in mode ${running.mode} (StatefulSet ${running.name}), and its config says postgres.mode ${wanted}` +
        `${cfg.environment === "prod" && wanted === "ha" ? " (prod's default, unless set)" : ""}: an up would start an empty ${wanted} database beside it and move the app there. ` +
        `To keep the running one: pulumi config set --path postgres.mode ${running.mode} --stack ${stack}. ` +
        `To move the data: docs/operations.md, "Switch PostgreSQL to mode ha" (a dump, then pulumi state unprotect of that StatefulSet, up, restore).`
    );
}
