// The signed-in user's account over real HTTPS (api.md "Auth"): TOTP enrolment and sign-in with
// a code (each code once) or a recovery code (each once), and API tokens for scripts — created
// and shown once, used as a bearer token, listed without their value, revoked.
#include "api_client.hpp"
#include "crypto/context.hpp"
#include "crypto/totp.hpp"
#include "harness.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <chrono>

namespace furoshiki::integration {
namespace {

constexpr const char* kAdminLogin = "admin@acme.test";
constexpr const char* kNewPassword = "violet tractor umbrella 8";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class Account : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_.write_config();
    const std::string one_time = create_org(instance_, "acme", "ACME", kAdminLogin).admin_one_time_password;
    server_ = ServerProcess::start(instance_);
    // Sign in and replace the one-time password: only then is the account usable.
    session_ = api().change_password(api().sign_in({.org = "acme", .login = kAdminLogin, .password = one_time}),
                                     one_time, kNewPassword);
  }

  ApiClient api() const { return ApiClient(*server_); }

  std::optional<HttpResponse> login(const std::string& password, const std::string& totp = "") {
    return api().login({.org = "acme", .login = kAdminLogin, .password = password, .totp = totp});
  }

  std::shared_ptr<crypto::CryptoContext> ctx_ = crypto::CryptoContext::create(crypto::CryptoSettings{});
  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
  SignedIn session_;
};

TEST_F(Account, TotpEnrolmentThenSignInWithACodeOrARecoveryCode) {
  const auto enrolment = api().call("POST", "/api/v1/me/totp", "", session_.headers());
  ASSERT_EQ(status_of(enrolment), 200u) << (enrolment ? enrolment->body : "");
  const auto e = enrolment->json();
  EXPECT_TRUE(e.at("otpauth_uri").as_string().starts_with("otpauth://totp/furoshiki:"));
  EXPECT_TRUE(e.at("qr_svg").as_string().starts_with("<svg"));
  EXPECT_EQ(enrolment->header("Cache-Control"), "no-store");
  const auto secret = crypto::base32_decode(e.at("secret").as_string());
  ASSERT_TRUE(secret);

  const auto wrong = api().call("POST", "/api/v1/me/totp/confirm", R"({"code":"abcdef"})", session_.headers());
  EXPECT_EQ(status_of(wrong), 422u);
  EXPECT_EQ(error_code(wrong), "invalid_code");

  const std::string code = crypto::totp_code(*ctx_, *secret, unix_now());
  const auto confirmed = api().call("POST", "/api/v1/me/totp/confirm",
                                    boost::json::serialize(boost::json::object{{"code", code}}), session_.headers());
  ASSERT_EQ(status_of(confirmed), 200u) << (confirmed ? confirmed->body : "");
  const auto confirmed_body = confirmed->json();
  const auto& recovery = confirmed_body.at("recovery_codes").as_array();
  ASSERT_EQ(recovery.size(), 10u);
  const std::string recovery_code(recovery[0].as_string());
  EXPECT_EQ(api().call("GET", "/api/v1/me", "", session_.cookie_only())->json().at("totp_enabled"), true);

  EXPECT_EQ(status_of(api().call("POST", "/api/v1/auth/logout", "", session_.headers())), 204u);
  EXPECT_EQ(error_code(login(kNewPassword)), "totp_required");
  const std::string next = crypto::totp_code(*ctx_, *secret, unix_now() + 30);
  EXPECT_EQ(status_of(login(kNewPassword, next)), 200u);
  EXPECT_EQ(error_code(login(kNewPassword, next)), "totp_required") << "a code signs in once";
  EXPECT_EQ(status_of(login(kNewPassword, recovery_code)), 200u);
  EXPECT_EQ(error_code(login(kNewPassword, recovery_code)), "totp_required") << "a recovery code works once";
}

TEST_F(Account, ApiTokensAreShownOnceUsableAndRevocable) {
  const auto created =
      api().call("POST", "/api/v1/me/tokens", R"({"name":"ci","expires_in_days":30})", session_.headers());
  ASSERT_EQ(status_of(created), 201u) << (created ? created->body : "");
  const auto body = created->json();
  const std::string value(body.at("value").as_string());
  const std::string id(body.at("token").at("id").as_string());
  EXPECT_TRUE(value.starts_with("fsk_"));
  EXPECT_EQ(body.at("token").at("name"), "ci");
  EXPECT_FALSE(body.at("token").at("expires_at").as_string().empty());

  const auto me = api().call("GET", "/api/v1/me", "", {{"Authorization", "Bearer " + value}});
  ASSERT_EQ(status_of(me), 200u);
  EXPECT_EQ(me->json().at("login"), "admin@acme.test");

  const auto listed = api().call("GET", "/api/v1/me/tokens", "", session_.cookie_only());
  ASSERT_EQ(status_of(listed), 200u);
  EXPECT_EQ(listed->json().at("tokens").as_array().size(), 1u);
  EXPECT_EQ(listed->body.find(value), std::string::npos) << "the value is never listed";
  EXPECT_EQ(listed->body.find(value.substr(4)), std::string::npos);

  EXPECT_EQ(
      status_of(api().call("POST", "/api/v1/me/tokens", R"({"name":"ci","expires_in_days":0})", session_.headers())),
      400u);
  EXPECT_EQ(status_of(api().call("DELETE", "/api/v1/me/tokens/0123456789abcdef", "", session_.headers())), 404u);
  EXPECT_EQ(status_of(api().call("DELETE", "/api/v1/me/tokens/" + id, "", session_.headers())), 204u);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/me", "", {{"Authorization", "Bearer " + value}})), 401u);
}

TEST_F(Account, ATabWithoutItsCsrfTokenGetsANewOneAndTheOldOneStops) {
  const auto renewed = api().call("GET", "/api/v1/auth/csrf", "", session_.cookie_only());
  ASSERT_EQ(status_of(renewed), 200u) << (renewed ? renewed->body : "");
  EXPECT_EQ(renewed->header("Cache-Control"), "no-store");
  const std::string fresh(renewed->json().at("csrf_token").as_string());
  EXPECT_NE(fresh, session_.csrf);

  const std::string create = R"({"name":"after renewal","expires_in_days":1})";
  const auto with_old = api().call("POST", "/api/v1/me/tokens", create, session_.headers());
  EXPECT_EQ(status_of(with_old), 403u);
  EXPECT_EQ(error_code(with_old), "csrf_failed");
  EXPECT_EQ(status_of(api().call("POST", "/api/v1/me/tokens", create,
                                 {{"Cookie", session_.cookie}, {"X-CSRF-Token", fresh}})),
            201u);

  // Without a session there is nothing to renew; an API token needs no CSRF token at all.
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/auth/csrf")), 401u);
  const auto token = api().call("POST", "/api/v1/me/tokens", R"({"name":"script","expires_in_days":1})",
                                {{"Cookie", session_.cookie}, {"X-CSRF-Token", fresh}});
  ASSERT_EQ(status_of(token), 201u);
  const std::string bearer = "Bearer " + std::string(token->json().at("value").as_string());
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/auth/csrf", "", {{"Authorization", bearer}})), 400u);
}

}  // namespace
}  // namespace furoshiki::integration
