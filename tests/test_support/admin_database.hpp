// What the admin tests share: an in-memory SQLite database at the latest schema, and a password
// hasher at test cost (the production cost would make every test take seconds).
#pragma once

#include "crypto/password.hpp"
#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"

#include <stdexcept>

namespace furoshiki::test_support {

inline std::unique_ptr<db::Database> migrated_memory_database() {
  boost::system::error_code ec;
  auto db = db::open_sqlite({":memory:"}, ec);
  if (!db) throw std::runtime_error("cannot open an in-memory database: " + ec.message());
  auto migrations = db::parse_migrations(db::embedded_migrations(), ec);
  db::MigrationReport report;
  if (ec || (ec = db::migrate(*db, migrations, report))) throw std::runtime_error("migration failed: " + ec.message());
  return db;
}

inline std::unique_ptr<crypto::PasswordHasher> low_cost_password_hasher(
    std::shared_ptr<const crypto::CryptoContext> ctx) {
  crypto::PasswordPolicy cheap;
  cheap.argon2 = {64, 1, 1};
  cheap.pbkdf2_iterations = 1000;
  return std::make_unique<crypto::PasswordHasher>(std::move(ctx), cheap, crypto::PasswordHasher::LowCostForTests{});
}

}  // namespace furoshiki::test_support
