// Upload limits (admin/upload_limits.hpp): how rights and policy combine, the size decision, and
// the quota reservations under concurrency.
#include "admin/upload_limits.hpp"

#include "common/error.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <thread>

namespace furoshiki::admin {
namespace {

TEST(UploadLimitsTest, MaximumFileSizeIsTheSmallerOfTheSetOnes) {
  FilePolicy policy;
  EXPECT_EQ(effective_max_file_bytes(0, policy), 0u);
  EXPECT_EQ(effective_max_file_bytes(10, policy), 10u);
  policy.max_file_bytes = 5;
  EXPECT_EQ(effective_max_file_bytes(0, policy), 5u);
  EXPECT_EQ(effective_max_file_bytes(10, policy), 5u);
  EXPECT_EQ(effective_max_file_bytes(3, policy), 3u);
}

TEST(UploadLimitsTest, RetentionIsTheUsersOrTheDefaultCappedByTheMaximum) {
  FilePolicy policy;
  EXPECT_EQ(effective_retention_days(0, policy), 0u);
  EXPECT_EQ(effective_retention_days(7, policy), 7u);
  policy.default_retention_days = 30;
  EXPECT_EQ(effective_retention_days(0, policy), 30u);
  EXPECT_EQ(effective_retention_days(7, policy), 7u);
  policy.max_retention_days = 20;
  EXPECT_EQ(effective_retention_days(0, policy), 20u);
  EXPECT_EQ(effective_retention_days(7, policy), 7u);
  EXPECT_EQ(effective_retention_days(90, policy), 20u);
  policy.default_retention_days = 0;
  EXPECT_EQ(effective_retention_days(0, policy), 20u) << "kept forever is longer than the maximum";
}

TEST(UploadLimitsTest, FilesTooLargeToScanAreRefusedUnlessThePolicyAllowsThem) {
  const UploadLimits limits{.scan_max_bytes = 100, .hard_max_bytes = 1000, .reserve_bytes = 0, .space_check_bytes = 1};
  EXPECT_EQ(decide_size(100, 0, false, limits), SizeDecision::kScan);
  EXPECT_EQ(decide_size(101, 0, false, limits), SizeDecision::kTooLargeToScan);
  EXPECT_EQ(decide_size(101, 0, true, limits), SizeDecision::kUnscanned);
  EXPECT_EQ(decide_size(1000, 0, true, limits), SizeDecision::kUnscanned);
  EXPECT_EQ(decide_size(1001, 0, true, limits), SizeDecision::kTooLarge) << "the hard cap";
  EXPECT_EQ(decide_size(51, 50, false, limits), SizeDecision::kTooLarge) << "the user's limit first";
  EXPECT_EQ(decide_size(200, 150, true, limits), SizeDecision::kTooLarge);
}

QuotaAccount account(std::string key, std::uint64_t quota, std::uint64_t stored) {
  return {.key = std::move(key), .quota_bytes = quota, .stored = [stored] {
            return boost::system::result<std::uint64_t>(stored);
          }};
}

TEST(UploadLimitsTest, ReservationsCountStoredAndInFlightBytes) {
  UploadReservations table;
  const std::vector<QuotaAccount> a = {account("org/u1", 100, 40), account("org", 0, 0)};
  QuotaShortfall s;
  EXPECT_FALSE(table.reserve(a, 50, s));
  EXPECT_EQ(table.reserved("org/u1"), 50u);
  EXPECT_EQ(table.reserved("org"), 50u) << "accounts without a quota are counted too";
  EXPECT_EQ(table.reserve(a, 11, s), Errc::kQuotaExceeded);
  EXPECT_EQ(s.key, "org/u1");
  EXPECT_EQ(s.stored_bytes, 40u);
  EXPECT_EQ(s.reserved_bytes, 50u);
  EXPECT_EQ(s.requested_bytes, 11u);
  EXPECT_EQ(table.reserved("org/u1"), 50u) << "nothing reserved on refusal";
  EXPECT_FALSE(table.reserve(a, 10, s)) << "exactly the quota";
  table.release(a, 60);
  EXPECT_EQ(table.reserved("org/u1"), 0u);
  EXPECT_FALSE(table.reserve(a, 60, s));
  EXPECT_EQ(table.reserve({account("x", 10, ~std::uint64_t{0})}, 1, s), Errc::kQuotaExceeded) << "no overflow";
}

TEST(UploadLimitsTest, TheOrganizationQuotaCountsEveryUser) {
  UploadReservations table;
  QuotaShortfall s;
  EXPECT_FALSE(table.reserve({account("org/u1", 0, 0), account("org", 100, 0)}, 60, s));
  EXPECT_EQ(table.reserve({account("org/u2", 0, 0), account("org", 100, 0)}, 60, s), Errc::kQuotaExceeded);
  EXPECT_EQ(s.key, "org");
}

TEST(UploadLimitsTest, ConcurrentReservationsNeverJointlyPassAQuota) {
  UploadReservations table;
  const std::vector<QuotaAccount> a = {account("org/u", 1000, 0)};
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        QuotaShortfall s;
        if (!table.reserve(a, 7, s)) granted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 1000 / 7);
  EXPECT_EQ(table.reserved("org/u"), std::uint64_t{1000 / 7 * 7});
}

OrganizationPolicy parsed_policy(std::string_view json) {
  OrganizationPolicy p;
  const PolicyError e = parse_organization_policy(json, p);
  EXPECT_FALSE(e) << e.message;
  return p;
}

TEST(UploadLimitsTest, TheFilesPolicyKeyIsParsedStrictly) {
  const auto p = parsed_policy(
      R"({"files":{"max_file_bytes":10,"quota_bytes":20,"default_retention_days":3,"max_retention_days":4,)"
      R"("allow_unscanned_too_large":true}})");
  EXPECT_EQ(p.files, (FilePolicy{.max_file_bytes = 10,
                                 .quota_bytes = 20,
                                 .default_retention_days = 3,
                                 .max_retention_days = 4,
                                 .allow_unscanned_too_large = true}));
  EXPECT_EQ(parsed_policy("{}").files, FilePolicy{});
  OrganizationPolicy again;
  ASSERT_FALSE(parse_organization_policy(serialize(p), again));
  EXPECT_EQ(again.files, p.files);

  struct Case {
    const char* json;
    const char* key;
    PolicyError::Kind kind;
  };
  for (const Case& c : {
           Case{R"({"files":1})", "files", PolicyError::Kind::kMalformed},
           Case{R"({"files":{"max_bytes":1}})", "files.max_bytes", PolicyError::Kind::kMalformed},
           Case{R"({"files":{"quota_bytes":"1"}})", "files.quota_bytes", PolicyError::Kind::kMalformed},
           Case{R"({"files":{"quota_bytes":1.5}})", "files.quota_bytes", PolicyError::Kind::kMalformed},
           Case{R"({"files":{"quota_bytes":-1}})", "files.quota_bytes", PolicyError::Kind::kOutOfRange},
           Case{R"({"files":{"max_retention_days":36501}})", "files.max_retention_days",
                PolicyError::Kind::kOutOfRange},
           Case{R"({"files":{"allow_unscanned_too_large":1}})", "files.allow_unscanned_too_large",
                PolicyError::Kind::kMalformed},
           Case{R"({"files":{"default_retention_days":10,"max_retention_days":5}})", "files.default_retention_days",
                PolicyError::Kind::kOutOfRange},
       }) {
    OrganizationPolicy p2;
    const PolicyError e = apply_policy_changes(boost::json::parse(c.json).as_object(), p2);
    EXPECT_TRUE(e) << c.json;
    EXPECT_EQ(e.key, c.key) << c.json;
    EXPECT_EQ(e.kind, c.kind) << c.json;
  }
}

}  // namespace
}  // namespace furoshiki::admin
