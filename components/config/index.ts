// The platform's typed configuration: read from the stack, merged over per-environment defaults, and
// validated completely before a single resource is registered. Every error names the stack, the key, the
// bad value and what is allowed; all errors of a stack are reported together.
//
//   types.ts     the shapes, each with its key list (checked against the interface at compile time)
//   scaling.ts   the HPA scaling behavior shapes (the same way)
//   workload-options-types.ts  per-workload scheduling, annotations and extra env (`workloads`)
//   keys.ts      the key tree: top-level keys and how they decode, every key path
//   defaults.ts  per-environment defaults and the merge
//   checker.ts   the problem collector and ConfigError (a pulumi.RunError)
//   validate/    one validator per section
//   load.ts      decoding, parseConfig (pure) and loadConfig (through the Pulumi runtime)
export * from "./types";
export * from "./scaling";
export { ConfigError } from "./checker";
export { deepMerge } from "./defaults";
export { IMAGES } from "./images";
export type { DeepPartial, DefaultedConfig } from "./defaults";
export { CONFIG_SHAPE, configKeyPaths, TOP_LEVEL_KEYS } from "./keys";
export type { ConfigShape } from "./keys";
export { loadConfig, parseConfig } from "./load";
