// The same objects without Pulumi, for comparison: rendered with renderYamlToDirectory, then applied, re-applied
// and deleted with kubectl apply --server-side (the GitOps path); the apply time is the up ratio's yardstick.
import * as fs from "fs";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { kubectl } from "./cluster";
import { DEV_PASS, LOGS, PROG, PROJECT, WORK } from "./env";
import { fail, fmt, pass, recordTime } from "./report";
import { initStack, step } from "./steps";

/** Returns the time of the first kubectl apply, undefined when a step failed (or there is no dev stack to copy). */
export async function renderAndApply(devStack: Stack | undefined): Promise<number | undefined> {
    const RENDER = path.join(WORK, "rendered");
    let kubectlApply: number | undefined;
    const render = await initStack("render", PROG, DEV_PASS, "init-render");
    if (render && devStack) {
        // dev's config, as `pulumi stack init --copy-config-from dev` (the same passphrase, so its salt too)
        await render.workspace.saveStackSettings("render", await devStack.workspace.stackSettings("dev"));
        await render.setConfig(`${PROJECT}:renderYamlToDirectory`, { value: RENDER });
        const up = await step("up-render", (h) => render.up({ ...h, diff: false }));
        if (up.ok && fs.existsSync(path.join(RENDER, "1-manifest"))) {
            recordTime("pulumi up (renderYamlToDirectory, no cluster)", up.secs);
            const files = fs
                .readdirSync(RENDER, { recursive: true })
                .map(String)
                .filter((f) => f.endsWith(".yaml"));
            pass(`rendered ${files.length} manifests with renderYamlToDirectory (${fmt(up.secs)}s)`);
            const manifestDir = path.join(RENDER, "1-manifest");
            const nsFiles = fs
                .readdirSync(manifestDir)
                .filter((f) => f.endsWith(".yaml") && /^kind: Namespace$/m.test(fs.readFileSync(path.join(manifestDir, f), "utf8")))
                .map((f) => path.join(manifestDir, f));
            const applyLog = path.join(LOGS, "kubectl-apply.log");
            let t0 = Date.now();
            const a1 = nsFiles.length
                ? kubectl(["apply", "--server-side", "--field-manager", "e2e", ...nsFiles.flatMap((f) => ["-f", f])])
                : { ok: true, out: "" };
            const a2 = a1.ok ? kubectl(["apply", "--server-side", "--field-manager", "e2e", "-R", "-f", RENDER]) : { ok: false, out: "" };
            fs.writeFileSync(applyLog, `${a1.out}\n${a2.out}\n`);
            if (a1.ok && a2.ok) {
                kubectlApply = (Date.now() - t0) / 1000;
                recordTime("kubectl apply --server-side (create)", kubectlApply);
                pass(`kubectl apply --server-side of the same ${files.length} objects (${fmt(kubectlApply)}s)`);
                t0 = Date.now();
                const again = kubectl(["apply", "--server-side", "--field-manager", "e2e", "-R", "-f", RENDER]);
                fs.writeFileSync(path.join(LOGS, "kubectl-apply-2.log"), again.out);
                if (again.ok) {
                    recordTime("kubectl apply --server-side (no changes)", (Date.now() - t0) / 1000);
                    pass("re-applying the rendered manifests with kubectl apply --server-side is idempotent");
                } else {
                    const why = again.out
                        .split("\n")
                        .filter((l) => !/serverside-applied|unchanged/.test(l))
                        .slice(0, 3)
                        .join(" ");
                    fail(`re-applying the rendered manifests (GitOps) fails: ${why.slice(0, 300)}`);
                }
                t0 = Date.now();
                const del = kubectl(["delete", "-R", "-f", RENDER, "--wait=true", "--timeout=120s"]);
                fs.writeFileSync(path.join(LOGS, "kubectl-delete.log"), del.out);
                if (del.ok) recordTime("kubectl delete (wait)", (Date.now() - t0) / 1000);
            } else {
                fail("kubectl apply --server-side of the rendered manifests", applyLog, 40);
            }
        } else {
            fail("pulumi up with renderYamlToDirectory", up.logFile, 60);
        }
    }
    return kubectlApply;
}
