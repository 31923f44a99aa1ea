-- The instance this database belongs to: one row, written by `furoshiki init` (or the first
-- migration run), so that logs, backups and metrics can tell instances apart.
CREATE TABLE instance (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  id TEXT NOT NULL CHECK (length(id) = 32),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

INSERT INTO instance (singleton, id) VALUES (1, lower(hex(randomblob(16))));
