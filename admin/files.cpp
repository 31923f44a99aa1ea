// Stored file rows; see files.hpp.
#include "admin/files.hpp"

#include "admin/usage.hpp"
#include "common/error.hpp"

#include <algorithm>
#include <charconv>

namespace furoshiki::admin {

namespace {

using Clock = std::chrono::system_clock;

constexpr std::string_view kColumns =
    "id, org_id, owner_id, name, content_type, size, sha256, object_id, created_at, expires_at, scan_verdict, "
    "scan_detail";

std::int64_t to_ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Appended to a query by the owner whose next free parameter is ?4 (now, in ms).
constexpr std::string_view kNotExpired = " AND (expires_at IS NULL OR expires_at > ?4)";

Clock::time_point from_ms(std::int64_t ms) { return Clock::time_point(std::chrono::milliseconds(ms)); }

StoredFile file_of(const db::Row& r) {
  StoredFile f;
  f.id = r.text(0);
  f.org_id = r.text(1);
  f.owner_id = r.text(2);
  f.name = r.text(3);
  f.content_type = r.text(4);
  f.size = static_cast<std::uint64_t>(r.integer(5));
  f.sha256 = r.text(6);
  f.object_id = r.text(7);
  f.created_at = from_ms(r.integer(8));
  if (!r.is_null(9)) f.expires_at = from_ms(r.integer(9));
  f.scan_verdict = r.text(10);
  f.scan_detail = r.text(11);
  return f;
}

db::Value text_or_null(const std::string& s) { return s.empty() ? db::Value(nullptr) : db::Value(s); }

// The list cursor's key: "<created_at ms>:<id>" of the last file of a page.
std::string cursor_key(const StoredFile& f) { return std::to_string(to_ms(f.created_at)) + ":" + f.id; }

bool parse_cursor_key(const std::string& key, std::int64_t& ms, std::string& id) {
  const auto colon = key.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  const auto [end, ec] = std::from_chars(key.data(), key.data() + colon, ms);
  if (ec != std::errc() || end != key.data() + colon) return false;
  id = key.substr(colon + 1);
  return id.size() == 32;
}

}  // namespace

FileDirectory::FileDirectory(db::Database& db, AuditLog& audit, FileClock clock)
    : db_(db), audit_(audit), clock_(clock ? std::move(clock) : FileClock([] { return Clock::now(); })) {}

boost::system::error_code FileDirectory::create(const TenantScope& scope, const StoredFile& f,
                                                const AuditEvent& event) {
  if (f.org_id != scope.org_id() || event.chain.org_id() != scope.org_id()) return make_error_code(Errc::kInternal);
  return db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    const std::string sql =
        "INSERT INTO files (" + std::string(kColumns) + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
    if (auto ec = tx.execute(
            sql, {f.id, f.org_id, f.owner_id, f.name, f.content_type, static_cast<std::int64_t>(f.size), f.sha256,
                  f.object_id, to_ms(f.created_at), f.expires_at ? db::Value(to_ms(*f.expires_at)) : db::Value(nullptr),
                  f.scan_verdict, text_or_null(f.scan_detail)})) {
      return ec;
    }
    if (auto ec = UsageCounters::record_upload(tx, f.org_id, f.owner_id, f.size, f.created_at)) return ec;
    return audit_.append(tx, event);
  });
}

boost::system::result<StoredFile> FileDirectory::get(const TenantScope& scope, const std::string& owner_id,
                                                     const std::string& id) {
  std::optional<StoredFile> found;
  const std::string sql = "SELECT " + std::string(kColumns) +
                          " FROM files WHERE org_id = ?1 AND owner_id = ?2 AND id = ?3" + std::string(kNotExpired);
  if (auto ec = db_.execute(sql, {scope.org_id(), owner_id, id, to_ms(clock_())},
                            [&](const db::Row& r) { found = file_of(r); })) {
    return ec;
  }
  if (!found) return make_error_code(Errc::kNotFound);
  return std::move(*found);
}

boost::system::result<FilePage> FileDirectory::list(const TenantScope& scope, const std::string& owner_id,
                                                    const std::string& after, std::size_t limit) {
  if (limit == 0 || limit > kMaxPageSize) return make_error_code(Errc::kBadRequest);
  std::int64_t after_ms = INT64_MAX;
  std::string after_id(32, 'g');  // sorts after every hex id: the first page starts at the newest
  if (!after.empty() && !parse_cursor_key(after, after_ms, after_id)) return make_error_code(Errc::kBadRequest);
  FilePage page;
  const std::string sql = "SELECT " + std::string(kColumns) +
                          " FROM files WHERE org_id = ?1 AND owner_id = ?2"
                          " AND (created_at < ?3 OR (created_at = ?3 AND id < ?4))"
                          " AND (expires_at IS NULL OR expires_at > ?6)"
                          " ORDER BY created_at DESC, id DESC LIMIT ?5";
  if (auto ec = db_.execute(
          sql, {scope.org_id(), owner_id, after_ms, after_id, static_cast<std::int64_t>(limit + 1), to_ms(clock_())},
          [&](const db::Row& r) { page.files.push_back(file_of(r)); })) {
    return ec;
  }
  if (page.files.size() > limit) {
    page.files.resize(limit);
    page.next_cursor = cursor_key(page.files.back());
  }
  return page;
}

boost::system::result<StoredFile> FileDirectory::remove(const TenantScope& scope, const std::string& owner_id,
                                                        const std::string& id, const AuditEvent& event) {
  if (event.chain.org_id() != scope.org_id()) return make_error_code(Errc::kInternal);
  std::optional<StoredFile> found;
  const auto now = clock_();
  auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    const std::string sql = "SELECT " + std::string(kColumns) +
                            " FROM files WHERE org_id = ?1 AND owner_id = ?2 AND id = ?3" + std::string(kNotExpired);
    if (auto e = tx.execute(sql, {scope.org_id(), owner_id, id, to_ms(now)},
                            [&](const db::Row& r) { found = file_of(r); })) {
      return e;
    }
    if (!found) return make_error_code(Errc::kNotFound);
    if (auto e = tx.execute("DELETE FROM files WHERE org_id = ?1 AND id = ?2", {scope.org_id(), id})) return e;
    if (auto e = UsageCounters::record_deletion(tx, found->org_id, found->owner_id, found->size, now)) return e;
    return audit_.append(tx, event);
  });
  if (ec) return ec;
  return std::move(*found);
}

boost::system::error_code FileDirectory::remove_expired(std::size_t limit, std::vector<StoredFile>& removed) {
  removed.clear();
  const auto now = clock_();
  std::vector<StoredFile> due;
  const std::string sql = "SELECT " + std::string(kColumns) +
                          " FROM files WHERE expires_at IS NOT NULL AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2";
  if (auto ec = db_.execute(sql, {to_ms(now), static_cast<std::int64_t>(limit)},
                            [&](const db::Row& r) { due.push_back(file_of(r)); })) {
    return ec;
  }
  boost::system::error_code first;
  for (const auto& f : due) {
    bool deleted = false;
    auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
      // Still there and still expired: a user's delete may have come first.
      std::int64_t rows = 0;
      if (auto e = tx.execute("SELECT count(*) FROM files WHERE id = ?1 AND expires_at <= ?2", {f.id, to_ms(now)},
                              [&](const db::Row& r) { rows = r.integer(0); })) {
        return e;
      }
      if (rows == 0) return {};
      if (auto e = tx.execute("DELETE FROM files WHERE id = ?1", {f.id})) return e;
      if (auto e = UsageCounters::record_deletion(tx, f.org_id, f.owner_id, f.size, now)) return e;
      AuditEvent event{.chain = AuditChain::organization(f.org_id)};
      event.actor_type = ActorType::kSystem;
      event.action = "file.expired";
      event.target = f.id;
      event.details = {{"name", f.name}, {"size", f.size}};
      if (auto e = audit_.append(tx, event)) return e;
      deleted = true;
      return {};
    });
    if (ec) {
      if (!first) first = ec;
      continue;
    }
    if (deleted) removed.push_back(f);
  }
  return first;
}

boost::system::result<std::uint64_t> FileDirectory::stored_bytes(const TenantScope& scope,
                                                                 const std::string& owner_id) {
  std::int64_t total = 0;
  const auto take = [&total](const db::Row& r) { total = r.integer(0); };
  const auto ec =
      owner_id.empty()
          ? db_.execute("SELECT COALESCE(SUM(size), 0) FROM files WHERE org_id = ?1", {scope.org_id()}, take)
          : db_.execute("SELECT COALESCE(SUM(size), 0) FROM files WHERE org_id = ?1 AND owner_id = ?2",
                        {scope.org_id(), owner_id}, take);
  if (ec) return ec;
  return static_cast<std::uint64_t>(std::max<std::int64_t>(total, 0));
}

}  // namespace furoshiki::admin
