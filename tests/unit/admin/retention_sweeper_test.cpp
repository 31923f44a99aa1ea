// Retention: an expired file is invisible to its owner at once (by the injected clock), and the
// sweeper deletes its row, usage and object with a "file.expired" audit event, a bounded batch at
// a time, leaving files not yet expired alone.
#include "admin/retention_sweeper.hpp"

#include "common/error.hpp"
#include "crypto/random.hpp"
#include "storage/data_directory.hpp"
#include "storage/file_system.hpp"
#include "test_support/admin_fixture.hpp"
#include "test_support/manual_clock.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace furoshiki::admin {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class RetentionSweeperTest : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    char tmpl[] = "/tmp/furoshiki-sweeper-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    ASSERT_FALSE(storage::prepare_data_directory(root_));
    store_ = std::make_unique<storage::ObjectStore>(storage::posix_file_system(), root_);
    files_ = std::make_unique<FileDirectory>(*db_, *audit_, clock_.function());
    CreatedAccount admin;
    const auto e = orgs_->create({"acme", "ACME", "admin@acme.test", ""}, Actor{}, org_, admin);
    ASSERT_FALSE(e) << e.message;
    owner_ = admin.id;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  // A stored file (row and object) that expires `retention` from now; nullopt: never.
  StoredFile store_file(std::optional<std::chrono::system_clock::duration> retention, std::uint64_t size = 3) {
    const std::string object_id = crypto::random_hex(16);
    fs::create_directories(root_ / "objects" / object_id.substr(0, 2));
    std::ofstream(store_->object_path(object_id)) << "sealed bytes";
    StoredFile f{.id = crypto::random_hex(16),
                 .org_id = org_.id,
                 .owner_id = owner_,
                 .name = "report.pdf",
                 .content_type = "application/pdf",
                 .size = size,
                 .sha256 = std::string(64, 'a'),
                 .object_id = object_id,
                 .created_at = clock_.now()};
    if (retention) f.expires_at = clock_.now() + *retention;
    EXPECT_FALSE(
        files_->create(scope(), f, AuditEvent{.chain = AuditChain::organization(org_.id), .action = "file.upload"}));
    return f;
  }

  TenantScope scope() { return orgs_->scope_for(org_); }

  test_support::ManualClock clock_;
  fs::path root_;
  std::unique_ptr<storage::ObjectStore> store_;
  std::unique_ptr<FileDirectory> files_;
  Organization org_;
  std::string owner_;
};

TEST_F(RetentionSweeperTest, ExpiredFileIsInvisibleBeforeTheSweep) {
  const auto f = store_file(1h);
  ASSERT_TRUE(files_->get(scope(), owner_, f.id));
  clock_.advance(1h);
  EXPECT_EQ(files_->get(scope(), owner_, f.id).error(), Errc::kNotFound);
  auto page = files_->list(scope(), owner_, "", 50);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->files.empty());
  EXPECT_EQ(files_
                ->remove(scope(), owner_, f.id,
                         AuditEvent{.chain = AuditChain::organization(org_.id), .action = "file.delete"})
                .error(),
            Errc::kNotFound);
  // Not deleted yet: only the sweeper does that.
  EXPECT_EQ(count("SELECT count(*) FROM files"), 1);
}

TEST_F(RetentionSweeperTest, SweepDeletesExpiredFilesWithTheirObjectsAndAuditEvents) {
  const auto expired = store_file(1h, 1000);
  const auto kept = store_file(2h);
  const auto forever = store_file(std::nullopt);
  clock_.advance(1h);
  RetentionSweeper sweeper(*files_, *store_, {.interval = 1s, .batch = 10});
  const auto report = sweeper.sweep_once();
  EXPECT_EQ(report.expired, 1u);
  EXPECT_EQ(report.objects_removed, 1u);
  EXPECT_EQ(report.errors, 0u);
  EXPECT_EQ(count("SELECT count(*) FROM files WHERE id = ?1", {expired.id}), 0);
  EXPECT_FALSE(fs::exists(store_->object_path(expired.object_id)));
  EXPECT_TRUE(fs::exists(store_->object_path(kept.object_id)));
  EXPECT_TRUE(fs::exists(store_->object_path(forever.object_id)));
  EXPECT_EQ(count("SELECT count(*) FROM files"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE action = 'file.expired' AND target = ?1 AND org_id = ?2"
                  " AND actor_type = 'system' AND outcome = 'success' AND details LIKE '%report.pdf%'",
                  {expired.id, org_.id}),
            1);
  // The usage counters: the expired bytes are no longer stored.
  EXPECT_EQ(count("SELECT sum(stored_delta_bytes) FROM usage_days WHERE org_id = ?1", {org_.id}), 3 + 3);
  VerifyResult verified;
  ASSERT_FALSE(audit_->verify(AuditChain::organization(org_.id), verified));
  EXPECT_TRUE(verified.ok);
}

TEST_F(RetentionSweeperTest, APassDeletesAtMostItsBatch) {
  for (int i = 0; i < 5; ++i) store_file(1min);
  clock_.advance(1min);
  RetentionSweeper sweeper(*files_, *store_, {.interval = 1s, .batch = 2});
  EXPECT_EQ(sweeper.sweep_once().expired, 2u);
  EXPECT_EQ(count("SELECT count(*) FROM files"), 3);
  EXPECT_EQ(sweeper.sweep_once().expired, 2u);
  EXPECT_EQ(sweeper.sweep_once().expired, 1u);
  EXPECT_EQ(sweeper.sweep_once().expired, 0u);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE action = 'file.expired'"), 5);
}

TEST_F(RetentionSweeperTest, AMissingObjectDoesNotStopTheSweep) {
  const auto f = store_file(1min);
  fs::remove(store_->object_path(f.object_id));
  clock_.advance(1min);
  RetentionSweeper sweeper(*files_, *store_, {.interval = 1s, .batch = 10});
  const auto report = sweeper.sweep_once();
  EXPECT_EQ(report.expired, 1u);
  EXPECT_EQ(report.errors, 0u);
  EXPECT_EQ(count("SELECT count(*) FROM files"), 0);
}

TEST_F(RetentionSweeperTest, ADatabaseFailureIsReportedNotThrown) {
  store_file(1min);
  clock_.advance(1min);
  ASSERT_FALSE(db_->execute("DROP TABLE usage_days"));
  RetentionSweeper sweeper(*files_, *store_, {.interval = 1s, .batch = 10});
  const auto report = sweeper.sweep_once();
  EXPECT_EQ(report.expired, 0u);
  EXPECT_GE(report.errors, 1u);
  // Rolled back: the row, and its object, are still there for the next pass.
  EXPECT_EQ(count("SELECT count(*) FROM files"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE action = 'file.expired'"), 0);
}

TEST_F(RetentionSweeperTest, TheThreadSweepsAndStops) {
  const auto f = store_file(1min);
  clock_.advance(1min);
  RetentionSweeper sweeper(*files_, *store_, {.interval = 10ms, .batch = 10});
  sweeper.start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (fs::exists(store_->object_path(f.object_id)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  sweeper.stop();
  EXPECT_FALSE(fs::exists(store_->object_path(f.object_id)));
  EXPECT_EQ(count("SELECT count(*) FROM files"), 0);
}

}  // namespace
}  // namespace furoshiki::admin
