// The operator CLI on a real instance: `furoshiki org create|list|suspend|resume|delete` and
// `furoshiki operator create`, their output, exit statuses and messages.
#include "harness.hpp"

#include <gtest/gtest.h>

namespace furoshiki::integration {
namespace {

class OrgCli : public ::testing::Test {
 protected:
  void SetUp() override { instance_.write_config(); }
  CommandResult run(std::vector<std::string> args) {
    args.push_back("--config");
    args.push_back(instance_.config_file().string());
    return run_furoshiki(args, 60s);
  }
  Instance instance_;
};

TEST_F(OrgCli, CreatePrintsTheOneTimePasswordOnce) {
  const auto r = run({"org", "create", "--code", "acme", "--name", "ACME Corp", "--admin-email", "admin@acme.test"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("created organization acme (ACME Corp)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("first administrator: admin@acme.test"), std::string::npos) << r.out;
  const auto at = r.out.find("one-time password:");
  ASSERT_NE(at, std::string::npos);
  const std::string password = r.out.substr(r.out.find_first_not_of(' ', at + 18), 24);
  EXPECT_EQ(password[4], '-') << password;

  const auto list = run({"org", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("acme\tactive\t1\t"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find(password), std::string::npos) << "the password is never shown again";
}

TEST_F(OrgCli, DuplicateAndInvalidInputFailWithAMessage) {
  ASSERT_EQ(run({"org", "create", "--code", "acme", "--name", "A", "--admin-email", "a@acme.test"}).exit_code, 0);
  const auto dup = run({"org", "create", "--code", "acme", "--name", "B", "--admin-email", "b@acme.test"});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_NE(dup.err.find("already exists"), std::string::npos) << dup.err;
  const auto bad = run({"org", "create", "--code", "Bad Code", "--name", "B", "--admin-email", "b@acme.test"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("organization code"), std::string::npos) << bad.err;
}

TEST_F(OrgCli, SuspendResumeAndDelete) {
  ASSERT_EQ(run({"org", "create", "--code", "acme", "--name", "A", "--admin-email", "a@acme.test"}).exit_code, 0);
  EXPECT_EQ(run({"org", "suspend", "--code", "acme"}).exit_code, 0);
  EXPECT_NE(run({"org", "list"}).out.find("acme\tsuspended"), std::string::npos);
  EXPECT_EQ(run({"org", "resume", "--code", "acme"}).exit_code, 0);
  EXPECT_NE(run({"org", "list"}).out.find("acme\tactive"), std::string::npos);

  const auto unconfirmed = run({"org", "delete", "--code", "acme"});
  EXPECT_NE(unconfirmed.exit_code, 0);
  EXPECT_NE(unconfirmed.err.find("--yes"), std::string::npos) << unconfirmed.err;
  EXPECT_NE(run({"org", "list"}).out.find("acme"), std::string::npos) << "nothing deleted without --yes";

  const auto deleted = run({"org", "delete", "--code", "acme", "--yes"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(run({"org", "list"}).out.find("acme"), std::string::npos);
  const auto again = run({"org", "delete", "--code", "acme", "--yes"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("no organization"), std::string::npos) << again.err;
}

TEST_F(OrgCli, OperatorCreate) {
  const auto r = run({"operator", "create", "--email", "ops@example.com"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("created operator ops@example.com"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("one-time password: "), std::string::npos);
  EXPECT_EQ(run({"operator", "create", "--email", "ops@example.com"}).exit_code, 1);
}

TEST_F(OrgCli, ServerStartsWithOrganizationsCreatedByTheCli) {
  ASSERT_EQ(run({"org", "create", "--code", "acme", "--name", "A", "--admin-email", "a@acme.test"}).exit_code, 0);
  auto server = ServerProcess::start(instance_);
  EXPECT_TRUE(server->wait_for_event("master_key_loaded", 10s)) << server->log_text();
  const auto line = server->events("master_key_loaded");
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.front().at("tenant_keys"), 1);
}

}  // namespace
}  // namespace furoshiki::integration
