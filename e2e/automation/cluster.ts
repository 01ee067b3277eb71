// kubectl, for cluster facts (the driver changes the cluster only through Pulumi, except where a check must).
import { spawnSync } from "child_process";
import { CONTROLLER_MANAGER, NS_WAIT } from "./env";
import { fail, pass } from "./report";

export function kubectl(args: string[], input?: string): { ok: boolean; out: string } {
    const r = spawnSync("kubectl", args, { encoding: "utf8", input, timeout: 120_000 });
    return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}
export const sleep = (secs: number) => new Promise((r) => setTimeout(r, secs * 1000));

export function platformNamespaces(): string[] {
    const r = kubectl(["get", "ns", "-l", "pod-security.kubernetes.io/enforce=restricted", "-o", "jsonpath={.items[*].metadata.name}"]);
    return r.ok ? r.out.split(/\s+/).filter(Boolean) : [];
}

export async function waitNamespacesGone(namespaces: string[]): Promise<void> {
    for (const ns of namespaces) {
        let gone = false;
        for (let i = 0; i < NS_WAIT; i++) {
            if (!kubectl(["get", "ns", ns]).ok) {
                gone = true;
                break;
            }
            if (!CONTROLLER_MANAGER) break;
            await sleep(1);
        }
        if (gone) {
            pass(`namespace ${ns} removed (namespace controller finished)`);
            continue;
        }
        const deleting = kubectl(["get", "ns", ns, "-o", "jsonpath={.metadata.deletionTimestamp}"]).out;
        if (deleting) {
            if (CONTROLLER_MANAGER) {
                const cond = kubectl(["get", "ns", ns, "-o", "jsonpath={.status.conditions}"]).out.slice(0, 300);
                fail(`namespace ${ns} still Terminating after ${NS_WAIT}s: ${cond}`);
            } else {
                pass(`namespace ${ns} is Terminating (deletionTimestamp set; no namespace controller without kube-controller-manager)`);
            }
        } else {
            fail(`namespace ${ns} still exists and is not being deleted`);
        }
    }
}
