// The tree of config keys, built from the key lists in types.ts: what the stack file may set, how each
// top-level value is decoded, and every key path (walked by the docs test against docs/config.md).
import {
    ALERT_KEYS,
    ALERT_NAMES,
    DATASTORE_EXPORTERS_KEYS,
    DatastoreExportersConfig,
    DATASTORE_CONNECTION_KEYS,
    DatastoreConnectionConfig,
    EXISTING_PLATFORM_SECRET_KEYS,
    ExistingPlatformSecretConfig,
    EXTERNAL_PLATFORM_SECRET_KEYS,
    ExternalPlatformSecretConfig,
    PLATFORM_SECRET_KEYS,
    SECRETS_KEYS,
    SecretsConfig,
    AlertThresholds,
    API_KEYS,
    ApiConfig,
    APP_DATA_KEYS,
    APP_KEYS,
    AppConfig,
    AppDataConfig,
    AUTOSCALING_KEYS,
    BACKUP_KEYS,
    BACKUP_S3_KEYS,
    BackupConfig,
    BackupS3Config,
    AutoscalingConfig,
    DATASTORE_KEYS,
    DatastoreConfig,
    GPU_KEYS,
    GpuConfig,
    INDEXER_KEYS,
    IndexerConfig,
    INGRESS_KEYS,
    INGRESS_TLS_KEYS,
    IngressConfig,
    IngressTlsConfig,
    LOCAL_ACCESS_KEYS,
    LLM_SERVER_KEYS,
    LlmServerConfig,
    LocalAccessConfig,
    MODEL_AUTOSCALING_KEYS,
    MODEL_SERVING_ALERT_KEYS,
    MODEL_SERVING_KEYS,
    ModelAutoscalingConfig,
    ModelServingAlertThresholds,
    ModelServingConfig,
    MONITORING_KEYS,
    MonitoringConfig,
    NETWORK_POLICY_KEYS,
    NetworkPolicyConfig,
    GPU_SCHEDULING_KEYS,
    GpuSchedulingConfig,
    OPTIONAL_GPU_KEYS,
    OptionalGpuConfig,
    PlatformConfig,
    PODS_METRIC_KEYS,
    PodsMetric,
    POSTGRES_KEYS,
    PostgresConfig,
    RESOURCE_AMOUNT_KEYS,
    RESOURCE_SPEC_KEYS,
    ResourceAmounts,
    ResourceSpec,
    SECRET_KEY_KEYS,
    SecretKeyConfig,
    SERVICE_KEYS,
    ServiceConfig,
    STORAGE_KEYS,
    StorageConfig,
    TEI_SERVER_KEYS,
    TeiServerConfig,
    VECTOR_STORE_KEYS,
    VectorStoreConfig,
    VERTICAL_AUTOSCALING_KEYS,
    VerticalAutoscalingConfig,
} from "./types";
import {
    EXTRA_ENV_KEYS,
    ExtraEnvVar,
    POD_TOLERATION_KEYS,
    PodTolerationConfig,
    WORKLOAD_OPTIONS_KEYS,
    WorkloadOptions,
    WORKLOADS_KEYS,
    WorkloadsConfig,
} from "./workload-options-types";
import { SCALING_BEHAVIOR_KEYS, SCALING_POLICY_KEYS, SCALING_RULES_KEYS, ScalingBehavior, ScalingPolicy, ScalingRules } from "./scaling";

export type ValueKind = "object" | "array" | "scalar";

/** Top-level keys a stack may set (every field of PlatformConfig but `stack`, plus the secret `llmApiKey`) and how each is decoded. */
export const TOP_LEVEL_KEYS: Record<Exclude<keyof PlatformConfig, "stack"> | "llmApiKey", ValueKind> = {
    environment: "scalar",
    namespace: "scalar",
    app: "object",
    api: "object",
    frontend: "object",
    postgres: "object",
    redis: "object",
    vectorStore: "object",
    indexer: "object",
    storage: "object",
    ingress: "object",
    networkPolicy: "object",
    monitoring: "object",
    verticalAutoscaling: "object",
    localAccess: "object",
    modelServing: "object",
    workloads: "object",
    backup: "object",
    imagePullSecrets: "array",
    secrets: "object",
    secretsRotation: "scalar",
    protectStateful: "scalar",
    skipAwait: "scalar",
    renderYamlToDirectory: "scalar",
    kubeContext: "scalar",
    llmApiKey: "scalar",
};

/** A config object's keys and, for the keys whose value is itself a config object, that object's shape. */
export interface ConfigShape {
    readonly keys: readonly string[];
    readonly nested: { readonly [key: string]: ConfigShape };
}

/** A value that is a config object of its own: not a list, not a free-form map (Record<string, ...>). */
type Structured<V> = V extends readonly unknown[] ? never : V extends object ? (string extends keyof V ? never : V) : never;
/** The keys of T whose value is a config object: each must have a nested shape. */
export type NestedKeys<T> = { [K in keyof T]-?: [Structured<NonNullable<T[K]>>] extends [never] ? never : K }[keyof T] & string;

function shape<T>(keys: readonly (keyof T & string)[], nested: Record<NestedKeys<T>, ConfigShape>): ConfigShape {
    return { keys, nested };
}

const RESOURCES = shape<PlatformConfig["api"]["resources"]>(RESOURCE_SPEC_KEYS, {
    requests: shape<PlatformConfig["api"]["resources"]["requests"]>(RESOURCE_AMOUNT_KEYS, {}),
    limits: shape<PlatformConfig["api"]["resources"]["limits"]>(RESOURCE_AMOUNT_KEYS, {}),
});
const SCALING_RULES = shape<ScalingRules>(SCALING_RULES_KEYS, {});
const AUTOSCALING = shape<PlatformConfig["api"]["autoscaling"]>(AUTOSCALING_KEYS, {
    podsMetric: shape<NonNullable<PlatformConfig["api"]["autoscaling"]["podsMetric"]>>(PODS_METRIC_KEYS, {}),
    behavior: shape<ScalingBehavior>(SCALING_BEHAVIOR_KEYS, { scaleUp: SCALING_RULES, scaleDown: SCALING_RULES }),
});
type MS = PlatformConfig["modelServing"];
const MODEL_RESOURCES = shape<MS["llm"]["resources"]>(RESOURCE_SPEC_KEYS, {
    requests: shape<MS["llm"]["resources"]["requests"]>(RESOURCE_AMOUNT_KEYS, {}),
    limits: shape<MS["llm"]["resources"]["limits"]>(RESOURCE_AMOUNT_KEYS, {}),
});
const HF_TOKEN_SECRET = shape<NonNullable<MS["llm"]["hfTokenSecret"]>>(SECRET_KEY_KEYS, {});
const TEI_SERVER = shape<MS["embedding"]>(TEI_SERVER_KEYS, {
    resources: MODEL_RESOURCES,
    hfTokenSecret: HF_TOKEN_SECRET,
    gpu: shape<MS["embedding"]["gpu"]>(OPTIONAL_GPU_KEYS, {}),
});
const MODEL_SERVING = shape<MS>(MODEL_SERVING_KEYS, {
    llm: shape<MS["llm"]>(LLM_SERVER_KEYS, {
        resources: MODEL_RESOURCES,
        hfTokenSecret: HF_TOKEN_SECRET,
        gpu: shape<MS["llm"]["gpu"]>(GPU_SCHEDULING_KEYS, {}),
        autoscaling: shape<MS["llm"]["autoscaling"]>(MODEL_AUTOSCALING_KEYS, {}),
    }),
    embedding: TEI_SERVER,
    reranker: TEI_SERVER,
    alerts: shape<MS["alerts"]>(MODEL_SERVING_ALERT_KEYS, {}),
});

const EXISTING_SECRET_REF = shape<SecretKeyConfig>(SECRET_KEY_KEYS, {});
const SECRET_KEY_MAP = shape<ExistingPlatformSecretConfig["keys"]>(PLATFORM_SECRET_KEYS, {});

const NESTED: Record<NestedKeys<PlatformConfig>, ConfigShape> = {
    app: shape<PlatformConfig["app"]>(APP_KEYS, {}),
    api: shape<PlatformConfig["api"]>(API_KEYS, {
        resources: RESOURCES,
        autoscaling: AUTOSCALING,
        gpu: shape<PlatformConfig["api"]["gpu"]>(GPU_KEYS, {}),
    }),
    frontend: shape<PlatformConfig["frontend"]>(SERVICE_KEYS, { resources: RESOURCES, autoscaling: AUTOSCALING }),
    postgres: shape<PlatformConfig["postgres"]>(POSTGRES_KEYS, { resources: RESOURCES, existingSecret: EXISTING_SECRET_REF }),
    redis: shape<PlatformConfig["redis"]>(DATASTORE_KEYS, { resources: RESOURCES, existingSecret: EXISTING_SECRET_REF }),
    vectorStore: shape<PlatformConfig["vectorStore"]>(VECTOR_STORE_KEYS, { resources: RESOURCES, existingSecret: EXISTING_SECRET_REF }),
    indexer: shape<PlatformConfig["indexer"]>(INDEXER_KEYS, { resources: RESOURCES }),
    storage: shape<PlatformConfig["storage"]>(STORAGE_KEYS, { appData: shape<PlatformConfig["storage"]["appData"]>(APP_DATA_KEYS, {}) }),
    ingress: shape<PlatformConfig["ingress"]>(INGRESS_KEYS, { tls: shape<PlatformConfig["ingress"]["tls"]>(INGRESS_TLS_KEYS, {}) }),
    networkPolicy: shape<PlatformConfig["networkPolicy"]>(NETWORK_POLICY_KEYS, {}),
    monitoring: shape<PlatformConfig["monitoring"]>(MONITORING_KEYS, {
        alerts: shape<PlatformConfig["monitoring"]["alerts"]>(ALERT_KEYS, { forMinutes: shape<AlertThresholds["forMinutes"]>(ALERT_NAMES, {}) }),
        exporters: shape<DatastoreExportersConfig>(DATASTORE_EXPORTERS_KEYS, { resources: RESOURCES }),
    }),
    verticalAutoscaling: shape<PlatformConfig["verticalAutoscaling"]>(VERTICAL_AUTOSCALING_KEYS, {}),
    localAccess: shape<PlatformConfig["localAccess"]>(LOCAL_ACCESS_KEYS, {}),
    modelServing: MODEL_SERVING,
    workloads: shape<WorkloadsConfig>(
        WORKLOADS_KEYS,
        Object.fromEntries(WORKLOADS_KEYS.map((w) => [w, shape<WorkloadOptions>(WORKLOAD_OPTIONS_KEYS, {})])) as Record<keyof WorkloadsConfig, ConfigShape>,
    ),
    secrets: shape<SecretsConfig>(SECRETS_KEYS, {
        existingSecret: shape<ExistingPlatformSecretConfig>(EXISTING_PLATFORM_SECRET_KEYS, { keys: SECRET_KEY_MAP }),
        externalSecret: shape<ExternalPlatformSecretConfig>(EXTERNAL_PLATFORM_SECRET_KEYS, { remoteKeys: SECRET_KEY_MAP }),
    }),
    backup: shape<BackupConfig>(BACKUP_KEYS, { resources: RESOURCES, s3: shape<BackupS3Config>(BACKUP_S3_KEYS, {}) }),
};

/** The whole config tree, from the top-level keys down. */
export const CONFIG_SHAPE: ConfigShape = { keys: Object.keys(TOP_LEVEL_KEYS), nested: NESTED };

/** Every leaf key path of a shape, e.g. "api.autoscaling.podsMetric.name" (free-form maps are leaves). */
export function configKeyPaths(s: ConfigShape = CONFIG_SHAPE, prefix = ""): string[] {
    return s.keys.flatMap((k) => (s.nested[k] ? configKeyPaths(s.nested[k], `${prefix}${k}.`) : [`${prefix}${k}`]));
}

/** Compiles only when `M` is `never`; otherwise the error names the keys in `M`. */
type NoKeyMissing<M extends never> = M;
type Missing<T, K extends readonly PropertyKey[]> = Exclude<keyof T, K[number]>;

/** The compile-time half of "one source per shape": every key list names every key of its interface. */
export type KeyListsAreComplete = [
    NoKeyMissing<Missing<ResourceAmounts, typeof RESOURCE_AMOUNT_KEYS>>,
    NoKeyMissing<Missing<ResourceSpec, typeof RESOURCE_SPEC_KEYS>>,
    NoKeyMissing<Missing<PodsMetric, typeof PODS_METRIC_KEYS>>,
    NoKeyMissing<Missing<AutoscalingConfig, typeof AUTOSCALING_KEYS>>,
    NoKeyMissing<Missing<ScalingPolicy, typeof SCALING_POLICY_KEYS>>,
    NoKeyMissing<Missing<ScalingRules, typeof SCALING_RULES_KEYS>>,
    NoKeyMissing<Missing<ScalingBehavior, typeof SCALING_BEHAVIOR_KEYS>>,
    NoKeyMissing<Missing<GpuConfig, typeof GPU_KEYS>>,
    NoKeyMissing<Missing<ServiceConfig, typeof SERVICE_KEYS>>,
    NoKeyMissing<Missing<ApiConfig, typeof API_KEYS>>,
    NoKeyMissing<Missing<DatastoreConfig, typeof DATASTORE_KEYS>>,
    NoKeyMissing<Missing<PostgresConfig, typeof POSTGRES_KEYS>>,
    NoKeyMissing<Missing<VectorStoreConfig, typeof VECTOR_STORE_KEYS>>,
    NoKeyMissing<Missing<IndexerConfig, typeof INDEXER_KEYS>>,
    NoKeyMissing<Missing<AppDataConfig, typeof APP_DATA_KEYS>>,
    NoKeyMissing<Missing<StorageConfig, typeof STORAGE_KEYS>>,
    NoKeyMissing<Missing<IngressTlsConfig, typeof INGRESS_TLS_KEYS>>,
    NoKeyMissing<Missing<IngressConfig, typeof INGRESS_KEYS>>,
    NoKeyMissing<Missing<NetworkPolicyConfig, typeof NETWORK_POLICY_KEYS>>,
    NoKeyMissing<Missing<AlertThresholds, typeof ALERT_KEYS>>,
    NoKeyMissing<Missing<MonitoringConfig, typeof MONITORING_KEYS>>,
    NoKeyMissing<Missing<DatastoreExportersConfig, typeof DATASTORE_EXPORTERS_KEYS>>,
    NoKeyMissing<Missing<VerticalAutoscalingConfig, typeof VERTICAL_AUTOSCALING_KEYS>>,
    NoKeyMissing<Missing<LocalAccessConfig, typeof LOCAL_ACCESS_KEYS>>,
    NoKeyMissing<Missing<AppConfig, typeof APP_KEYS>>,
    NoKeyMissing<Missing<GpuSchedulingConfig, typeof GPU_SCHEDULING_KEYS>>,
    NoKeyMissing<Missing<OptionalGpuConfig, typeof OPTIONAL_GPU_KEYS>>,
    NoKeyMissing<Missing<SecretKeyConfig, typeof SECRET_KEY_KEYS>>,
    NoKeyMissing<Missing<ModelAutoscalingConfig, typeof MODEL_AUTOSCALING_KEYS>>,
    NoKeyMissing<Missing<LlmServerConfig, typeof LLM_SERVER_KEYS>>,
    NoKeyMissing<Missing<TeiServerConfig, typeof TEI_SERVER_KEYS>>,
    NoKeyMissing<Missing<ModelServingAlertThresholds, typeof MODEL_SERVING_ALERT_KEYS>>,
    NoKeyMissing<Missing<ModelServingConfig, typeof MODEL_SERVING_KEYS>>,
    NoKeyMissing<Missing<PodTolerationConfig, typeof POD_TOLERATION_KEYS>>,
    NoKeyMissing<Missing<ExtraEnvVar, typeof EXTRA_ENV_KEYS>>,
    NoKeyMissing<Missing<WorkloadOptions, typeof WORKLOAD_OPTIONS_KEYS>>,
    NoKeyMissing<Missing<WorkloadsConfig, typeof WORKLOADS_KEYS>>,
    NoKeyMissing<Missing<DatastoreConnectionConfig, typeof DATASTORE_CONNECTION_KEYS>>,
    NoKeyMissing<Missing<ExistingPlatformSecretConfig, typeof EXISTING_PLATFORM_SECRET_KEYS>>,
    NoKeyMissing<Missing<ExternalPlatformSecretConfig, typeof EXTERNAL_PLATFORM_SECRET_KEYS>>,
    NoKeyMissing<Missing<SecretsConfig, typeof SECRETS_KEYS>>,
    NoKeyMissing<Missing<BackupS3Config, typeof BACKUP_S3_KEYS>>,
    NoKeyMissing<Missing<BackupConfig, typeof BACKUP_KEYS>>,
];
