-- Up Migration
-- The schema the platform used to apply from an init ConfigMap (components/postgres.ts INIT_SQL), now owned
-- by the application. IF NOT EXISTS: a database initialised by that ConfigMap is adopted as it is.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE IF NOT EXISTS documents (
    id          BIGSERIAL PRIMARY KEY,
    source      TEXT        NOT NULL,
    checksum    TEXT        NOT NULL UNIQUE,
    metadata    JSONB       NOT NULL DEFAULT '{}'::jsonb,
    chunk_count INTEGER     NOT NULL DEFAULT 0,
    indexed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS documents_source_trgm ON documents USING gin (source gin_trgm_ops);

CREATE TABLE IF NOT EXISTS conversations (
    id         UUID        PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS messages (
    id              BIGSERIAL   PRIMARY KEY,
    conversation_id UUID        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role            TEXT        NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content         TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages (conversation_id, created_at);

-- Down Migration
DROP TABLE IF EXISTS messages;
DROP TABLE IF EXISTS conversations;
DROP TABLE IF EXISTS documents;
