// `npm run capacity -- --stack prod [--json]`: what a stack asks of the cluster, from its config alone.
import { capacityReport, formatCapacityReport } from "../components/shared";
import { ConfigError, parseConfig } from "../components/config";
import { readRawConfig } from "./stack-config";

function argValue(args: string[], ...names: string[]): string | undefined {
    for (let i = 0; i < args.length; i++) {
        for (const name of names) {
            if (args[i] === name) {
                return args[i + 1];
            }
            if (args[i].startsWith(`${name}=`)) {
                return args[i].slice(name.length + 1);
            }
        }
    }
    return undefined;
}

const args = process.argv.slice(2);
const stack = argValue(args, "--stack", "-s") ?? "dev";
try {
    const report = capacityReport(parseConfig(stack, readRawConfig(stack)));
    console.log(args.includes("--json") ? JSON.stringify(report, null, 2) : formatCapacityReport(report));
} catch (err) {
    console.error(err instanceof ConfigError ? err.message : String(err));
    process.exit(1);
}
