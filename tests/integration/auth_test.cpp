// Sign-in over real HTTPS (api.md "Auth"): the session cookie and its attributes, CSRF on
// state-changing requests, the one-time password gate, the password change, sign-out, one
// answer for every wrong credential, and throttling that a spoofed X-Forwarded-For cannot evade.
#include "harness.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace furoshiki::integration {
namespace {

class Auth : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_.write_config();
    const auto r = run_furoshiki({"org", "create", "--config", instance_.config_file().string(), "--code", "acme",
                                  "--name", "ACME", "--admin-email", "admin@acme.test"},
                                 60s);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto at = r.out.find("one-time password:");
    ASSERT_NE(at, std::string::npos);
    password_ = r.out.substr(r.out.find_first_not_of(' ', at + 18), 24);
    server_ = ServerProcess::start(instance_);
  }

  std::optional<HttpResponse> call(std::string_view method, std::string_view target, const std::string& body = "",
                                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    TlsClient client;
    auto connection = client.connect(server_->https());
    if (!connection) return std::nullopt;
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/json");
      headers.emplace_back("Content-Length", std::to_string(body.size()));
    }
    std::string raw = http_request(method, target, headers, false);
    return connection->request(raw + body);
  }

  std::optional<HttpResponse> login(const std::string& password, const std::string& org = "acme",
                                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    const std::string body =
        boost::json::serialize(boost::json::object{{"org", org}, {"login", "admin@acme.test"}, {"password", password}});
    return call("POST", "/api/v1/auth/login", body, std::move(headers));
  }

  // "furoshiki_session=TOKEN" from a Set-Cookie header.
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

  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
  std::string password_;
};

TEST_F(Auth, SignInSetsAHardenedSessionCookie) {
  const auto r = login(password_);
  ASSERT_TRUE(r) << server_->log_text();
  ASSERT_EQ(r->status, 200u) << r->body;
  const std::string set = r->header("Set-Cookie");
  EXPECT_TRUE(set.starts_with("furoshiki_session=")) << set;
  for (const char* attribute : {"; Path=/", "; Secure", "; HttpOnly", "; SameSite=Strict"}) {
    EXPECT_NE(set.find(attribute), std::string::npos) << set;
  }
  EXPECT_EQ(set.find("Domain"), std::string::npos) << set;
  const auto body = r->json();
  EXPECT_EQ(body.at("password_change_required"), true);
  EXPECT_EQ(body.at("user").at("login"), "admin@acme.test");
  EXPECT_EQ(body.at("user").at("role"), "org_admin");
  EXPECT_GE(body.at("csrf_token").as_string().size(), 43u);
  EXPECT_EQ(r->body.find(password_), std::string::npos);
}

TEST_F(Auth, EveryWrongCredentialGetsOneAnswer) {
  const auto wrong_password = login("not the password");
  const auto wrong_org = login(password_, "nope");
  ASSERT_TRUE(wrong_password && wrong_org);
  EXPECT_EQ(wrong_password->status, 401u);
  EXPECT_EQ(wrong_org->status, 401u);
  EXPECT_EQ(error_code(wrong_password), "invalid_credentials");
  EXPECT_EQ(wrong_password->body, wrong_org->body);
  EXPECT_FALSE(wrong_password->has_header("Set-Cookie"));
  EXPECT_EQ(status_of(call("POST", "/api/v1/auth/login", "not json")), 400u);
}

TEST_F(Auth, RequestsWithoutCredentialsAreUnauthenticated) {
  EXPECT_EQ(status_of(call("GET", "/api/v1/me")), 401u);
  EXPECT_EQ(status_of(call("GET", "/api/v1/me", "", {{"Cookie", "furoshiki_session=forged"}})), 401u);
  EXPECT_EQ(status_of(call("GET", "/api/v1/me", "", {{"Authorization", "Bearer fsk_forged"}})), 401u);
}

TEST_F(Auth, CookieRequestsNeedTheCsrfTokenAndTheNewPasswordFirst) {
  const auto r = login(password_);
  ASSERT_EQ(status_of(r), 200u);
  const std::string cookie = cookie_of(*r);
  const std::string csrf(r->json().at("csrf_token").as_string());

  const auto me = call("GET", "/api/v1/me", "", {{"Cookie", cookie}});
  ASSERT_EQ(status_of(me), 200u);
  EXPECT_EQ(me->json().at("password_change_required"), true);

  const std::string change =
      boost::json::serialize(boost::json::object{{"current", password_}, {"new", "violet tractor umbrella 8"}});
  EXPECT_EQ(error_code(call("POST", "/api/v1/me/password", change, {{"Cookie", cookie}})), "csrf_failed");
  EXPECT_EQ(error_code(call("POST", "/api/v1/me/password", change, {{"Cookie", cookie}, {"X-CSRF-Token", "wrong"}})),
            "csrf_failed");

  const std::string weak = boost::json::serialize(boost::json::object{{"current", password_}, {"new", "password1"}});
  const auto refused = call("POST", "/api/v1/me/password", weak, {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  ASSERT_EQ(status_of(refused), 422u);
  EXPECT_EQ(error_code(refused), "password_policy");
  EXPECT_FALSE(refused->json().at("error").at("rules").as_array().empty()) << refused->body;

  const auto changed = call("POST", "/api/v1/me/password", change, {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  ASSERT_EQ(status_of(changed), 204u) << (changed ? changed->body : "");
  const std::string new_cookie = cookie_of(*changed);
  EXPECT_NE(new_cookie, cookie) << "the session is rotated";
  EXPECT_FALSE(changed->header("X-CSRF-Token").empty());
  EXPECT_EQ(status_of(call("GET", "/api/v1/me", "", {{"Cookie", cookie}})), 401u) << "the old session ended";
  const auto after = call("GET", "/api/v1/me", "", {{"Cookie", new_cookie}});
  ASSERT_EQ(status_of(after), 200u);
  EXPECT_EQ(after->json().at("password_change_required"), false);
  EXPECT_EQ(status_of(login("violet tractor umbrella 8")), 200u);
  EXPECT_EQ(status_of(login(password_)), 401u);
}

TEST_F(Auth, RequiredSecondFactorGatesEverythingButEnrolment) {
  const auto first = login(password_);
  ASSERT_EQ(status_of(first), 200u);
  const std::string csrf(first->json().at("csrf_token").as_string());
  const std::string change =
      boost::json::serialize(boost::json::object{{"current", password_}, {"new", "violet tractor umbrella 8"}});
  const auto changed =
      call("POST", "/api/v1/me/password", change, {{"Cookie", cookie_of(*first)}, {"X-CSRF-Token", csrf}});
  ASSERT_EQ(status_of(changed), 204u);
  const std::string cookie = cookie_of(*changed);
  const std::string new_csrf = changed->header("X-CSRF-Token");
  const std::string policy = boost::json::serialize(boost::json::object{{"require_2fa", "all"}});
  ASSERT_EQ(status_of(call("PUT", "/api/v1/admin/policy", policy, {{"Cookie", cookie}, {"X-CSRF-Token", new_csrf}})),
            200u);
  const auto me = call("GET", "/api/v1/me", "", {{"Cookie", cookie}});
  ASSERT_EQ(status_of(me), 200u);
  EXPECT_EQ(me->json().at("totp_enrolment_required"), true);
  EXPECT_EQ(error_code(call("GET", "/api/v1/admin/users", "", {{"Cookie", cookie}})), "totp_enrolment_required");
  const auto enrol = call("POST", "/api/v1/me/totp", "", {{"Cookie", cookie}, {"X-CSRF-Token", new_csrf}});
  EXPECT_EQ(status_of(enrol), 200u) << (enrol ? enrol->body : "");
}

TEST_F(Auth, SignOutEndsTheSessionOnTheServer) {
  const auto r = login(password_);
  ASSERT_EQ(status_of(r), 200u);
  const std::string cookie = cookie_of(*r);
  const std::string csrf(r->json().at("csrf_token").as_string());
  EXPECT_EQ(status_of(call("POST", "/api/v1/auth/logout", "", {{"Cookie", cookie}})), 403u) << "CSRF applies";
  const auto out = call("POST", "/api/v1/auth/logout", "", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  ASSERT_EQ(status_of(out), 204u);
  EXPECT_NE(out->header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(status_of(call("GET", "/api/v1/me", "", {{"Cookie", cookie}})), 401u);
}

TEST_F(Auth, ThrottlingIgnoresXForwardedForFromAnUntrustedPeer) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(status_of(login("wrong", "acme", {{"X-Forwarded-For", "203.0.113." + std::to_string(i)}})), 401u);
  }
  const auto throttled = login(password_, "acme", {{"X-Forwarded-For", "198.51.100.99"}});
  ASSERT_EQ(status_of(throttled), 429u);
  EXPECT_EQ(error_code(throttled), "too_many_attempts");
  EXPECT_GE(std::stoi(throttled->header("Retry-After")), 1);
}

}  // namespace
}  // namespace furoshiki::integration
