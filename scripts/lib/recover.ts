// What `npm run recover` does with an interrupted update's pending operations (scripts/recover.ts runs it; no I/O
// here). A `pulumi up` killed part-way leaves operations the state marks pending. Pulumi's remedy is `pulumi
// refresh`: it settles pending updates and deletes by reading the objects back; a pending CREATE needs a decision.
// For a Kubernetes object the answer is in the cluster: its name (set by the program, or by autonaming before the
// create) and namespace are in the operation's inputs.
//
// Pulumi's own "import" answer (`refresh --import-pending-creates URN ID`) does not work with the CLI this project
// builds (v3.248.0): it turns the operation into a pending "importing" one, which no step of the refresh consumes and
// which the refresh's new snapshot drops (only pending "creating" operations are carried over: backend/snapshot.go
// and backend/journal.go), so the object stays unknown to the state. Seen in the node test: the next `up` created
// it again and failed with "Server-Side Apply field conflict ... conflict with pulumi-kubernetes-8188ac49:
// .spec.volumeClaimTemplates": the killed run's create had applied the object under a field manager of its own (a
// random name, recorded in the state only when a create completes), which still owned the fields.
//
// An autonamed object (`<name>-<random>`, annotation pulumi.com/autonamed) cannot be adopted: the next `up` names
// its own anew, and the killed run's would stay in the namespace unknown to every state (seen on the node: the
// indexer Job a killed replacement had made). It is deleted; the next `up` creates its own.
//
// So an object that exists is adopted by the next `up` instead: the killed run's field manager is released (its
// managedFields entries removed; the object itself, its pods and data are left as they are), the pending create is
// cleared, and the next `up` creates it as usual: the provider's create is a server-side apply, which takes an
// existing object over when no other manager owns its fields (same object, same UID). A pending create that made
// nothing is cleared and the next `up` creates it; pending updates and deletes are settled by the refresh.

/** One pending operation of `pulumi stack export` (deployment.pending_operations). */
export interface PendingOperation {
    type: string;
    resource: { urn: string; type: string; inputs?: Record<string, unknown> };
}

/** The Kubernetes object a pending create was making. */
export interface KubeRef {
    apiVersion: string;
    kind: string;
    name: string;
    namespace?: string;
    /** The provider chose the name (pulumi.com/autonamed): the next `up` chooses another. */
    autonamed?: boolean;
}

/** `kubernetes:apps/v1:Deployment` -> apps/v1 Deployment; `kubernetes:core/v1:Service` -> v1 Service. */
export function kubeRef(op: PendingOperation): KubeRef | undefined {
    const m = /^kubernetes:([a-z0-9.-]+)\/([a-z0-9]+):([A-Za-z0-9]+)$/.exec(op.resource.type);
    const metadata = op.resource.inputs?.metadata as { name?: unknown; namespace?: unknown; annotations?: Record<string, unknown> } | undefined;
    if (!m || typeof metadata?.name !== "string" || metadata.name === "") return undefined;
    const [, group, version, kind] = m;
    return {
        apiVersion: group === "core" ? version : `${group}/${version}`,
        kind,
        name: metadata.name,
        ...(typeof metadata.namespace === "string" && metadata.namespace !== "" ? { namespace: metadata.namespace } : {}),
        ...(metadata.annotations?.["pulumi.com/autonamed"] === "true" ? { autonamed: true } : {}),
    };
}

/** The Kubernetes provider's resource ID of an object. */
export function providerId(ref: KubeRef): string {
    return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

export interface RecoveryPlan {
    /** pending creates whose object exists: the killed run's field manager released, the next `up` adopts them */
    adopt: { urn: string; ref: KubeRef }[];
    /** pending creates whose object exists under a name the provider chose: deleted, the next `up` makes its own */
    remove: { urn: string; ref: KubeRef }[];
    /** pending creates that made nothing (or nothing that can be found): the next `up` creates them */
    cleared: { urn: string; why: string }[];
    /** pending updates and deletes: settled by the refresh itself */
    settled: { urn: string; type: string }[];
}

/** The decision for every pending operation, given whether a Kubernetes object exists in the cluster. */
export function planRecovery(ops: readonly PendingOperation[], exists: (ref: KubeRef) => boolean): RecoveryPlan {
    const plan: RecoveryPlan = { adopt: [], remove: [], cleared: [], settled: [] };
    for (const op of ops) {
        const urn = op.resource.urn;
        if (op.type !== "creating") {
            plan.settled.push({ urn, type: op.type });
            continue;
        }
        const ref = kubeRef(op);
        if (!ref) {
            plan.cleared.push({ urn, why: op.resource.type.startsWith("kubernetes:") ? "no name in its inputs" : "not a Kubernetes object" });
        } else if (exists(ref)) {
            (ref.autonamed ? plan.remove : plan.adopt).push({ urn, ref });
        } else {
            plan.cleared.push({ urn, why: `${ref.kind} ${providerId(ref)} was not created` });
        }
    }
    return plan;
}

/** One entry of an object's metadata.managedFields. */
export interface ManagedFieldsEntry {
    manager?: string;
    operation?: string;
}

/**
 * The managedFields of the object `kubectl get -f - -o json --show-managed-fields` printed (without that flag
 * kubectl strips them): kubectl wraps what `-f` names in a List (even one object), so the object is its only item.
 */
export function managedFieldsOf(output: unknown): ManagedFieldsEntry[] {
    type Obj = { kind?: string; items?: Obj[]; metadata?: { managedFields?: ManagedFieldsEntry[] } };
    const o = output as Obj;
    const obj = o?.kind === "List" ? o.items?.[0] : o;
    return obj?.metadata?.managedFields ?? [];
}

/** The Kubernetes provider's server-side apply field managers: `pulumi-kubernetes-<random hex>`. */
const PROVIDER_MANAGER = /^pulumi-kubernetes-[0-9a-f]+$/;

/**
 * The JSON patch that releases the killed run's field managers from an object no state knows: every Apply entry of a
 * `pulumi-kubernetes-<hex>` manager, removed from the highest index down, each guarded by a test of its manager (a
 * concurrent change makes the patch fail instead of removing another entry). When nothing else would be left, the
 * list is reset with `[{}]` (the API server ignores an empty list). The managers it released are returned too.
 */
export function releasePatch(managedFields: readonly ManagedFieldsEntry[]): { patch: object[]; released: string[] } {
    const stale = managedFields.flatMap((e, i) => (e.operation === "Apply" && PROVIDER_MANAGER.test(e.manager ?? "") ? [i] : []));
    const released = [...new Set(stale.map((i) => managedFields[i].manager as string))];
    if (stale.length === 0) return { patch: [], released };
    if (stale.length === managedFields.length) {
        return { patch: [{ op: "replace", path: "/metadata/managedFields", value: [{}] }], released };
    }
    const patch = [...stale].reverse().flatMap((i) => [
        { op: "test", path: `/metadata/managedFields/${i}/manager`, value: managedFields[i].manager },
        { op: "remove", path: `/metadata/managedFields/${i}` },
    ]);
    return { patch, released };
}

/** The refresh after the field managers are released (and `pulumi cancel`): every pending create cleared. */
export function refreshArgs(stack: string, plan: RecoveryPlan): string[] {
    const args = ["refresh", "--yes", "--skip-preview", "--stack", stack];
    if (plan.adopt.length + plan.remove.length + plan.cleared.length > 0) args.push("--clear-pending-creates");
    return args;
}
