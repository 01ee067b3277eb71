// What protects the data: the scheduled PostgreSQL dump (optionally uploaded to S3) and the Qdrant collection
// snapshots (docs/operations.md). Backups run next to a datastore, so this folder may import ../datastores (the
// datastore it backs up), ../network (the access its Jobs need, as NetworkPolicies arguments) and ../workloads
// (the snapshot Job runs the app image and follows its contract), besides ../shared and ../config.
//
//   postgres-backup.ts  PostgresBackup: pg_dump CronJob, its claim, optional S3 upload
//   vector-snapshot.ts  VectorSnapshot: scheduled Qdrant collection snapshots (CronJob through Qdrant's API)
export * from "./postgres-backup";
export * from "./vector-snapshot";
