-- Sign-in state (admin/sessions.hpp, admin/login_throttle.hpp, docs/security.md "Sessions and
-- sign-in throttling"): browser sessions, API tokens for scripts, and the failed-attempt counters
-- that slow down password guessing.
--
-- Every time in these tables is an INTEGER of milliseconds since the Unix epoch (UTC): expiry
-- and back-off are arithmetic on times, which SQL does directly on integers, and milliseconds
-- let tests step an injected clock finely. (The ISO text of earlier tables is for times people
-- read; these are compared, not read.)
--
-- No secret is stored: a session is keyed by the SHA-256 of its token and an API token is found
-- by its SHA-256, so a copy of the database does not hold a usable credential.

CREATE TABLE sessions (
  -- Lower-case hex SHA-256 of the session token (the cookie's value).
  id TEXT PRIMARY KEY CHECK (length(id) = 64),
  org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Hex SHA-256 of the CSRF token handed out with the session (X-CSRF-Token).
  csrf_token_hash TEXT NOT NULL CHECK (length(csrf_token_hash) = 64),
  created_at INTEGER NOT NULL,
  -- Written at most every 30 s (SessionStore::kTouchInterval) to limit writes.
  last_seen_at INTEGER NOT NULL,
  -- Absolute end of the session, whatever its activity.
  expires_at INTEGER NOT NULL,
  idle_timeout_seconds INTEGER NOT NULL CHECK (idle_timeout_seconds > 0),
  client TEXT,
  user_agent TEXT,
  CHECK (expires_at > created_at)
) STRICT;
CREATE INDEX sessions_user ON sessions (org_id, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
  -- Random, 32 hex digits: what lists show and DELETE /me/tokens/{id} names.
  id TEXT PRIMARY KEY CHECK (length(id) = 32),
  org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- Hex SHA-256 of the whole token as presented ("fsk_" and the random part).
  token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER,
  CHECK (expires_at > created_at)
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens (org_id, user_id);

-- Failed sign-in attempts per key: "account:<org code>:<login>" (whether or not either exists)
-- and "address:<IPv4>" or "address:<IPv6 /64>". Rows whose last failure is older than a day are
-- pruned on every write, so the table stays bounded by a day's failures.
CREATE TABLE login_throttle (
  key TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 400),
  failures INTEGER NOT NULL CHECK (failures >= 1),
  locked_until INTEGER,
  last_failure_at INTEGER NOT NULL
) STRICT;
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure_at);
