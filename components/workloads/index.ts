// The reference application's workloads: the API (with its migrate init container), the web frontend and the
// document indexer, and the platform's side of the application contract (app-env.ts; the app's side is
// app/src/lib/contract.ts). Imports only ../shared and ../config.
//
//   api.ts          ApiService: the RAG API, a WebService with the migrate init container
//   frontend.ts     WebFrontend: the web frontend, a WebService
//   web-service.ts  WebService: ServiceAccount + Deployment + Service (+ NodePort) + Autoscaling
//   autoscaling.ts  Autoscaling: the HPA (CPU, memory, pods metric, scale behaviour) and the PDB of a Deployment
//   indexer.ts      DocumentIndexer: the indexing Job and the optional re-indexing CronJob
//   app-env.ts      the app image contract: UID/GID, writable paths, the env each entry point reads
export * from "./api";
export * from "./frontend";
export * from "./web-service";
export * from "./autoscaling";
export * from "./indexer";
export * from "./app-env";
