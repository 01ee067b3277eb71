// Times the whole policy pack over the prod stack's resources and over a synthetic stack 50 times larger
// (the prod resources repeated in 50 namespaces). Called by `npm run bench`; runnable on its own:
//   npx ts-node --transpile-only scripts/bench-policy.ts
import { performance } from "perf_hooks";
import { renderStack } from "../test/harness";
import { allPolicies } from "../policy/rules";
import { runPack, TestResource } from "../test/policy/runner";

export interface PolicyBenchRow {
    label: string;
    resources: number;
    medianMs: number;
    resourcesPerSecond: number;
    violations: number;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

/** The same resources again in another namespace, with distinct names. */
function copyInto(resources: TestResource[], i: number): TestResource[] {
    return resources.map((r) => {
        const props = JSON.parse(JSON.stringify(r.props));
        if (props.metadata?.namespace) {
            props.metadata.namespace = `${props.metadata.namespace}-${i}`;
        }
        if (r.type.endsWith(":Namespace") && props.metadata?.name) {
            props.metadata.name = `${props.metadata.name}-${i}`;
        }
        return { ...r, name: `${r.name}-${i}`, urn: `${r.urn}-${i}`, props };
    });
}

function time(label: string, resources: TestResource[], iterations: number): PolicyBenchRow {
    runPack(resources); // warm-up
    const samples: number[] = [];
    let violations = 0;
    for (let i = 0; i < iterations; i++) {
        const start = performance.now();
        violations = runPack(resources).length;
        samples.push(performance.now() - start);
    }
    const medianMs = median(samples);
    return { label, resources: resources.length, medianMs, resourcesPerSecond: Math.round((resources.length / medianMs) * 1000), violations };
}

export async function benchPolicy(prodResources?: TestResource[]): Promise<PolicyBenchRow[]> {
    const prod = prodResources ?? (await renderStack("prod")).resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }));
    const large = Array.from({ length: 50 }, (_, i) => copyInto(prod, i + 1)).flat();
    const rows = [time("prod stack", prod, 50), time("50x prod (synthetic)", large, 5)];
    console.log(`Policy pack (${allPolicies.length} policies, analyzer-equivalent runner, median):`);
    console.log(["stack", "resources", "ms/run", "resources/s", "violations"].map((h, i) => (i ? h.padStart(12) : h.padEnd(22))).join(""));
    for (const r of rows) {
        console.log(
            [
                r.label.padEnd(22),
                `${r.resources}`.padStart(12),
                r.medianMs.toFixed(2).padStart(12),
                `${r.resourcesPerSecond}`.padStart(12),
                `${r.violations}`.padStart(12),
            ].join(""),
        );
    }
    console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
    return rows;
}

if (require.main === module) {
    benchPolicy().catch((err) => {
        console.error(err);
        process.exit(1);
    });
}
