// A stack's life after its first up: dev's second up reports no changes, refresh sees no drift, a label changed
// with kubectl is seen by refresh and restored by up, destroy removes the namespace; prod's protected resources
// make destroy refuse until they are unprotected through the state.
import type { Stack } from "@pulumi/pulumi/automation";
import { kubectl, platformNamespaces, waitNamespacesGone } from "./cluster";
import { CRDS, MODE, PROJECT } from "./env";
import { fail, fmt, pass, recordTime } from "./report";
import { created, policyOpts, step } from "./steps";

/** Idempotence, drift and destroy of dev, after a successful up (`psaNs`: its namespaces). */
export async function devLifecycle(dev: Stack, psaNs: string[]): Promise<void> {
    const up2 = await step("up-dev-2", (h) => dev.up({ ...h, expectNoChanges: true, diff: false }));
    if (up2.ok) {
        recordTime("pulumi up dev (no changes)", up2.secs);
        pass(`second pulumi up reports no changes (expectNoChanges, ${fmt(up2.secs)}s)`);
    } else {
        fail("second pulumi up with expectNoChanges", up2.logFile, 80);
    }
    const rf = await step("refresh-dev", (h) => dev.refresh({ ...h, expectNoChanges: true }));
    if (rf.ok) {
        recordTime("pulumi refresh dev", rf.secs);
        pass(`pulumi refresh with expectNoChanges: no drift (${fmt(rf.secs)}s)`);
    } else {
        fail("pulumi refresh with expectNoChanges", rf.logFile, 80);
    }
    // drift must be seen: change a label the program sets, refresh must report it, up must restore it
    const ns1 = psaNs[0];
    if (ns1 && kubectl(["label", "ns", ns1, "pod-security.kubernetes.io/enforce=baseline", "--overwrite"]).ok) {
        const drift = await step("refresh-drift", (h) => dev.refresh({ ...h, expectNoChanges: true }));
        if (drift.ok) {
            fail("pulumi refresh did not report a label changed with kubectl", drift.logFile, 40);
        } else if (!drift.text.includes("no changes were expected")) {
            fail("pulumi refresh after a kubectl change failed for another reason", drift.logFile, 40);
        } else {
            const fix = await step("up-drift", (h) => dev.up({ ...h, diff: false }));
            const label = kubectl(["get", "ns", ns1, "-o", "jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}"]).out;
            if (fix.ok && label === "restricted") {
                pass("drift is detected: refresh reports a label changed with kubectl, pulumi up restores it");
            } else {
                fail(`pulumi up after drift did not restore the label (now ${label || "unset"})`, fix.logFile, 40);
            }
        }
    }
    const ds = await step("destroy-dev", (h) => dev.destroy(h));
    if (ds.ok) {
        recordTime("pulumi destroy dev", ds.secs);
        pass(`pulumi destroy dev (${fmt(ds.secs)}s)`);
        await waitNamespacesGone(psaNs);
    } else {
        fail("pulumi destroy dev", ds.logFile, 80);
    }
}

/** prod: up with the pack, then protect must block destroy until unprotected (`devNs`: dev's namespaces). */
export async function prodProtect(prod: Stack, devNs: string[]): Promise<void> {
    // prod keeps its monitoring on (ServiceMonitors, PrometheusRule) when the CRDs are installed
    if (!CRDS) await prod.setConfig(`${PROJECT}:monitoring.enabled`, { value: "false" }, true);
    const up = await step("up-prod", (h) => prod.up({ ...h, ...policyOpts("prod"), diff: false }));
    if (!up.ok) {
        fail("pulumi up prod", up.logFile, 80);
    } else {
        recordTime("pulumi up prod (create)", up.secs);
        pass(`pulumi up prod (${fmt(up.secs)}s, ${created(up)})`);
        const prodNs = platformNamespaces().filter((n) => !devNs.includes(n));
        // the smoke fixture has no monitoring objects
        if (CRDS && MODE === "project") {
            const count = (kind: string) =>
                prodNs.reduce((a, ns) => a + kubectl(["get", kind, "-n", ns, "-o", "name"]).out.split("\n").filter(Boolean).length, 0);
            const sm = count("servicemonitors.monitoring.coreos.com");
            const pr = count("prometheusrules.monitoring.coreos.com");
            if (sm >= 1 && pr >= 1) {
                pass(`prod monitoring admitted by the API server against the upstream CRD schemas: ${sm} ServiceMonitor(s), ${pr} PrometheusRule(s)`);
            } else {
                fail(`prod monitoring objects missing after up: ${sm} ServiceMonitor(s), ${pr} PrometheusRule(s)`);
            }
        }
        // the state says which resources are protected; destroy must refuse because of them
        const deployment = await prod.exportStack();
        const resources = (deployment.deployment?.resources ?? []) as { urn: string; protect?: boolean }[];
        const protectedUrns = resources.filter((r) => r.protect).map((r) => r.urn);
        const short = (urn: string) => {
            const parts = urn.split("::");
            return `${(parts[2] ?? "").split("$").pop()} ${parts[3] ?? ""}`;
        };
        const ds = await step("destroy-prod-protected", (h) => prod.destroy(h));
        if (protectedUrns.length === 0) {
            fail("exportStack: no resource of prod is protected");
        } else if (ds.ok) {
            fail("pulumi destroy prod succeeded although resources are protected");
        } else if (!/protect/i.test(ds.text) || !protectedUrns.some((u) => ds.text.includes(u))) {
            fail("pulumi destroy prod failed, but not because of protect", ds.logFile, 40);
        } else {
            const names = [...new Set(protectedUrns.map(short))].sort();
            pass(`pulumi destroy prod refused by protect: ${names.length} protected resource(s) in exportStack: ${names.join(",").slice(0, 200)}`);
        }
        // unprotect every resource through the state (what `pulumi state unprotect --all` does), then destroy
        const un = await step("unprotect-prod", async () => {
            const d = await prod.exportStack();
            for (const r of (d.deployment?.resources ?? []) as { protect?: boolean }[]) delete r.protect;
            await prod.importStack(d);
            const after = await prod.exportStack();
            const still = ((after.deployment?.resources ?? []) as { protect?: boolean }[]).filter((r) => r.protect).length;
            if (still > 0) throw new Error(`${still} resource(s) still protected after importStack`);
        });
        const ds2 = un.ok ? await step("destroy-prod", (h) => prod.destroy(h)) : un;
        if (un.ok && ds2.ok) {
            recordTime("pulumi destroy prod (after unprotect)", ds2.secs);
            pass(`unprotected every resource (exportStack/importStack), then destroy prod (${fmt(ds2.secs)}s)`);
            await waitNamespacesGone(prodNs);
        } else {
            fail("unprotect + destroy prod", ds2.logFile, 60);
        }
    }
}
