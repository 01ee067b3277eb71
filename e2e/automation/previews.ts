// The previews with the policy pack (dev and prod: no mandatory violation, no failed server-side dry run), a bad
// config value in the real CLI (the headline only), and the deliberately broken program the pack must reject.
import type { Stack } from "@pulumi/pulumi/automation";
import { DEV_PASS, PROD_PASS, PROG, PROJECT, VIOLATION } from "./env";
import { fail, fmt, pass, recordTime } from "./report";
import { initStack, mandatory, policyEvents, policyOpts, step } from "./steps";

/** The dev and prod stacks (configured for this cluster, absent when init failed) and dev's preview time. */
export interface PreviewedStacks {
    stacks: Record<string, Stack | undefined>;
    devPreview?: number;
}

export async function previewStacks(): Promise<PreviewedStacks> {
    const stacks: Record<string, Stack | undefined> = {};
    let devPreview: number | undefined;
    for (const s of ["dev", "prod"]) {
        const stack = await initStack(s, PROG, s === "prod" ? PROD_PASS : DEV_PASS, `init-${s}`);
        if (!stack) continue;
        stacks[s] = stack;
        await stack.setConfig(`${PROJECT}:skipAwait`, { value: "true" });
        await stack.setConfig(`${PROJECT}:kubeContext`, { value: "e2e" }); // the e2e kubeconfig's context
        const pv = await step(`preview-${s}`, (h) => stack.preview({ ...h, ...policyOpts(s), diff: false }));
        if (!pv.ok) {
            fail(`preview ${s} with the policy pack`, pv.logFile, 80);
            continue;
        }
        recordTime(`pulumi preview ${s} (policy pack)`, pv.secs);
        if (s === "dev") devPreview = pv.secs;
        const bad = mandatory(pv);
        if (bad.length > 0) {
            fail(`preview ${s}: ${bad.length} mandatory violation(s) reported (PolicyEvents)`);
            for (const p of bad.slice(0, 10)) console.log(`       [mandatory] ${p.policyName}: ${p.resourceUrn ?? "(stack)"}: ${p.message.split("\n")[0]}`);
        } else if (pv.text.includes("server-side dry run of")) {
            const line = pv.text.split("\n").find((l) => l.includes("server-side dry run of")) ?? "";
            fail(`preview ${s}: the API server's dry run rejected objects: ${line.trim().slice(0, 300)}`);
        } else {
            pass(`preview ${s} with the policy pack: no mandatory violation (${fmt(pv.secs)}s, ${policyEvents(pv).length} advisory policy event(s))`);
        }
    }
    return { stacks, devPreview };
}

/** Issue 12: a bad value in the real CLI reads as the headline, not as an object dump or a stack trace. */
export async function badConfig(): Promise<void> {
    const bad = await initStack("badconfig", PROG, DEV_PASS, "init-badconfig");
    if (bad) {
        await bad.setConfig(`${PROJECT}:environment`, { value: "dev" });
        await bad.setConfig(`${PROJECT}:api.replicas`, { value: "-1" }, true);
        const pv = await step("preview-badconfig", (h) => bad.preview({ ...h, diff: false }));
        const want = [`Invalid configuration for stack "badconfig"`, `${PROJECT}:api.replicas = -1`, "must be an integer"];
        const missing = want.filter((w) => !pv.text.includes(w));
        const trace = /^\s+at .+:\d+:\d+\)?$/m.exec(pv.text);
        if (pv.ok) {
            fail("preview with api.replicas = -1 must fail (it passed)", pv.logFile);
        } else if (missing.length > 0) {
            fail(`preview with api.replicas = -1: the CLI's output lacks ${missing.map((m) => JSON.stringify(m)).join(", ")}`, pv.logFile);
        } else if (pv.text.includes("{ problems:") || trace) {
            fail(`preview with api.replicas = -1 prints ${trace ? `a stack trace (${trace[0].trim()})` : "the error object ({ problems: ...)"}`, pv.logFile);
        } else {
            const headline = pv.text.split("\n").find((l) => l.includes(`${PROJECT}:api.replicas = -1`)) ?? "";
            pass(`a bad config value fails the real CLI's preview with the headline only: ${headline.trim()}`);
        }
        await bad.workspace.removeStack("badconfig").catch(() => undefined);
    }
}

/** The deliberately broken program must be rejected by the same pack. */
export async function policyViolation(): Promise<void> {
    const violation = await initStack("dev", VIOLATION, DEV_PASS, "init-violation");
    if (violation) {
        const pv = await step("preview-violation", (h) => violation.preview({ ...h, ...policyOpts("dev"), diff: false }));
        const bad = mandatory(pv);
        if (pv.ok) {
            fail("preview of e2e/fixtures/policy-violation must fail (it passed)", pv.logFile, 60);
        } else if (bad.some((p) => /memory/i.test(`${p.policyName} ${p.message}`))) {
            pass("preview of a Deployment without a memory limit fails with the pack's mandatory violation (PolicyEvent):");
            for (const p of bad) console.log(`       [mandatory] ${p.policyPackName}/${p.policyName}: ${p.message.split("\n")[0].slice(0, 160)}`);
        } else {
            fail(`preview of e2e/fixtures/policy-violation failed, but without a mandatory memory-limit PolicyEvent (${bad.length} mandatory)`, pv.logFile, 60);
        }
    }
}
