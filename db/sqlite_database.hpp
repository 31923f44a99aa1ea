// The SQLite implementation of Database: WAL journal, foreign keys on, a busy timeout,
// synchronous=FULL (a committed upload must survive power loss).
#pragma once

#include "db/database.hpp"

#include <chrono>
#include <filesystem>
#include <memory>

namespace furoshiki::db {

struct SqliteOptions {
  std::filesystem::path path;  // ":memory:" for an in-memory database (tests)
  std::chrono::milliseconds busy_timeout{5000};
  bool create = true;  // create the file if it does not exist
};

// Opens (and configures) the database. On failure returns nullptr and sets `ec`; the detail is logged.
std::unique_ptr<Database> open_sqlite(const SqliteOptions& options, boost::system::error_code& ec);

}  // namespace furoshiki::db
