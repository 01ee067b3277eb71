// RagPlatform, the top of components/: the sequence of named steps (namespace, secrets, storage, datastores,
// ConfigMap, model servers, apps, backups, ingress, monitoring, vertical autoscaling, network policies) and the
// only place that wires the domain folders together; it may import every other folder, and no folder imports it.
//
//   platform.ts           RagPlatform: the steps; several instances can live side by side
//   platform-settings.ts  what the platform tells its app: the ConfigMap's settings, the model servers they point
//                         at, the sample documents dev indexes
//   namespace.ts          the platform Namespace (Pod Security `restricted` labels)
//   storage.ts            PlatformStorage: the StorageClass every platform volume uses, the shared app-data claim
export * from "./platform";
export * from "./platform-settings";
export * from "./namespace";
export * from "./storage";
