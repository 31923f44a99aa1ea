// The SQLite backend: parameter binding, result rows, transactions, pragmas.
#include "db/sqlite_database.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

namespace furoshiki::db {
namespace {

std::unique_ptr<Database> open_memory() {
  boost::system::error_code ec;
  auto db = open_sqlite({":memory:"}, ec);
  EXPECT_FALSE(ec) << ec.message();
  return db;
}

TEST(SqliteDatabaseTest, BindsAndReadsEveryValueType) {
  auto db = open_memory();
  ASSERT_FALSE(db->execute_script("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)"));
  ASSERT_FALSE(db->execute("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)",
                           {std::int64_t{-7}, 2.5, std::string("h\0i", 3), Blob{{0, 1, 255}}, nullptr}));
  int rows = 0;
  ASSERT_FALSE(db->execute("SELECT i, r, s, b, n FROM t", {}, [&](const Row& row) {
    ++rows;
    EXPECT_EQ(row.integer(0), -7);
    EXPECT_EQ(std::get<double>(row[1]), 2.5);
    EXPECT_EQ(row.text(2), std::string("h\0i", 3));
    EXPECT_EQ(std::get<Blob>(row[3]), (Blob{{0, 1, 255}}));
    EXPECT_TRUE(row.is_null(4));
  }));
  EXPECT_EQ(rows, 1);
}

TEST(SqliteDatabaseTest, ForeignKeysAreEnforced) {
  auto db = open_memory();
  ASSERT_FALSE(db->execute_script(
      "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INTEGER NOT NULL REFERENCES p(id))"));
  EXPECT_EQ(db->execute("INSERT INTO c VALUES (42)"), make_error_code(DbErrc::kConstraint));
}

TEST(SqliteDatabaseTest, FailedTransactionRollsBack) {
  auto db = open_memory();
  ASSERT_FALSE(db->execute_script("CREATE TABLE t (v INTEGER UNIQUE)"));
  const auto ec = db->transaction([](Database& tx) -> boost::system::error_code {
    if (auto e = tx.execute("INSERT INTO t VALUES (1)")) return e;
    return tx.execute("INSERT INTO t VALUES (1)");  // violates UNIQUE
  });
  EXPECT_EQ(ec, make_error_code(DbErrc::kConstraint));
  std::int64_t count = -1;
  ASSERT_FALSE(db->execute("SELECT count(*) FROM t", {}, [&](const Row& r) { count = r.integer(0); }));
  EXPECT_EQ(count, 0);
}

TEST(SqliteDatabaseTest, ThrowingTransactionBodyRollsBackAndPropagates) {
  auto db = open_memory();
  ASSERT_FALSE(db->execute_script("CREATE TABLE t (v INTEGER)"));
  EXPECT_THROW((void)db->transaction([](Database& tx) -> boost::system::error_code {
    (void)tx.execute("INSERT INTO t VALUES (1)");
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  std::int64_t count = -1;
  ASSERT_FALSE(db->execute("SELECT count(*) FROM t", {}, [&](const Row& r) { count = r.integer(0); }));
  EXPECT_EQ(count, 0);
  EXPECT_TRUE(db->ping());
}

TEST(SqliteDatabaseTest, SyntaxErrorIsAnErrorNotACrash) {
  auto db = open_memory();
  EXPECT_EQ(db->execute("SELEKT 1"), make_error_code(DbErrc::kIo));
  EXPECT_TRUE(db->ping());
}

TEST(SqliteDatabaseTest, FileDatabaseUsesWal) {
  char tmpl[] = "/tmp/furoshiki-db-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::filesystem::path dir(tmpl);
  {
    boost::system::error_code ec;
    auto db = open_sqlite({dir / "x.db"}, ec);
    ASSERT_TRUE(db) << ec.message();
    std::string mode;
    ASSERT_FALSE(db->execute("PRAGMA journal_mode", {}, [&](const Row& r) { mode = r.text(0); }));
    EXPECT_EQ(mode, "wal");
    EXPECT_NE(db->backend().find("sqlite 3."), std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST(SqliteDatabaseTest, OpeningAMissingFileWithoutCreateFails) {
  boost::system::error_code ec;
  SqliteOptions options;
  options.path = "/nonexistent-dir/x.db";
  options.create = false;
  EXPECT_EQ(open_sqlite(options, ec), nullptr);
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace furoshiki::db
