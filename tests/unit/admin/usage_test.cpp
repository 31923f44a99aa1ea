// Usage counters: uploads and deletions are counted with the files row, downloads through
// record_download, logins from the audit log; the report answers per day (with the stored bytes
// at the end of each day) and per user, and refuses malformed or too long ranges.
#include "admin/usage.hpp"

#include "admin/files.hpp"
#include "common/error.hpp"
#include "crypto/random.hpp"
#include "test_support/admin_fixture.hpp"
#include "test_support/manual_clock.hpp"

#include <gtest/gtest.h>

namespace furoshiki::admin {
namespace {

using namespace std::chrono_literals;

class UsageTest : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    files_ = std::make_unique<FileDirectory>(*db_, *audit_, clock_.function());
    usage_ = std::make_unique<UsageCounters>(*db_);
    CreatedAccount admin;
    const auto e = orgs_->create({"acme", "ACME", "admin@acme.test", ""}, Actor{}, org_, admin);
    ASSERT_FALSE(e) << e.message;
    owner_ = admin.id;
    CreatedAccount other;
    const auto e2 = orgs_->create({"beta", "Beta", "admin@beta.test", ""}, Actor{}, beta_, other);
    ASSERT_FALSE(e2) << e2.message;
    beta_owner_ = other.id;
  }

  StoredFile upload(const Organization& org, const std::string& owner, std::uint64_t size) {
    StoredFile f{.id = crypto::random_hex(16),
                 .org_id = org.id,
                 .owner_id = owner,
                 .name = "a.bin",
                 .content_type = "application/octet-stream",
                 .size = size,
                 .sha256 = std::string(64, 'a'),
                 .object_id = crypto::random_hex(16),
                 .created_at = clock_.now()};
    EXPECT_FALSE(files_->create(orgs_->scope_for(org), f,
                                AuditEvent{.chain = AuditChain::organization(org.id), .action = "file.upload"}));
    return f;
  }

  UsageReport report(UsageGrouping by, const std::string& from, const std::string& to) {
    auto r = usage_->report(orgs_->scope_for(org_), {.from_day = from, .to_day = to, .group_by = by});
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r ? *r : UsageReport{};
  }

  // 2030-03-17T17:46:40Z, the manual clock's start.
  test_support::ManualClock clock_;
  std::unique_ptr<FileDirectory> files_;
  std::unique_ptr<UsageCounters> usage_;
  Organization org_, beta_;
  std::string owner_, beta_owner_;
};

TEST(UtcDay, FormatsAndParses) {
  EXPECT_EQ(utc_day(std::chrono::system_clock::time_point(std::chrono::seconds(1'900'000'000))), "2030-03-17");
  std::chrono::system_clock::time_point t;
  ASSERT_TRUE(parse_utc_day("2024-02-29", t));
  EXPECT_EQ(utc_day(t), "2024-02-29");
  EXPECT_FALSE(parse_utc_day("2023-02-29", t));
  EXPECT_FALSE(parse_utc_day("2023-1-01", t));
  EXPECT_FALSE(parse_utc_day("2023-01-01x", t));
  EXPECT_FALSE(parse_utc_day("20230-1-01", t));
}

TEST_F(UsageTest, CountsUploadsDeletionsAndDownloadsPerDay) {
  const auto first = upload(org_, owner_, 100);
  upload(org_, owner_, 50);
  ASSERT_FALSE(usage_->record_download(orgs_->scope_for(org_), owner_, 70, clock_.now()));
  clock_.advance(24h);
  ASSERT_TRUE(files_->remove(orgs_->scope_for(org_), owner_, first.id,
                             AuditEvent{.chain = AuditChain::organization(org_.id), .action = "file.delete"}));
  upload(beta_, beta_owner_, 999);  // another organization: never in acme's report
  const auto r = report(UsageGrouping::kDay, "2030-03-16", "2030-03-19");
  ASSERT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(r.rows[0].key, "2030-03-16");
  EXPECT_EQ(r.rows[0].stored_bytes, 0);
  EXPECT_EQ(r.rows[1].key, "2030-03-17");
  EXPECT_EQ(r.rows[1].uploaded_bytes, 150u);
  EXPECT_EQ(r.rows[1].uploads, 2u);
  EXPECT_EQ(r.rows[1].downloaded_bytes, 70u);
  EXPECT_EQ(r.rows[1].downloads, 1u);
  EXPECT_EQ(r.rows[1].stored_bytes, 150);
  EXPECT_EQ(r.rows[2].uploaded_bytes, 0u);
  EXPECT_EQ(r.rows[2].stored_bytes, 50);
  EXPECT_EQ(r.rows[3].stored_bytes, 50);
  ASSERT_EQ(r.current.size(), 1u);
  EXPECT_EQ(r.current[0].user_id, owner_);
  EXPECT_EQ(r.current[0].stored_bytes, 50u);
  // The stored bytes before the range are carried in.
  const auto later = report(UsageGrouping::kDay, "2030-03-19", "2030-03-19");
  ASSERT_EQ(later.rows.size(), 1u);
  EXPECT_EQ(later.rows[0].stored_bytes, 50);
}

TEST_F(UsageTest, GroupsByUser) {
  upload(org_, owner_, 10);
  const auto r = report(UsageGrouping::kUser, "2030-03-01", "2030-03-31");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].key, owner_);
  EXPECT_EQ(r.rows[0].uploaded_bytes, 10u);
  EXPECT_EQ(r.rows[0].stored_bytes, 10);
  EXPECT_EQ(r.rows[0].transfers, 0u);
}

TEST_F(UsageTest, RefusesBadRanges) {
  const auto scope = orgs_->scope_for(org_);
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{{"2030-03-02", "2030-03-01"},
                                                                                 {"2030-13-01", "2030-13-02"},
                                                                                 {"", "2030-01-01"},
                                                                                 {"2029-01-01", "2030-01-02"}}) {
    auto r = usage_->report(scope, {.from_day = from, .to_day = to});
    ASSERT_FALSE(r) << from << " " << to;
    EXPECT_EQ(r.error(), Errc::kBadRequest);
  }
  EXPECT_TRUE(usage_->report(scope, {.from_day = "2029-01-01", .to_day = "2030-01-01"}));  // 366 days
}

TEST_F(UsageTest, StoredIsTheUsersFilesNow) {
  upload(org_, owner_, 10);
  upload(org_, owner_, 20);
  auto s = usage_->stored(orgs_->scope_for(org_), owner_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->stored_bytes, 30u);
  EXPECT_EQ(s->files, 2u);
  auto other = usage_->stored(orgs_->scope_for(beta_), owner_);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->stored_bytes, 0u);
}

TEST_F(UsageTest, UserUsageCountsTheUsersOwnDaysOnly) {
  upload(org_, owner_, 10);  // 2030-03-17: 30 days before 2030-04-15 is outside a 29-day window
  clock_.advance(24h * 28);  // 2030-04-14
  upload(org_, owner_, 20);
  ASSERT_FALSE(usage_->record_download(orgs_->scope_for(org_), owner_, 5, clock_.now()));
  upload(beta_, beta_owner_, 999);  // another organization
  const auto scope = orgs_->scope_for(org_);
  auto u = usage_->user_usage(scope, owner_, 29, clock_.now());
  ASSERT_TRUE(u);
  EXPECT_EQ(u->since_day, "2030-03-17");
  EXPECT_EQ(u->stored_bytes, 30u);
  EXPECT_EQ(u->files, 2u);
  EXPECT_EQ(u->uploaded_bytes, 30u);
  EXPECT_EQ(u->uploads, 2u);
  EXPECT_EQ(u->downloaded_bytes, 5u);
  EXPECT_EQ(u->downloads, 1u);
  auto shorter = usage_->user_usage(scope, owner_, 28, clock_.now());
  ASSERT_TRUE(shorter);
  EXPECT_EQ(shorter->since_day, "2030-03-18");
  EXPECT_EQ(shorter->uploaded_bytes, 20u);  // the first day has left the window
  EXPECT_EQ(shorter->stored_bytes, 30u);    // what is stored does not depend on the window
  auto today = usage_->user_usage(scope, owner_, 1, clock_.now());
  ASSERT_TRUE(today);
  EXPECT_EQ(today->since_day, "2030-04-14");
  EXPECT_EQ(today->uploads, 1u);
  auto elsewhere = usage_->user_usage(orgs_->scope_for(beta_), owner_, 30, clock_.now());
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ(elsewhere->stored_bytes, 0u);
  EXPECT_EQ(elsewhere->uploads, 0u);
  for (int bad : {0, -1, UsageCounters::kMaxDays + 1}) {
    auto r = usage_->user_usage(scope, owner_, bad, clock_.now());
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error(), Errc::kBadRequest);
  }
}

}  // namespace
}  // namespace furoshiki::admin
