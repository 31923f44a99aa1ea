// Operator sessions: tokens stored only as hashes, idle and absolute timeouts, disabled
// operators, fixation, CSRF, logout, the per-operator cap, and separation from user sessions.
#include "admin/operator_sessions.hpp"

#include "admin/organizations.hpp"
#include "admin/sessions.hpp"
#include "common/error.hpp"
#include "crypto/hex.hpp"
#include "test_support/admin_fixture.hpp"
#include "test_support/manual_clock.hpp"

#include <gtest/gtest.h>

namespace furoshiki::admin {
namespace {

using std::chrono::system_clock;

class OperatorSessionsTest : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    operators_ = std::make_unique<OperatorDirectory>(ctx_, *db_, *hasher_, *audit_);
    store_ = std::make_unique<OperatorSessionStore>(ctx_, *db_, OperatorSessionLimits{}, clock_.function());
    CreatedAccount op;
    ASSERT_FALSE(operators_->create("ops@example.com", "Ops", {}, op));
    operator_id_ = op.id;
  }

  NewOperatorSession start(std::string_view previous = "") {
    auto made = store_->create(*db_, previous, operator_id_, "192.0.2.9", "agent/1.0");
    EXPECT_TRUE(made.has_value()) << made.error().message();
    return made ? *made : NewOperatorSession{};
  }

  bool signed_in(const NewOperatorSession& s) { return store_->authenticate(s.token).has_value(); }

  std::unique_ptr<OperatorDirectory> operators_;
  test_support::ManualClock clock_;
  std::unique_ptr<OperatorSessionStore> store_;
  std::string operator_id_;
};

TEST_F(OperatorSessionsTest, StoresOnlyHashesOfTheTokens) {
  const auto s = start();
  EXPECT_EQ(s.token.size(), crypto::kTokenLength);
  EXPECT_NE(s.token, s.csrf_token);
  EXPECT_EQ(s.session_id, crypto::hex_encode(crypto::token_hash(*ctx_, s.token)));
  std::string id, csrf;
  ASSERT_FALSE(db_->execute("SELECT id, csrf_token_hash FROM operator_sessions", {}, [&](const db::Row& r) {
    id = r.text(0);
    csrf = r.text(1);
  }));
  EXPECT_EQ(id, s.session_id);
  EXPECT_EQ(csrf, crypto::hex_encode(crypto::token_hash(*ctx_, s.csrf_token)));
  const auto found = store_->authenticate(s.token);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->operator_id, operator_id_);
}

TEST_F(OperatorSessionsTest, RefusesMalformedAndUnknownTokens) {
  start();
  for (const std::string& token :
       {std::string(), std::string("short"), std::string(43, '*'), crypto::generate_token(*ctx_)}) {
    const auto r = store_->authenticate(token);
    ASSERT_FALSE(r.has_value()) << token;
    EXPECT_EQ(r.error(), make_error_code(Errc::kUnauthenticated));
  }
}

TEST_F(OperatorSessionsTest, EndsAfterTheIdleTimeout) {
  const auto s = start();
  clock_.advance(std::chrono::minutes(29));
  EXPECT_TRUE(signed_in(s)) << "a request keeps the session alive";
  clock_.advance(std::chrono::minutes(29));
  EXPECT_TRUE(signed_in(s));
  clock_.advance(std::chrono::minutes(30));
  EXPECT_FALSE(signed_in(s));
  EXPECT_EQ(count("SELECT count(*) FROM operator_sessions"), 0) << "deleted when presented after expiry";
}

TEST_F(OperatorSessionsTest, EndsAtTheAbsoluteTimeoutWhateverTheActivity) {
  const auto s = start();
  for (int i = 0; i < 47; ++i) {
    clock_.advance(std::chrono::minutes(15));
    ASSERT_TRUE(signed_in(s)) << i;
  }
  clock_.advance(std::chrono::minutes(15));  // 12 h after sign-in
  EXPECT_FALSE(signed_in(s));
}

TEST_F(OperatorSessionsTest, ADisabledOperatorIsRefusedAndTheSessionEnds) {
  const auto s = start();
  ASSERT_FALSE(db_->execute("UPDATE operators SET disabled = 1 WHERE id = ?1", {operator_id_}));
  EXPECT_FALSE(signed_in(s));
  ASSERT_FALSE(db_->execute("UPDATE operators SET disabled = 0 WHERE id = ?1", {operator_id_}));
  EXPECT_FALSE(signed_in(s)) << "ended, not paused";
  ASSERT_FALSE(db_->execute("UPDATE operators SET disabled = 1 WHERE id = ?1", {operator_id_}));
  const auto made = store_->create(*db_, "", operator_id_, "", "");
  ASSERT_FALSE(made.has_value());
  EXPECT_EQ(made.error(), make_error_code(Errc::kNotFound));
}

TEST_F(OperatorSessionsTest, SignInEndsTheSessionTheBrowserCameWith) {
  const auto planted = start();
  const auto fresh = start(planted.token);
  EXPECT_NE(fresh.token, planted.token);
  EXPECT_FALSE(signed_in(planted));
  EXPECT_TRUE(signed_in(fresh));
}

TEST_F(OperatorSessionsTest, CsrfTokenIsBoundToItsSession) {
  const auto a = start();
  const auto b = start();
  const auto session_a = store_->authenticate(a.token);
  ASSERT_TRUE(session_a.has_value());
  EXPECT_TRUE(store_->check_csrf(*session_a, a.csrf_token));
  EXPECT_FALSE(store_->check_csrf(*session_a, b.csrf_token));
  EXPECT_FALSE(store_->check_csrf(*session_a, ""));
  EXPECT_FALSE(store_->check_csrf(*session_a, a.token));
}

TEST_F(OperatorSessionsTest, LogoutAndEndAllDeleteSessions) {
  const auto a = start();
  const auto b = start();
  const auto c = start();
  ASSERT_FALSE(store_->end(*db_, a.token));
  ASSERT_FALSE(store_->end(*db_, a.token)) << "twice is fine";
  EXPECT_FALSE(signed_in(a));
  EXPECT_TRUE(signed_in(b));
  std::int64_t ended = 0;
  ASSERT_FALSE(store_->end_all(*db_, operator_id_, ended));
  EXPECT_EQ(ended, 2);
  EXPECT_FALSE(signed_in(b));
  EXPECT_FALSE(signed_in(c));
}

TEST_F(OperatorSessionsTest, KeepsAtMostTheCapPerOperator) {
  const auto first = start();
  for (std::size_t i = 0; i < OperatorSessionStore::kMaxSessionsPerOperator; ++i) {
    clock_.advance(std::chrono::seconds(1));
    start();
  }
  EXPECT_EQ(count("SELECT count(*) FROM operator_sessions"),
            static_cast<std::int64_t>(OperatorSessionStore::kMaxSessionsPerOperator));
  EXPECT_FALSE(signed_in(first)) << "the least recently used one went";
}

TEST_F(OperatorSessionsTest, RemovesExpiredSessions) {
  start();
  clock_.advance(std::chrono::minutes(10));
  start();
  clock_.advance(std::chrono::minutes(25));
  std::int64_t removed = 0;
  ASSERT_FALSE(store_->remove_expired(removed));
  EXPECT_EQ(removed, 1);
  EXPECT_EQ(count("SELECT count(*) FROM operator_sessions"), 1);
}

TEST_F(OperatorSessionsTest, UserAndOperatorSessionsAreNotInterchangeable) {
  Organization org;
  CreatedAccount admin;
  ASSERT_FALSE(orgs_->create({"acme", "ACME", "admin@acme.test", ""}, {}, org, admin));
  SessionStore user_sessions(ctx_, *db_);
  const auto user = user_sessions.create(orgs_->scope_for(org), admin.id, {}, {"192.0.2.1", "agent"});
  ASSERT_TRUE(user.has_value());
  const auto op = start();
  EXPECT_FALSE(store_->authenticate(user->token).has_value()) << "a user session is no operator session";
  EXPECT_FALSE(user_sessions.authenticate(op.token).has_value()) << "an operator session is no user session";
  EXPECT_TRUE(signed_in(op));
}

TEST_F(OperatorSessionsTest, RefusesTimeoutsThatMakeNoSense) {
  EXPECT_THROW(OperatorSessionStore(ctx_, *db_, {std::chrono::seconds(0), std::chrono::hours(1)}),
               std::invalid_argument);
  EXPECT_THROW(OperatorSessionStore(ctx_, *db_, {std::chrono::hours(2), std::chrono::hours(1)}), std::invalid_argument);
}

}  // namespace
}  // namespace furoshiki::admin
