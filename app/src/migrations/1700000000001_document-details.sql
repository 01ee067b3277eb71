-- Up Migration
-- What the API lists and returns for a document.
ALTER TABLE documents ADD COLUMN IF NOT EXISTS title        TEXT    NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN IF NOT EXISTS content_type TEXT    NOT NULL DEFAULT 'text/plain';
ALTER TABLE documents ADD COLUMN IF NOT EXISTS bytes        INTEGER NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE documents DROP COLUMN IF EXISTS bytes;
ALTER TABLE documents DROP COLUMN IF EXISTS content_type;
ALTER TABLE documents DROP COLUMN IF EXISTS title;
