-- Stored files (admin/files.hpp, docs/upload.md): one row per file that passed the scan and whose
-- encrypted object is committed in the object store (docs/storage.md). A row is only ever
-- inserted after the object's commit succeeded, in the same transaction as its audit event, so a
-- row always names a complete, scanned, encrypted object.
--
-- Times are INTEGER milliseconds since the Unix epoch (UTC). `name` is the display name only
-- (NFC, no control characters or path separators, at most 255 bytes): it never reaches a path.
CREATE TABLE files (
  -- 32 lower-case hex digits (128 random bits); the API's file id.
  id TEXT PRIMARY KEY CHECK (length(id) = 32),
  org_id TEXT NOT NULL REFERENCES organizations (id),
  owner_id TEXT NOT NULL REFERENCES users (id),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size >= 0),
  -- Lower-case hex SHA-256 of the plaintext.
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  -- The object in the store (objects/<xx>/<object_id>); its key binding names org_id.
  object_id TEXT NOT NULL UNIQUE CHECK (length(object_id) = 32),
  created_at INTEGER NOT NULL,
  -- NULL: kept until deleted.
  expires_at INTEGER,
  -- Only clean files are stored today; the verdict stays with the file for the day a policy lets
  -- files too large to scan through, labelled. scan_detail: the definitions that judged it.
  scan_verdict TEXT NOT NULL CHECK (scan_verdict IN ('clean', 'not_scanned_too_large')),
  scan_detail TEXT,
  CHECK (expires_at IS NULL OR expires_at > created_at)
) STRICT;

-- Listing a user's files newest first, with the id as tie-breaker (the list cursor).
CREATE INDEX files_owner ON files (org_id, owner_id, created_at DESC, id DESC);
CREATE INDEX files_expires ON files (expires_at) WHERE expires_at IS NOT NULL;
