-- The audit log (admin/audit_log.hpp, docs/security.md "Audit log"): append-only events, one
-- hash chain per organization plus one for the service (operator actions, org_id NULL). Each
-- row's hash covers the previous row's hash and every stored field, so altering, removing or
-- reordering a row breaks the chain at that row; audit_chain_heads, written in the same
-- transaction as each event, makes removing the last rows of a chain visible too.
--
-- No foreign key to organizations: appending an event must never depend on the state of other
-- tables (a failed sign-in names an organization that may be suspended or being removed), and
-- what happens to an organization's chain when it is removed is decided by that removal.
CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY,
  -- NULL: a service event. Never '' so that the chain key below cannot confuse the two.
  org_id TEXT CHECK (org_id IS NULL OR length(org_id) > 0),
  -- The chain an event belongs to: the organization, or '' for the service chain. UNIQUE with
  -- seq, so two writers can never fork a chain (the second insert of a seq fails).
  chain TEXT NOT NULL GENERATED ALWAYS AS (coalesce(org_id, '')) STORED,
  seq INTEGER NOT NULL CHECK (seq >= 1),
  -- UTC, milliseconds, fixed width (2026-11-22T05:00:00.123Z): text order is time order.
  at TEXT NOT NULL CHECK (length(at) = 24),
  actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'operator', 'system', 'anonymous')),
  actor_id TEXT,
  actor_login TEXT,
  client TEXT,
  user_agent TEXT,
  action TEXT NOT NULL CHECK (length(action) > 0),
  target TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  -- A JSON object as serialized by the writer. Not CHECKed with json_valid(): with
  -- trusted_schema = OFF (db/sqlite_database.cpp) SQLite refuses it inside the schema.
  details TEXT NOT NULL DEFAULT '{}' CHECK (substr(details, 1, 1) = '{'),
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash TEXT NOT NULL CHECK (length(hash) = 64),
  UNIQUE (chain, seq)
) STRICT;

-- The query filters (admin/logs): each index ends with `at` so that a filtered, time-ordered
-- page is read straight from the index without sorting.
CREATE INDEX audit_events_chain_at ON audit_events (chain, at);
CREATE INDEX audit_events_chain_action ON audit_events (chain, action, at);
CREATE INDEX audit_events_chain_actor ON audit_events (chain, actor_id, at);

-- Events are never modified. This guards against mistakes in our own code, not against someone
-- with write access to the file (who can drop the trigger): the hash chain is what detects that.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- The newest event of each chain ('' for the service chain).
CREATE TABLE audit_chain_heads (
  chain TEXT PRIMARY KEY,
  seq INTEGER NOT NULL CHECK (seq >= 1),
  hash TEXT NOT NULL CHECK (length(hash) = 64)
) STRICT;
