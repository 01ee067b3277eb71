// `npm run recover -- [--stack dev] [--yes]`: after a `pulumi up` (or destroy) was killed part-way. Pulumi's own
// recovery, made non-interactive with the answers read from the cluster (scripts/lib/recover.ts says why it adopts
// instead of using `--import-pending-creates`):
//   0. a local file:// backend: each torn metadata sidecar removed (scripts/lib/local-state.ts says how a kill tears
//      one, and why only `?metadata=skip` backends, like the .pulumi-state/ npm run up makes, are immune);
//   1. `pulumi cancel`: the killed run's lock goes (a self-managed backend keeps it in .pulumi/locks; Pulumi Cloud
//      marks the update as still running). Make sure no other `pulumi` runs on this stack first.
//   2. `pulumi stack export`: the pending operations; for each pending create, does its object exist?
//   3. each object that exists: the killed run's server-side apply field manager released (kubectl patch of its
//      managedFields; nothing else on the object changes), so that the next `up` adopts it;
//   4. `pulumi refresh --clear-pending-creates`: pending creates cleared, pending updates and deletes settled.
// Then `npm run up` converges. Without --yes it prints the plan and changes nothing. Same CLI, backend and dev
// passphrase as `npm run up`; the kube context the stack pins (else the current one) answers "does it exist".
import { spawnSync } from "child_process";
import * as fs from "fs";
import { findCli, pinnedKubeContext, ROOT, useDevPassphrase, useLocalBackendUnlessLoggedIn, UserError } from "./lib/stack";
import { brokenSidecars, fileBackendDir } from "./lib/local-state";
import { KubeRef, managedFieldsOf, PendingOperation, planRecovery, providerId, refreshArgs, releasePatch } from "./lib/recover";

const USAGE = "usage: npm run recover -- [--stack NAME] [--yes] [--cwd DIR]";

function parse(argv: string[]): { stack: string; yes: boolean; cwd: string } {
    let stack = "dev";
    let yes = false;
    let cwd = ROOT;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--yes" || a === "-y") yes = true;
        else if ((a === "--stack" || a === "-s" || a === "--cwd") && i + 1 < argv.length) {
            if (a === "--cwd") cwd = argv[++i];
            else stack = argv[++i];
        } else throw new UserError(`unknown argument ${a}; ${USAGE}`);
    }
    return { stack, yes, cwd };
}

function pulumi(cli: string, args: string[], cwd: string): string {
    const r = spawnSync(cli, args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    if (r.status !== 0) {
        const line = `${r.stderr ?? ""}\n${r.stdout ?? ""}`.split("\n").find((l) => /error/i.test(l)) ?? `exit ${r.status}`;
        throw new UserError(`pulumi ${args[0]} failed: ${line.trim()}`);
    }
    return r.stdout;
}

function kubectl(context: string, args: string[], ref: KubeRef) {
    const manifest = JSON.stringify({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } });
    return spawnSync("kubectl", [...(context ? ["--context", context] : []), ...args, "-f", "-"], { input: manifest, encoding: "utf8" });
}

/** Whether the object exists: `kubectl get -f` with a manifest of its identity (works for any kind). */
function exists(ref: KubeRef, context: string): boolean {
    const r = kubectl(context, ["get", "-o", "name"], ref);
    if (r.status === 0) return true;
    if (/NotFound|not found/.test(r.stderr)) return false;
    throw new UserError(`kubectl cannot tell whether ${ref.kind} ${ref.name} exists: ${r.stderr.trim().split("\n")[0]}`);
}

/** Releases the killed run's field managers from the object; returns their names. */
function release(ref: KubeRef, context: string): string[] {
    const got = kubectl(context, ["get", "-o", "json", "--show-managed-fields"], ref); // kubectl hides them otherwise
    if (got.status !== 0) throw new UserError(`kubectl get ${ref.kind} ${providerId(ref)}: ${got.stderr.trim().split("\n")[0]}`);
    const { patch, released } = releasePatch(managedFieldsOf(JSON.parse(got.stdout)));
    if (patch.length === 0) return released;
    const r = kubectl(context, ["patch", "--type", "json", "-p", JSON.stringify(patch)], ref);
    if (r.status !== 0) throw new UserError(`releasing the field managers of ${ref.kind} ${providerId(ref)}: ${r.stderr.trim().split("\n")[0]}`);
    return released;
}

export function main(argv: string[], log: (l: string) => void): number {
    try {
        const { stack, yes, cwd } = parse(argv);
        const cli = findCli();
        process.env.PULUMI_SKIP_UPDATE_CHECK = "true";
        useDevPassphrase(stack);
        const backend = useLocalBackendUnlessLoggedIn(cli, (m) => log(m), cwd);
        const context = pinnedKubeContext(stack, cwd);
        const stateDir = fileBackendDir(backend, cwd);
        const torn = stateDir ? brokenSidecars(stateDir) : [];
        for (const f of torn) {
            if (yes) fs.rmSync(f);
            log(`${f}: torn metadata sidecar (the killed run was writing it) ${yes ? "removed" : "to remove"}; the checkpoint beside it is whole`);
        }
        if (torn.length > 0 && !yes) {
            log("nothing changed: the state cannot be read until they are gone; run again with --yes (it lists the pending operations then)");
            return 0;
        }
        if (yes) {
            pulumi(cli, ["cancel", "--yes", "--stack", stack], cwd);
            log(`pulumi cancel: the interrupted run's lock on stack ${stack} is released`);
        }
        const state = JSON.parse(pulumi(cli, ["stack", "export", "--stack", stack], cwd)) as { deployment?: { pending_operations?: PendingOperation[] } };
        const ops = state.deployment?.pending_operations ?? [];
        const plan = planRecovery(ops, (ref) => exists(ref, context));
        log(`${ops.length} pending operation(s) in stack ${stack}`);
        for (const a of plan.adopt) log(`  adopt   ${a.urn} (${a.ref.kind} ${providerId(a.ref)} exists: the next up takes it over)`);
        for (const r of plan.remove) log(`  delete  ${r.urn} (${r.ref.kind} ${providerId(r.ref)} exists, autonamed: the next up makes its own)`);
        for (const c of plan.cleared) log(`  create  ${c.urn} (${c.why}: the next up creates it)`);
        for (const s of plan.settled) log(`  refresh ${s.urn} (pending ${s.type})`);
        if (!yes) {
            log("nothing changed: run again with --yes to cancel the lock, release the killed run's field managers and refresh");
            return 0;
        }
        for (const a of plan.adopt) {
            const released = release(a.ref, context);
            log(
                `${a.ref.kind} ${providerId(a.ref)}: ${released.length ? `field manager(s) ${released.join(", ")} of the killed run released` : "no field manager of a killed run on it"}`,
            );
        }
        for (const r of plan.remove) {
            const d = kubectl(context, ["delete", "--wait=false", "--ignore-not-found"], r.ref);
            if (d.status !== 0) throw new UserError(`deleting ${r.ref.kind} ${providerId(r.ref)}: ${d.stderr.trim().split("\n")[0]}`);
            log(`${r.ref.kind} ${providerId(r.ref)}: deleted (the killed run's autonamed object)`);
        }
        pulumi(cli, refreshArgs(stack, plan), cwd);
        log(
            `pulumi refresh: done (${plan.adopt.length} to adopt, ${plan.remove.length} deleted, ${plan.cleared.length} to create again); now: npm run up -- --stack ${stack}`,
        );
        return 0;
    } catch (err) {
        log(`rag-platform recover: ${err instanceof Error ? err.message : String(err)}`);
        return 1;
    }
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2), (l) => process.stderr.write(`${l}\n`));
}
