-- Resumable (tus) uploads (server/upload_routes.hpp, admin/upload_records.hpp, docs/upload.md
-- "Resumable uploads"): one row per upload from its creation until it is purged, a while after it
-- ended. The row is written at creation, at the end of every PATCH (the durable offset), when the
-- body is complete (scanning), at the verdict, at termination and at expiry. An upload that was
-- receiving or scanning when the server stopped is marked failed ("server_restarted") at the next
-- start-up, before the server listens: its staged object is gone by then (start-up empties staging).
--
-- Times are INTEGER milliseconds since the Unix epoch (UTC). `name` is the display name only.
CREATE TABLE uploads (
  -- 32 lower-case hex digits (128 random bits); the tus id in /api/v1/uploads/{id}.
  id TEXT PRIMARY KEY CHECK (length(id) = 32),
  org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Upload-Length, and the plaintext bytes sealed and fdatasynced so far (Upload-Offset).
  length INTEGER NOT NULL CHECK (length >= 0),
  durable_offset INTEGER NOT NULL DEFAULT 0 CHECK (durable_offset BETWEEN 0 AND length),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  content_type TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('receiving', 'scanning', 'clean', 'rejected', 'failed', 'terminated', 'expired')),
  -- Why it ended without a file ("infected", "scan_refused: …", an error code, "server_restarted").
  reason TEXT,
  signature TEXT,
  -- The stored file once clean.
  file_id TEXT CHECK (file_id IS NULL OR length(file_id) = 32),
  -- The staged object (staging/<object_id>) while receiving or scanning.
  object_id TEXT NOT NULL CHECK (length(object_id) = 32),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  -- Receiving: when it expires (Upload-Expires). Ended: when the row is purged.
  expires_at INTEGER NOT NULL
) STRICT;

-- The unfinished-upload limits count receiving rows per user and in all.
CREATE INDEX uploads_receiving ON uploads (org_id, owner_id) WHERE state = 'receiving';
CREATE INDEX uploads_expires ON uploads (expires_at);
