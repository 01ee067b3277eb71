// One validator per config section, run in this order over the merged config.
import type { Checker } from "../checker";
import type { DefaultedConfig } from "../defaults";
import type { PlatformConfig } from "../types";
import { validatePostgresConnection, validateRedisConnection, validateVectorStoreConnection } from "./datastores";
import { validateBackup } from "./backup";
import { validateModelServing } from "./model-serving";
import { validateLocalAccess, validateMonitoring, validateVerticalAutoscaling } from "./observability";
import {
    validateImagePullSecrets,
    validateKubeContext,
    validateIngress,
    validateNamespace,
    validateNetworkPolicy,
    validateProtectStateful,
    validateSecretsRotation,
    validateStorage,
} from "./platform";
import { validateWorkloads } from "./workload-options";
import { validateSecrets } from "./secrets";
import { validateApi, validateApp, validateFrontend, validateIndexer, validatePostgres, validateRedis, validateVectorStore } from "./workloads";

export type Validator = (check: Checker, cfg: PlatformConfig) => void;

const both =
    (a: Validator, b: Validator): Validator =>
    (check, cfg) => {
        a(check, cfg);
        b(check, cfg);
    };

/** Every section with defaults has its validator (a new section without one does not compile). */
export const VALIDATORS: Record<keyof DefaultedConfig, Validator> = {
    namespace: validateNamespace,
    app: validateApp,
    api: validateApi,
    frontend: validateFrontend,
    postgres: both(validatePostgres, validatePostgresConnection),
    redis: both(validateRedis, validateRedisConnection),
    vectorStore: both(validateVectorStore, validateVectorStoreConnection),
    indexer: validateIndexer,
    storage: validateStorage,
    ingress: validateIngress,
    networkPolicy: validateNetworkPolicy,
    monitoring: validateMonitoring,
    verticalAutoscaling: validateVerticalAutoscaling,
    localAccess: validateLocalAccess,
    modelServing: validateModelServing,
    workloads: validateWorkloads,
    backup: validateBackup,
    imagePullSecrets: validateImagePullSecrets,
    secrets: validateSecrets,
    secretsRotation: validateSecretsRotation,
    protectStateful: validateProtectStateful,
    kubeContext: validateKubeContext,
};

/** Runs every section's validator; problems collect in `check`. */
export function validate(check: Checker, cfg: PlatformConfig): void {
    for (const section of Object.values(VALIDATORS)) {
        section(check, cfg);
    }
}
