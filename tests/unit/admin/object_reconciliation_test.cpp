// Start-up reconciliation: objects no files row names are removed, every object a row names is
// kept, and a database that cannot answer removes nothing.
#include "admin/object_reconciliation.hpp"

#include "admin/files.hpp"
#include "crypto/random.hpp"
#include "storage/data_directory.hpp"
#include "storage/file_system.hpp"
#include "test_support/admin_fixture.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace furoshiki::admin {
namespace {

namespace fs = std::filesystem;

class ObjectReconciliationTest : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    char tmpl[] = "/tmp/furoshiki-reconcile-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    ASSERT_FALSE(storage::prepare_data_directory(root_));
    store_ = std::make_unique<storage::ObjectStore>(storage::posix_file_system(), root_);
    files_ = std::make_unique<FileDirectory>(*db_, *audit_);
    CreatedAccount admin;
    const auto e = orgs_->create({"acme", "ACME", "admin@acme.test", ""}, Actor{}, org_, admin);
    ASSERT_FALSE(e) << e.message;
    owner_ = admin.id;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  // A file in objects/<xx>/<id>, as a commit leaves it (the contents do not matter here).
  std::string place_object() {
    const std::string id = crypto::random_hex(16);
    fs::create_directories(root_ / "objects" / id.substr(0, 2));
    std::ofstream(store_->object_path(id)) << "sealed bytes";
    return id;
  }

  std::string place_referenced_object() {
    const std::string object_id = place_object();
    const StoredFile f{.id = crypto::random_hex(16),
                       .org_id = org_.id,
                       .owner_id = owner_,
                       .name = "a.txt",
                       .content_type = "text/plain",
                       .size = 3,
                       .sha256 = std::string(64, 'a'),
                       .object_id = object_id,
                       .created_at = std::chrono::system_clock::now()};
    EXPECT_FALSE(files_->create(orgs_->scope_for(org_), f,
                                AuditEvent{.chain = AuditChain::organization(org_.id), .action = "file.upload"}));
    return object_id;
  }

  fs::path root_;
  std::unique_ptr<storage::ObjectStore> store_;
  std::unique_ptr<FileDirectory> files_;
  Organization org_;
  std::string owner_;
};

TEST_F(ObjectReconciliationTest, RemovesObjectsNoRowNamesAndKeepsTheOthers) {
  const std::string kept = place_referenced_object();
  const std::string orphan = place_object();
  ReconciliationReport report;
  ASSERT_FALSE(remove_unreferenced_objects(*db_, *store_, report));
  EXPECT_EQ(report.referenced, 1u);
  EXPECT_EQ(report.removed, std::vector<std::string>{orphan});
  EXPECT_TRUE(fs::exists(store_->object_path(kept)));
  EXPECT_FALSE(fs::exists(store_->object_path(orphan)));
}

TEST_F(ObjectReconciliationTest, KeepsEveryReferencedObject) {
  std::vector<std::string> kept;
  for (int i = 0; i < 20; ++i) kept.push_back(place_referenced_object());
  ReconciliationReport report;
  ASSERT_FALSE(remove_unreferenced_objects(*db_, *store_, report));
  EXPECT_EQ(report.referenced, 20u);
  EXPECT_TRUE(report.removed.empty());
  for (const auto& id : kept) EXPECT_TRUE(fs::exists(store_->object_path(id))) << id;
}

TEST_F(ObjectReconciliationTest, LeavesWhatIsNoObjectAlone) {
  // Not an object id, or in the wrong fan-out directory: clean_up()'s business, not this pass's.
  fs::create_directories(root_ / "objects" / "ab");
  std::ofstream(root_ / "objects" / "ab" / "notes.txt") << "x";
  std::ofstream(root_ / "objects" / "ab" / std::string(32, 'c')) << "x";
  ReconciliationReport report;
  ASSERT_FALSE(remove_unreferenced_objects(*db_, *store_, report));
  EXPECT_TRUE(report.removed.empty());
  EXPECT_TRUE(fs::exists(root_ / "objects" / "ab" / "notes.txt"));
  EXPECT_TRUE(fs::exists(root_ / "objects" / "ab" / std::string(32, 'c')));
}

TEST_F(ObjectReconciliationTest, RemovesNothingWhenTheDatabaseCannotAnswer) {
  const std::string kept = place_referenced_object();
  ASSERT_FALSE(db_->execute("ALTER TABLE files RENAME TO files_gone"));
  ReconciliationReport report;
  EXPECT_TRUE(remove_unreferenced_objects(*db_, *store_, report));
  EXPECT_TRUE(report.removed.empty());
  EXPECT_TRUE(fs::exists(store_->object_path(kept)));
}

}  // namespace
}  // namespace furoshiki::admin
