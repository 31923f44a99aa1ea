-- TOTP replay protection: the last accepted 30-second step per user (a code is accepted once),
-- and the one-time recovery codes, stored only as SHA-256 hashes.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

CREATE TABLE recovery_codes (
  org_id TEXT NOT NULL REFERENCES organizations (id),
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  used_at TEXT,
  PRIMARY KEY (org_id, user_id, code_hash)
) STRICT;
