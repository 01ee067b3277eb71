// Model serving in the cluster: the LLM (vLLM) and the embedding and reranker servers (text-embeddings-inference),
// each a ModelServer (StatefulSet with a model cache claim per replica, Services, PDB, queue HPA). In external
// or local mode none of this exists; the app calls the configured URL. Imports only ../shared and ../config.
//
//   model-server.ts      ModelServer: the shape every model server has (StatefulSet, /dev/shm, cache claim, PDB, HPA)
//   inference-server.ts  InferenceServer: vLLM's OpenAI-compatible server (GPU)
//   embedding-server.ts  EmbeddingServer: text-embeddings-inference, embed or rerank mode (CPU or GPU)
export * from "./model-server";
export * from "./inference-server";
export * from "./embedding-server";
