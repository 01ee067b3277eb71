// Reads a stack's config the way the Pulumi engine assembles it for the program: the project's declared
// defaults (Pulumi.yaml) overlaid by Pulumi.<stack>.yaml. Used by the test harness, `npm run capacity` and
// the benchmark, none of which run the Pulumi CLI.
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { PROJECT } from "../components/config";

export const ROOT = path.resolve(__dirname, "..");

/** A config value as the engine hands it to the program: strings as they are, anything else as JSON. */
export function encodeConfigValue(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/** The stack's config, keyed "rag-platform:<key>". Secure values (`secure:`) are left out. */
export function readStackConfig(stack: string, root = ROOT): Record<string, string> {
    const config: Record<string, string> = {};
    const project = yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { config?: Record<string, { default?: unknown }> };
    for (const [key, decl] of Object.entries(project.config ?? {})) {
        // Keys declared without a namespace belong to the project.
        if (decl.default !== undefined) {
            config[key.includes(":") ? key : `${PROJECT}:${key}`] = encodeConfigValue(decl.default);
        }
    }
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (fs.existsSync(file)) {
        const stackFile = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | undefined;
        for (const [key, value] of Object.entries(stackFile?.config ?? {})) {
            if (value && typeof value === "object" && "secure" in value) {
                continue;
            }
            config[key] = encodeConfigValue(value);
        }
    }
    return config;
}

/** The same, without the project prefix: the shape `parseConfig` takes. */
export function readRawConfig(stack: string, root = ROOT): Record<string, string> {
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(readStackConfig(stack, root))) {
        const [project, name] = key.split(":", 2);
        if (project === PROJECT) {
            raw[name] = value;
        }
    }
    return raw;
}
