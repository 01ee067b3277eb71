// Decoding and loading: raw stack values (strings as Pulumi hands them over) to a validated PlatformConfig.
import * as pulumi from "@pulumi/pulumi";
import { resolveBackupSizes } from "./backup-sizing";
import { Checker, ConfigError } from "./checker";
import { baseDefaults, deepMerge, ENV_DEFAULTS, isPlainObject } from "./defaults";
import { IMAGES } from "./images";
import { TOP_LEVEL_KEYS, ValueKind } from "./keys";
import { Environment, ENVIRONMENTS, PlatformConfig, PROJECT, RawConfig, VECTOR_ENGINES, VectorStoreConfig } from "./types";
import { validate } from "./validate";

/** Parses a raw value as Pulumi hands it over: JSON for structured keys, booleans and numbers as text. */
function decode(check: Checker, key: string, raw: string, kind: ValueKind): unknown {
    if (kind === "scalar") {
        return raw;
    }
    try {
        const value: unknown = JSON.parse(raw);
        if (kind === "object" ? !isPlainObject(value) : !Array.isArray(value)) {
            check.fail(key, value, `must be ${kind === "object" ? "an object" : "a list"}`);
            return undefined;
        }
        return value;
    } catch {
        check.fail(key, raw, `must be valid structured YAML/JSON (${kind})`);
        return undefined;
    }
}

function decodeBool(check: Checker, key: string, raw: string | undefined, fallback: boolean): boolean {
    if (raw === undefined) {
        return fallback;
    }
    if (raw !== "true" && raw !== "false") {
        check.fail(key, raw, "must be true or false");
        return fallback;
    }
    return raw === "true";
}

/**
 * Builds and validates the platform config of `stack` from its raw values. Pure: no Pulumi runtime needed.
 * Throws a ConfigError listing every problem.
 */
export function parseConfig(stack: string, raw: RawConfig): PlatformConfig {
    const check = new Checker(stack);
    for (const key of Object.keys(raw)) {
        if (raw[key] !== undefined && !(key in TOP_LEVEL_KEYS)) {
            check.fail(key, raw[key], `is not a known key; known keys: ${Object.keys(TOP_LEVEL_KEYS).join(", ")}`);
        }
    }

    const envRaw = raw.environment ?? (ENVIRONMENTS.includes(stack as Environment) ? stack : undefined);
    if (envRaw === undefined || !ENVIRONMENTS.includes(envRaw as Environment)) {
        check.fail("environment", envRaw, `must be one of ${ENVIRONMENTS.map((e) => `"${e}"`).join(", ")} (required for stacks not named dev or prod)`);
        throw new ConfigError(stack, check.problems);
    }
    const environment = envRaw as Environment;

    const user: Record<string, unknown> = {};
    for (const [key, kind] of Object.entries(TOP_LEVEL_KEYS)) {
        const value = raw[key];
        if (value !== undefined && key !== "environment" && key !== "llmApiKey") {
            const decoded = decode(check, key, value, kind);
            if (decoded !== undefined) {
                user[key] = decoded;
            }
        }
    }
    const merged = deepMerge(deepMerge(baseDefaults(stack), ENV_DEFAULTS[environment]), user);
    // The vector store's default image follows its engine unless the stack pins one.
    const vs = merged.vectorStore;
    if (VECTOR_ENGINES.includes(vs.engine) && !(user.vectorStore as Partial<VectorStoreConfig> | undefined)?.image) {
        vs.image = IMAGES[vs.engine];
    }

    const cfg: PlatformConfig = {
        ...merged,
        stack,
        environment,
        protectStateful: decodeBool(check, "protectStateful", raw.protectStateful, merged.protectStateful),
        skipAwait: decodeBool(check, "skipAwait", raw.skipAwait, false),
        renderYamlToDirectory: raw.renderYamlToDirectory || undefined,
    };

    validate(check, cfg);
    check.throwIfAny();
    return resolveBackupSizes(cfg);
}

/** llmApiKey goes into the generated Secret: with the operator's own Secret it belongs there (LLM_API_KEY). */
export function checkLlmApiKeySource(config: PlatformConfig, hasLlmApiKey: boolean): void {
    const own = config.secrets.existingSecret ? "secrets.existingSecret" : config.secrets.externalSecret ? "secrets.externalSecret" : undefined;
    if (hasLlmApiKey && own !== undefined) {
        const check = new Checker(config.stack);
        check.fail("llmApiKey", "[secret]", `must not be set with ${own}: put the key in that Secret and map LLM_API_KEY to it`);
        check.throwIfAny();
    }
}

/** Reads the current stack's config through the Pulumi runtime and validates it. */
export function loadConfig(): { config: PlatformConfig; llmApiKey?: pulumi.Output<string> } {
    const raw: RawConfig = {};
    for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
        const [project, key] = fullKey.split(":", 2);
        if (project === PROJECT && key !== "llmApiKey") {
            raw[key] = value;
        }
    }
    const config = parseConfig(pulumi.getStack(), raw);
    const llmApiKey = new pulumi.Config(PROJECT).getSecret("llmApiKey");
    checkLlmApiKeySource(config, llmApiKey !== undefined);
    return { config, llmApiKey };
}
