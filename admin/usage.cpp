// Usage counters and the usage report; see usage.hpp.
#include "admin/usage.hpp"

#include "common/error.hpp"

#include <charconv>
#include <cstdio>
#include <map>

namespace furoshiki::admin {

namespace {

using Clock = std::chrono::system_clock;

constexpr std::string_view kUpsert =
    "INSERT INTO usage_days (org_id, user_id, day, uploaded_bytes, uploads, downloaded_bytes, downloads,"
    " stored_delta_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT (org_id, user_id, day) DO UPDATE SET"
    " uploaded_bytes = uploaded_bytes + excluded.uploaded_bytes, uploads = uploads + excluded.uploads,"
    " downloaded_bytes = downloaded_bytes + excluded.downloaded_bytes, downloads = downloads + excluded.downloads,"
    " stored_delta_bytes = stored_delta_bytes + excluded.stored_delta_bytes";

struct Change {
  std::int64_t uploaded_bytes = 0;
  std::int64_t uploads = 0;
  std::int64_t downloaded_bytes = 0;
  std::int64_t downloads = 0;
  std::int64_t stored_delta = 0;
};

boost::system::error_code add(db::Database& db, const std::string& org_id, const std::string& user_id,
                              Clock::time_point when, const Change& c) {
  return db.execute(kUpsert, {org_id, user_id, utc_day(when), c.uploaded_bytes, c.uploads, c.downloaded_bytes,
                              c.downloads, c.stored_delta});
}

std::int64_t as_i64(std::uint64_t n) {
  return n > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(n);
}

std::uint64_t as_u64(std::int64_t n) { return n < 0 ? 0 : static_cast<std::uint64_t>(n); }

}  // namespace

std::string utc_day(Clock::time_point t) {
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return out;
}

bool parse_utc_day(std::string_view text, Clock::time_point& out) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  int y = 0;
  unsigned m = 0, d = 0;
  auto num = [&](std::size_t at, std::size_t n, auto& value) {
    const auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + n, value);
    return ec == std::errc() && end == text.data() + at + n;
  };
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d)) return false;
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
  if (!ymd.ok()) return false;
  out = std::chrono::sys_days(ymd);
  return true;
}

boost::system::error_code UsageCounters::record_upload(db::Database& tx, const std::string& org_id,
                                                       const std::string& user_id, std::uint64_t bytes,
                                                       Clock::time_point when) {
  return add(tx, org_id, user_id, when, {.uploaded_bytes = as_i64(bytes), .uploads = 1, .stored_delta = as_i64(bytes)});
}

boost::system::error_code UsageCounters::record_deletion(db::Database& tx, const std::string& org_id,
                                                         const std::string& user_id, std::uint64_t bytes,
                                                         Clock::time_point when) {
  return add(tx, org_id, user_id, when, {.stored_delta = -as_i64(bytes)});
}

boost::system::error_code UsageCounters::record_download(const TenantScope& scope, const std::string& user_id,
                                                         std::uint64_t bytes, Clock::time_point when) {
  return record_download(db_, scope, user_id, bytes, when);
}

boost::system::error_code UsageCounters::record_download(db::Database& tx, const TenantScope& scope,
                                                         const std::string& user_id, std::uint64_t bytes,
                                                         Clock::time_point when) {
  return add(tx, scope.org_id(), user_id, when, {.downloaded_bytes = as_i64(bytes), .downloads = 1});
}

boost::system::result<UsageReport> UsageCounters::report(const TenantScope& scope, const UsageQuery& q) {
  Clock::time_point from, to;
  if (!parse_utc_day(q.from_day, from) || !parse_utc_day(q.to_day, to) || to < from ||
      to - from >= std::chrono::days(kMaxDays)) {
    return make_error_code(Errc::kBadRequest);
  }
  const std::string& org = scope.org_id();
  // Audit times are 'YYYY-MM-DDTHH:MM:SS.mmmZ': every time of day D sorts at or after 'D' and
  // before the next day's 'YYYY-MM-DD'.
  const std::string after_to = utc_day(to + std::chrono::days(1));
  UsageReport out;
  std::map<std::string, UsageRow> rows;
  auto row = [&](const std::string& key) -> UsageRow& {
    auto& r = rows[key];
    r.key = key;
    return r;
  };
  const bool by_day = q.group_by == UsageGrouping::kDay;
  const std::string key_column = by_day ? "day" : "user_id";
  if (auto ec = db_.execute("SELECT " + key_column +
                                ", sum(uploaded_bytes), sum(uploads), sum(downloaded_bytes), sum(downloads),"
                                " sum(stored_delta_bytes) FROM usage_days WHERE org_id = ?1 AND day >= ?2 AND day <= ?3"
                                " GROUP BY 1",
                            {org, q.from_day, q.to_day}, [&](const db::Row& r) {
                              auto& u = row(r.text(0));
                              u.uploaded_bytes = as_u64(r.integer(1));
                              u.uploads = as_u64(r.integer(2));
                              u.downloaded_bytes = as_u64(r.integer(3));
                              u.downloads = as_u64(r.integer(4));
                              u.stored_bytes = r.integer(5);  // the day's delta for now
                            })) {
    return ec;
  }
  const std::string login_key = by_day ? "substr(at, 1, 10)" : "actor_id";
  if (auto ec = db_.execute("SELECT " + login_key +
                                ", count(*) FROM audit_events WHERE chain = ?1 AND action = 'auth.login'"
                                " AND outcome = 'success' AND at >= ?2 AND at < ?3 AND actor_id IS NOT NULL GROUP BY 1",
                            {org, q.from_day, after_to},
                            [&](const db::Row& r) { row(r.text(0)).logins = as_u64(r.integer(1)); })) {
    return ec;
  }
  if (by_day) {
    // Every day of the range, with the running total of the stored bytes.
    std::int64_t stored = 0;
    if (auto ec =
            db_.execute("SELECT coalesce(sum(stored_delta_bytes), 0) FROM usage_days WHERE org_id = ?1 AND day < ?2",
                        {org, q.from_day}, [&](const db::Row& r) { stored = r.integer(0); })) {
      return ec;
    }
    for (auto day = from; day <= to; day += std::chrono::days(1)) {
      auto& u = row(utc_day(day));
      stored += u.stored_bytes;
      u.stored_bytes = stored;
      out.rows.push_back(u);
    }
  } else {
    for (auto& [key, u] : rows) u.stored_bytes = 0;
    if (auto ec = db_.execute("SELECT user_id, sum(stored_delta_bytes) FROM usage_days WHERE org_id = ?1 AND day <= ?2"
                              " GROUP BY user_id",
                              {org, q.to_day}, [&](const db::Row& r) {
                                if (r.integer(1) != 0 || rows.contains(r.text(0))) {
                                  row(r.text(0)).stored_bytes = r.integer(1);
                                }
                              })) {
      return ec;
    }
    for (auto& [key, u] : rows) out.rows.push_back(u);
  }
  if (auto ec = db_.execute("SELECT owner_id, sum(size), count(*) FROM files WHERE org_id = ?1 GROUP BY owner_id"
                            " ORDER BY owner_id",
                            {org}, [&](const db::Row& r) {
                              out.current.push_back({r.text(0), as_u64(r.integer(1)), as_u64(r.integer(2))});
                            })) {
    return ec;
  }
  return out;
}

boost::system::result<UserStorage> UsageCounters::stored(const TenantScope& scope, const std::string& user_id) {
  UserStorage s{.user_id = user_id};
  if (auto ec = db_.execute("SELECT coalesce(sum(size), 0), count(*) FROM files WHERE org_id = ?1 AND owner_id = ?2",
                            {scope.org_id(), user_id}, [&](const db::Row& r) {
                              s.stored_bytes = as_u64(r.integer(0));
                              s.files = as_u64(r.integer(1));
                            })) {
    return ec;
  }
  return s;
}

boost::system::result<UserUsage> UsageCounters::user_usage(const TenantScope& scope, const std::string& user_id,
                                                           int days, std::chrono::system_clock::time_point now) {
  if (days < 1 || days > kMaxDays) return make_error_code(Errc::kBadRequest);
  auto storage = stored(scope, user_id);
  if (!storage) return storage.error();
  UserUsage u{.stored_bytes = storage->stored_bytes,
              .files = storage->files,
              .since_day = utc_day(now - std::chrono::days(days - 1))};
  if (auto ec = db_.execute("SELECT coalesce(sum(uploaded_bytes), 0), coalesce(sum(uploads), 0),"
                            " coalesce(sum(downloaded_bytes), 0), coalesce(sum(downloads), 0) FROM usage_days"
                            " WHERE org_id = ?1 AND user_id = ?2 AND day >= ?3 AND day <= ?4",
                            {scope.org_id(), user_id, u.since_day, utc_day(now)}, [&](const db::Row& r) {
                              u.uploaded_bytes = as_u64(r.integer(0));
                              u.uploads = as_u64(r.integer(1));
                              u.downloaded_bytes = as_u64(r.integer(2));
                              u.downloads = as_u64(r.integer(3));
                            })) {
    return ec;
  }
  return u;
}

}  // namespace furoshiki::admin
