// The driver's inputs, exported by e2e/run.sh, and the environment every Pulumi command gets.
import * as path from "path";

function env(name: string, fallback?: string): string {
    const v = process.env[name] ?? fallback;
    if (v === undefined) {
        throw new Error(`e2e/automation.ts: ${name} is not set (run it through e2e/run.sh)`);
    }
    return v;
}
export const WORK = env("E2E_WORK");
export const LOGS = path.join(WORK, "logs");
export const PROG = env("E2E_PROG");
export const POLICY = env("E2E_POLICY");
export const VIOLATION = env("E2E_VIOLATION");
export const PROJECT = env("E2E_PROJECT");
export const MODE = env("E2E_MODE");
export const DEV_PASS = env("E2E_DEV_PASS");
export const PROD_PASS = env("E2E_PROD_PASS");
export const TOOLCHAIN_BIN = env("TOOLCHAIN_BIN");
export const CONTROLLER_MANAGER = env("E2E_CONTROLLER_MANAGER", "1") === "1";
export const CRDS = env("E2E_CRDS", "0") === "1";
export const STEP_TIMEOUT = Number(env("E2E_STEP_TIMEOUT", "900"));
export const NS_WAIT = Number(env("E2E_NS_WAIT", "90"));
export const SETTLE = Number(env("E2E_CONTROLLER_SETTLE", "8"));

// What every Pulumi command gets (as scripts/pulumi.sh sets it up): the toolchain's CLI first on PATH, a
// private PULUMI_HOME whose plugins are the toolchain's, the file backend, no plugin download.
export const PULUMI_ENV: Record<string, string> = {
    PATH: `${TOOLCHAIN_BIN}:${process.env.PATH ?? ""}`,
    PULUMI_HOME: env("PULUMI_HOME"),
    PULUMI_BACKEND_URL: env("PULUMI_BACKEND_URL"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: env("PULUMI_NODEJS_TRANSPILE_ONLY", "true"),
    NO_COLOR: "1",
    FORCE_COLOR: "0",
};
