// The operator API over real HTTPS (api.md "Operator"): operator sign-in with its own cookie,
// the one-time password gate, CSRF, throttling, organizations created, suspended, renamed and
// deleted through /api/v1/system/orgs (and what that means for their users), the service's
// health, the audit events in the service chain, and the wall between operator and user
// sessions in both directions.
//
// Each test has its own instance and server: sign-in failures count against 127.0.0.1, and a
// test that provokes throttling must not slow the others down.
#include "api_client.hpp"
#include "expectations.hpp"
#include "harness.hpp"
#include "https_client.hpp"
#include "test_support/fips_module.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace furoshiki::integration {
namespace {

constexpr const char* kOperatorLogin = "ops@example.com";
constexpr const char* kNewPassword = "violet tractor umbrella harbour 8";

class Operator : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_.write_config();
    const auto r = run_furoshiki(
        {"operator", "create", "--config", instance_.config_file().string(), "--email", kOperatorLogin}, 60s);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    password_ = one_time_password_in(r.out);
    server_ = ServerProcess::start(instance_);
  }

  ApiClient api() const { return ApiClient(*server_); }

  std::optional<HttpResponse> operator_login(const std::string& password, const std::string& login = kOperatorLogin) {
    return api().call("POST", "/api/v1/system/login",
                      boost::json::serialize(boost::json::object{{"login", login}, {"password", password}}));
  }

  // Signs the operator in with the one-time password (the session still needs the change).
  SignedIn sign_in_with_one_time_password() {
    const auto r = operator_login(password_);
    require_status(r, 200u, "operator sign-in");
    return session_from_sign_in(*r);
  }

  // A signed-in operator whose one-time password has been replaced.
  SignedIn signed_in_operator() {
    const SignedIn first = sign_in_with_one_time_password();
    const auto r =
        api().call("POST", "/api/v1/system/password", first, {{"current", password_}, {"new", kNewPassword}});
    require_status(r, 204u, "password change");
    return session_from_rotation(*r);
  }

  // Creates the organization "acme" (first administrator admin@acme.test) through the operator
  // API as `op`; throws unless the answer is 201.
  CreatedOrganization create_acme(const SignedIn& op) {
    const auto r = api().call("POST", "/api/v1/system/orgs", op,
                              {{"code", "acme"}, {"name", "ACME"}, {"admin_email", "admin@acme.test"}});
    require_status(r, 201u, "organization creation");
    const auto body = r->json();
    return {std::string(body.at("org").at("id").as_string()),
            std::string(body.at("admin").at("one_time_password").as_string())};
  }

  // `session`'s token and CSRF token presented under the cookie name `name`.
  static SignedIn under_cookie_name(const SignedIn& session, const std::string& name) {
    return {name + "=" + session.cookie.substr(session.cookie.find('=') + 1), session.csrf};
  }

  // Service-chain events as "action outcome actor_type", oldest first, read with sqlite3.
  std::vector<std::string> service_events() {
    const auto r = run_command({"/usr/bin/sqlite3", (instance_.dir() / "data/furoshiki.db").string(),
                                "SELECT action || ' ' || outcome || ' ' || actor_type FROM audit_events "
                                "WHERE chain = '' ORDER BY seq"});
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < r.out.size()) {
      const auto end = r.out.find('\n', start);
      out.push_back(r.out.substr(start, end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return out;
  }

  bool has_event(const std::string& line) {
    const auto events = service_events();
    return std::find(events.begin(), events.end(), line) != events.end();
  }

  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
  std::string password_;
};

TEST_F(Operator, SignInSetsAHardenedOperatorCookie) {
  const auto r = operator_login(password_);
  ASSERT_TRUE(r) << server_->log_text();
  ASSERT_EQ(r->status, 200u) << r->body;
  expect_hardened_session_cookie(*r, "furoshiki_operator_session");
  const auto body = r->json();
  EXPECT_EQ(body.at("operator").at("login"), kOperatorLogin);
  EXPECT_EQ(body.at("operator").at("display_name"), "ops");
  EXPECT_EQ(body.at("operator").at("id").as_string().size(), 32u);
  EXPECT_EQ(body.at("password_change_required"), true);
  EXPECT_GE(body.at("csrf_token").as_string().size(), 43u);
  EXPECT_EQ(r->body.find(password_), std::string::npos);
  EXPECT_TRUE(has_event("operator.login success operator"));
}

TEST_F(Operator, UnknownLoginAndWrongPasswordGetOneAnswer) {
  const auto wrong_password = operator_login("not the password");
  const auto unknown = operator_login(password_, "nobody@example.com");
  ASSERT_EQ(status_of(wrong_password), 401u);
  ASSERT_EQ(status_of(unknown), 401u);
  EXPECT_EQ(error_code(wrong_password), "invalid_credentials");
  EXPECT_EQ(wrong_password->body, unknown->body);
  EXPECT_FALSE(wrong_password->has_header("Set-Cookie"));
  EXPECT_EQ(status_of(api().call("POST", "/api/v1/system/login", "not json")), 400u);
  const auto events = service_events();
  EXPECT_EQ(std::count(events.begin(), events.end(), "operator.login failure operator"), 1);
  EXPECT_EQ(std::count(events.begin(), events.end(), "operator.login failure anonymous"), 1);
}

TEST_F(Operator, RepeatedFailuresAreThrottledWithRetryAfter) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(status_of(operator_login("wrong")), 401u);
  const auto throttled = operator_login(password_);
  ASSERT_EQ(status_of(throttled), 429u);
  EXPECT_EQ(error_code(throttled), "too_many_attempts");
  EXPECT_GE(std::stoi(throttled->header("Retry-After")), 1);
}

TEST_F(Operator, OneTimePasswordMustBeChangedFirst) {
  const SignedIn s = sign_in_with_one_time_password();
  EXPECT_EQ(error_code(api().call("GET", "/api/v1/system/orgs", s)), "password_change_required");
  EXPECT_EQ(error_code(api().call("GET", "/api/v1/system/health", s)), "password_change_required");
  const auto me = api().call("GET", "/api/v1/system/me", s);
  ASSERT_EQ(status_of(me), 200u);
  EXPECT_EQ(me->json().at("password_change_required"), true);
  EXPECT_EQ(me->json().at("login"), kOperatorLogin);

  const std::string change = boost::json::serialize(boost::json::object{{"current", password_}, {"new", kNewPassword}});
  EXPECT_EQ(error_code(api().call("POST", "/api/v1/system/password", change, s.cookie_only())), "csrf_failed");
  const auto weak = api().call("POST", "/api/v1/system/password", s, {{"current", password_}, {"new", "password1"}});
  ASSERT_EQ(status_of(weak), 422u);
  EXPECT_EQ(error_code(weak), "password_policy");
  const auto wrong = api().call("POST", "/api/v1/system/password", s, {{"current", "nope"}, {"new", kNewPassword}});
  EXPECT_EQ(status_of(wrong), 403u);

  const auto changed =
      api().call("POST", "/api/v1/system/password", s, {{"current", password_}, {"new", kNewPassword}});
  ASSERT_EQ(status_of(changed), 204u) << (changed ? changed->body : "");
  const SignedIn now = session_from_rotation(*changed);
  EXPECT_TRUE(now.cookie.starts_with("furoshiki_operator_session="));
  EXPECT_NE(now.cookie, s.cookie);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/system/me", s)), 401u) << "the old session ended";
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/system/orgs", now)), 200u);
  EXPECT_EQ(status_of(operator_login(password_)), 401u);
  EXPECT_EQ(status_of(operator_login(kNewPassword)), 200u);
  EXPECT_TRUE(has_event("operator.change_password success operator"));
}

TEST_F(Operator, StateChangingRequestsNeedTheCsrfToken) {
  const SignedIn s = signed_in_operator();
  const std::string body = boost::json::serialize(
      boost::json::object{{"code", "acme"}, {"name", "ACME"}, {"admin_email", "admin@acme.test"}});
  EXPECT_EQ(error_code(api().call("POST", "/api/v1/system/orgs", body, s.cookie_only())), "csrf_failed");
  Headers wrong = s.cookie_only();
  wrong.emplace_back("X-CSRF-Token", "wrong");
  EXPECT_EQ(error_code(api().call("POST", "/api/v1/system/orgs", body, wrong)), "csrf_failed");
  EXPECT_EQ(status_of(api().call("POST", "/api/v1/system/logout", "", s.cookie_only())), 403u);
  const auto out = api().call("POST", "/api/v1/system/logout", s);
  ASSERT_EQ(status_of(out), 204u);
  EXPECT_NE(out->header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/system/me", s)), 401u);
  EXPECT_TRUE(has_event("operator.logout success operator"));
}

TEST_F(Operator, CreatesOrganizationsWhoseAdminSignsInWithTheOneTimePassword) {
  const SignedIn s = signed_in_operator();
  const auto made = api().call("POST", "/api/v1/system/orgs", s,
                               {{"code", "acme"}, {"name", "ACME"}, {"admin_email", "Admin@acme.test"}});
  ASSERT_EQ(status_of(made), 201u) << (made ? made->body : "");
  EXPECT_EQ(made->header("Cache-Control"), "no-store");
  const auto body = made->json();
  EXPECT_EQ(body.at("org").at("code"), "acme");
  EXPECT_EQ(body.at("org").at("name"), "ACME");
  EXPECT_EQ(body.at("org").at("status"), "active");
  EXPECT_EQ(body.at("org").at("users"), 1);
  EXPECT_FALSE(body.at("org").at("created_at").as_string().empty());
  EXPECT_EQ(body.at("admin").at("login"), "admin@acme.test");
  const std::string one_time(body.at("admin").at("one_time_password").as_string());

  const auto admin = api().login({.org = "acme", .login = "admin@acme.test", .password = one_time});
  ASSERT_EQ(status_of(admin), 200u) << (admin ? admin->body : "");
  EXPECT_EQ(admin->json().at("password_change_required"), true);

  const auto duplicate = api().call("POST", "/api/v1/system/orgs", s,
                                    {{"code", "acme"}, {"name", "Again"}, {"admin_email", "a@acme.test"}});
  EXPECT_EQ(status_of(duplicate), 409u);
  EXPECT_EQ(error_code(duplicate), "conflict");
  const auto invalid = api().call("POST", "/api/v1/system/orgs", s,
                                  {{"code", "Not Valid!"}, {"name", "X"}, {"admin_email", "a@x.test"}});
  EXPECT_EQ(status_of(invalid), 422u);
  EXPECT_EQ(error_code(invalid), "invalid_code");
  EXPECT_EQ(status_of(api().call("POST", "/api/v1/system/orgs", s, {{"code", "beta"}, {"name", "B"}})), 400u)
      << "admin_email is required";
  EXPECT_EQ(status_of(api().call("POST", "/api/v1/system/orgs", s,
                                 {{"code", "beta"}, {"name", "B"}, {"admin_email", "not-an-address"}})),
            400u);

  const auto list = api().call("GET", "/api/v1/system/orgs", s);
  ASSERT_EQ(status_of(list), 200u);
  const auto listed = list->json();
  const auto& orgs = listed.at("orgs").as_array();
  ASSERT_EQ(orgs.size(), 1u);
  EXPECT_EQ(orgs[0].at("code"), "acme");
  EXPECT_EQ(orgs[0].at("users"), 1);
  EXPECT_FALSE(orgs[0].as_object().contains("admin")) << "no user data beyond counts";
  EXPECT_TRUE(has_event("org.create success operator"));
}

TEST_F(Operator, ListsOrganizationsInPages) {
  const SignedIn s = signed_in_operator();
  for (const char* code : {"gamma", "alpha", "beta"}) {
    ASSERT_EQ(status_of(api().call(
                  "POST", "/api/v1/system/orgs", s,
                  {{"code", code}, {"name", code}, {"admin_email", std::string("admin@") + code + ".test"}})),
              201u);
  }
  const auto first = api().call("GET", "/api/v1/system/orgs?limit=2", s);
  ASSERT_EQ(status_of(first), 200u);
  ASSERT_EQ(first->json().at("orgs").as_array().size(), 2u);
  EXPECT_EQ(first->json().at("orgs").at(0).at("code"), "alpha");
  const std::string cursor(first->json().at("next_cursor").as_string());
  const auto second = api().call("GET", "/api/v1/system/orgs?limit=2&cursor=" + cursor, s);
  ASSERT_EQ(status_of(second), 200u);
  ASSERT_EQ(second->json().at("orgs").as_array().size(), 1u);
  EXPECT_EQ(second->json().at("orgs").at(0).at("code"), "gamma");
  EXPECT_TRUE(second->json().at("next_cursor").is_null());
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/system/orgs?limit=0", s)), 400u);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/system/orgs?cursor=zz", s)), 400u);
}

TEST_F(Operator, SuspendingAnOrganizationShutsOutItsUsersUntilResumed) {
  const SignedIn s = signed_in_operator();
  const auto [id, one_time] = create_acme(s);
  const auto admin = api().login({.org = "acme", .login = "admin@acme.test", .password = one_time});
  ASSERT_EQ(status_of(admin), 200u);
  const std::string admin_cookie = cookie_of(*admin);

  const auto suspended = api().call("PATCH", "/api/v1/system/orgs/" + id, s, {{"status", "suspended"}});
  ASSERT_EQ(status_of(suspended), 200u) << (suspended ? suspended->body : "");
  EXPECT_EQ(suspended->json().at("org").at("status"), "suspended");
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/me", "", {{"Cookie", admin_cookie}})), 401u) << "the session ended";
  EXPECT_EQ(error_code(api().login({.org = "acme", .login = "admin@acme.test", .password = one_time})),
            "invalid_credentials");

  const auto resumed =
      api().call("PATCH", "/api/v1/system/orgs/" + id, s, {{"status", "active"}, {"name", "ACME Corp"}});
  ASSERT_EQ(status_of(resumed), 200u);
  EXPECT_EQ(resumed->json().at("org").at("status"), "active");
  EXPECT_EQ(resumed->json().at("org").at("name"), "ACME Corp");
  EXPECT_EQ(status_of(api().login({.org = "acme", .login = "admin@acme.test", .password = one_time})), 200u);

  EXPECT_EQ(status_of(api().call("PATCH", "/api/v1/system/orgs/" + id, s, {{"status", "deleted"}})), 400u);
  EXPECT_EQ(status_of(api().call("PATCH", "/api/v1/system/orgs/" + id, s, {{"colour", "red"}})), 400u);
  EXPECT_EQ(status_of(api().call("PATCH", "/api/v1/system/orgs/0123456789abcdef0123456789abcdef", s,
                                 {{"status", "suspended"}})),
            404u);
  for (const char* action :
       {"org.suspend success operator", "org.resume success operator", "org.rename success operator"}) {
    EXPECT_TRUE(has_event(action)) << action;
  }
}

TEST_F(Operator, DeletingAnOrganizationRemovesItAndItsUsers) {
  const SignedIn s = signed_in_operator();
  const auto [id, one_time] = create_acme(s);

  EXPECT_EQ(status_of(api().call("DELETE", "/api/v1/system/orgs/" + id, "", s.cookie_only())), 403u) << "CSRF applies";
  ASSERT_EQ(status_of(api().call("DELETE", "/api/v1/system/orgs/" + id, s)), 204u);
  EXPECT_EQ(error_code(api().login({.org = "acme", .login = "admin@acme.test", .password = one_time})),
            "invalid_credentials");
  EXPECT_TRUE(api().call("GET", "/api/v1/system/orgs", s)->json().at("orgs").as_array().empty());
  EXPECT_EQ(status_of(api().call("DELETE", "/api/v1/system/orgs/" + id, s)), 404u);
  EXPECT_TRUE(has_event("org.crypto_shred success operator"));
  EXPECT_TRUE(has_event("org.delete success operator"));
}

TEST_F(Operator, HealthReportsEveryPart) {
  const SignedIn s = signed_in_operator();
  const auto r = api().call("GET", "/api/v1/system/health", s);
  ASSERT_EQ(status_of(r), 200u) << (r ? r->body : "");
  const auto body = r->json();
  EXPECT_TRUE(body.at("status") == "ok" || body.at("status") == "degraded") << r->body;

  const auto& scanner = body.at("scanner");
  EXPECT_EQ(scanner.at("ready"), true) << r->body;
  EXPECT_FALSE(scanner.at("engine_version").as_string().empty());
  EXPECT_GE(scanner.at("signatures").to_number<std::int64_t>(), 1);
  EXPECT_TRUE(scanner.as_object().contains("signature_version"));
  const auto& age = scanner.at("signature_age_seconds");
  EXPECT_TRUE(age.is_null() || age.to_number<std::int64_t>() >= 0) << r->body;

  const auto& updates = body.at("definition_updates");
  EXPECT_EQ(updates.at("enabled"), false) << "the test instance has updates off";
  EXPECT_EQ(updates.at("last_result"), "never");

  const auto& fips = body.at("fips");
  // The harness's instances require the FIPS provider when scripts/dev test built one.
  const bool fips_required = test_support::fips_module_from_env().has_value();
  EXPECT_EQ(fips.at("required"), fips_required);
  EXPECT_EQ(fips.at("loaded"), fips_required);
  EXPECT_EQ(fips.at("self_test_passed"), true);
  EXPECT_FALSE(fips.at("provider").as_string().empty());

  const auto& storage = body.at("storage");
  EXPECT_EQ(storage.at("ok"), true);
  EXPECT_GT(storage.at("free_bytes").to_number<std::uint64_t>(), 0u);

  const auto& database = body.at("database");
  EXPECT_EQ(database.at("ok"), true);
  EXPECT_GT(database.at("page_count").to_number<std::int64_t>(), 0);
  EXPECT_TRUE(database.at("backend").as_string().starts_with("sqlite"));
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/system/health")), 401u);
}

TEST_F(Operator, UserSessionsNeverReachOperatorRoutes) {
  const SignedIn op = signed_in_operator();
  const std::string one_time = create_acme(op).admin_one_time_password;
  const auto admin = api().login({.org = "acme", .login = "admin@acme.test", .password = one_time});
  ASSERT_EQ(status_of(admin), 200u);
  const SignedIn user = session_from_sign_in(*admin);
  // The org admin's own session, and its token presented under the operator cookie's name.
  const SignedIn disguised = under_cookie_name(user, "furoshiki_operator_session");
  for (const SignedIn* who : {&user, &disguised}) {
    EXPECT_EQ(status_of(api().call("GET", "/api/v1/system/me", *who)), 401u) << who->cookie;
    EXPECT_EQ(status_of(api().call("GET", "/api/v1/system/orgs", *who)), 401u);
    EXPECT_EQ(status_of(api().call("GET", "/api/v1/system/health", *who)), 401u);
    EXPECT_EQ(status_of(api().call("POST", "/api/v1/system/orgs", *who,
                                   {{"code", "evil"}, {"name", "E"}, {"admin_email", "e@evil.test"}})),
              401u);
  }
  // An API token is no operator credential either.
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/system/orgs", "", {{"Authorization", "Bearer fsk_forged"}})), 401u);
}

TEST_F(Operator, OperatorSessionsNeverReachUserRoutes) {
  const SignedIn op = signed_in_operator();
  const SignedIn disguised = under_cookie_name(op, "furoshiki_session");
  for (const SignedIn* who : {&op, &disguised}) {
    EXPECT_EQ(status_of(api().call("GET", "/api/v1/me", *who)), 401u) << who->cookie;
    EXPECT_EQ(status_of(api().call("GET", "/api/v1/admin/users", *who)), 401u);
    EXPECT_EQ(status_of(api().call("GET", "/api/v1/admin/logs", *who)), 401u);
    EXPECT_EQ(status_of(api().call("POST", "/api/v1/admin/users", *who, {{"email", "x@acme.test"}})), 401u);
  }
}

}  // namespace
}  // namespace furoshiki::integration
