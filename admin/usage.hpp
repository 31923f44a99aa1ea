// Usage counters per user and UTC day (schema/0010_usage.sql) and the usage report of an
// organization (GET /api/v1/admin/usage, GET /me "usage").
//
// - Uploads and deletions (including expiries) are counted by FileDirectory in the transaction
//   that inserts or deletes the files row (record_upload / record_deletion with its `tx`), so
//   the stored bytes per user and day never drift from the files table.
// - Downloads are counted by the download route when a download ends, with the bytes actually
//   sent (record_download).
// - Logins are not counted here: they are the organization's successful `auth.login` audit
//   events, counted by day or actor when a report is made (the audit log is already the record,
//   so a second counter could only disagree with it).
// - Transfers (issue 7) are 0 until transfers exist; the field is part of the report already.
#pragma once

#include "admin/tenant_scope.hpp"
#include "db/database.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace furoshiki::admin {

// 'YYYY-MM-DD' of `t` in UTC.
std::string utc_day(std::chrono::system_clock::time_point t);
// Parses 'YYYY-MM-DD' (a real calendar date) into the time of its midnight, UTC.
bool parse_utc_day(std::string_view text, std::chrono::system_clock::time_point& out);

enum class UsageGrouping { kDay, kUser };

struct UsageQuery {
  std::string from_day;  // 'YYYY-MM-DD', inclusive
  std::string to_day;    // 'YYYY-MM-DD', inclusive; at most kMaxDays after from_day
  UsageGrouping group_by = UsageGrouping::kDay;
};

struct UsageRow {
  std::string key;  // the day ('YYYY-MM-DD') or the user id
  // kDay: the organization's stored bytes at the end of that day. kUser: the user's stored bytes
  // at the end of the range.
  std::int64_t stored_bytes = 0;
  std::uint64_t uploaded_bytes = 0;
  std::uint64_t uploads = 0;
  std::uint64_t downloaded_bytes = 0;
  std::uint64_t downloads = 0;
  std::uint64_t transfers = 0;  // issue 7
  std::uint64_t logins = 0;     // successful sign-ins
};

struct UserStorage {
  std::string user_id;
  std::uint64_t stored_bytes = 0;  // now: the sizes of the user's files rows
  std::uint64_t files = 0;
};

// One user's figures for GET /me: what is stored now, and the traffic of recent days.
struct UserUsage {
  std::uint64_t stored_bytes = 0;  // now: the sizes of the user's files rows
  std::uint64_t files = 0;
  std::string since_day;  // 'YYYY-MM-DD': the traffic below counts from this day (inclusive) to today
  std::uint64_t uploaded_bytes = 0;
  std::uint64_t uploads = 0;
  std::uint64_t downloaded_bytes = 0;
  std::uint64_t downloads = 0;
};

struct UsageReport {
  std::vector<UsageRow> rows;  // kDay: every day of the range, oldest first; kUser: users with activity or storage
  std::vector<UserStorage> current;  // every user of the organization with stored files
};

// Thread-safe (the database is).
class UsageCounters {
 public:
  static constexpr int kMaxDays = 366;

  explicit UsageCounters(db::Database& db) : db_(db) {}

  // Inside the caller's transaction `tx`, for the files row it inserts (record_upload) or deletes
  // (record_deletion). REQUIRES: org_id is the scope the caller checked the row against.
  [[nodiscard]] static boost::system::error_code record_upload(db::Database& tx, const std::string& org_id,
                                                               const std::string& user_id, std::uint64_t bytes,
                                                               std::chrono::system_clock::time_point when);
  [[nodiscard]] static boost::system::error_code record_deletion(db::Database& tx, const std::string& org_id,
                                                                 const std::string& user_id, std::uint64_t bytes,
                                                                 std::chrono::system_clock::time_point when);

  // One download of `bytes` plaintext bytes sent to (or for) `user_id`, ended at `when`.
  [[nodiscard]] boost::system::error_code record_download(const TenantScope& scope, const std::string& user_id,
                                                          std::uint64_t bytes,
                                                          std::chrono::system_clock::time_point when);
  // The same inside a transaction of the caller's.
  [[nodiscard]] static boost::system::error_code record_download(db::Database& tx, const TenantScope& scope,
                                                                 const std::string& user_id, std::uint64_t bytes,
                                                                 std::chrono::system_clock::time_point when);

  // Errc::kBadRequest for a malformed day, to before from, or a range over kMaxDays days.
  [[nodiscard]] boost::system::result<UsageReport> report(const TenantScope& scope, const UsageQuery& query);

  // The user's stored bytes and files now.
  [[nodiscard]] boost::system::result<UserStorage> stored(const TenantScope& scope, const std::string& user_id);
  // GET /me: stored() plus the user's uploads and downloads of the `days` UTC days up to and
  // including the day of `now` (1 <= days <= kMaxDays; Errc::kBadRequest otherwise).
  [[nodiscard]] boost::system::result<UserUsage> user_usage(const TenantScope& scope, const std::string& user_id,
                                                            int days, std::chrono::system_clock::time_point now);

 private:
  db::Database& db_;
};

}  // namespace furoshiki::admin
