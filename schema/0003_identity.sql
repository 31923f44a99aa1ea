-- Identity and tenancy (docs/security.md): organizations (tenants), their users, and the
-- operators who run the service. Every table of tenant data carries org_id; code reaches it only
-- through a TenantScope (admin/tenant_scope.hpp). Operators are a separate set of accounts that
-- act on the service, never inside an organization's data.
CREATE TABLE organizations (
  id TEXT PRIMARY KEY CHECK (length(id) = 32),
  code TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 2 AND 32),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- deleting: the tenant key is destroyed (its objects are unreadable) and the data is being wiped.
  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deleting')),
  policy TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE users (
  id TEXT PRIMARY KEY CHECK (length(id) = 32),
  org_id TEXT NOT NULL REFERENCES organizations (id),
  login TEXT NOT NULL CHECK (length(login) BETWEEN 3 AND 254),
  display_name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('org_admin', 'member')),
  -- JSON object: can_upload, can_send_external, can_request_files, requires_approval,
  -- max_file_bytes, max_retention_days, quota_bytes (admin/users.hpp, api.md).
  rights TEXT NOT NULL DEFAULT '{}',
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  password_hash TEXT NOT NULL,
  -- A one-time (initial or reset) password: the next sign-in must set a new one.
  password_change_required INTEGER NOT NULL DEFAULT 1 CHECK (password_change_required IN (0, 1)),
  password_changed_at TEXT,
  -- TOTP secret sealed under the organization's tenant key (NULL: not enrolled).
  totp_secret BLOB,
  totp_enabled INTEGER NOT NULL DEFAULT 0 CHECK (totp_enabled IN (0, 1)),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (org_id, login)
) STRICT;
CREATE INDEX users_org ON users (org_id);

-- Earlier password hashes, for the organization's "no reuse of the last N" rule.
CREATE TABLE password_history (
  org_id TEXT NOT NULL REFERENCES organizations (id),
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX password_history_user ON password_history (org_id, user_id);

CREATE TABLE operators (
  id TEXT PRIMARY KEY CHECK (length(id) = 32),
  login TEXT NOT NULL UNIQUE CHECK (length(login) BETWEEN 3 AND 254),
  display_name TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  password_hash TEXT NOT NULL,
  password_change_required INTEGER NOT NULL DEFAULT 1 CHECK (password_change_required IN (0, 1)),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
