// Schema migrations: ordering, idempotence, atomicity, newer-schema refusal, embedded files.
#include "db/migrations.hpp"

#include "db/sqlite_database.hpp"

#include <gtest/gtest.h>

namespace furoshiki::db {
namespace {

std::unique_ptr<Database> open_memory() {
  boost::system::error_code ec;
  return open_sqlite({":memory:"}, ec);
}

std::vector<Migration> parse_ok(const std::vector<MigrationFile>& files) {
  boost::system::error_code ec;
  auto out = parse_migrations(files, ec);
  EXPECT_FALSE(ec);
  return out;
}

bool table_exists(Database& db, const std::string& name) {
  bool found = false;
  EXPECT_FALSE(db.execute("SELECT 1 FROM sqlite_schema WHERE name = ?1", {name}, [&](const Row&) { found = true; }));
  return found;
}

TEST(MigrationsTest, EmbeddedMigrationsFormASequenceAndApply) {
  auto migrations = parse_ok(embedded_migrations());
  ASSERT_FALSE(migrations.empty());
  auto db = open_memory();
  MigrationReport report;
  ASSERT_FALSE(migrate(*db, migrations, report));
  EXPECT_EQ(report.from_version, 0);
  EXPECT_EQ(report.to_version, static_cast<int>(migrations.size()));
  EXPECT_FALSE(check_schema(*db, migrations));
  std::string instance_id;
  ASSERT_FALSE(db->execute("SELECT id FROM instance", {}, [&](const Row& r) { instance_id = r.text(0); }));
  EXPECT_EQ(instance_id.size(), 32u);
}

TEST(MigrationsTest, SecondRunIsANoOp) {
  const std::vector<MigrationFile> files = {{"0001_a.sql", "CREATE TABLE a (x INTEGER);"}};
  auto migrations = parse_ok(files);
  auto db = open_memory();
  MigrationReport report;
  ASSERT_FALSE(migrate(*db, migrations, report));
  ASSERT_FALSE(migrate(*db, migrations, report));
  EXPECT_EQ(report.from_version, 1);
  EXPECT_EQ(report.to_version, 1);
}

TEST(MigrationsTest, AppliesOnlyPendingOnesInOrder) {
  std::vector<MigrationFile> files = {{"0001_a.sql", "CREATE TABLE a (x INTEGER);"}};
  auto db = open_memory();
  MigrationReport report;
  ASSERT_FALSE(migrate(*db, parse_ok(files), report));
  files.push_back({"0002_b.sql", "CREATE TABLE b (y INTEGER REFERENCES a(x));"});
  EXPECT_EQ(check_schema(*db, parse_ok(files)), make_error_code(DbErrc::kOlderSchema));
  ASSERT_FALSE(migrate(*db, parse_ok(files), report));
  EXPECT_EQ(report.from_version, 1);
  EXPECT_EQ(report.to_version, 2);
  EXPECT_TRUE(table_exists(*db, "b"));
}

TEST(MigrationsTest, FailingMigrationLeavesNothingBehind) {
  const std::vector<MigrationFile> files = {
      {"0001_a.sql", "CREATE TABLE a (x INTEGER);"},
      {"0002_bad.sql", "CREATE TABLE half (x INTEGER); THIS IS NOT SQL;"},
  };
  auto db = open_memory();
  MigrationReport report;
  EXPECT_TRUE(migrate(*db, parse_ok(files), report));
  EXPECT_EQ(report.to_version, 1);
  EXPECT_FALSE(table_exists(*db, "half"));
  int version = -1;
  ASSERT_FALSE(schema_version(*db, version));
  EXPECT_EQ(version, 1);
}

TEST(MigrationsTest, NewerDatabaseIsRefusedUntouched) {
  const std::vector<MigrationFile> two = {{"0001_a.sql", "CREATE TABLE a (x INTEGER);"},
                                          {"0002_b.sql", "CREATE TABLE b (x INTEGER);"}};
  auto db = open_memory();
  MigrationReport report;
  ASSERT_FALSE(migrate(*db, parse_ok(two), report));
  const std::vector<MigrationFile> one = {two[0]};
  EXPECT_EQ(migrate(*db, parse_ok(one), report), make_error_code(DbErrc::kNewerSchema));
  EXPECT_EQ(check_schema(*db, parse_ok(one)), make_error_code(DbErrc::kNewerSchema));
  EXPECT_TRUE(table_exists(*db, "b"));
}

TEST(MigrationsTest, GapsAndBadNamesAreRejected) {
  boost::system::error_code ec;
  (void)parse_migrations({{"0001_a.sql", ""}, {"0003_c.sql", ""}}, ec);
  EXPECT_EQ(ec, make_error_code(DbErrc::kBadMigration));
  (void)parse_migrations({{"1_a.sql", ""}}, ec);
  EXPECT_EQ(ec, make_error_code(DbErrc::kBadMigration));
  (void)parse_migrations({{"0001_a.txt", ""}}, ec);
  EXPECT_EQ(ec, make_error_code(DbErrc::kBadMigration));
}

TEST(MigrationsTest, EmptyDatabaseIsVersionZero) {
  auto db = open_memory();
  int version = -1;
  ASSERT_FALSE(schema_version(*db, version));
  EXPECT_EQ(version, 0);
}

}  // namespace
}  // namespace furoshiki::db
