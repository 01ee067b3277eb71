// The Pulumi-driving checks of the end-to-end test, on the Automation API (@pulumi/pulumi/automation).
// e2e/run.sh starts the control plane (etcd, kube-apiserver, kube-controller-manager: e2e/lib/cluster.sh),
// installs the CRDs, then runs this file; kubectl is used only for cluster facts.
//
// Output protocol (read by e2e/run.sh): `ok   - ...` / `FAIL - ...` lines (one per check), `time\t<label>\t<seconds>`
// lines for the timing table, anything else is printed as it is. The floor, breakdown and ratios section is
// written to $E2E_WORK/ratios.txt and printed by run.sh after the timing table.
//
// This file is the sequence; the checks live in e2e/automation/, one module per concern:
//   env.ts       the inputs run.sh exports, the environment of every Pulumi command
//   report.ts    ok/FAIL/time/summary lines
//   steps.ts     one Pulumi operation (output, events, log, duration), policy verdicts, stack init
//   cluster.ts   kubectl for cluster facts, waiting for namespaces to go
//   floor.ts     the empty program's floor, where a dev preview's time goes, the ratios
//   previews.ts  previews with the policy pack, a bad config in the real CLI, the pack's rejection
//   admission.ts up dev: admitted, Pod Security restricted enforced, Pods created from every template
//   lifecycle.ts no changes, no drift, drift restored, destroy; prod's protect
//   external-datastores.ts  a dev copy with every datastore external
//   render.ts    the same objects rendered and applied with kubectl apply --server-side
import * as fs from "fs";
import { upDev } from "./automation/admission";
import { LOGS, MODE } from "./automation/env";
import { externalDatastores } from "./automation/external-datastores";
import { measureFloor, previewBreakdown, writeRatios } from "./automation/floor";
import { devLifecycle, prodProtect } from "./automation/lifecycle";
import { badConfig, policyViolation, previewStacks } from "./automation/previews";
import { renderAndApply } from "./automation/render";
import { fail, summary } from "./automation/report";

async function main(): Promise<void> {
    fs.mkdirSync(LOGS, { recursive: true });
    const report: string[] = [];

    // the floor first (so that neither the floor nor dev runs on a colder disk cache than the other)
    const floor = await measureFloor();

    // c. previews with the policy pack
    const { stacks, devPreview } = await previewStacks();

    // where the dev preview's time goes: the same preview without the pack, then again with the engine's log
    const devPreviewNoPack = stacks.dev ? await previewBreakdown(stacks.dev, report) : undefined;

    if (MODE === "project") {
        // issue 12: a bad value in the real CLI reads as the headline, not as an object dump or a stack trace
        await badConfig();
        // issue 12: external datastores are admitted, and the namespace holds no StatefulSet, Service or claim of theirs
        await externalDatastores();
    }

    // the deliberately broken program must be rejected by the same pack
    await policyViolation();

    // d. up dev
    const dev = stacks.dev ? await upDev(stacks.dev) : { upOk: false, psaNs: [] };

    // e. idempotence, drift, destroy
    if (stacks.dev && dev.upOk) await devLifecycle(stacks.dev, dev.psaNs);

    // prod: protect must block destroy until unprotected
    if (stacks.prod) await prodProtect(stacks.prod, dev.psaNs);

    // f. the same objects with kubectl apply --server-side, for comparison
    const kubectlApply = await renderAndApply(stacks.dev);

    // the ratios: what a user waits for against what any Pulumi program costs here
    writeRatios(report, { floor, devPreview, devPreviewNoPack, devUp: dev.devUp, kubectlApply });
    console.log(summary());
}

main().catch((err: unknown) => {
    fail(`e2e/automation.ts stopped: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    console.log(summary());
    process.exitCode = 1;
});
