// SQLite backend; see sqlite_database.hpp.
#include "db/sqlite_database.hpp"

#include "common/log.hpp"

#include <sqlite3.h>

#include <mutex>
#include <thread>

namespace furoshiki::db {
namespace {

boost::system::error_code map_sqlite(int rc) {
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW: return {};
    case SQLITE_CONSTRAINT: return DbErrc::kConstraint;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return DbErrc::kBusy;
    default: return DbErrc::kIo;
  }
}

class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }
  sqlite3_stmt** out() { return &stmt_; }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(sqlite3* handle) : db_(handle) {}
  using Database::execute;
  ~SqliteDatabase() override { sqlite3_close_v2(db_); }

  boost::system::error_code execute(std::string_view sql, std::span<const Value> params,
                                    const RowCallback& on_row) override {
    std::lock_guard lock(mutex_);
    return execute_locked(sql, params, on_row);
  }

  boost::system::error_code execute_script(std::string_view sql) override {
    std::lock_guard lock(mutex_);
    const std::string text(sql);
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      log::error("database_error", {{"operation", "script"}, {"detail", message ? message : sqlite3_errstr(rc)}});
    }
    sqlite3_free(message);
    return map_sqlite(rc);
  }

  boost::system::error_code transaction(const std::function<boost::system::error_code(Database&)>& body) override {
    std::lock_guard lock(mutex_);
    if (auto ec = execute_locked("BEGIN IMMEDIATE", {}, {})) return ec;
    boost::system::error_code ec;
    try {
      ec = body(*this);
    } catch (...) {
      (void)execute_locked("ROLLBACK", {}, {});
      throw;
    }
    if (ec) {
      (void)execute_locked("ROLLBACK", {}, {});
      return ec;
    }
    if (auto commit_ec = execute_locked("COMMIT", {}, {})) {
      (void)execute_locked("ROLLBACK", {}, {});
      return commit_ec;
    }
    return {};
  }

  bool ping() override {
    std::int64_t one = 0;
    const auto ec = execute("SELECT 1", {}, [&](const Row& row) { one = row.integer(0); });
    return !ec && one == 1;
  }

  std::string backend() const override { return std::string("sqlite ") + sqlite3_libversion(); }

 private:
  // REQUIRES: mutex_ held (recursive: transaction bodies call execute()).
  boost::system::error_code execute_locked(std::string_view sql, std::span<const Value> params,
                                           const RowCallback& on_row) {
    Statement stmt;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), stmt.out(), nullptr);
    if (rc != SQLITE_OK) return fail("prepare", rc);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      rc = std::visit(
          [&](const auto& v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>)
              return sqlite3_bind_null(stmt.get(), index);
            else if constexpr (std::is_same_v<T, std::int64_t>)
              return sqlite3_bind_int64(stmt.get(), index, v);
            else if constexpr (std::is_same_v<T, double>)
              return sqlite3_bind_double(stmt.get(), index, v);
            else if constexpr (std::is_same_v<T, std::string>)
              return sqlite3_bind_text64(stmt.get(), index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
            else
              return sqlite3_bind_blob64(stmt.get(), index, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT);
          },
          params[i]);
      if (rc != SQLITE_OK) return fail("bind", rc);
    }
    std::vector<Value> columns;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      if (!on_row) continue;
      const int n = sqlite3_column_count(stmt.get());
      columns.assign(static_cast<std::size_t>(n), nullptr);
      for (int c = 0; c < n; ++c) {
        auto& out = columns[static_cast<std::size_t>(c)];
        switch (sqlite3_column_type(stmt.get(), c)) {
          case SQLITE_INTEGER: out = static_cast<std::int64_t>(sqlite3_column_int64(stmt.get(), c)); break;
          case SQLITE_FLOAT: out = sqlite3_column_double(stmt.get(), c); break;
          case SQLITE_TEXT:
            out = std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), c)),
                              static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), c)));
            break;
          case SQLITE_BLOB: {
            const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt.get(), c));
            out = Blob{std::vector<std::uint8_t>(p, p + sqlite3_column_bytes(stmt.get(), c))};
            break;
          }
          default: out = nullptr;
        }
      }
      on_row(Row(columns));
    }
    if (rc != SQLITE_DONE) return fail("step", rc);
    return {};
  }

  boost::system::error_code fail(const char* operation, int rc) {
    log::error("database_error", {{"operation", operation}, {"code", rc}, {"detail", sqlite3_errmsg(db_)}});
    return map_sqlite(rc);
  }

  sqlite3* db_;
  std::recursive_mutex mutex_;
};

}  // namespace

std::unique_ptr<Database> open_sqlite(const SqliteOptions& options, boost::system::error_code& ec) {
  sqlite3* handle = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW;
  int rc = sqlite3_open_v2(options.path.c_str(), &handle, flags, nullptr);
  if (rc != SQLITE_OK) {
    log::error("database_open_failed", {{"detail", handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc)}});
    sqlite3_close_v2(handle);
    ec = DbErrc::kIo;
    return nullptr;
  }
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, static_cast<int>(options.busy_timeout.count()));
  auto db = std::make_unique<SqliteDatabase>(handle);
  const bool memory = options.path == ":memory:";
  for (const char* pragma : {"PRAGMA foreign_keys = ON", "PRAGMA synchronous = FULL", "PRAGMA trusted_schema = OFF"}) {
    if ((ec = db->execute(pragma))) return nullptr;
  }
  if (!memory) {
    std::string mode;
    ec = db->execute("PRAGMA journal_mode = WAL", {}, [&](const Row& row) { mode = row.text(0); });
    if (ec) return nullptr;
    if (mode != "wal") {
      log::error("database_open_failed", {{"detail", "could not enable WAL journal mode"}, {"mode", mode}});
      ec = DbErrc::kIo;
      return nullptr;
    }
  }
  ec = {};
  return db;
}

}  // namespace furoshiki::db
