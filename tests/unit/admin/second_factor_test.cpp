// TOTP enrolment and recovery codes: a pending secret confirmed by the first code, the active
// factor untouched until then, ten recovery codes shown once, stored hashed and usable once (also
// under concurrent use), sign-in with a recovery code, and the enrolment QR code as SVG.
#include "admin/second_factor.hpp"

#include "admin/authenticator.hpp"
#include "common/error.hpp"
#include "crypto/totp.hpp"
#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"
#include "test_support/admin_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace furoshiki::admin {
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::size_t count_of(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class SecondFactorTest : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    sessions_ = std::make_unique<SessionStore>(ctx_, *db_);
    tokens_ = std::make_unique<ApiTokenStore>(ctx_, *db_);
    throttle_ = std::make_unique<LoginThrottle>(*db_);
    auth_ = std::make_unique<Authenticator>(ctx_, *db_, *hasher_, *keys_, *audit_, *sessions_, *tokens_, *throttle_);
    enrolment_ = std::make_unique<SecondFactorEnrolment>(ctx_, *db_, *keys_, *audit_);
    CreatedAccount admin;
    ASSERT_FALSE(orgs_->create({"acme", "ACME", "admin@acme.test", "Admin"}, {}, acme_, admin));
    admin_id_ = admin.id;
    password_ = admin.one_time_password;
  }

  TenantScope scope() const { return orgs_->scope_for(acme_); }

  // Begins an enrolment and returns the secret the app would get.
  std::vector<std::uint8_t> begin() {
    auto e = enrolment_->begin_enrolment(scope(), admin_id_);
    EXPECT_TRUE(e) << e.error().message();
    if (!e) return {};
    auto secret = crypto::base32_decode(e->secret_base32);
    EXPECT_TRUE(secret);
    return secret.value_or(std::vector<std::uint8_t>{});
  }

  // Enrols fully; returns the secret and the recovery codes.
  std::pair<std::vector<std::uint8_t>, std::vector<std::string>> enrol() {
    auto secret = begin();
    auto codes = enrolment_->confirm_enrolment(scope(), admin_id_, crypto::totp_code(*ctx_, secret, unix_now()));
    EXPECT_TRUE(codes) << codes.error().message();
    return {secret, codes ? *codes : std::vector<std::string>{}};
  }

  SignInOutcome sign_in(const std::string& second_factor) {
    auto r = auth_->sign_in({"acme", "admin@acme.test", password_, second_factor, "192.0.2.7", "test-agent", ""});
    EXPECT_TRUE(r) << r.error().message();
    return r ? r->outcome : SignInOutcome::kInvalidCredentials;
  }

  bool totp_enabled() {
    bool enabled = false;
    EXPECT_FALSE(db_->execute("SELECT totp_enabled FROM users WHERE id = ?1", {admin_id_},
                              [&](const db::Row& r) { enabled = r.integer(0) != 0; }));
    return enabled;
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

  std::unique_ptr<SessionStore> sessions_;
  std::unique_ptr<ApiTokenStore> tokens_;
  std::unique_ptr<LoginThrottle> throttle_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<SecondFactorEnrolment> enrolment_;
  Organization acme_;
  std::string admin_id_, password_;
};

TEST_F(SecondFactorTest, EnrolmentRoundTrip) {
  auto e = enrolment_->begin_enrolment(scope(), admin_id_);
  ASSERT_TRUE(e);
  EXPECT_TRUE(
      e->otpauth_uri.starts_with("otpauth://totp/furoshiki:admin%40acme.test%20%28acme%29?secret=" + e->secret_base32))
      << e->otpauth_uri;
  EXPECT_NE(e->otpauth_uri.find("issuer=furoshiki"), std::string::npos);
  EXPECT_FALSE(totp_enabled()) << "nothing changes before confirmation";
  const auto secret = crypto::base32_decode(e->secret_base32);
  ASSERT_TRUE(secret);
  auto codes = enrolment_->confirm_enrolment(scope(), admin_id_, crypto::totp_code(*ctx_, *secret, unix_now()));
  ASSERT_TRUE(codes) << codes.error().message();
  EXPECT_EQ(codes->size(), kRecoveryCodeCount);
  EXPECT_TRUE(totp_enabled());
  const auto actions = org_actions();
  EXPECT_NE(std::find(actions.begin(), actions.end(), "user.totp_enrol success"), actions.end());
  EXPECT_EQ(actions.back(), "user.totp_confirm success");
}

TEST_F(SecondFactorTest, TheConfirmingCodeCannotSignIn) {
  const auto secret = begin();
  const std::string code = crypto::totp_code(*ctx_, secret, unix_now());
  ASSERT_TRUE(enrolment_->confirm_enrolment(scope(), admin_id_, code));
  EXPECT_EQ(sign_in(code), SignInOutcome::kTotpRequired);
  EXPECT_EQ(sign_in(crypto::totp_code(*ctx_, secret, unix_now() + 30)), SignInOutcome::kSignedIn);
}

TEST_F(SecondFactorTest, AWrongCodeIsRefused) {
  const auto secret = begin();
  const std::string right = crypto::totp_code(*ctx_, secret, unix_now());
  const std::string wrong = right == "123456" ? "654321" : "123456";
  auto r = enrolment_->confirm_enrolment(scope(), admin_id_, wrong);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kInvalidCode);
  EXPECT_EQ(enrolment_->confirm_enrolment(scope(), admin_id_, "not a code").error(), Errc::kInvalidCode);
  EXPECT_FALSE(totp_enabled());
  EXPECT_EQ(org_actions().back(), "user.totp_confirm failure");
  // The pending secret survives a wrong guess.
  EXPECT_TRUE(enrolment_->confirm_enrolment(scope(), admin_id_, right));
}

TEST_F(SecondFactorTest, ConfirmingWithoutEnrolmentIsAConflict) {
  auto r = enrolment_->confirm_enrolment(scope(), admin_id_, "123456");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::kConflict);
}

TEST_F(SecondFactorTest, AnotherOrganizationsUserIsNotFound) {
  Organization beta;
  CreatedAccount beta_admin;
  ASSERT_FALSE(orgs_->create({"beta", "Beta", "admin@beta.test", "Admin"}, {}, beta, beta_admin));
  EXPECT_EQ(enrolment_->begin_enrolment(orgs_->scope_for(beta), admin_id_).error(), Errc::kNotFound);
  EXPECT_EQ(enrolment_->confirm_enrolment(orgs_->scope_for(beta), admin_id_, "123456").error(), Errc::kNotFound);
}

TEST_F(SecondFactorTest, PendingSecretDoesNotReplaceTheActiveOneUntilConfirmed) {
  const auto [old_secret, old_codes] = enrol();
  const auto new_secret = begin();
  ASSERT_NE(new_secret, old_secret);
  // Until confirmation the old factor signs in and the new one does not.
  EXPECT_EQ(sign_in(crypto::totp_code(*ctx_, new_secret, unix_now() + 30)), SignInOutcome::kTotpRequired);
  EXPECT_EQ(sign_in(crypto::totp_code(*ctx_, old_secret, unix_now() + 30)), SignInOutcome::kSignedIn);
  ASSERT_FALSE(old_codes.empty());
  EXPECT_EQ(sign_in(old_codes[0]), SignInOutcome::kSignedIn);

  auto new_codes = enrolment_->confirm_enrolment(scope(), admin_id_, crypto::totp_code(*ctx_, new_secret, unix_now()));
  ASSERT_TRUE(new_codes);
  EXPECT_EQ(sign_in(crypto::totp_code(*ctx_, old_secret, unix_now() - 30)), SignInOutcome::kTotpRequired);
  EXPECT_EQ(sign_in(old_codes[1]), SignInOutcome::kTotpRequired) << "old recovery codes are replaced";
  EXPECT_EQ(sign_in((*new_codes)[0]), SignInOutcome::kSignedIn);
}

TEST_F(SecondFactorTest, RecoveryCodesAreShownOnceAndStoredHashed) {
  const auto [secret, codes] = enrol();
  ASSERT_EQ(codes.size(), kRecoveryCodeCount);
  std::vector<std::string> unique = codes;
  std::sort(unique.begin(), unique.end());
  EXPECT_EQ(std::unique(unique.begin(), unique.end()), unique.end());
  for (const auto& c : codes) {
    EXPECT_TRUE(is_recovery_code(c)) << c;
    EXPECT_EQ(c.size(), 11u);
    EXPECT_EQ(c[5], '-');
    EXPECT_EQ(c.find_first_of("01ILO"), std::string::npos) << c;
  }
  std::vector<std::string> stored;
  ASSERT_FALSE(db_->execute("SELECT code_hash FROM recovery_codes WHERE org_id = ?1 AND user_id = ?2",
                            {acme_.id, admin_id_}, [&](const db::Row& r) { stored.push_back(r.text(0)); }));
  ASSERT_EQ(stored.size(), kRecoveryCodeCount);
  for (const auto& h : stored) {
    EXPECT_EQ(h.size(), 64u);
    EXPECT_EQ(std::find(codes.begin(), codes.end(), h), codes.end());
    for (const auto& c : codes) EXPECT_EQ(h.find(c), std::string::npos);
  }
  // Nothing reads them again: a second confirmation without a new enrolment is refused.
  EXPECT_EQ(enrolment_->confirm_enrolment(scope(), admin_id_, crypto::totp_code(*ctx_, secret, unix_now())).error(),
            Errc::kConflict);
}

TEST_F(SecondFactorTest, ARecoveryCodeIsUsableOnce) {
  const auto codes = enrol().second;
  ASSERT_FALSE(codes.empty());
  std::string lower = codes[0];
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
  auto first = use_recovery_code(*ctx_, *db_, acme_.id, admin_id_, lower);
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first) << "case does not matter";
  auto again = use_recovery_code(*ctx_, *db_, acme_.id, admin_id_, codes[0]);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_FALSE(*use_recovery_code(*ctx_, *db_, acme_.id, "someone-else", codes[1]));
  EXPECT_FALSE(*use_recovery_code(*ctx_, *db_, acme_.id, admin_id_, "22222-22222"));
  EXPECT_FALSE(*use_recovery_code(*ctx_, *db_, acme_.id, admin_id_, "123456"));
  EXPECT_TRUE(*use_recovery_code(*ctx_, *db_, acme_.id, admin_id_, codes[1]));
}

TEST_F(SecondFactorTest, ConcurrentUseOfOneRecoveryCodeSucceedsOnce) {
  const auto codes = enrol().second;
  ASSERT_FALSE(codes.empty());
  std::atomic<int> successes{0};
  std::atomic<bool> go{false};
  auto use = [&] {
    while (!go.load()) std::this_thread::yield();
    auto r = use_recovery_code(*ctx_, *db_, acme_.id, admin_id_, codes[3]);
    if (r && *r) ++successes;
  };
  std::thread a(use), b(use);
  go = true;
  a.join();
  b.join();
  EXPECT_EQ(successes.load(), 1);
}

TEST_F(SecondFactorTest, SignInWithARecoveryCode) {
  const auto codes = enrol().second;
  ASSERT_FALSE(codes.empty());
  EXPECT_EQ(sign_in(""), SignInOutcome::kTotpRequired);
  EXPECT_EQ(sign_in("22222-22222"), SignInOutcome::kTotpRequired);
  EXPECT_EQ(sign_in(codes[2]), SignInOutcome::kSignedIn);
  const auto actions = org_actions();
  EXPECT_NE(std::find(actions.begin(), actions.end(), "auth.recovery_code_used success"), actions.end());
  EXPECT_EQ(sign_in(codes[2]), SignInOutcome::kTotpRequired) << "a recovery code works once";
}

TEST_F(SecondFactorTest, RecoveryCodeShape) {
  EXPECT_TRUE(is_recovery_code("ABCDE-FGHJK"));
  EXPECT_TRUE(is_recovery_code("abcde-fghjk"));
  EXPECT_FALSE(is_recovery_code("ABCDEFGHJK"));
  EXPECT_FALSE(is_recovery_code("ABCDE-FGHJ0"));
  EXPECT_FALSE(is_recovery_code("123456"));
  EXPECT_FALSE(is_recovery_code(""));
}

TEST_F(SecondFactorTest, QrSvgIsOnePathWithoutStyleAttributes) {
  const std::string svg = qr_svg("otpauth://totp/furoshiki:a?secret=JBSWY3DPEHPK3PXP");
  EXPECT_TRUE(svg.starts_with("<svg ")) << svg;
  EXPECT_TRUE(svg.ends_with("</svg>"));
  EXPECT_EQ(count_of(svg, "<path"), 1u);
  EXPECT_EQ(count_of(svg, "style"), 0u);
  EXPECT_NE(svg.find(R"(shape-rendering="crispEdges")"), std::string::npos);
  EXPECT_NE(svg.find(R"(xmlns="http://www.w3.org/2000/svg")"), std::string::npos);
  // A version 1 code is 21 modules wide; with 4 modules of quiet zone on each side, 29.
  EXPECT_NE(qr_svg("hi").find(R"(viewBox="0 0 29 29")"), std::string::npos) << qr_svg("hi");
}

TEST_F(SecondFactorTest, QrSvgGrowsWithTheText) {
  const std::string small = qr_svg("a");
  const std::string large = qr_svg(std::string(300, 'x'));
  EXPECT_GT(large.size(), small.size());
  auto width = [](const std::string& svg) {
    const auto at = svg.find("viewBox=\"0 0 ") + 13;
    return std::stoi(svg.substr(at, svg.find(' ', at) - at));
  };
  EXPECT_GT(width(large), width(small));
  EXPECT_THROW((void)qr_svg(std::string(8000, 'x')), std::runtime_error);
}

}  // namespace
}  // namespace furoshiki::admin
