-- Usage counters per user and UTC day (admin/usage.hpp, GET /api/v1/admin/usage). One row per
-- (organization, user, day) with any activity. Upload and deletion counts are written in the
-- same transaction as the files row they account for (admin/files.cpp), so stored bytes never
-- drift from the files table; downloads are counted when a download ends.
--
-- stored_delta_bytes is the change of the user's stored bytes that day (uploads minus deletions
-- and expiries): the stored bytes at the end of day D are the sum of the deltas up to D.
-- No foreign key to users: the history of a removed user stays in the organization's totals.
CREATE TABLE usage_days (
  org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  -- 'YYYY-MM-DD', UTC: text order is time order.
  day TEXT NOT NULL CHECK (length(day) = 10),
  uploaded_bytes INTEGER NOT NULL DEFAULT 0 CHECK (uploaded_bytes >= 0),
  uploads INTEGER NOT NULL DEFAULT 0 CHECK (uploads >= 0),
  downloaded_bytes INTEGER NOT NULL DEFAULT 0 CHECK (downloaded_bytes >= 0),
  downloads INTEGER NOT NULL DEFAULT 0 CHECK (downloads >= 0),
  stored_delta_bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, user_id, day)
) STRICT, WITHOUT ROWID;

-- The per-day report of an organization reads a day range of all its users.
CREATE INDEX usage_days_org_day ON usage_days (org_id, day);

-- Files stored before this migration count as uploaded on the day they were created.
INSERT INTO usage_days (org_id, user_id, day, uploaded_bytes, uploads, stored_delta_bytes)
SELECT org_id, owner_id, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch'), sum(size), count(*), sum(size)
FROM files GROUP BY org_id, owner_id, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch');
