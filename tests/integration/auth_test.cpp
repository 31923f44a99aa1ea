// Sign-in over real HTTPS (api.md "Auth"): the session cookie and its attributes, CSRF on
// state-changing requests, the one-time password gate, the password change, sign-out, one
// answer for every wrong credential, and throttling that a spoofed X-Forwarded-For cannot evade.
#include "api_client.hpp"
#include "expectations.hpp"
#include "harness.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace furoshiki::integration {
namespace {

constexpr const char* kAdminLogin = "admin@acme.test";
constexpr const char* kNewPassword = "violet tractor umbrella 8";

class Auth : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_.write_config();
    password_ = create_org(instance_, "acme", "ACME", kAdminLogin).admin_one_time_password;
    server_ = ServerProcess::start(instance_);
  }

  ApiClient api() const { return ApiClient(*server_); }

  std::optional<HttpResponse> login(const std::string& password, const std::string& org = "acme",
                                    Headers headers = {}) {
    return api().login({.org = org, .login = kAdminLogin, .password = password}, std::move(headers));
  }

  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
  std::string password_;
};

TEST_F(Auth, SignInSetsAHardenedSessionCookie) {
  const auto r = login(password_);
  ASSERT_TRUE(r) << server_->log_text();
  ASSERT_EQ(r->status, 200u) << r->body;
  expect_hardened_session_cookie(*r, "furoshiki_session");
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
  EXPECT_EQ(status_of(api().call("POST", "/api/v1/auth/login", "not json")), 400u);
}

TEST_F(Auth, RequestsWithoutCredentialsAreUnauthenticated) {
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/me")), 401u);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/me", "", {{"Cookie", "furoshiki_session=forged"}})), 401u);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/me", "", {{"Authorization", "Bearer fsk_forged"}})), 401u);
}

TEST_F(Auth, CookieRequestsNeedTheCsrfTokenAndTheNewPasswordFirst) {
  const auto r = login(password_);
  ASSERT_EQ(status_of(r), 200u);
  const std::string cookie = cookie_of(*r);
  const std::string csrf(r->json().at("csrf_token").as_string());

  const auto me = api().call("GET", "/api/v1/me", "", {{"Cookie", cookie}});
  ASSERT_EQ(status_of(me), 200u);
  EXPECT_EQ(me->json().at("password_change_required"), true);

  const std::string change = boost::json::serialize(boost::json::object{{"current", password_}, {"new", kNewPassword}});
  EXPECT_EQ(error_code(api().call("POST", "/api/v1/me/password", change, {{"Cookie", cookie}})), "csrf_failed");
  EXPECT_EQ(
      error_code(api().call("POST", "/api/v1/me/password", change, {{"Cookie", cookie}, {"X-CSRF-Token", "wrong"}})),
      "csrf_failed");

  const std::string weak = boost::json::serialize(boost::json::object{{"current", password_}, {"new", "password1"}});
  const auto refused = api().call("POST", "/api/v1/me/password", weak, {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  ASSERT_EQ(status_of(refused), 422u);
  EXPECT_EQ(error_code(refused), "password_policy");
  EXPECT_FALSE(refused->json().at("error").at("rules").as_array().empty()) << refused->body;

  const auto changed = api().call("POST", "/api/v1/me/password", change, {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  ASSERT_EQ(status_of(changed), 204u) << (changed ? changed->body : "");
  const std::string new_cookie = cookie_of(*changed);
  EXPECT_NE(new_cookie, cookie) << "the session is rotated";
  EXPECT_FALSE(changed->header("X-CSRF-Token").empty());
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/me", "", {{"Cookie", cookie}})), 401u) << "the old session ended";
  const auto after = api().call("GET", "/api/v1/me", "", {{"Cookie", new_cookie}});
  ASSERT_EQ(status_of(after), 200u);
  EXPECT_EQ(after->json().at("password_change_required"), false);
  EXPECT_EQ(status_of(login(kNewPassword)), 200u);
  EXPECT_EQ(status_of(login(password_)), 401u);
}

TEST_F(Auth, RequiredSecondFactorGatesEverythingButEnrolment) {
  const SignedIn admin = api().change_password(
      api().sign_in({.org = "acme", .login = kAdminLogin, .password = password_}), password_, kNewPassword);
  const std::string policy = boost::json::serialize(boost::json::object{{"require_2fa", "all"}});
  ASSERT_EQ(status_of(api().call("PUT", "/api/v1/admin/policy", policy, admin.headers())), 200u);
  const auto me = api().call("GET", "/api/v1/me", "", admin.cookie_only());
  ASSERT_EQ(status_of(me), 200u);
  EXPECT_EQ(me->json().at("totp_enrolment_required"), true);
  EXPECT_EQ(error_code(api().call("GET", "/api/v1/admin/users", "", admin.cookie_only())), "totp_enrolment_required");
  const auto enrol = api().call("POST", "/api/v1/me/totp", "", admin.headers());
  EXPECT_EQ(status_of(enrol), 200u) << (enrol ? enrol->body : "");
}

TEST_F(Auth, SignOutEndsTheSessionOnTheServer) {
  const auto r = login(password_);
  ASSERT_EQ(status_of(r), 200u);
  const std::string cookie = cookie_of(*r);
  const std::string csrf(r->json().at("csrf_token").as_string());
  EXPECT_EQ(status_of(api().call("POST", "/api/v1/auth/logout", "", {{"Cookie", cookie}})), 403u) << "CSRF applies";
  const auto out = api().call("POST", "/api/v1/auth/logout", "", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  ASSERT_EQ(status_of(out), 204u);
  EXPECT_NE(out->header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/me", "", {{"Cookie", cookie}})), 401u);
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
