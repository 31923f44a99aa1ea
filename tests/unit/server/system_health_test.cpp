// GET /system/health's report (server/system_routes.hpp): every part present, ages computed
// from the injected clock, and "degraded" as soon as one part is not well.
#include "server/system_routes.hpp"

#include "storage/data_directory.hpp"
#include "test_support/admin_database.hpp"
#include "test_support/crypto_context.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <unistd.h>

namespace furoshiki::server {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kNow = 1'800'000'000;

class SystemHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("furoshiki-health-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ASSERT_FALSE(storage::prepare_data_directory(dir_));
    db_ = test_support::migrated_memory_database();
    scanner_.ready = true;
    scanner_.definitions = scanner::DefinitionInfo{.signatures = 42,
                                                   .files = {},
                                                   .newest_build_time = kNow - 3600,
                                                   .engine_version = "1.4.3",
                                                   .daily_version = 27};
    scanner_.engine_loaded_at = kNow - 60;
    updates_.enabled = true;
    updates_.attempts = 3;
    updates_.last_attempt = kNow - 120;
    updates_.last_success = kNow - 120;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  boost::json::object report() {
    return service_health({.scanner = [this] { return scanner_; },
                           .updates = [this] { return updates_; },
                           .crypto = test_support::test_crypto_context(),
                           .db = db_.get(),
                           .data_dir = dir_,
                           .clock = [] { return kNow; }});
  }

  fs::path dir_;
  std::unique_ptr<db::Database> db_;
  scanner::ScannerStatus scanner_;
  scanner::UpdateStatus updates_;
};

TEST_F(SystemHealthTest, ReportsEveryPartWhenAllIsWell) {
  const auto r = report();
  EXPECT_EQ(r.at("status"), "ok") << boost::json::serialize(r);
  const auto& s = r.at("scanner");
  EXPECT_EQ(s.at("ready"), true);
  EXPECT_EQ(s.at("engine_version"), "1.4.3");
  EXPECT_EQ(s.at("signature_version"), 27);
  EXPECT_EQ(s.at("signatures"), 42);
  EXPECT_EQ(s.at("signature_age_seconds"), 3600);
  EXPECT_EQ(s.at("definitions_built_at"), "2027-01-15T07:00:00Z");
  const auto& u = r.at("definition_updates");
  EXPECT_EQ(u.at("last_result"), "ok");
  EXPECT_TRUE(u.at("last_error").is_null());
  // The test context runs under the FIPS provider when scripts/dev test built one.
  EXPECT_EQ(r.at("fips").at("required"), test_support::fips_module_from_env().has_value());
  EXPECT_EQ(r.at("fips").at("self_test_passed"), true);
  EXPECT_EQ(r.at("storage").at("ok"), true);
  EXPECT_GT(r.at("storage").at("free_bytes").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(r.at("database").at("ok"), true);
  EXPECT_GT(r.at("database").at("page_count").to_number<std::int64_t>(), 0);
}

TEST_F(SystemHealthTest, AScannerWithoutEngineIsDegraded) {
  scanner_ = {};
  scanner_.unavailable_reason = "no_engine";
  const auto r = report();
  EXPECT_EQ(r.at("status"), "degraded");
  EXPECT_EQ(r.at("scanner").at("ready"), false);
  EXPECT_EQ(r.at("scanner").at("unavailable_reason"), "no_engine");
  EXPECT_TRUE(r.at("scanner").at("engine_version").is_null());
  EXPECT_TRUE(r.at("scanner").at("signature_age_seconds").is_null());
}

TEST_F(SystemHealthTest, AFailedDefinitionUpdateIsDegraded) {
  updates_.last_error = "mirror unreachable";
  const auto r = report();
  EXPECT_EQ(r.at("status"), "degraded");
  EXPECT_EQ(r.at("definition_updates").at("last_result"), "failed");
  EXPECT_EQ(r.at("definition_updates").at("last_error"), "mirror unreachable");
}

TEST_F(SystemHealthTest, NoUpdateAttemptYetSaysNever) {
  updates_ = {};
  const auto r = report();
  EXPECT_EQ(r.at("definition_updates").at("last_result"), "never");
  EXPECT_TRUE(r.at("definition_updates").at("last_attempt_at").is_null());
}

TEST_F(SystemHealthTest, AMissingDataDirectoryIsDegraded) {
  fs::remove_all(dir_);
  const auto r = report();
  EXPECT_EQ(r.at("status"), "degraded");
  EXPECT_EQ(r.at("storage").at("ok"), false);
  EXPECT_FALSE(r.at("storage").at("problem").as_string().empty());
}

}  // namespace
}  // namespace furoshiki::server
