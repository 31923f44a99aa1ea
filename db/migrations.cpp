// Schema migrations; see migrations.hpp.
#include "db/migrations.hpp"

#include "common/log.hpp"

#include <charconv>

namespace furoshiki::db {

std::vector<Migration> parse_migrations(const std::vector<MigrationFile>& files, boost::system::error_code& ec) {
  std::vector<Migration> out;
  for (const auto& file : files) {
    int version = 0;
    const auto* begin = file.name.data();
    const auto [end, parse_ec] = std::from_chars(begin, begin + file.name.size(), version);
    const bool well_formed = parse_ec == std::errc{} && end - begin == 4 && *end == '_' && file.name.ends_with(".sql");
    if (!well_formed || version != static_cast<int>(out.size()) + 1) {
      log::error("bad_migration_file", {{"file", file.name}, {"expected_version", out.size() + 1}});
      ec = DbErrc::kBadMigration;
      return {};
    }
    out.push_back({version, file.name, file.sql});
  }
  ec = {};
  return out;
}

namespace {
constexpr std::string_view kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
    ") STRICT";
}  // namespace

boost::system::error_code schema_version(Database& db, int& version) {
  version = 0;
  bool exists = false;
  if (auto ec = db.execute("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'", {},
                           [&](const Row&) { exists = true; })) {
    return ec;
  }
  if (!exists) return {};
  return db.execute("SELECT coalesce(max(version), 0) FROM schema_version", {},
                    [&](const Row& row) { version = static_cast<int>(row.integer(0)); });
}

boost::system::error_code migrate(Database& db, const std::vector<Migration>& migrations, MigrationReport& report) {
  if (auto ec = db.execute_script(kCreateVersionTable)) return ec;
  int current = 0;
  if (auto ec = schema_version(db, current)) return ec;
  report.from_version = report.to_version = current;
  const int latest = static_cast<int>(migrations.size());
  if (current > latest) {
    log::error("database_schema_newer", {{"database_version", current}, {"known_version", latest}});
    return DbErrc::kNewerSchema;
  }
  for (const auto& m : migrations) {
    if (m.version <= current) continue;
    auto ec = db.transaction([&](Database& tx) -> boost::system::error_code {
      if (auto e = tx.execute_script(m.sql)) return e;
      return tx.execute("INSERT INTO schema_version (version, name) VALUES (?1, ?2)",
                        {std::int64_t{m.version}, std::string(m.name)});
    });
    if (ec) {
      log::error("migration_failed", {{"version", m.version}, {"file", m.name}});
      return ec;
    }
    log::info("migration_applied", {{"version", m.version}, {"file", m.name}});
    report.to_version = m.version;
  }
  return {};
}

boost::system::error_code check_schema(Database& db, const std::vector<Migration>& migrations) {
  int current = 0;
  if (auto ec = schema_version(db, current)) return ec;
  const int latest = static_cast<int>(migrations.size());
  if (current > latest) return DbErrc::kNewerSchema;
  if (current < latest) return DbErrc::kOlderSchema;
  return {};
}

}  // namespace furoshiki::db
