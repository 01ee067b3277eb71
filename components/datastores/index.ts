// The platform's datastores: PostgreSQL, Redis and the vector store (Qdrant, Chroma or Milvus), each in the
// cluster (a StatefulService) or external (a host and port the app connects to), and what the ConfigMap, the
// workloads' credentials and the NetworkPolicies read of them. Imports only ../shared and ../config.
//
//   datastores.ts        createDatastores: in the cluster or external; the apps' credential references
//   postgres.ts          PostgresDatabase: StatefulSet, pg_isready probes, password applied at start
//   postgres-ha.ts       PostgresCluster (postgres.mode ha): Patroni members, synchronous standby, failover
//   patroni-config.ts    Patroni's configuration file and callback scripts (a ConfigMap of every member)
//   redis.ts             RedisCache: StatefulSet, AOF persistence, password auth
//   vector-store.ts      VectorStore: the engine's StatefulSet, API key where the engine supports one
//   stateful-service.ts  StatefulService: ServiceAccount + StatefulSet + Services, the shape every datastore has
//   exporters.ts         postgres_exporter and redis_exporter, sidecars of the in-cluster PostgreSQL and Redis
export * from "./datastores";
export * from "./postgres";
export * from "./postgres-ha";
export * from "./redis";
export * from "./vector-store";
export * from "./stateful-service";
export * from "./exporters";
