// Sessions and API tokens: only hashes stored, idle and absolute expiry on an injected clock,
// disabled users and suspended organizations refused at once, logout and "end sessions", the CSRF
// token bound to its session, session fixation, and API tokens scoped to their organization.
#include "admin/sessions.hpp"

#include "admin/organizations.hpp"
#include "common/error.hpp"
#include "crypto/hex.hpp"
#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"
#include "test_support/admin_fixture.hpp"
#include "test_support/manual_clock.hpp"

#include <gtest/gtest.h>

namespace furoshiki::admin {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

class IdentityFixture : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();

    acme_ = make_org("acme", acme_admin_);
    globex_ = make_org("globex", globex_admin_);
    acme_member_ = add_member(acme_, "member@acme.test");
  }

  Organization make_org(const std::string& code, std::string& admin_id) {
    Organization org;
    CreatedAccount admin;
    const auto e = orgs_->create({code, "Org " + code, "admin@" + code + ".test", ""}, actor_, org, admin);
    EXPECT_FALSE(e) << e.message;
    admin_id = admin.id;
    return org;
  }

  std::string add_member(const Organization& org, const std::string& login) {
    std::array<std::uint8_t, 16> raw{};
    ctx_->random_bytes(raw);
    const std::string id = crypto::hex_encode(raw);
    EXPECT_FALSE(
        db_->execute("INSERT INTO users (id, org_id, login, display_name, role, password_hash) VALUES (?1, ?2, ?3, "
                     "'M', 'member', 'x')",
                     {id, org.id, login}));
    return id;
  }

  TenantScope scope(const Organization& org) const { return orgs_->scope_for(org); }

  void set_disabled(const std::string& user_id, bool disabled) {
    ASSERT_FALSE(
        db_->execute("UPDATE users SET disabled = ?2 WHERE id = ?1", {user_id, std::int64_t{disabled ? 1 : 0}}));
  }

  // Whether `needle` appears in any text or blob value of any table: the proof that a secret is
  // not stored, whatever column a future change might put it in.
  bool database_contains(const std::string& needle) {
    std::vector<std::string> tables;
    EXPECT_FALSE(db_->execute("SELECT name FROM sqlite_schema WHERE type = 'table'", {},
                              [&](const db::Row& r) { tables.push_back(r.text(0)); }));
    EXPECT_FALSE(tables.empty());
    bool found = false;
    for (const auto& table : tables) {
      EXPECT_FALSE(db_->execute("SELECT * FROM \"" + table + "\"", {}, [&](const db::Row& r) {
        for (std::size_t i = 0; i < r.size(); ++i) {
          if (r.text(i).find(needle) != std::string::npos) found = true;
          if (const auto* blob = std::get_if<db::Blob>(&r[i])) {
            const std::string bytes(blob->bytes.begin(), blob->bytes.end());
            if (bytes.find(needle) != std::string::npos) found = true;
          }
        }
      }));
    }
    return found;
  }

  Actor actor_{.type = "system", .id = "", .login = "cli", .client = "cli"};
  test_support::ManualClock clock_;
  Organization acme_, globex_;
  std::string acme_admin_, globex_admin_, acme_member_;
};

class SessionStoreTest : public IdentityFixture {
 protected:
  void SetUp() override {
    IdentityFixture::SetUp();
    sessions_ = std::make_unique<SessionStore>(ctx_, *db_, clock_.function());
  }

  NewSession start(const std::string& user_id, SessionLimits limits = {}) {
    auto made = sessions_->create(scope(acme_), user_id, limits, {"192.0.2.7", "test-agent/1.0"});
    EXPECT_TRUE(made.has_value()) << made.error().message();
    return made.has_value() ? *made : NewSession{};
  }

  bool signed_in(const NewSession& s) { return sessions_->authenticate(s.token).has_value(); }

  std::unique_ptr<SessionStore> sessions_;
};

TEST_F(SessionStoreTest, StoresOnlyHashesOfTheTokens) {
  const NewSession s = start(acme_member_);
  EXPECT_EQ(s.token.size(), crypto::kTokenLength);
  EXPECT_EQ(s.csrf_token.size(), crypto::kTokenLength);
  EXPECT_NE(s.token, s.csrf_token);
  EXPECT_FALSE(database_contains(s.token));
  EXPECT_FALSE(database_contains(s.csrf_token));
  // The row is keyed by SHA-256 of the token.
  const std::string id = crypto::hex_encode(crypto::token_hash(*ctx_, s.token));
  EXPECT_EQ(s.session_id, id);
  EXPECT_EQ(count("SELECT count(*) FROM sessions WHERE id = ?1", {id}), 1);
}

TEST_F(SessionStoreTest, AuthenticatesAsTheUserOfItsOrganization) {
  const NewSession s = start(acme_member_);
  const auto info = sessions_->authenticate(s.token);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->kind, CredentialKind::kSession);
  EXPECT_EQ(info->org_id, acme_.id);
  EXPECT_EQ(info->user_id, acme_member_);
  EXPECT_EQ(info->credential_id, s.session_id);
  EXPECT_EQ(info->expires_at, clock_.now() + SessionLimits{}.absolute_timeout);
  EXPECT_EQ(info->expires_at, s.expires_at);
}

TEST_F(SessionStoreTest, EndsAfterTheIdleTimeout) {
  const NewSession s = start(acme_member_, {.idle_timeout = 10min, .absolute_timeout = 12h});
  clock_.advance(9min);
  EXPECT_TRUE(signed_in(s)) << "use within the idle timeout keeps the session";
  clock_.advance(9min);
  EXPECT_TRUE(signed_in(s)) << "the idle timeout counts from the last use";
  clock_.advance(10min);
  const auto refused = sessions_->authenticate(s.token);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), make_error_code(Errc::kUnauthenticated));
  EXPECT_EQ(count("SELECT count(*) FROM sessions"), 0) << "an expired session is deleted when presented";
}

TEST_F(SessionStoreTest, EndsAtTheAbsoluteTimeoutWhateverTheActivity) {
  const NewSession s = start(acme_member_, {.idle_timeout = 30min, .absolute_timeout = 1h});
  for (int i = 0; i < 2; ++i) {
    clock_.advance(20min);
    EXPECT_TRUE(signed_in(s));
  }
  clock_.advance(19min);
  EXPECT_TRUE(signed_in(s));
  clock_.advance(1min);
  EXPECT_FALSE(signed_in(s)) << "an active session still ends at its absolute end";
}

TEST_F(SessionStoreTest, RenewalKeepsTheAbsoluteEnd) {
  const NewSession s = start(acme_member_, {.idle_timeout = 30min, .absolute_timeout = 2h});
  const auto stored_end = [&] { return count("SELECT expires_at FROM sessions WHERE id = ?1", {s.session_id}); };
  const std::int64_t end = stored_end();
  for (int i = 0; i < 5; ++i) {
    clock_.advance(20min);
    const auto info = sessions_->authenticate(s.token);
    ASSERT_TRUE(info.has_value()) << "step " << i;
    EXPECT_EQ(info->expires_at, s.expires_at) << "a touch renews the idle timeout only";
    ASSERT_TRUE(sessions_->renew_csrf(*info).has_value());
    EXPECT_EQ(stored_end(), end) << "a new CSRF token does not move the end either";
  }
  clock_.advance(19min);  // 1h59 after sign-in
  EXPECT_TRUE(signed_in(s));
  clock_.advance(1min);
  EXPECT_FALSE(signed_in(s));
}

// The organization's current timeouts, as Authenticator passes them (from its policy).
SessionStore::CurrentLimits policy_limits(SessionLimits limits, int* asked = nullptr) {
  return [limits, asked](const std::string&) -> boost::system::result<SessionLimits> {
    if (asked) ++*asked;
    return limits;
  };
}

TEST_F(SessionStoreTest, ShortenedPolicyIdleTimeoutEndsExistingSessions) {
  const NewSession s = start(acme_member_, {.idle_timeout = 30min, .absolute_timeout = 12h});
  const auto stricter = policy_limits({.idle_timeout = 10min, .absolute_timeout = 12h});
  clock_.advance(9min);
  const auto info = sessions_->authenticate(s.token, stricter);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->idle_timeout, 10min) << "the effective idle timeout is reported";
  clock_.advance(11min);
  EXPECT_EQ(sessions_->authenticate(s.token, stricter).error(), make_error_code(Errc::kUnauthenticated))
      << "idle longer than the policy now allows, though within what was stored";
  EXPECT_EQ(count("SELECT count(*) FROM sessions"), 0);
}

TEST_F(SessionStoreTest, ShortenedPolicyAbsoluteTimeoutCountsFromSignIn) {
  const NewSession s = start(acme_member_, {.idle_timeout = 30min, .absolute_timeout = 12h});
  const auto stricter = policy_limits({.idle_timeout = 30min, .absolute_timeout = 1h});
  clock_.advance(20min);
  const auto info = sessions_->authenticate(s.token, stricter);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->expires_at, s.expires_at - 11h) << "sign-in time + the policy's absolute timeout";
  clock_.advance(20min);
  EXPECT_TRUE(sessions_->authenticate(s.token, stricter).has_value());
  clock_.advance(20min);
  EXPECT_FALSE(sessions_->authenticate(s.token, stricter).has_value()) << "1 h after sign-in, however active";
}

TEST_F(SessionStoreTest, LongerPolicyNeverLengthensASession) {
  const NewSession idle = start(acme_member_, {.idle_timeout = 10min, .absolute_timeout = 1h});
  const NewSession active = start(acme_member_, {.idle_timeout = 10min, .absolute_timeout = 1h});
  const auto laxer = policy_limits({.idle_timeout = 1h, .absolute_timeout = 24h});
  clock_.advance(9min);
  ASSERT_TRUE(sessions_->authenticate(active.token, laxer).has_value());
  clock_.advance(2min);
  EXPECT_FALSE(sessions_->authenticate(idle.token, laxer).has_value()) << "its own idle timeout still applies";
  ASSERT_TRUE(sessions_->authenticate(active.token, laxer).has_value());
  for (int i = 0; i < 5; ++i) {
    clock_.advance(9min);
    ASSERT_TRUE(sessions_->authenticate(active.token, laxer).has_value()) << "step " << i;
  }
  clock_.advance(5min);  // 1h01 after sign-in
  EXPECT_FALSE(sessions_->authenticate(active.token, laxer).has_value()) << "its own absolute end still applies";
}

TEST_F(SessionStoreTest, CurrentLimitsAreAskedOnlyForALiveSessionAndTheirErrorRefuses) {
  const NewSession s = start(acme_member_);
  int asked = 0;
  EXPECT_FALSE(sessions_->authenticate("not-a-token", policy_limits({}, &asked)).has_value());
  set_disabled(acme_member_, true);
  EXPECT_FALSE(sessions_->authenticate(s.token, policy_limits({}, &asked)).has_value());
  EXPECT_EQ(asked, 0);

  const NewSession other = start(acme_admin_);
  const auto failing = [](const std::string&) -> boost::system::result<SessionLimits> {
    return make_error_code(Errc::kInternal);
  };
  EXPECT_EQ(sessions_->authenticate(other.token, failing).error(), make_error_code(Errc::kInternal));
  EXPECT_TRUE(signed_in(other)) << "an unreadable policy refuses the request, not the session for good";
}

TEST_F(SessionStoreTest, TouchesLastSeenAtMostEveryThirtySeconds) {
  const NewSession s = start(acme_member_);
  const auto last_seen = [&] { return count("SELECT last_seen_at FROM sessions WHERE id = ?1", {s.session_id}); };
  const std::int64_t created = last_seen();
  clock_.advance(10s);
  EXPECT_TRUE(signed_in(s));
  EXPECT_EQ(last_seen(), created) << "no write within the touch interval";
  clock_.advance(20s);
  EXPECT_TRUE(signed_in(s));
  EXPECT_EQ(last_seen(), created + 30'000);
}

TEST_F(SessionStoreTest, ShortIdleTimeoutsAreTouchedOftenEnoughToStayAlive) {
  const NewSession s = start(acme_member_, {.idle_timeout = 20s, .absolute_timeout = 1h});
  for (int i = 0; i < 10; ++i) {
    clock_.advance(15s);
    EXPECT_TRUE(signed_in(s)) << "request " << i;
  }
}

TEST_F(SessionStoreTest, DisabledUsersSessionsEndAtOnce) {
  const NewSession s = start(acme_member_);
  set_disabled(acme_member_, true);
  EXPECT_FALSE(signed_in(s));
  set_disabled(acme_member_, false);
  EXPECT_FALSE(signed_in(s)) << "re-enabling the user does not revive the ended session";
  EXPECT_EQ(count("SELECT count(*) FROM sessions"), 0);
}

TEST_F(SessionStoreTest, SuspendedOrganizationsSessionsEndAtOnce) {
  const NewSession s = start(acme_member_);
  ASSERT_FALSE(orgs_->set_suspended("acme", true, actor_));
  EXPECT_FALSE(signed_in(s));
  ASSERT_FALSE(orgs_->set_suspended("acme", false, actor_));
  EXPECT_FALSE(signed_in(s)) << "resuming the organization does not revive the ended session";
}

TEST_F(SessionStoreTest, DeletingTheUserRemovesItsSessions) {
  start(acme_member_);
  ASSERT_FALSE(db_->execute("DELETE FROM users WHERE id = ?1", {acme_member_}));
  EXPECT_EQ(count("SELECT count(*) FROM sessions"), 0);
}

TEST_F(SessionStoreTest, LogoutEndsTheSessionServerSide) {
  const NewSession s = start(acme_member_);
  const NewSession other = start(acme_member_);
  EXPECT_FALSE(sessions_->end(s.token));
  EXPECT_FALSE(signed_in(s));
  EXPECT_TRUE(signed_in(other)) << "logout ends only this session";
  EXPECT_FALSE(sessions_->end(s.token)) << "logging out twice is fine";
  EXPECT_FALSE(sessions_->end("not a token"));
}

TEST_F(SessionStoreTest, EndAllForUserEndsEverySessionOfThatUserOnly) {
  const NewSession a1 = start(acme_member_);
  const NewSession a2 = start(acme_member_);
  const NewSession admin = start(acme_admin_);
  std::int64_t ended = -1;
  ASSERT_FALSE(sessions_->end_all_for_user(scope(acme_), acme_member_, ended));
  EXPECT_EQ(ended, 2);
  EXPECT_FALSE(signed_in(a1));
  EXPECT_FALSE(signed_in(a2));
  EXPECT_TRUE(signed_in(admin));
}

TEST_F(SessionStoreTest, EndAllForUserThroughAnotherOrganizationEndsNothing) {
  const NewSession s = start(acme_member_);
  std::int64_t ended = -1;
  ASSERT_FALSE(sessions_->end_all_for_user(scope(globex_), acme_member_, ended));
  EXPECT_EQ(ended, 0);
  EXPECT_TRUE(signed_in(s));
}

TEST_F(SessionStoreTest, CsrfTokenMustBeThisSessionsToken) {
  const NewSession s = start(acme_member_);
  const NewSession other = start(acme_member_);
  const auto info = sessions_->authenticate(s.token);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(sessions_->check_csrf(*info, s.csrf_token));
  EXPECT_FALSE(sessions_->check_csrf(*info, other.csrf_token)) << "another session's token";
  EXPECT_FALSE(sessions_->check_csrf(*info, ""));
  EXPECT_FALSE(sessions_->check_csrf(*info, s.token)) << "the session token is not the CSRF token";
  EXPECT_FALSE(sessions_->check_csrf(*info, s.csrf_token.substr(1)));
  EXPECT_FALSE(sessions_->check_csrf(*info, s.csrf_token + "x"));
  std::string flipped = s.csrf_token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(sessions_->check_csrf(*info, flipped));
}

TEST_F(SessionStoreTest, RenewedCsrfTokenReplacesTheOldOne) {
  const NewSession s = start(acme_member_);
  auto info = sessions_->authenticate(s.token);
  ASSERT_TRUE(info.has_value());
  const auto renewed = sessions_->renew_csrf(*info);
  ASSERT_TRUE(renewed.has_value());
  EXPECT_FALSE(database_contains(*renewed));
  info = sessions_->authenticate(s.token);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(sessions_->check_csrf(*info, *renewed));
  EXPECT_FALSE(sessions_->check_csrf(*info, s.csrf_token));

  ASSERT_FALSE(sessions_->end(s.token));
  EXPECT_EQ(sessions_->renew_csrf(*info).error(), make_error_code(Errc::kUnauthenticated));
}

TEST_F(SessionStoreTest, TokenNotMadeByCreateNeverAuthenticates) {
  start(acme_member_);
  // A well-formed token an attacker chose (session fixation needs the server to accept it).
  EXPECT_FALSE(sessions_->authenticate(crypto::generate_token(*ctx_)).has_value());
  for (const std::string& bad : {std::string(), std::string("x"), std::string(43, '!'), std::string(4096, 'A')}) {
    EXPECT_FALSE(sessions_->authenticate(bad).has_value());
  }
  // The stored id (SHA-256 of the token) is not a credential.
  std::string id;
  ASSERT_FALSE(db_->execute("SELECT id FROM sessions", {}, [&](const db::Row& r) { id = r.text(0); }));
  EXPECT_FALSE(sessions_->authenticate(id).has_value());
}

TEST_F(SessionStoreTest, RotationAtSignInEndsTheSessionTheBrowserCameWith) {
  const NewSession before = start(acme_member_);
  boost::system::result<NewSession> after = make_error_code(Errc::kInternal);
  ASSERT_FALSE(db_->transaction([&](db::Database& tx) -> boost::system::error_code {
    after = sessions_->rotate(tx, before.token, scope(acme_), acme_member_, {}, {});
    return after.has_value() ? boost::system::error_code{} : after.error();
  }));
  ASSERT_TRUE(after.has_value());
  EXPECT_NE(after->token, before.token);
  EXPECT_NE(after->csrf_token, before.csrf_token);
  EXPECT_FALSE(signed_in(before));
  EXPECT_TRUE(signed_in(*after));
}

TEST_F(SessionStoreTest, RotationWithoutAPreviousCookieOrWithAForgedOneStartsAFreshSession) {
  const auto fresh = sessions_->rotate(*db_, "", scope(acme_), acme_member_, {}, {});
  ASSERT_TRUE(fresh.has_value());
  const std::string planted = crypto::generate_token(*ctx_);
  const auto after = sessions_->rotate(*db_, planted, scope(acme_), acme_member_, {}, {});
  ASSERT_TRUE(after.has_value());
  EXPECT_NE(after->token, planted);
  EXPECT_FALSE(sessions_->authenticate(planted).has_value());
  EXPECT_TRUE(signed_in(*fresh));
}

TEST_F(SessionStoreTest, CreateRefusesUsersOutsideTheScopeOrDisabled) {
  EXPECT_EQ(sessions_->create(scope(globex_), acme_member_, {}, {}).error(), make_error_code(Errc::kNotFound));
  set_disabled(acme_member_, true);
  EXPECT_EQ(sessions_->create(scope(acme_), acme_member_, {}, {}).error(), make_error_code(Errc::kNotFound));
  ASSERT_FALSE(orgs_->set_suspended("acme", true, actor_));
  EXPECT_EQ(sessions_->create(scope(acme_), acme_admin_, {}, {}).error(), make_error_code(Errc::kNotFound));
  EXPECT_EQ(count("SELECT count(*) FROM sessions"), 0);
}

TEST_F(SessionStoreTest, CreateRefusesTimeoutsPolicyWouldReject) {
  for (const SessionLimits& limits : {SessionLimits{.idle_timeout = 0s, .absolute_timeout = 1h},
                                      SessionLimits{.idle_timeout = 10min, .absolute_timeout = -1s},
                                      SessionLimits{.idle_timeout = 2h, .absolute_timeout = 1h}}) {
    EXPECT_EQ(sessions_->create(scope(acme_), acme_member_, limits, {}).error(), make_error_code(Errc::kInternal));
  }
}

TEST_F(SessionStoreTest, KeepsAtMostFiftySessionsPerUserDroppingTheLeastRecentlyUsed) {
  const NewSession first = start(acme_member_);
  std::vector<NewSession> later;
  for (std::size_t i = 0; i < SessionStore::kMaxSessionsPerUser; ++i) {
    clock_.advance(1s);
    later.push_back(start(acme_member_));
  }
  EXPECT_EQ(count("SELECT count(*) FROM sessions WHERE user_id = ?1", {acme_member_}),
            static_cast<std::int64_t>(SessionStore::kMaxSessionsPerUser));
  EXPECT_FALSE(signed_in(first));
  EXPECT_TRUE(signed_in(later.front()));
  EXPECT_TRUE(signed_in(later.back()));
}

TEST_F(SessionStoreTest, RemoveExpiredDeletesOnlyEndedSessions) {
  start(acme_member_, {.idle_timeout = 5min, .absolute_timeout = 1h});
  const NewSession lasting = start(acme_admin_, {.idle_timeout = 30min, .absolute_timeout = 1h});
  clock_.advance(6min);
  std::int64_t removed = -1;
  ASSERT_FALSE(sessions_->remove_expired(removed));
  EXPECT_EQ(removed, 1);
  EXPECT_TRUE(signed_in(lasting));
}

TEST_F(SessionStoreTest, StoresClientTextBoundedAndPrintable) {
  const auto made = sessions_->create(scope(acme_), acme_member_, {},
                                      {"2001:db8::1", "evil\x1b[31m\r\nagent" + std::string(2000, 'a')});
  ASSERT_TRUE(made.has_value());
  std::string client, agent;
  ASSERT_FALSE(db_->execute("SELECT client, user_agent FROM sessions", {}, [&](const db::Row& r) {
    client = r.text(0);
    agent = r.text(1);
  }));
  EXPECT_EQ(client, "2001:db8::1");
  EXPECT_EQ(agent.size(), SessionStore::kMaxUserAgentBytes);
  EXPECT_EQ(agent.substr(0, 16), "evil?[31m??agent");
  EXPECT_TRUE(std::all_of(agent.begin(), agent.end(), [](char c) { return c >= 0x20 && c < 0x7f; }));
}

// --- API tokens ---

class ApiTokenStoreTest : public IdentityFixture {
 protected:
  void SetUp() override {
    IdentityFixture::SetUp();
    tokens_ = std::make_unique<ApiTokenStore>(ctx_, *db_, clock_.function());
  }

  NewApiToken make(const std::string& user_id, const std::string& name = "ci", int days = 30) {
    auto made = tokens_->create(scope(acme_), user_id, name, days);
    EXPECT_TRUE(made.has_value()) << made.error().message();
    return made.has_value() ? *made : NewApiToken{};
  }

  bool accepted(const NewApiToken& t) { return tokens_->authenticate(t.token).has_value(); }

  std::unique_ptr<ApiTokenStore> tokens_;
};

TEST_F(ApiTokenStoreTest, ShowsThePrefixedTokenOnceAndStoresOnlyItsHash) {
  const NewApiToken t = make(acme_member_, "  nightly backup  ");
  EXPECT_TRUE(t.token.starts_with("fsk_"));
  EXPECT_EQ(t.token.size(), 4 + crypto::kTokenLength);
  EXPECT_EQ(t.info.name, "nightly backup");
  EXPECT_EQ(t.info.id.size(), 32u);
  EXPECT_EQ(t.info.expires_at, clock_.now() + 24h * 30);
  EXPECT_FALSE(database_contains(t.token));
  EXPECT_FALSE(database_contains(t.token.substr(4)));
  EXPECT_EQ(count("SELECT count(*) FROM api_tokens WHERE token_hash = ?1",
                  {crypto::hex_encode(crypto::token_hash(*ctx_, t.token))}),
            1);
}

TEST_F(ApiTokenStoreTest, AuthenticatesAsItsUser) {
  const NewApiToken t = make(acme_member_);
  const auto principal = tokens_->authenticate(t.token);
  ASSERT_TRUE(principal.has_value());
  EXPECT_EQ(principal->kind, CredentialKind::kApiToken);
  EXPECT_EQ(principal->org_id, acme_.id);
  EXPECT_EQ(principal->user_id, acme_member_);
  EXPECT_EQ(principal->credential_id, t.info.id);
}

TEST_F(ApiTokenStoreTest, RefusesMalformedAndUnknownTokens) {
  const NewApiToken t = make(acme_member_);
  for (const std::string& bad :
       {std::string(), t.token.substr(4), "FSK_" + t.token.substr(4), t.token + "A", t.token.substr(0, 20),
        "fsk_" + crypto::generate_token(*ctx_), crypto::hex_encode(crypto::token_hash(*ctx_, t.token))}) {
    const auto refused = tokens_->authenticate(bad);
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_EQ(refused.error(), make_error_code(Errc::kUnauthenticated));
  }
}

TEST_F(ApiTokenStoreTest, ExpiresAfterItsDays) {
  const NewApiToken t = make(acme_member_, "short", 1);
  clock_.advance(24h - 1s);
  EXPECT_TRUE(accepted(t));
  clock_.advance(1s);
  EXPECT_FALSE(accepted(t));
  const auto listed = tokens_->list(scope(acme_), acme_member_);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 1u) << "an expired token stays listed for a while";
}

TEST_F(ApiTokenStoreTest, RefusesBadNamesAndLifetimes) {
  for (int days : {0, -1, 366}) {
    EXPECT_EQ(tokens_->create(scope(acme_), acme_member_, "ci", days).error(), make_error_code(Errc::kBadRequest));
  }
  for (const std::string& name : {std::string(), std::string("   "), std::string("a\nb"), std::string(201, 'n')}) {
    EXPECT_EQ(tokens_->create(scope(acme_), acme_member_, name, 30).error(), make_error_code(Errc::kBadRequest));
  }
  EXPECT_TRUE(tokens_->create(scope(acme_), acme_member_, "one", 1).has_value());
  EXPECT_TRUE(tokens_->create(scope(acme_), acme_member_, "year", 365).has_value());
}

TEST_F(ApiTokenStoreTest, RevokedTokenIsRefusedAndListedAsRevoked) {
  const NewApiToken t = make(acme_member_);
  clock_.advance(1h);
  ASSERT_FALSE(tokens_->revoke(scope(acme_), acme_member_, t.info.id));
  EXPECT_FALSE(accepted(t));
  const auto first_revocation = clock_.now();
  clock_.advance(1h);
  EXPECT_FALSE(tokens_->revoke(scope(acme_), acme_member_, t.info.id)) << "revoking twice is fine";
  const auto listed = tokens_->list(scope(acme_), acme_member_);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_TRUE(listed->front().revoked_at.has_value());
  EXPECT_EQ(*listed->front().revoked_at, first_revocation);
}

TEST_F(ApiTokenStoreTest, ListsTheUsersTokensNewestFirstWithoutTheSecret) {
  const NewApiToken older = make(acme_member_, "older");
  clock_.advance(1s);
  const NewApiToken newer = make(acme_member_, "newer");
  make(acme_admin_, "admin's");
  const auto listed = tokens_->list(scope(acme_), acme_member_);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->at(0).id, newer.info.id);
  EXPECT_EQ(listed->at(0).name, "newer");
  EXPECT_EQ(listed->at(1).id, older.info.id);
  EXPECT_FALSE(listed->at(1).last_used_at.has_value());
  EXPECT_FALSE(listed->at(1).revoked_at.has_value());
  // ApiTokenInfo has no field for the token; the list of another organization is empty.
  const auto other = tokens_->list(scope(globex_), acme_member_);
  ASSERT_TRUE(other.has_value());
  EXPECT_TRUE(other->empty());
}

TEST_F(ApiTokenStoreTest, AnotherOrganizationsOrUsersTokenCannotBeRevoked) {
  const NewApiToken t = make(acme_member_);
  EXPECT_EQ(tokens_->revoke(scope(globex_), acme_member_, t.info.id), make_error_code(Errc::kNotFound));
  EXPECT_EQ(tokens_->revoke(scope(globex_), globex_admin_, t.info.id), make_error_code(Errc::kNotFound));
  EXPECT_EQ(tokens_->revoke(scope(acme_), acme_admin_, t.info.id), make_error_code(Errc::kNotFound));
  EXPECT_EQ(tokens_->revoke(scope(acme_), acme_member_, std::string(32, '0')), make_error_code(Errc::kNotFound));
  EXPECT_EQ(tokens_->revoke(scope(acme_), acme_member_, "' OR 1=1 --"), make_error_code(Errc::kNotFound));
  EXPECT_TRUE(accepted(t));
  EXPECT_EQ(count("SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL"), 0);
}

TEST_F(ApiTokenStoreTest, CannotBeCreatedForAUserOfAnotherOrganization) {
  EXPECT_EQ(tokens_->create(scope(globex_), acme_member_, "ci", 30).error(), make_error_code(Errc::kNotFound));
  EXPECT_EQ(count("SELECT count(*) FROM api_tokens"), 0);
}

TEST_F(ApiTokenStoreTest, DisabledUserAndSuspendedOrganizationAreRefused) {
  const NewApiToken member = make(acme_member_);
  const NewApiToken admin = make(acme_admin_);
  set_disabled(acme_member_, true);
  EXPECT_FALSE(accepted(member));
  EXPECT_TRUE(accepted(admin));
  ASSERT_FALSE(orgs_->set_suspended("acme", true, actor_));
  EXPECT_FALSE(accepted(admin));
  EXPECT_EQ(tokens_->create(scope(acme_), acme_admin_, "ci", 30).error(), make_error_code(Errc::kNotFound));
}

TEST_F(ApiTokenStoreTest, RecordsLastUseAtMostOnceAMinute) {
  const NewApiToken t = make(acme_member_);
  const auto last_used = [&] { return count("SELECT coalesce(last_used_at, 0) FROM api_tokens"); };
  const std::int64_t start_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
  EXPECT_TRUE(accepted(t));
  EXPECT_EQ(last_used(), start_ms);
  clock_.advance(59s);
  EXPECT_TRUE(accepted(t));
  EXPECT_EQ(last_used(), start_ms);
  clock_.advance(1s);
  EXPECT_TRUE(accepted(t));
  EXPECT_EQ(last_used(), start_ms + 60'000);
}

TEST_F(ApiTokenStoreTest, LimitsLiveTokensPerUser) {
  for (std::size_t i = 0; i < ApiTokenStore::kMaxTokensPerUser; ++i) make(acme_member_, "t" + std::to_string(i));
  const auto refused = tokens_->create(scope(acme_), acme_member_, "one too many", 30);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), make_error_code(Errc::kConflict));
  // Revoking one makes room.
  const auto listed = tokens_->list(scope(acme_), acme_member_);
  ASSERT_TRUE(listed.has_value());
  ASSERT_FALSE(tokens_->revoke(scope(acme_), acme_member_, listed->front().id));
  EXPECT_TRUE(tokens_->create(scope(acme_), acme_member_, "replacement", 30).has_value());
}

TEST_F(ApiTokenStoreTest, EndedTokensAreForgottenAfterThirtyDays) {
  const NewApiToken t = make(acme_member_, "old", 1);
  clock_.advance(24h + ApiTokenStore::kKeepEndedFor + 1s);
  make(acme_member_, "new");
  const auto listed = tokens_->list(scope(acme_), acme_member_);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().name, "new");
  EXPECT_EQ(count("SELECT count(*) FROM api_tokens WHERE id = ?1", {t.info.id}), 0);
}

}  // namespace
}  // namespace furoshiki::admin
