// The typed organization policy: defaults, strict parsing of every managed key (malformed versus
// out of range), keys of other features kept, the round trip through the stored JSON, the
// changes of PUT /admin/policy, and loading by organization id and code.
#include "admin/organization_policy.hpp"

#include "admin/organizations.hpp"
#include "common/error.hpp"
#include "test_support/admin_fixture.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace furoshiki::admin {
namespace {

using namespace std::chrono_literals;

OrganizationPolicy parsed(std::string_view text) {
  OrganizationPolicy policy;
  const PolicyError e = parse_organization_policy(text, policy);
  EXPECT_FALSE(e) << e.message;
  return policy;
}

PolicyError refusal(std::string_view text) {
  OrganizationPolicy policy;
  return parse_organization_policy(text, policy);
}

PolicyError change_refusal(std::string_view changes) {
  OrganizationPolicy policy;
  return apply_policy_changes(boost::json::parse(changes).as_object(), policy);
}

TEST(OrganizationPolicyTest, EmptyDocumentGivesTheDefaults) {
  for (const std::string_view text : {"", "{}", "  \n"}) {
    const OrganizationPolicy policy = parsed(text);
    EXPECT_EQ(policy.password, PasswordRules{});
    EXPECT_EQ(policy.require_2fa, Require2fa::kNone);
    EXPECT_TRUE(policy.ip_allowlist.ranges.empty());
    EXPECT_EQ(policy.sessions.idle_timeout_minutes, 30u);
    EXPECT_EQ(policy.sessions.absolute_timeout_hours, 12u);
    EXPECT_EQ(policy.sessions.limits().idle_timeout, 30min);
    EXPECT_EQ(policy.sessions.limits().absolute_timeout, 12h);
    EXPECT_TRUE(policy.other.empty());
  }
}

TEST(OrganizationPolicyTest, ReadsEveryManagedKey) {
  const OrganizationPolicy policy =
      parsed(R"({"password":{"min_length":16},"require_2fa":"admins","ip_allowlist":["192.0.2.0/24","2001:db8::/32"],)"
             R"("sessions":{"idle_timeout_minutes":15,"absolute_timeout_hours":8}})");
  EXPECT_EQ(policy.password.min_length, 16u);
  EXPECT_EQ(policy.password.history_count, PasswordRules{}.history_count);
  EXPECT_EQ(policy.require_2fa, Require2fa::kAdmins);
  ASSERT_EQ(policy.ip_allowlist.ranges.size(), 2u);
  EXPECT_TRUE(policy.ip_allowlist.allows(boost::asio::ip::make_address("192.0.2.77")));
  EXPECT_FALSE(policy.ip_allowlist.allows(boost::asio::ip::make_address("198.51.100.1")));
  EXPECT_EQ(policy.sessions.limits().idle_timeout, 15min);
  EXPECT_EQ(policy.sessions.limits().absolute_timeout, 8h);
}

TEST(OrganizationPolicyTest, SecondFactorRequirementFollowsTheRole) {
  OrganizationPolicy policy;
  EXPECT_FALSE(policy.requires_second_factor("org_admin"));
  policy.require_2fa = Require2fa::kAdmins;
  EXPECT_TRUE(policy.requires_second_factor("org_admin"));
  EXPECT_FALSE(policy.requires_second_factor("member"));
  policy.require_2fa = Require2fa::kAll;
  EXPECT_TRUE(policy.requires_second_factor("member"));
}

TEST(OrganizationPolicyTest, MissingSessionKeysTakeTheirDefaults) {
  EXPECT_EQ(parsed(R"({"sessions":{"idle_timeout_minutes":10}})").sessions.absolute_timeout_hours, 12u);
  EXPECT_EQ(parsed(R"({"sessions":{}})").sessions, SessionPolicy{});
  EXPECT_TRUE(parsed(R"({"ip_allowlist":null})").ip_allowlist.ranges.empty());
}

TEST(OrganizationPolicyTest, MalformedValuesAreRefusedNamingTheKey) {
  struct Case {
    const char* json;
    const char* key;
  };
  for (const Case& c : {
           Case{"[]", ""},
           Case{"not json", ""},
           Case{R"({"password":{"min_lenght":12}})", "password.min_lenght"},
           Case{R"({"password":{"min_length":3}})", "password.min_length"},
           Case{R"({"require_2fa":"some"})", "require_2fa"},
           Case{R"({"require_2fa":true})", "require_2fa"},
           Case{R"({"ip_allowlist":"10.0.0.0/8"})", "ip_allowlist"},
           Case{R"({"ip_allowlist":["10.0.0.1/8"]})", "ip_allowlist[0]"},
           Case{R"({"ip_allowlist":["10.0.0.0/8", 7]})", "ip_allowlist[1]"},
           Case{R"({"sessions":30})", "sessions"},
           Case{R"({"sessions":{"idle_timeout_minutes":"30"}})", "sessions.idle_timeout_minutes"},
           Case{R"({"sessions":{"idle_timeout_minutes":30.0}})", "sessions.idle_timeout_minutes"},
           Case{R"({"sessions":{"idle_minutes":30}})", "sessions.idle_minutes"},
       }) {
    const PolicyError e = refusal(c.json);
    ASSERT_TRUE(e) << c.json;
    EXPECT_EQ(e.kind, PolicyError::Kind::kMalformed) << c.json;
    EXPECT_EQ(e.key, c.key) << c.json;
    if (*c.key != '\0') {
      EXPECT_NE(e.message.find(c.key), std::string::npos) << e.message;
    }
  }
}

TEST(OrganizationPolicyTest, SessionTimeoutsOutOfRangeAreRefusedAsSuch) {
  for (const char* json : {
           R"({"sessions":{"idle_timeout_minutes":4}})",
           R"({"sessions":{"idle_timeout_minutes":1441}})",
           R"({"sessions":{"idle_timeout_minutes":-5}})",
           R"({"sessions":{"absolute_timeout_hours":0}})",
           R"({"sessions":{"absolute_timeout_hours":721}})",
           R"({"sessions":{"absolute_timeout_hours":18446744073709551615}})",
       }) {
    const PolicyError e = refusal(json);
    ASSERT_TRUE(e) << json;
    EXPECT_EQ(e.kind, PolicyError::Kind::kOutOfRange) << json;
    EXPECT_NE(e.message.find(e.key), std::string::npos) << e.message;
    EXPECT_NE(e.message.find(" to "), std::string::npos) << "the message states the range: " << e.message;
  }
  EXPECT_FALSE(refusal(R"({"sessions":{"idle_timeout_minutes":5,"absolute_timeout_hours":1}})"));
  EXPECT_FALSE(refusal(R"({"sessions":{"idle_timeout_minutes":1440,"absolute_timeout_hours":720}})"));
}

TEST(OrganizationPolicyTest, IdleTimeoutLongerThanTheAbsoluteOneIsRefused) {
  // No session could start under it: SessionStore refuses such limits.
  const PolicyError e = refusal(R"({"sessions":{"idle_timeout_minutes":120,"absolute_timeout_hours":1}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e.kind, PolicyError::Kind::kOutOfRange);
  EXPECT_EQ(e.key, "sessions.idle_timeout_minutes");
  EXPECT_NE(e.message.find("absolute_timeout_hours"), std::string::npos) << e.message;
  EXPECT_FALSE(refusal(R"({"sessions":{"idle_timeout_minutes":60,"absolute_timeout_hours":1}})"));
}

TEST(OrganizationPolicyTest, OtherFeaturesKeysAreKeptAndWrittenBack) {
  const OrganizationPolicy policy = parsed(R"({"retention":{"max_days":30},"require_2fa":"all"})");
  ASSERT_TRUE(policy.other.contains("retention"));
  const auto json = to_json(policy);
  EXPECT_EQ(json.at("retention").at("max_days"), 30);
  EXPECT_EQ(json.at("require_2fa"), "all");
}

TEST(OrganizationPolicyTest, SerializesEveryManagedKeyAndReadsBackTheSame) {
  const OrganizationPolicy policy = parsed(
      R"({"password":{"min_length":20,"require_digit":true},"require_2fa":"all","ip_allowlist":["::1","10.0.0.0/8"],)"
      R"("sessions":{"idle_timeout_minutes":45,"absolute_timeout_hours":24},"other":1})");
  const auto json = to_json(policy);
  for (const char* key : {"password", "require_2fa", "ip_allowlist", "sessions"}) EXPECT_TRUE(json.contains(key));
  EXPECT_EQ(json.at("password").as_object().size(), to_json(PasswordRules{}).size()) << "every rule shown";
  EXPECT_EQ(json.at("ip_allowlist").at(0), "::1/128") << "written canonically";
  EXPECT_EQ(json.at("sessions").at("idle_timeout_minutes"), 45);
  EXPECT_EQ(json.at("sessions").at("absolute_timeout_hours"), 24);

  const OrganizationPolicy again = parsed(serialize(policy));
  EXPECT_EQ(again.password, policy.password);
  EXPECT_EQ(again.require_2fa, policy.require_2fa);
  EXPECT_EQ(again.sessions, policy.sessions);
  EXPECT_EQ(again.other, policy.other);
  EXPECT_EQ(serialize(again), serialize(policy));
}

TEST(OrganizationPolicyTest, ChangesReplaceOnlyTheKeysTheyName) {
  OrganizationPolicy policy = parsed(R"({"require_2fa":"all","sessions":{"idle_timeout_minutes":10},"kept":true})");
  ASSERT_FALSE(apply_policy_changes(boost::json::parse(R"({"password":{"min_length":14}})").as_object(), policy));
  EXPECT_EQ(policy.password.min_length, 14u);
  EXPECT_EQ(policy.require_2fa, Require2fa::kAll);
  EXPECT_EQ(policy.sessions.idle_timeout_minutes, 10u);
  EXPECT_TRUE(policy.other.contains("kept"));
  // A named object replaces the whole key: its absent members take their defaults.
  ASSERT_FALSE(
      apply_policy_changes(boost::json::parse(R"({"sessions":{"absolute_timeout_hours":2}})").as_object(), policy));
  EXPECT_EQ(policy.sessions, (SessionPolicy{30, 2}));
}

TEST(OrganizationPolicyTest, RefusedChangesLeaveThePolicyUntouched) {
  OrganizationPolicy policy = parsed(R"({"require_2fa":"admins"})");
  const PolicyError e = apply_policy_changes(
      boost::json::parse(R"({"require_2fa":"all","sessions":{"idle_timeout_minutes":1}})").as_object(), policy);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.kind, PolicyError::Kind::kOutOfRange);
  EXPECT_EQ(policy.require_2fa, Require2fa::kAdmins);
}

TEST(OrganizationPolicyTest, ChangesRefuseKeysThisPolicyDoesNotManage) {
  const PolicyError e = change_refusal(R"({"colour":"red"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e.kind, PolicyError::Kind::kMalformed);
  EXPECT_EQ(e.key, "colour");
  EXPECT_TRUE(change_refusal(R"({"ip_allowlist":null})")) << "a change must give the list";
}

class OrganizationPolicyLoadTest : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    CreatedAccount admin;
    ASSERT_FALSE(orgs_->create({"acme", "ACME", "admin@acme.test", ""}, {}, acme_, admin));
  }

  void store(const std::string& policy) {
    ASSERT_FALSE(db_->execute("UPDATE organizations SET policy = ?1 WHERE id = ?2", {policy, acme_.id}));
  }

  Organization acme_;
};

TEST_F(OrganizationPolicyLoadTest, LoadsByIdAndByCode) {
  store(R"({"sessions":{"idle_timeout_minutes":20}})");
  const auto by_id = load_organization_policy(*db_, acme_.id);
  ASSERT_TRUE(by_id) << by_id.error().message();
  EXPECT_EQ(by_id->sessions.idle_timeout_minutes, 20u);
  const auto by_code = load_organization_policy_by_code(*db_, "acme");
  ASSERT_TRUE(by_code) << by_code.error().message();
  EXPECT_EQ(by_code->sessions.idle_timeout_minutes, 20u);
}

TEST_F(OrganizationPolicyLoadTest, UnknownOrganizationIsNotFound) {
  EXPECT_EQ(load_organization_policy(*db_, "no-such-id").error(), make_error_code(Errc::kNotFound));
  EXPECT_EQ(load_organization_policy_by_code(*db_, "nope").error(), make_error_code(Errc::kNotFound));
}

TEST_F(OrganizationPolicyLoadTest, UnreadableStoredPolicyFailsClosed) {
  store(R"({"sessions":{"idle_timeout_minutes":0}})");
  EXPECT_EQ(load_organization_policy(*db_, acme_.id).error(), make_error_code(Errc::kInternal));
  store("{not json");
  EXPECT_EQ(load_organization_policy_by_code(*db_, "acme").error(), make_error_code(Errc::kInternal));
}

}  // namespace
}  // namespace furoshiki::admin
