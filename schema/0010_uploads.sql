-- Placeholder on branch i6-retention only: the tus engineer's branch adds the real
-- 0010_uploads.sql (the migration sequence must have no gaps). At merge, take theirs.
SELECT 1;
