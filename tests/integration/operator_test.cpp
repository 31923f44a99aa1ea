// The operator API over real HTTPS (api.md "Operator"): operator sign-in with its own cookie,
// the one-time password gate, CSRF, throttling, organizations created, suspended, renamed and
// deleted through /api/v1/system/orgs (and what that means for their users), the service's
// health, the audit events in the service chain, and the wall between operator and user
// sessions in both directions.
//
// Each test has its own instance and server: sign-in failures count against 127.0.0.1, and a
// test that provokes throttling must not slow the others down.
#include "harness.hpp"
#include "https_client.hpp"
#include "test_support/fips_module.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace furoshiki::integration {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kOperatorLogin = "ops@example.com";
constexpr const char* kNewPassword = "violet tractor umbrella harbour 8";

// A signed-in browser session: the cookie ("name=value") and its CSRF token.
struct Session {
  std::string cookie;
  std::string csrf;
  Headers headers() const { return {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}; }
  Headers cookie_only() const { return {{"Cookie", cookie}}; }
};

class Operator : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_.write_config();
    const auto r = run_furoshiki(
        {"operator", "create", "--config", instance_.config_file().string(), "--email", kOperatorLogin}, 60s);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    password_ = one_time_password(r.out);
    server_ = ServerProcess::start(instance_);
  }

  static std::string one_time_password(const std::string& out) {
    const auto at = out.find("one-time password:");
    if (at == std::string::npos) return {};
    return out.substr(out.find_first_not_of(' ', at + 18), 24);
  }

  std::optional<HttpResponse> call(std::string_view method, std::string_view target, const std::string& body = "",
                                   Headers headers = {}) {
    TlsClient client;
    auto connection = client.connect(server_->https());
    if (!connection) return std::nullopt;
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/json");
      headers.emplace_back("Content-Length", std::to_string(body.size()));
    }
    return connection->request(http_request(method, target, headers, false) + body);
  }
  std::optional<HttpResponse> call(std::string_view method, std::string_view target, const Session& who,
                                   const boost::json::object& body = {}) {
    return call(method, target, body.empty() ? std::string() : boost::json::serialize(body), who.headers());
  }

  std::optional<HttpResponse> operator_login(const std::string& password, const std::string& login = kOperatorLogin) {
    return call("POST", "/api/v1/system/login",
                boost::json::serialize(boost::json::object{{"login", login}, {"password", password}}));
  }

  static std::string cookie_of(const HttpResponse& r) {
    const std::string set = r.header("Set-Cookie");
    return set.substr(0, set.find(';'));
  }

  static std::string error_code(const std::optional<HttpResponse>& r) {
    if (!r) return "(no response)";
    const auto body = r->json();
    if (!body.is_object() || !body.as_object().contains("error")) return "(no error)";
    return std::string(body.at("error").at("code").as_string());
  }

  // Signs the operator in with the one-time password (the session still needs the change).
  Session sign_in_with_one_time_password() {
    const auto r = operator_login(password_);
    if (status_of(r) != 200u) throw std::runtime_error("operator sign-in failed: " + (r ? r->body : "(no response)"));
    return {cookie_of(*r), std::string(r->json().at("csrf_token").as_string())};
  }

  // A signed-in operator whose one-time password has been replaced.
  Session signed_in_operator() {
    const Session first = sign_in_with_one_time_password();
    const auto r = call("POST", "/api/v1/system/password", first, {{"current", password_}, {"new", kNewPassword}});
    if (status_of(r) != 204u) throw std::runtime_error("password change failed: " + (r ? r->body : "(no response)"));
    return {cookie_of(*r), r->header("X-CSRF-Token")};
  }

  std::optional<HttpResponse> user_login(const std::string& org, const std::string& login,
                                         const std::string& password) {
    return call("POST", "/api/v1/auth/login",
                boost::json::serialize(boost::json::object{{"org", org}, {"login", login}, {"password", password}}));
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
  const std::string set = r->header("Set-Cookie");
  EXPECT_TRUE(set.starts_with("furoshiki_operator_session=")) << set;
  for (const char* attribute : {"; Path=/", "; Secure", "; HttpOnly", "; SameSite=Strict"}) {
    EXPECT_NE(set.find(attribute), std::string::npos) << set;
  }
  EXPECT_EQ(set.find("Domain"), std::string::npos) << set;
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
  EXPECT_EQ(status_of(call("POST", "/api/v1/system/login", "not json")), 400u);
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
  const Session s = sign_in_with_one_time_password();
  EXPECT_EQ(error_code(call("GET", "/api/v1/system/orgs", s)), "password_change_required");
  EXPECT_EQ(error_code(call("GET", "/api/v1/system/health", s)), "password_change_required");
  const auto me = call("GET", "/api/v1/system/me", s);
  ASSERT_EQ(status_of(me), 200u);
  EXPECT_EQ(me->json().at("password_change_required"), true);
  EXPECT_EQ(me->json().at("login"), kOperatorLogin);

  const std::string change = boost::json::serialize(boost::json::object{{"current", password_}, {"new", kNewPassword}});
  EXPECT_EQ(error_code(call("POST", "/api/v1/system/password", change, s.cookie_only())), "csrf_failed");
  const auto weak = call("POST", "/api/v1/system/password", s, {{"current", password_}, {"new", "password1"}});
  ASSERT_EQ(status_of(weak), 422u);
  EXPECT_EQ(error_code(weak), "password_policy");
  const auto wrong = call("POST", "/api/v1/system/password", s, {{"current", "nope"}, {"new", kNewPassword}});
  EXPECT_EQ(status_of(wrong), 403u);

  const auto changed = call("POST", "/api/v1/system/password", s, {{"current", password_}, {"new", kNewPassword}});
  ASSERT_EQ(status_of(changed), 204u) << (changed ? changed->body : "");
  const Session now{cookie_of(*changed), changed->header("X-CSRF-Token")};
  EXPECT_TRUE(now.cookie.starts_with("furoshiki_operator_session="));
  EXPECT_NE(now.cookie, s.cookie);
  EXPECT_EQ(status_of(call("GET", "/api/v1/system/me", s)), 401u) << "the old session ended";
  EXPECT_EQ(status_of(call("GET", "/api/v1/system/orgs", now)), 200u);
  EXPECT_EQ(status_of(operator_login(password_)), 401u);
  EXPECT_EQ(status_of(operator_login(kNewPassword)), 200u);
  EXPECT_TRUE(has_event("operator.change_password success operator"));
}

TEST_F(Operator, StateChangingRequestsNeedTheCsrfToken) {
  const Session s = signed_in_operator();
  const std::string body = boost::json::serialize(
      boost::json::object{{"code", "acme"}, {"name", "ACME"}, {"admin_email", "admin@acme.test"}});
  EXPECT_EQ(error_code(call("POST", "/api/v1/system/orgs", body, s.cookie_only())), "csrf_failed");
  Headers wrong = s.cookie_only();
  wrong.emplace_back("X-CSRF-Token", "wrong");
  EXPECT_EQ(error_code(call("POST", "/api/v1/system/orgs", body, wrong)), "csrf_failed");
  EXPECT_EQ(status_of(call("POST", "/api/v1/system/logout", "", s.cookie_only())), 403u);
  const auto out = call("POST", "/api/v1/system/logout", s);
  ASSERT_EQ(status_of(out), 204u);
  EXPECT_NE(out->header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(status_of(call("GET", "/api/v1/system/me", s)), 401u);
  EXPECT_TRUE(has_event("operator.logout success operator"));
}

TEST_F(Operator, CreatesOrganizationsWhoseAdminSignsInWithTheOneTimePassword) {
  const Session s = signed_in_operator();
  const auto made =
      call("POST", "/api/v1/system/orgs", s, {{"code", "acme"}, {"name", "ACME"}, {"admin_email", "Admin@acme.test"}});
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

  const auto admin = user_login("acme", "admin@acme.test", one_time);
  ASSERT_EQ(status_of(admin), 200u) << (admin ? admin->body : "");
  EXPECT_EQ(admin->json().at("password_change_required"), true);

  const auto duplicate =
      call("POST", "/api/v1/system/orgs", s, {{"code", "acme"}, {"name", "Again"}, {"admin_email", "a@acme.test"}});
  EXPECT_EQ(status_of(duplicate), 409u);
  EXPECT_EQ(error_code(duplicate), "conflict");
  const auto invalid =
      call("POST", "/api/v1/system/orgs", s, {{"code", "Not Valid!"}, {"name", "X"}, {"admin_email", "a@x.test"}});
  EXPECT_EQ(status_of(invalid), 422u);
  EXPECT_EQ(error_code(invalid), "invalid_code");
  EXPECT_EQ(status_of(call("POST", "/api/v1/system/orgs", s, {{"code", "beta"}, {"name", "B"}})), 400u)
      << "admin_email is required";
  EXPECT_EQ(status_of(call("POST", "/api/v1/system/orgs", s,
                           {{"code", "beta"}, {"name", "B"}, {"admin_email", "not-an-address"}})),
            400u);

  const auto list = call("GET", "/api/v1/system/orgs", s);
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
  const Session s = signed_in_operator();
  for (const char* code : {"gamma", "alpha", "beta"}) {
    ASSERT_EQ(
        status_of(call("POST", "/api/v1/system/orgs", s,
                       {{"code", code}, {"name", code}, {"admin_email", std::string("admin@") + code + ".test"}})),
        201u);
  }
  const auto first = call("GET", "/api/v1/system/orgs?limit=2", s);
  ASSERT_EQ(status_of(first), 200u);
  ASSERT_EQ(first->json().at("orgs").as_array().size(), 2u);
  EXPECT_EQ(first->json().at("orgs").at(0).at("code"), "alpha");
  const std::string cursor(first->json().at("next_cursor").as_string());
  const auto second = call("GET", "/api/v1/system/orgs?limit=2&cursor=" + cursor, s);
  ASSERT_EQ(status_of(second), 200u);
  ASSERT_EQ(second->json().at("orgs").as_array().size(), 1u);
  EXPECT_EQ(second->json().at("orgs").at(0).at("code"), "gamma");
  EXPECT_TRUE(second->json().at("next_cursor").is_null());
  EXPECT_EQ(status_of(call("GET", "/api/v1/system/orgs?limit=0", s)), 400u);
  EXPECT_EQ(status_of(call("GET", "/api/v1/system/orgs?cursor=zz", s)), 400u);
}

TEST_F(Operator, SuspendingAnOrganizationShutsOutItsUsersUntilResumed) {
  const Session s = signed_in_operator();
  const auto made =
      call("POST", "/api/v1/system/orgs", s, {{"code", "acme"}, {"name", "ACME"}, {"admin_email", "admin@acme.test"}});
  ASSERT_EQ(status_of(made), 201u);
  const std::string id(made->json().at("org").at("id").as_string());
  const std::string one_time(made->json().at("admin").at("one_time_password").as_string());
  const auto admin = user_login("acme", "admin@acme.test", one_time);
  ASSERT_EQ(status_of(admin), 200u);
  const std::string admin_cookie = cookie_of(*admin);

  const auto suspended = call("PATCH", "/api/v1/system/orgs/" + id, s, {{"status", "suspended"}});
  ASSERT_EQ(status_of(suspended), 200u) << (suspended ? suspended->body : "");
  EXPECT_EQ(suspended->json().at("org").at("status"), "suspended");
  EXPECT_EQ(status_of(call("GET", "/api/v1/me", "", {{"Cookie", admin_cookie}})), 401u) << "the session ended";
  EXPECT_EQ(error_code(user_login("acme", "admin@acme.test", one_time)), "invalid_credentials");

  const auto resumed = call("PATCH", "/api/v1/system/orgs/" + id, s, {{"status", "active"}, {"name", "ACME Corp"}});
  ASSERT_EQ(status_of(resumed), 200u);
  EXPECT_EQ(resumed->json().at("org").at("status"), "active");
  EXPECT_EQ(resumed->json().at("org").at("name"), "ACME Corp");
  EXPECT_EQ(status_of(user_login("acme", "admin@acme.test", one_time)), 200u);

  EXPECT_EQ(status_of(call("PATCH", "/api/v1/system/orgs/" + id, s, {{"status", "deleted"}})), 400u);
  EXPECT_EQ(status_of(call("PATCH", "/api/v1/system/orgs/" + id, s, {{"colour", "red"}})), 400u);
  EXPECT_EQ(
      status_of(call("PATCH", "/api/v1/system/orgs/0123456789abcdef0123456789abcdef", s, {{"status", "suspended"}})),
      404u);
  for (const char* action :
       {"org.suspend success operator", "org.resume success operator", "org.rename success operator"}) {
    EXPECT_TRUE(has_event(action)) << action;
  }
}

TEST_F(Operator, DeletingAnOrganizationRemovesItAndItsUsers) {
  const Session s = signed_in_operator();
  const auto made =
      call("POST", "/api/v1/system/orgs", s, {{"code", "acme"}, {"name", "ACME"}, {"admin_email", "admin@acme.test"}});
  ASSERT_EQ(status_of(made), 201u);
  const std::string id(made->json().at("org").at("id").as_string());
  const std::string one_time(made->json().at("admin").at("one_time_password").as_string());

  EXPECT_EQ(status_of(call("DELETE", "/api/v1/system/orgs/" + id, "", s.cookie_only())), 403u) << "CSRF applies";
  ASSERT_EQ(status_of(call("DELETE", "/api/v1/system/orgs/" + id, s)), 204u);
  EXPECT_EQ(error_code(user_login("acme", "admin@acme.test", one_time)), "invalid_credentials");
  EXPECT_TRUE(call("GET", "/api/v1/system/orgs", s)->json().at("orgs").as_array().empty());
  EXPECT_EQ(status_of(call("DELETE", "/api/v1/system/orgs/" + id, s)), 404u);
  EXPECT_TRUE(has_event("org.crypto_shred success operator"));
  EXPECT_TRUE(has_event("org.delete success operator"));
}

TEST_F(Operator, HealthReportsEveryPart) {
  const Session s = signed_in_operator();
  const auto r = call("GET", "/api/v1/system/health", s);
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
  EXPECT_EQ(status_of(call("GET", "/api/v1/system/health")), 401u);
}

TEST_F(Operator, UserSessionsNeverReachOperatorRoutes) {
  const Session op = signed_in_operator();
  const auto made =
      call("POST", "/api/v1/system/orgs", op, {{"code", "acme"}, {"name", "ACME"}, {"admin_email", "admin@acme.test"}});
  ASSERT_EQ(status_of(made), 201u);
  const std::string one_time(made->json().at("admin").at("one_time_password").as_string());
  const auto admin = user_login("acme", "admin@acme.test", one_time);
  ASSERT_EQ(status_of(admin), 200u);
  const Session user{cookie_of(*admin), std::string(admin->json().at("csrf_token").as_string())};
  const std::string user_token = user.cookie.substr(user.cookie.find('=') + 1);
  // The org admin's own session, and its token presented under the operator cookie's name.
  const Session disguised{"furoshiki_operator_session=" + user_token, user.csrf};
  for (const Session* who : {&user, &disguised}) {
    EXPECT_EQ(status_of(call("GET", "/api/v1/system/me", *who)), 401u) << who->cookie;
    EXPECT_EQ(status_of(call("GET", "/api/v1/system/orgs", *who)), 401u);
    EXPECT_EQ(status_of(call("GET", "/api/v1/system/health", *who)), 401u);
    EXPECT_EQ(status_of(call("POST", "/api/v1/system/orgs", *who,
                             {{"code", "evil"}, {"name", "E"}, {"admin_email", "e@evil.test"}})),
              401u);
  }
  // An API token is no operator credential either.
  EXPECT_EQ(status_of(call("GET", "/api/v1/system/orgs", "", {{"Authorization", "Bearer fsk_forged"}})), 401u);
}

TEST_F(Operator, OperatorSessionsNeverReachUserRoutes) {
  const Session op = signed_in_operator();
  const std::string op_token = op.cookie.substr(op.cookie.find('=') + 1);
  const Session disguised{"furoshiki_session=" + op_token, op.csrf};
  for (const Session* who : {&op, &disguised}) {
    EXPECT_EQ(status_of(call("GET", "/api/v1/me", *who)), 401u) << who->cookie;
    EXPECT_EQ(status_of(call("GET", "/api/v1/admin/users", *who)), 401u);
    EXPECT_EQ(status_of(call("GET", "/api/v1/admin/logs", *who)), 401u);
    EXPECT_EQ(status_of(call("POST", "/api/v1/admin/users", *who, {{"email", "x@acme.test"}})), 401u);
  }
}

}  // namespace
}  // namespace furoshiki::integration
