// Sign-in and what follows: one answer for every wrong credential, throttling before password
// work, disabled accounts and suspended organizations, TOTP with replay protection, session
// fixation, CSRF, sign-out and the password change.
#include "admin/authenticator.hpp"

#include "admin/second_factor.hpp"
#include "common/error.hpp"
#include "crypto/totp.hpp"
#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"
#include "test_support/admin_fixture.hpp"

#include <gtest/gtest.h>

namespace furoshiki::admin {
namespace {

class AuthenticatorTest : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    sessions_ = std::make_unique<SessionStore>(ctx_, *db_, [this] { return now_; });
    tokens_ = std::make_unique<ApiTokenStore>(ctx_, *db_);
    throttle_ = std::make_unique<LoginThrottle>(*db_);
    auth_ = std::make_unique<Authenticator>(ctx_, *db_, *hasher_, *keys_, *audit_, *sessions_, *tokens_, *throttle_);
    CreatedAccount admin;
    ASSERT_FALSE(orgs_->create({"acme", "ACME", "admin@acme.test", "Admin"}, {}, acme_, admin));
    admin_id_ = admin.id;
    password_ = admin.one_time_password;
  }

  SignInResult sign_in(const std::string& org, const std::string& login, const std::string& password,
                       const std::string& totp = "", const std::string& client = "192.0.2.7") {
    auto r = auth_->sign_in({org, login, password, totp, client, "test-agent", ""});
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : SignInResult{};
  }

  std::vector<std::string> org_actions() {
    std::vector<AuditRow> rows;
    std::string next;
    EXPECT_FALSE(audit_->query(AuditChain::organization(acme_.id), {}, rows, next));
    std::vector<std::string> out;
    for (auto it = rows.rbegin(); it != rows.rend(); ++it)
      out.push_back(it->action + " " + std::string(to_string(it->outcome)));
    return out;
  }

  std::vector<std::uint8_t> enrol_totp() {
    const auto secret = crypto::generate_totp_secret(*ctx_);
    std::vector<std::uint8_t> sealed;
    EXPECT_FALSE(seal_totp_secret(*ctx_, *keys_, acme_.id, admin_id_, secret, sealed));
    EXPECT_FALSE(db_->execute("UPDATE users SET totp_secret = ?1, totp_enabled = 1 WHERE id = ?2",
                              {db::Blob{sealed}, admin_id_}));
    return secret;
  }

  void set_policy(const std::string& policy) {
    ASSERT_FALSE(db_->execute("UPDATE organizations SET policy = ?1 WHERE id = ?2", {policy, acme_.id}));
  }

  // The sessions' clock (TOTP and password expiry use the real one); moved by hand.
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
  std::unique_ptr<SessionStore> sessions_;
  std::unique_ptr<ApiTokenStore> tokens_;
  std::unique_ptr<LoginThrottle> throttle_;
  std::unique_ptr<Authenticator> auth_;
  Organization acme_;
  std::string admin_id_, password_;
};

TEST_F(AuthenticatorTest, SignsInWithTheOneTimePassword) {
  const auto r = sign_in("acme", "ADMIN@acme.test", password_);
  ASSERT_EQ(r.outcome, SignInOutcome::kSignedIn);
  ASSERT_TRUE(r.session && r.identity);
  EXPECT_EQ(r.identity->user.id, admin_id_);
  EXPECT_EQ(r.identity->org_code, "acme");
  EXPECT_TRUE(r.identity->user.password_change_required);
  auto again = auth_->from_session(r.session->token);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->scope.org_id(), acme_.id);
  EXPECT_EQ(org_actions().back(), "auth.login success");
}

TEST_F(AuthenticatorTest, EveryWrongCredentialGetsTheSameAnswer) {
  EXPECT_EQ(sign_in("acme", "admin@acme.test", "wrong password").outcome, SignInOutcome::kInvalidCredentials);
  EXPECT_EQ(sign_in("acme", "nobody@acme.test", password_).outcome, SignInOutcome::kInvalidCredentials);
  EXPECT_EQ(sign_in("nope", "admin@acme.test", password_).outcome, SignInOutcome::kInvalidCredentials);
  EXPECT_EQ(sign_in("acme", "admin@acme.test", "").outcome, SignInOutcome::kInvalidCredentials);
  // Failures are recorded: in the organization's chain when it exists, in the service's otherwise.
  const auto actions = org_actions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "auth.login failure"), 3);
  std::vector<AuditRow> rows;
  std::string next;
  ASSERT_FALSE(audit_->query(AuditChain::service(), {.action = "auth.login"}, rows, next));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].target, "nope");
}

TEST_F(AuthenticatorTest, ThrottlesBeforeCheckingThePassword) {
  for (int i = 0; i < 5; ++i) sign_in("acme", "admin@acme.test", "wrong", "", "198.51.100." + std::to_string(i));
  // The sixth attempt on the account must wait, even with the right password and a new address.
  const auto r = sign_in("acme", "admin@acme.test", password_, "", "203.0.113.9");
  EXPECT_EQ(r.outcome, SignInOutcome::kTooManyAttempts);
  EXPECT_GT(r.retry_after.count(), 0);
  EXPECT_FALSE(r.session);
}

TEST_F(AuthenticatorTest, UnknownLoginsAreThrottledLikeKnownOnes) {
  for (int i = 0; i < 5; ++i) sign_in("acme", "ghost@acme.test", "wrong", "", "198.51.100." + std::to_string(i));
  EXPECT_EQ(sign_in("acme", "ghost@acme.test", "wrong", "", "203.0.113.9").outcome, SignInOutcome::kTooManyAttempts);
}

TEST_F(AuthenticatorTest, DisabledAccountIsToldOnlyWithTheRightPassword) {
  ASSERT_FALSE(db_->execute("UPDATE users SET disabled = 1 WHERE id = ?1", {admin_id_}));
  EXPECT_EQ(sign_in("acme", "admin@acme.test", "wrong").outcome, SignInOutcome::kInvalidCredentials);
  EXPECT_EQ(sign_in("acme", "admin@acme.test", password_).outcome, SignInOutcome::kAccountDisabled);
}

TEST_F(AuthenticatorTest, SuspendedOrganizationCannotSignIn) {
  ASSERT_FALSE(orgs_->set_suspended("acme", true, {}));
  EXPECT_EQ(sign_in("acme", "admin@acme.test", password_).outcome, SignInOutcome::kInvalidCredentials);
}

TEST_F(AuthenticatorTest, SecondFactorIsRequiredAndACodeWorksOnce) {
  const auto secret = enrol_totp();
  EXPECT_EQ(sign_in("acme", "admin@acme.test", password_).outcome, SignInOutcome::kTotpRequired);
  EXPECT_EQ(sign_in("acme", "admin@acme.test", password_, "000000").outcome, SignInOutcome::kTotpRequired);
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string code = crypto::totp_code(*ctx_, secret, now);
  EXPECT_EQ(sign_in("acme", "admin@acme.test", password_, code).outcome, SignInOutcome::kSignedIn);
  EXPECT_EQ(sign_in("acme", "admin@acme.test", password_, code).outcome, SignInOutcome::kTotpRequired)
      << "a code is accepted once";
  EXPECT_EQ(sign_in("acme", "admin@acme.test", "wrong", code).outcome, SignInOutcome::kInvalidCredentials);
}

TEST_F(AuthenticatorTest, SignInEndsTheSessionTheBrowserAlreadyHad) {
  const auto first = sign_in("acme", "admin@acme.test", password_);
  ASSERT_TRUE(first.session);
  auto r = auth_->sign_in({"acme", "admin@acme.test", password_, "", "192.0.2.7", "ua", first.session->token});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->outcome, SignInOutcome::kSignedIn);
  EXPECT_NE(r->session->token, first.session->token);
  EXPECT_FALSE(auth_->from_session(first.session->token));
  EXPECT_TRUE(auth_->from_session(r->session->token));
}

TEST_F(AuthenticatorTest, CsrfTokenIsBoundToTheSession) {
  const auto a = sign_in("acme", "admin@acme.test", password_);
  const auto b = sign_in("acme", "admin@acme.test", password_);
  ASSERT_TRUE(a.identity && b.identity);
  EXPECT_TRUE(auth_->csrf_ok(*a.identity, a.session->csrf_token));
  EXPECT_FALSE(auth_->csrf_ok(*a.identity, b.session->csrf_token));
  EXPECT_FALSE(auth_->csrf_ok(*a.identity, ""));
}

TEST_F(AuthenticatorTest, ApiTokensIdentifyWithoutCsrf) {
  const TenantScope scope = orgs_->scope_for(acme_);
  auto token = tokens_->create(scope, admin_id_, "ci", 30);
  ASSERT_TRUE(token);
  auto identity = auth_->from_api_token(token->token);
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->user.id, admin_id_);
  EXPECT_TRUE(auth_->csrf_ok(*identity, ""));
  EXPECT_FALSE(auth_->from_session(token->token));
}

TEST_F(AuthenticatorTest, SignOutEndsTheSession) {
  const auto r = sign_in("acme", "admin@acme.test", password_);
  ASSERT_TRUE(r.identity);
  EXPECT_FALSE(auth_->sign_out(*r.identity, r.session->token, "192.0.2.7"));
  EXPECT_FALSE(auth_->from_session(r.session->token));
  EXPECT_EQ(org_actions().back(), "auth.logout success");
}

TEST_F(AuthenticatorTest, PasswordChangeFollowsTheRulesAndRotatesSessions) {
  const auto r = sign_in("acme", "admin@acme.test", password_);
  ASSERT_TRUE(r.identity);
  std::vector<RuleFailure> failed;
  std::optional<NewSession> fresh;
  EXPECT_EQ(auth_->change_password(*r.identity, "not the password", "a much better passphrase 2026", {}, failed, fresh),
            make_error_code(Errc::kForbidden));
  EXPECT_EQ(auth_->change_password(*r.identity, password_, "password123", {}, failed, fresh),
            make_error_code(Errc::kBadRequest));
  EXPECT_FALSE(failed.empty());
  EXPECT_EQ(auth_->change_password(*r.identity, password_, password_, {}, failed, fresh),
            make_error_code(Errc::kBadRequest));
  ASSERT_FALSE(failed.empty());
  EXPECT_EQ(failed.back().code, "reused");

  ASSERT_FALSE(auth_->change_password(*r.identity, password_, "violet tractor umbrella 8", {}, failed, fresh));
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(auth_->from_session(r.session->token)) << "the old session ended";
  auto now = auth_->from_session(fresh->token);
  ASSERT_TRUE(now);
  EXPECT_FALSE(now->user.password_change_required);
  EXPECT_EQ(sign_in("acme", "admin@acme.test", password_).outcome, SignInOutcome::kInvalidCredentials);
  EXPECT_EQ(sign_in("acme", "admin@acme.test", "violet tractor umbrella 8").outcome, SignInOutcome::kSignedIn);
}

TEST_F(AuthenticatorTest, OrganizationRequiringTwoStepSignInGatesUsersWithoutIt) {
  ASSERT_FALSE(
      db_->execute("UPDATE organizations SET policy = '{\"require_2fa\":\"admins\"}' WHERE id = ?1", {acme_.id}));
  auto r = sign_in("acme", "admin@acme.test", password_);
  ASSERT_EQ(r.outcome, SignInOutcome::kSignedIn);
  EXPECT_TRUE(r.identity->totp_enrolment_required);
  enrol_totp();
  auto identity = auth_->from_session(r.session->token);
  ASSERT_TRUE(identity);
  EXPECT_FALSE(identity->totp_enrolment_required) << "enrolled now";
  ASSERT_FALSE(
      db_->execute("UPDATE organizations SET policy = '{\"require_2fa\":\"none\"}' WHERE id = ?1", {acme_.id}));
  ASSERT_FALSE(db_->execute("UPDATE users SET totp_enabled = 0 WHERE id = ?1", {admin_id_}));
  identity = auth_->from_session(r.session->token);
  ASSERT_TRUE(identity);
  EXPECT_FALSE(identity->totp_enrolment_required);
}

TEST_F(AuthenticatorTest, ExpiredPasswordMustBeChanged) {
  ASSERT_FALSE(
      db_->execute("UPDATE users SET password_change_required = 0, "
                   "password_changed_at = '2020-01-01T00:00:00.000Z' WHERE id = ?1",
                   {admin_id_}));
  auto r = sign_in("acme", "admin@acme.test", password_);
  ASSERT_EQ(r.outcome, SignInOutcome::kSignedIn);
  EXPECT_FALSE(r.identity->user.password_change_required) << "no expiry by default";
  ASSERT_FALSE(db_->execute("UPDATE organizations SET policy = '{\"password\":{\"expiry_days\":90}}' WHERE id = ?1",
                            {acme_.id}));
  auto identity = auth_->from_session(r.session->token);
  ASSERT_TRUE(identity);
  EXPECT_TRUE(identity->user.password_change_required);
}

TEST_F(AuthenticatorTest, SessionTimeoutsComeFromThePolicyAtSignIn) {
  set_policy(R"({"sessions":{"idle_timeout_minutes":15,"absolute_timeout_hours":2}})");
  const auto r = sign_in("acme", "admin@acme.test", password_);
  ASSERT_EQ(r.outcome, SignInOutcome::kSignedIn);
  EXPECT_EQ(r.session->expires_at, now_ + std::chrono::hours(2));
  EXPECT_EQ(r.identity->policy.sessions.idle_timeout_minutes, 15u) << "the identity carries the policy read";
  now_ += std::chrono::minutes(14);
  EXPECT_TRUE(auth_->from_session(r.session->token));
  now_ += std::chrono::minutes(16);
  EXPECT_EQ(auth_->from_session(r.session->token).error(), make_error_code(Errc::kUnauthenticated))
      << "idle longer than the organization's 15 minutes";
}

TEST_F(AuthenticatorTest, ShortenedPolicyEndsSessionsAlreadyStarted) {
  const auto r = sign_in("acme", "admin@acme.test", password_);
  ASSERT_EQ(r.outcome, SignInOutcome::kSignedIn);
  now_ += std::chrono::minutes(20);
  ASSERT_TRUE(auth_->from_session(r.session->token)) << "within the default 30 minutes";
  set_policy(R"({"sessions":{"idle_timeout_minutes":10}})");
  now_ += std::chrono::minutes(11);
  EXPECT_FALSE(auth_->from_session(r.session->token)) << "the stricter policy applies at once";
}

TEST_F(AuthenticatorTest, SignInFromOutsideTheAllowlistIsRefusedBeforeThePassword) {
  set_policy(R"({"ip_allowlist":["192.0.2.0/24"]})");
  SignInRequest outside{"acme", "admin@acme.test", "wrong password", "", "198.51.100.1", "test-agent", ""};
  outside.client_address = boost::asio::ip::make_address("198.51.100.1");
  const std::size_t events_before = org_actions().size();
  for (int i = 0; i < 12; ++i) {
    const auto r = auth_->sign_in(outside);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->outcome, SignInOutcome::kIpNotAllowed);
  }
  EXPECT_EQ(org_actions().size(), events_before) << "no attempt was made";
  SignInRequest inside{"acme", "admin@acme.test", password_, "", "192.0.2.7", "test-agent", ""};
  inside.client_address = boost::asio::ip::make_address("192.0.2.7");
  const auto r = auth_->sign_in(inside);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, SignInOutcome::kSignedIn) << "and nothing was counted against the account";
  // An unknown organization has no allowlist: the usual answer.
  outside.org_code = "nope";
  EXPECT_EQ(auth_->sign_in(outside)->outcome, SignInOutcome::kInvalidCredentials);
}

TEST_F(AuthenticatorTest, UnreadablePolicyRefusesSignInAndRequests) {
  const auto r = sign_in("acme", "admin@acme.test", password_);
  ASSERT_EQ(r.outcome, SignInOutcome::kSignedIn);
  set_policy(R"({"sessions":{"idle_timeout_minutes":1}})");
  EXPECT_EQ(auth_->from_session(r.session->token).error(), make_error_code(Errc::kInternal));
  EXPECT_EQ(auth_->sign_in({"acme", "admin@acme.test", password_, "", "192.0.2.7", "test-agent", ""}).error(),
            make_error_code(Errc::kInternal));
  set_policy("{}");
  EXPECT_TRUE(auth_->from_session(r.session->token)) << "refused, not ended";
}

TEST_F(AuthenticatorTest, SealedTotpSecretOpensOnlyForItsUserAndOrganization) {
  const auto secret = crypto::generate_totp_secret(*ctx_);
  std::vector<std::uint8_t> sealed, opened;
  ASSERT_FALSE(seal_totp_secret(*ctx_, *keys_, acme_.id, admin_id_, secret, sealed));
  ASSERT_FALSE(open_totp_secret(*ctx_, *keys_, acme_.id, admin_id_, sealed, opened));
  EXPECT_EQ(opened, secret);
  EXPECT_TRUE(open_totp_secret(*ctx_, *keys_, acme_.id, "someone-else", sealed, opened));
  sealed.back() ^= 1;
  EXPECT_EQ(open_totp_secret(*ctx_, *keys_, acme_.id, admin_id_, sealed, opened),
            make_error_code(crypto::CryptoErrc::kIntegrity));
}

}  // namespace
}  // namespace furoshiki::admin
