// What every domain folder builds on; imports nothing from them (only ../config). The secure defaults live here.
//
//   workload.ts           the ONE place for labels, security contexts, probes, resources, scratch emptyDirs,
//                         service accounts (the shared workload shape)
//   workload-options.ts   the ONE place the stack's `workloads.<name>` options reach a pod
//   naming.ts             objectName(): every Kubernetes object name, a DNS label of at most 63 characters
//   wiring.ts             the shapes components share: arguments (DatastoreArgs, AppWiring) and what each
//                         component exposes (Endpoint, MetricsEndpoint, WorkloadRef, ScrapeTarget)
//   secrets.ts            PlatformSecrets (generated, the operator's Secret, or an ExternalSecret) and secretRefEnv
//   stateful-services.ts  the headless + client Service pair of every StatefulSet (datastores, model servers)
//   cron-job.ts           the Job and scheduled-Job shape (indexer, PostgreSQL dump, vector snapshot)
//   quantity.ts           Kubernetes quantities: parsing (lib/quantity.ts) and formatting
//   capacity.ts           what a stack asks of the cluster, from its config alone (index.ts, npm run capacity)
//   skip-await.ts         the test-only stack transform index.ts registers when `skipAwait` is set
export * from "./workload";
export * from "./workload-options";
export * from "./naming";
export * from "./wiring";
export * from "./secrets";
export * from "./stateful-services";
export * from "./cron-job";
export * from "./quantity";
export * from "./capacity";
export * from "./skip-await";
