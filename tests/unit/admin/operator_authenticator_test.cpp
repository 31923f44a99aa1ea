// Operator sign-in: one answer for an unknown login and a wrong password, throttling under the
// "operator:" account key and the address key, disabled operators, the one-time password gate,
// the password change, sign-out, and every step recorded in the service chain only.
#include "admin/operator_authenticator.hpp"

#include "admin/organizations.hpp"
#include "common/error.hpp"
#include "test_support/admin_fixture.hpp"

#include <gtest/gtest.h>

namespace furoshiki::admin {
namespace {

constexpr const char* kNewPassword = "violet tractor umbrella 8";

class OperatorAuthenticatorTest : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    sessions_ = std::make_unique<OperatorSessionStore>(ctx_, *db_);
    throttle_ = std::make_unique<LoginThrottle>(*db_);
    auth_ = std::make_unique<OperatorAuthenticator>(ctx_, *db_, *hasher_, *audit_, *sessions_, *throttle_);
    OperatorDirectory operators(ctx_, *db_, *hasher_, *audit_);
    CreatedAccount op;
    ASSERT_FALSE(operators.create("ops@example.com", "Ops Person", {}, op));
    operator_id_ = op.id;
    password_ = op.one_time_password;
  }

  OperatorSignInResult sign_in(const std::string& login, const std::string& password,
                               const std::string& client = "192.0.2.7", const std::string& previous = "") {
    auto r = auth_->sign_in({login, password, client, "test-agent", previous});
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : OperatorSignInResult{};
  }

  // "action outcome" of the service chain, oldest first.
  std::vector<std::string> service_actions() {
    std::vector<AuditRow> rows;
    std::string next;
    EXPECT_FALSE(audit_->query(AuditChain::service(), {}, rows, next));
    std::vector<std::string> out;
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
      out.push_back(it->action + " " + std::string(to_string(it->outcome)));
    }
    return out;
  }

  std::unique_ptr<OperatorSessionStore> sessions_;
  std::unique_ptr<LoginThrottle> throttle_;
  std::unique_ptr<OperatorAuthenticator> auth_;
  std::string operator_id_, password_;
};

TEST_F(OperatorAuthenticatorTest, SignsInWithTheOneTimePasswordThatMustBeChanged) {
  const auto r = sign_in(" OPS@example.com ", password_);
  ASSERT_EQ(r.outcome, SignInOutcome::kSignedIn);
  ASSERT_TRUE(r.session && r.identity);
  EXPECT_EQ(r.identity->account.id, operator_id_);
  EXPECT_EQ(r.identity->account.login, "ops@example.com");
  EXPECT_EQ(r.identity->account.display_name, "Ops Person");
  EXPECT_TRUE(r.identity->account.password_change_required);
  const auto again = auth_->from_session(r.session->token);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->account.id, operator_id_);
  EXPECT_TRUE(auth_->csrf_ok(*again, r.session->csrf_token));
  EXPECT_FALSE(auth_->csrf_ok(*again, "wrong"));
  EXPECT_EQ(service_actions().back(), "operator.login success");
}

TEST_F(OperatorAuthenticatorTest, UnknownLoginAndWrongPasswordGetTheSameOutcome) {
  const auto wrong = sign_in("ops@example.com", "not the password");
  const auto unknown = sign_in("nobody@example.com", password_);
  EXPECT_EQ(wrong.outcome, SignInOutcome::kInvalidCredentials);
  EXPECT_EQ(unknown.outcome, SignInOutcome::kInvalidCredentials);
  EXPECT_FALSE(wrong.session || unknown.session);
  const auto actions = service_actions();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "operator.login failure"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE chain <> ''"), 0) << "no organization's chain";
}

TEST_F(OperatorAuthenticatorTest, ThrottlesUnderTheOperatorAccountKeyBeforePasswordWork) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(sign_in("ops@example.com", "wrong", "192.0.2." + std::to_string(10 + i)).outcome,
              SignInOutcome::kInvalidCredentials);
  }
  const auto throttled = sign_in("ops@example.com", password_, "198.51.100.1");
  EXPECT_EQ(throttled.outcome, SignInOutcome::kTooManyAttempts);
  EXPECT_GE(throttled.retry_after.count(), 1);
  EXPECT_EQ(count("SELECT count(*) FROM login_throttle WHERE key = 'operator:ops@example.com'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM login_throttle WHERE key LIKE 'account:%'"), 0);
}

TEST_F(OperatorAuthenticatorTest, ThrottlesByClientAddressAcrossLogins) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(sign_in("guess" + std::to_string(i) + "@example.com", "wrong", "203.0.113.5").outcome,
              SignInOutcome::kInvalidCredentials);
  }
  EXPECT_EQ(sign_in("ops@example.com", password_, "203.0.113.5").outcome, SignInOutcome::kTooManyAttempts);
  EXPECT_EQ(sign_in("ops@example.com", password_, "203.0.113.6").outcome, SignInOutcome::kSignedIn);
}

TEST_F(OperatorAuthenticatorTest, ThrottleKeyIsNormalizedAndNeverAUserKey) {
  EXPECT_EQ(operator_throttle_key("  Ops@Example.COM "), "operator:ops@example.com");
  EXPECT_EQ(operator_throttle_key(std::string(1000, 'a')).size(), 9u + 254u);
  EXPECT_NE(operator_throttle_key("acme:ops@example.com"), account_throttle_key("acme", "ops@example.com"));
}

TEST_F(OperatorAuthenticatorTest, ADisabledOperatorCannotSignIn) {
  ASSERT_FALSE(db_->execute("UPDATE operators SET disabled = 1 WHERE id = ?1", {operator_id_}));
  EXPECT_EQ(sign_in("ops@example.com", password_).outcome, SignInOutcome::kAccountDisabled);
  EXPECT_EQ(sign_in("ops@example.com", "wrong").outcome, SignInOutcome::kInvalidCredentials);
}

TEST_F(OperatorAuthenticatorTest, SignInEndsTheCookieTheBrowserCameWith) {
  const auto first = sign_in("ops@example.com", password_);
  ASSERT_EQ(first.outcome, SignInOutcome::kSignedIn);
  const auto second = sign_in("ops@example.com", password_, "192.0.2.7", first.session->token);
  ASSERT_EQ(second.outcome, SignInOutcome::kSignedIn);
  EXPECT_FALSE(auth_->from_session(first.session->token).has_value());
  EXPECT_TRUE(auth_->from_session(second.session->token).has_value());
}

TEST_F(OperatorAuthenticatorTest, PasswordChangeChecksTheRulesAndRotatesTheSessions) {
  const auto r = sign_in("ops@example.com", password_);
  ASSERT_EQ(r.outcome, SignInOutcome::kSignedIn);
  const auto other = sign_in("ops@example.com", password_);
  std::vector<RuleFailure> failed;
  std::optional<NewOperatorSession> session;

  EXPECT_EQ(auth_->change_password(*r.identity, "wrong", kNewPassword, "192.0.2.7", "agent", failed, session),
            make_error_code(Errc::kForbidden));
  EXPECT_EQ(auth_->change_password(*r.identity, password_, "password1", "192.0.2.7", "agent", failed, session),
            make_error_code(Errc::kBadRequest));
  EXPECT_FALSE(failed.empty());
  EXPECT_EQ(auth_->change_password(*r.identity, password_, password_, "192.0.2.7", "agent", failed, session),
            make_error_code(Errc::kBadRequest));
  ASSERT_FALSE(failed.empty());
  EXPECT_EQ(failed.back().code, "reused");

  ASSERT_FALSE(auth_->change_password(*r.identity, password_, kNewPassword, "192.0.2.7", "agent", failed, session));
  ASSERT_TRUE(session);
  EXPECT_FALSE(auth_->from_session(r.session->token).has_value()) << "the old sessions ended";
  EXPECT_FALSE(auth_->from_session(other.session->token).has_value());
  const auto now = auth_->from_session(session->token);
  ASSERT_TRUE(now.has_value());
  EXPECT_FALSE(now->account.password_change_required);
  EXPECT_EQ(sign_in("ops@example.com", password_).outcome, SignInOutcome::kInvalidCredentials);
  EXPECT_EQ(sign_in("ops@example.com", kNewPassword).outcome, SignInOutcome::kSignedIn);
  const auto actions = service_actions();
  EXPECT_NE(std::find(actions.begin(), actions.end(), "operator.change_password failure"), actions.end());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "operator.change_password success"), actions.end());
}

TEST_F(OperatorAuthenticatorTest, SignOutEndsTheSessionAndIsAudited) {
  const auto r = sign_in("ops@example.com", password_);
  ASSERT_EQ(r.outcome, SignInOutcome::kSignedIn);
  ASSERT_FALSE(auth_->sign_out(*r.identity, r.session->token, "192.0.2.7"));
  EXPECT_FALSE(auth_->from_session(r.session->token).has_value());
  EXPECT_EQ(service_actions().back(), "operator.logout success");
}

TEST_F(OperatorAuthenticatorTest, OrganizationActionsOfAnOperatorAreServiceEvents) {
  const Actor actor{"operator", operator_id_, "ops@example.com", "192.0.2.7"};
  Organization org;
  CreatedAccount admin;
  ASSERT_FALSE(orgs_->create({"acme", "ACME", "admin@acme.test", ""}, actor, org, admin));
  ASSERT_FALSE(orgs_->rename("acme", "ACME Corp", actor));
  ASSERT_FALSE(orgs_->set_suspended("acme", true, actor));
  ASSERT_FALSE(orgs_->set_suspended("acme", false, actor));
  ASSERT_FALSE(orgs_->remove("acme", actor));
  std::vector<AuditRow> rows;
  std::string next;
  ASSERT_FALSE(audit_->query(AuditChain::service(), {}, rows, next));
  std::vector<std::string> by_operator;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if (it->actor_type == ActorType::kOperator && it->actor_id == operator_id_ && it->action.starts_with("org.")) {
      by_operator.push_back(it->action);
    }
  }
  EXPECT_EQ(by_operator, (std::vector<std::string>{"org.create", "org.rename", "org.suspend", "org.resume",
                                                   "org.crypto_shred", "org.delete"}));
}

}  // namespace
}  // namespace furoshiki::admin
