// UploadRecords: upload rows are reached only within their organization and by their owner, the
// unfinished-upload limits count receiving rows (check and insert in one transaction), start-up
// marks interrupted uploads failed, and ended rows are purged once their time has passed.
#include "admin/upload_records.hpp"

#include "common/error.hpp"
#include "crypto/random.hpp"
#include "test_support/admin_fixture.hpp"

#include <gtest/gtest.h>

namespace furoshiki::admin {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const Clock::time_point kT0 = Clock::time_point(std::chrono::seconds(1'800'000'000));

class UploadRecordsTest : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    records_ = std::make_unique<UploadRecords>(*db_);
    const auto ea = orgs_->create({"acme", "ACME", "admin@acme.test", ""}, Actor{}, a_, a_admin_);
    ASSERT_FALSE(ea) << ea.message;
    const auto eb = orgs_->create({"beta", "Beta", "admin@beta.test", ""}, Actor{}, b_, b_admin_);
    ASSERT_FALSE(eb) << eb.message;
  }

  UploadRecord record(const Organization& org, const std::string& owner) {
    UploadRecord r;
    r.id = crypto::random_hex(16);
    r.org_id = org.id;
    r.owner_id = owner;
    r.length = 3 * 65536;
    r.name = "data.bin";
    r.content_type = "application/octet-stream";
    r.object_id = crypto::random_hex(16);
    r.created_at = r.updated_at = kT0;
    r.expires_at = kT0 + 24h;
    return r;
  }

  std::unique_ptr<UploadRecords> records_;
  Organization a_, b_;
  CreatedAccount a_admin_, b_admin_;
};

TEST_F(UploadRecordsTest, CreatedUploadIsFoundByItsOwnerWithEveryField) {
  const auto scope = orgs_->scope_for(a_);
  const auto r = record(a_, a_admin_.id);
  ASSERT_FALSE(records_->create(scope, r, {}));
  auto got = records_->get(scope, a_admin_.id, r.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->state, "receiving");
  EXPECT_EQ(got->length, r.length);
  EXPECT_EQ(got->offset, 0u);
  EXPECT_EQ(got->name, "data.bin");
  EXPECT_EQ(got->content_type, r.content_type);
  EXPECT_EQ(got->object_id, r.object_id);
  EXPECT_EQ(got->created_at, kT0);
  EXPECT_EQ(got->expires_at, kT0 + 24h);
  EXPECT_TRUE(got->reason.empty());
  EXPECT_FALSE(got->ended());
}

TEST_F(UploadRecordsTest, AnotherOrganizationsOrUsersUploadIsNotFound) {
  const auto r = record(a_, a_admin_.id);
  ASSERT_FALSE(records_->create(orgs_->scope_for(a_), r, {}));
  EXPECT_EQ(records_->get(orgs_->scope_for(b_), b_admin_.id, r.id).error(), Errc::kNotFound);
  EXPECT_EQ(records_->get(orgs_->scope_for(b_), a_admin_.id, r.id).error(), Errc::kNotFound);
  EXPECT_EQ(records_->get(orgs_->scope_for(a_), "someone-else", r.id).error(), Errc::kNotFound);
  UploadRecord changed = r;
  changed.state = "terminated";
  EXPECT_EQ(records_->update(orgs_->scope_for(b_), changed), Errc::kNotFound);
  EXPECT_EQ(records_->get(orgs_->scope_for(a_), a_admin_.id, r.id)->state, "receiving");
}

TEST_F(UploadRecordsTest, CreateRefusesARecordOfAnotherOrganization) {
  EXPECT_EQ(records_->create(orgs_->scope_for(b_), record(a_, a_admin_.id), {}), Errc::kInternal);
  EXPECT_EQ(count("SELECT count(*) FROM uploads"), 0);
}

TEST_F(UploadRecordsTest, UpdateWritesOffsetStateAndVerdict) {
  const auto scope = orgs_->scope_for(a_);
  auto r = record(a_, a_admin_.id);
  ASSERT_FALSE(records_->create(scope, r, {}));
  r.offset = 2 * 65536;
  r.updated_at = kT0 + 1s;
  r.expires_at = kT0 + 25h;
  ASSERT_FALSE(records_->update(scope, r));
  EXPECT_EQ(records_->get(scope, a_admin_.id, r.id)->offset, 2u * 65536);
  r.state = "rejected";
  r.reason = "infected";
  r.signature = "Eicar-Test-Signature";
  ASSERT_FALSE(records_->update(scope, r));
  const auto got = records_->get(scope, a_admin_.id, r.id);
  EXPECT_EQ(got->state, "rejected");
  EXPECT_EQ(got->signature, "Eicar-Test-Signature");
  EXPECT_EQ(got->expires_at, kT0 + 25h);
  EXPECT_TRUE(got->ended());
}

TEST_F(UploadRecordsTest, LimitsCountOnlyReceivingUploads) {
  const auto scope = orgs_->scope_for(a_);
  const UnfinishedLimits limits{.per_user = 2, .total = 3};
  auto first = record(a_, a_admin_.id);
  ASSERT_FALSE(records_->create(scope, first, limits));
  ASSERT_FALSE(records_->create(scope, record(a_, a_admin_.id), limits));
  EXPECT_EQ(records_->create(scope, record(a_, a_admin_.id), limits), Errc::kTooManyAttempts);
  // Another user still may, up to the total.
  ASSERT_FALSE(records_->create(orgs_->scope_for(b_), record(b_, b_admin_.id), limits));
  EXPECT_EQ(records_->create(orgs_->scope_for(b_), record(b_, b_admin_.id), limits), Errc::kTooManyAttempts);
  std::size_t mine = 0, total = 0;
  ASSERT_FALSE(records_->count_receiving(scope, a_admin_.id, mine, total));
  EXPECT_EQ(mine, 2u);
  EXPECT_EQ(total, 3u);
  // An ended upload does not count.
  first.state = "terminated";
  ASSERT_FALSE(records_->update(scope, first));
  ASSERT_FALSE(records_->create(scope, record(a_, a_admin_.id), limits));
  EXPECT_EQ(count("SELECT count(*) FROM uploads"), 4);  // two refused
}

TEST_F(UploadRecordsTest, StartUpMarksReceivingAndScanningUploadsFailed) {
  const auto scope = orgs_->scope_for(a_);
  auto receiving = record(a_, a_admin_.id);
  auto scanning = record(a_, a_admin_.id);
  auto clean = record(b_, b_admin_.id);
  ASSERT_FALSE(records_->create(scope, receiving, {}));
  ASSERT_FALSE(records_->create(scope, scanning, {}));
  ASSERT_FALSE(records_->create(orgs_->scope_for(b_), clean, {}));
  scanning.state = "scanning";
  ASSERT_FALSE(records_->update(scope, scanning));
  clean.state = "clean";
  clean.file_id = crypto::random_hex(16);
  ASSERT_FALSE(records_->update(orgs_->scope_for(b_), clean));
  std::vector<UploadRecord> interrupted;
  ASSERT_FALSE(records_->interrupt_unfinished(kT0 + 1h, kT0 + 2h, interrupted));
  ASSERT_EQ(interrupted.size(), 2u);
  for (const auto& r : interrupted) {
    EXPECT_EQ(r.state, "failed");
    EXPECT_EQ(r.reason, "server_restarted");
    EXPECT_EQ(r.expires_at, kT0 + 2h);
  }
  EXPECT_EQ(records_->get(scope, a_admin_.id, receiving.id)->state, "failed");
  EXPECT_EQ(records_->get(orgs_->scope_for(b_), b_admin_.id, clean.id)->state, "clean");
  ASSERT_FALSE(records_->interrupt_unfinished(kT0 + 1h, kT0 + 2h, interrupted));
  EXPECT_TRUE(interrupted.empty());
}

TEST_F(UploadRecordsTest, StartUpMarksAScanWhoseFileWasCommittedClean) {
  const auto scope = orgs_->scope_for(a_);
  auto committed = record(a_, a_admin_.id);
  ASSERT_FALSE(records_->create(scope, committed, {}));
  committed.state = "scanning";
  ASSERT_FALSE(records_->update(scope, committed));
  const std::string file_id = crypto::random_hex(16);
  ASSERT_FALSE(db_->execute(
      "INSERT INTO files (id, org_id, owner_id, name, content_type, size, sha256, object_id, created_at, scan_verdict) "
      "VALUES (?1, ?2, ?3, 'data.bin', 'application/octet-stream', 3, ?4, ?5, 0, 'clean')",
      {file_id, a_.id, a_admin_.id, std::string(64, 'a'), committed.object_id}));
  std::vector<UploadRecord> interrupted;
  ASSERT_FALSE(records_->interrupt_unfinished(kT0 + 1h, kT0 + 2h, interrupted));
  EXPECT_TRUE(interrupted.empty());
  const auto got = records_->get(scope, a_admin_.id, committed.id);
  EXPECT_EQ(got->state, "clean");
  EXPECT_EQ(got->file_id, file_id);
  EXPECT_TRUE(got->reason.empty());
}

TEST_F(UploadRecordsTest, PurgeRemovesOnlyEndedRowsPastTheirTime) {
  const auto scope = orgs_->scope_for(a_);
  auto receiving = record(a_, a_admin_.id);  // expires_at kT0 + 24h, but receiving: the sweeper's
  auto ended = record(a_, a_admin_.id);
  auto young = record(a_, a_admin_.id);
  for (const auto* r : {&receiving, &ended, &young}) ASSERT_FALSE(records_->create(scope, *r, {}));
  ended.state = "expired";
  ended.expires_at = kT0 + 1h;
  ASSERT_FALSE(records_->update(scope, ended));
  young.state = "terminated";
  young.expires_at = kT0 + 48h;
  ASSERT_FALSE(records_->update(scope, young));
  auto purged = records_->purge_ended(kT0 + 30h);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1u);
  EXPECT_EQ(records_->get(scope, a_admin_.id, ended.id).error(), Errc::kNotFound);
  EXPECT_TRUE(records_->get(scope, a_admin_.id, receiving.id));
  EXPECT_TRUE(records_->get(scope, a_admin_.id, young.id));
}

}  // namespace
}  // namespace furoshiki::admin
