// The uploads table; see upload_records.hpp.
#include "admin/upload_records.hpp"

#include "common/error.hpp"

namespace furoshiki::admin {

namespace {

using Clock = std::chrono::system_clock;

std::int64_t to_ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
Clock::time_point from_ms(std::int64_t ms) { return Clock::time_point(std::chrono::milliseconds(ms)); }
db::Value text_or_null(const std::string& s) { return s.empty() ? db::Value(nullptr) : db::Value(s); }
db::Value integer(std::uint64_t v) { return static_cast<std::int64_t>(v); }

constexpr std::string_view kColumns =
    "id, org_id, owner_id, length, durable_offset, name, content_type, state, reason, signature, file_id, "
    "object_id, created_at, updated_at, expires_at";

UploadRecord from_row(const db::Row& r) {
  UploadRecord u;
  u.id = r.text(0);
  u.org_id = r.text(1);
  u.owner_id = r.text(2);
  u.length = static_cast<std::uint64_t>(r.integer(3));
  u.offset = static_cast<std::uint64_t>(r.integer(4));
  u.name = r.text(5);
  u.content_type = r.text(6);
  u.state = r.text(7);
  u.reason = r.text(8);
  u.signature = r.text(9);
  u.file_id = r.text(10);
  u.object_id = r.text(11);
  u.created_at = from_ms(r.integer(12));
  u.updated_at = from_ms(r.integer(13));
  u.expires_at = from_ms(r.integer(14));
  return u;
}

boost::system::error_code count(db::Database& db, const std::string& org_id, const std::string& owner_id,
                                std::size_t& mine, std::size_t& total) {
  mine = total = 0;
  return db.execute(
      "SELECT count(*), coalesce(sum(org_id = ?1 AND owner_id = ?2), 0) FROM uploads WHERE state = 'receiving'",
      {org_id, owner_id}, [&](const db::Row& r) {
        total = static_cast<std::size_t>(r.integer(0));
        mine = static_cast<std::size_t>(r.integer(1));
      });
}

}  // namespace

boost::system::error_code UploadRecords::create(const TenantScope& scope, const UploadRecord& u,
                                                const UnfinishedLimits& limits) {
  if (u.org_id != scope.org_id()) return Errc::kInternal;
  return db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    std::size_t mine = 0, total = 0;
    if (auto ec = count(tx, u.org_id, u.owner_id, mine, total)) return ec;
    if (mine >= limits.per_user || total >= limits.total) return Errc::kTooManyAttempts;
    return tx.execute(
        "INSERT INTO uploads (id, org_id, owner_id, length, durable_offset, name, content_type, state, reason, "
        "signature, file_id, object_id, created_at, updated_at, expires_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        {u.id, u.org_id, u.owner_id, integer(u.length), integer(u.offset), u.name, u.content_type, u.state,
         text_or_null(u.reason), text_or_null(u.signature), text_or_null(u.file_id), u.object_id, to_ms(u.created_at),
         to_ms(u.updated_at), to_ms(u.expires_at)});
  });
}

boost::system::result<UploadRecord> UploadRecords::get(const TenantScope& scope, const std::string& owner_id,
                                                       const std::string& id) {
  std::optional<UploadRecord> found;
  const std::string sql =
      "SELECT " + std::string(kColumns) + " FROM uploads WHERE org_id = ?1 AND owner_id = ?2 AND id = ?3";
  if (auto ec = db_.execute(sql, {scope.org_id(), owner_id, id}, [&](const db::Row& r) { found = from_row(r); })) {
    return ec;
  }
  if (!found) return make_error_code(Errc::kNotFound);
  return *found;
}

boost::system::error_code UploadRecords::update(const TenantScope& scope, const UploadRecord& u) {
  bool matched = false;
  if (auto ec = db_.execute(
          "UPDATE uploads SET durable_offset = ?3, state = ?4, reason = ?5, signature = ?6, file_id = ?7, "
          "updated_at = ?8, expires_at = ?9, object_id = COALESCE(NULLIF(?10, ''), object_id) "
          "WHERE org_id = ?1 AND id = ?2 RETURNING id",
          {scope.org_id(), u.id, integer(u.offset), u.state, text_or_null(u.reason), text_or_null(u.signature),
           text_or_null(u.file_id), to_ms(u.updated_at), to_ms(u.expires_at), u.object_id},
          [&](const db::Row&) { matched = true; })) {
    return ec;
  }
  return matched ? boost::system::error_code() : make_error_code(Errc::kNotFound);
}

boost::system::error_code UploadRecords::count_receiving(const TenantScope& scope, const std::string& owner_id,
                                                         std::size_t& mine, std::size_t& total) {
  return count(db_, scope.org_id(), owner_id, mine, total);
}

boost::system::error_code UploadRecords::interrupt_unfinished(Clock::time_point now, Clock::time_point keep_until,
                                                              std::vector<UploadRecord>& interrupted) {
  interrupted.clear();
  return db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    // A scan whose clean file was committed (object and files row, one transaction) just before
    // the process died: the upload is clean, only its row was not told.
    if (auto ec = tx.execute(
            "UPDATE uploads SET state = 'clean', file_id = (SELECT f.id FROM files f WHERE f.org_id = uploads.org_id "
            "AND f.object_id = uploads.object_id), updated_at = ?1, expires_at = ?2 WHERE state = 'scanning' AND "
            "EXISTS (SELECT 1 FROM files f WHERE f.org_id = uploads.org_id AND f.object_id = uploads.object_id)",
            {to_ms(now), to_ms(keep_until)})) {
      return ec;
    }
    const std::string sql =
        "UPDATE uploads SET state = 'failed', reason = 'server_restarted', updated_at = ?1, "
        "expires_at = ?2 WHERE state IN ('receiving', 'scanning') RETURNING " +
        std::string(kColumns);
    return tx.execute(sql, {to_ms(now), to_ms(keep_until)},
                      [&](const db::Row& r) { interrupted.push_back(from_row(r)); });
  });
}

boost::system::result<std::size_t> UploadRecords::purge_ended(Clock::time_point now) {
  std::size_t n = 0;
  if (auto ec = db_.execute(
          "DELETE FROM uploads WHERE state NOT IN ('receiving', 'scanning') AND expires_at <= ?1 RETURNING id",
          {to_ms(now)}, [&](const db::Row&) { ++n; })) {
    return ec;
  }
  return n;
}

}  // namespace furoshiki::admin
