-- Operator sign-in state (admin/operator_sessions.hpp, docs/security.md "Operators"): browser
-- sessions of the operator accounts, kept apart from the users' `sessions` so that a session of
-- one kind can never be presented as the other. Operators act on the service, never inside an
-- organization: no row here carries an org_id.
--
-- As in `sessions`, times are INTEGER milliseconds since the Unix epoch (UTC), and no secret is
-- stored: the id is the SHA-256 of the session token and the CSRF token is kept as its SHA-256.
CREATE TABLE operator_sessions (
  -- Lower-case hex SHA-256 of the session token (the furoshiki_operator_session cookie's value).
  id TEXT PRIMARY KEY CHECK (length(id) = 64),
  operator_id TEXT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
  -- Hex SHA-256 of the CSRF token handed out with the session (X-CSRF-Token).
  csrf_token_hash TEXT NOT NULL CHECK (length(csrf_token_hash) = 64),
  created_at INTEGER NOT NULL,
  -- Written at most every 30 s (OperatorSessionStore::kTouchInterval) to limit writes.
  last_seen_at INTEGER NOT NULL,
  -- Absolute end of the session, whatever its activity.
  expires_at INTEGER NOT NULL,
  idle_timeout_seconds INTEGER NOT NULL CHECK (idle_timeout_seconds > 0),
  client TEXT,
  user_agent TEXT,
  CHECK (expires_at > created_at)
) STRICT;
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);
CREATE INDEX operator_sessions_expires ON operator_sessions (expires_at);
