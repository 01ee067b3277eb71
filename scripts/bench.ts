// `npm run bench`: the program's evaluation time under Pulumi mocks, relative to an empty program, for
// dev, prod and 1/10/50 platform instances in one stack, and dev against the SDK's floor (as many trivial
// ConfigMaps as dev has resources); peak memory; then the policy pack benchmark.
// Figures, not a test: nothing here asserts a bound.
import * as path from "path";
import { performance } from "perf_hooks";
import { renderProgram, renderStack, ROOT } from "../test/harness";
import { benchPolicy } from "./bench-policy";

const FIXTURES = path.join(ROOT, "test", "fixtures");

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

async function measure(run: () => Promise<{ resources: unknown[] }>, iterations: number): Promise<{ ms: number; resources: number }> {
    await run(); // warm-up: module loading and JIT
    const samples: number[] = [];
    let resources = 0;
    for (let i = 0; i < iterations; i++) {
        const start = performance.now();
        resources = (await run()).resources.length;
        samples.push(performance.now() - start);
    }
    return { ms: median(samples), resources };
}

async function main(): Promise<void> {
    const rows: { label: string; ms: number; resources: number }[] = [];
    const empty = await measure(() => renderProgram(path.join(FIXTURES, "empty.ts"), "dev"), 20);
    rows.push({ label: "empty program", ...empty });
    const dev = await measure(() => renderStack("dev"), 10);
    rows.push({ label: "dev stack", ...dev });
    // The SDK's floor for the same work: as many trivial ConfigMaps as the dev stack registers resources.
    process.env.RAG_BENCH_CONFIGMAPS = `${dev.resources}`;
    const floor = await measure(() => renderProgram(path.join(FIXTURES, "configmaps.ts"), "dev"), 10);
    rows.push({ label: `${dev.resources} ConfigMaps (floor)`, ...floor });
    rows.push({ label: "prod stack", ...(await measure(() => renderStack("prod"), 10)) });
    for (const [count, iterations] of [
        [1, 10],
        [10, 5],
        [50, 3],
    ]) {
        process.env.RAG_PLATFORM_INSTANCES = `${count}`;
        rows.push({ label: `${count} x prod platform`, ...(await measure(() => renderProgram(path.join(FIXTURES, "multi-platform.ts"), "prod"), iterations)) });
    }
    console.log("Program evaluation under Pulumi mocks (median wall time):");
    console.log(`${"program".padEnd(22)}${"resources".padStart(10)}${"ms".padStart(10)}${"x empty".padStart(10)}${"ms/resource".padStart(13)}`);
    for (const r of rows) {
        console.log(
            `${r.label.padEnd(22)}${`${r.resources}`.padStart(10)}${r.ms.toFixed(1).padStart(10)}${(r.ms / empty.ms).toFixed(1).padStart(10)}${(r.resources ? r.ms / r.resources : 0).toFixed(3).padStart(13)}`,
        );
    }
    const ratio = (dev.ms - empty.ms) / Math.max(floor.ms - empty.ms, 0.001);
    console.log(
        `dev evaluation vs the SDK floor (same resource count, empty program subtracted from both): ${ratio.toFixed(2)}x (goal <= 1.4x: ${ratio <= 1.4 ? "met" : "missed"})`,
    );
    const usage = process.resourceUsage();
    const heap = process.memoryUsage();
    console.log(`peak RSS ${(usage.maxRSS / 1024).toFixed(0)} MiB, heap used now ${(heap.heapUsed / 2 ** 20).toFixed(0)} MiB`);
    console.log();
    await benchPolicy();
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
