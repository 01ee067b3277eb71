-- Up Migration
-- PostgreSQL is the source of truth for documents: their chunks' text lives here, and the vector store holds
-- an index derived from it (`indexer.js index --rebuild` builds it again from these rows). Documents stored
-- before this migration have no rows here yet: the indexer copies their chunks from the vector store's
-- payloads (see docs/operations.md, "Rebuild the vector index").
CREATE TABLE IF NOT EXISTS document_chunks (
    document_id BIGINT  NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL CHECK (ordinal >= 0),
    text        TEXT    NOT NULL,
    PRIMARY KEY (document_id, ordinal)
);

-- The vector collections built from document_chunks: the one queries use (state 'active', at most one), one
-- being built by a rebuild ('building': ingests write to it too), and the ones retired by a switch ('dropped'
-- once their collection is deleted). The embedding model and dimensions are those its vectors were made with.
CREATE TABLE IF NOT EXISTS vector_collections (
    name            TEXT        PRIMARY KEY,
    generation      INTEGER     NOT NULL UNIQUE,
    embedding_model TEXT        NOT NULL,
    dimensions      INTEGER     NOT NULL CHECK (dimensions > 0),
    state           TEXT        NOT NULL CHECK (state IN ('building', 'active', 'retired', 'dropped')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    activated_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX IF NOT EXISTS vector_collections_one_active ON vector_collections ((true)) WHERE state = 'active';

-- Down Migration
DROP TABLE IF EXISTS vector_collections;
DROP TABLE IF EXISTS document_chunks;
