-- Tenant keys (docs/format.md): one random key per organization and version, stored only
-- wrapped by the master key. Destroying an organization's keys (crypto-shredding) sets
-- wrapped_key to NULL and destroyed_at: its objects become unreadable at once.
-- org_id gains a foreign key to organizations when they exist (identity work).
CREATE TABLE tenant_keys (
  key_id TEXT PRIMARY KEY CHECK (length(key_id) = 32),
  org_id TEXT NOT NULL CHECK (length(org_id) > 0),
  version INTEGER NOT NULL CHECK (version >= 1),
  wrapped_key BLOB CHECK (wrapped_key IS NULL OR length(wrapped_key) = 60),
  master_key_id TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  destroyed_at TEXT,
  UNIQUE (org_id, version),
  CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
) STRICT;
