// Password rules: each rule and its boundaries, every failure reported at once, the shipped
// blocklist, the login rule, strict JSON, reuse over password_history (scoped to one user of one
// organization) and expiry.
#include "admin/password_rules.hpp"

#include "admin/identity_rules.hpp"
#include "common/error.hpp"
#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"
#include "test_support/admin_database.hpp"
#include "test_support/crypto_context.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace furoshiki::admin {
namespace {

using namespace std::chrono_literals;

const PasswordContext kNobody{"someone@example.test", "Someone"};

std::vector<std::string> codes(const std::vector<RuleFailure>& failures) {
  std::vector<std::string> out;
  for (const auto& f : failures) out.push_back(f.code);
  return out;
}

// The failure codes of `candidate` under `rules` (empty: accepted).
std::vector<std::string> failures(const PasswordRules& rules, std::string_view candidate,
                                  const PasswordContext& context = kNobody) {
  std::vector<RuleFailure> failed;
  const bool ok = check(rules, candidate, context, failed);
  EXPECT_EQ(ok, failed.empty());
  for (const auto& f : failed) EXPECT_FALSE(f.message.empty()) << f.code;
  return codes(failed);
}

bool has(const std::vector<std::string>& list, std::string_view code) {
  return std::find(list.begin(), list.end(), code) != list.end();
}

std::string repeat(std::string_view piece, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += piece;
  return out;
}

// Text that is in no blocklist and contains no name: lower-case letters that spell nothing.
std::string filler(std::size_t n) {
  static constexpr std::string_view kLetters = "zqxjvkwfyb";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(kLetters[(i * 7 + i / 10) % kLetters.size()]);
  return out;
}

TEST(PasswordRules, DefaultsFollowTheSpecification) {
  const PasswordRules rules;
  EXPECT_EQ(rules.min_length, 12u);
  EXPECT_GE(rules.max_length, 64u);
  EXPECT_FALSE(rules.require_lower || rules.require_upper || rules.require_digit || rules.require_symbol);
  EXPECT_EQ(rules.min_classes, 0u);
  EXPECT_EQ(rules.expiry_days, 0u);
  EXPECT_EQ(rules.history_count, 5u);
  EXPECT_TRUE(rules.blocklist);
  EXPECT_FALSE(validate(rules));
}

TEST(PasswordRules, RefusesElevenCharactersAndAcceptsTwelve) {
  const PasswordRules rules;
  EXPECT_EQ(failures(rules, filler(11)), std::vector<std::string>{"too_short"});
  EXPECT_TRUE(failures(rules, filler(12)).empty());
}

TEST(PasswordRules, RefusesOneCharacterAboveMaximum) {
  PasswordRules rules;
  rules.max_length = 64;
  EXPECT_TRUE(failures(rules, filler(64)).empty());
  EXPECT_EQ(failures(rules, filler(65)), std::vector<std::string>{"too_long"});
}

TEST(PasswordRules, LongestAllowedPasswordFitsTheHasher) {
  PasswordRules rules;
  rules.max_length = PasswordRules::kMaxLengthHigh;
  const std::string longest = repeat("\U0001F511", rules.max_length);  // 4 bytes each
  EXPECT_EQ(longest.size(), crypto::PasswordHasher::kMaxPasswordBytes);
  EXPECT_TRUE(failures(rules, longest).empty());
  EXPECT_EQ(failures(rules, longest + "a"), std::vector<std::string>{"too_long"});
}

TEST(PasswordRules, CountsMultibyteCharactersAsOne) {
  const PasswordRules rules;
  // 11 characters but 22 and 33 bytes: still too short.
  EXPECT_EQ(failures(rules, repeat("\u00e4", 11)), std::vector<std::string>{"too_short"});
  EXPECT_EQ(failures(rules, repeat("\u3042", 11)), std::vector<std::string>{"too_short"});
  EXPECT_TRUE(failures(rules, repeat("\u3042", 12)).empty());
  EXPECT_TRUE(failures(rules, repeat("\U0001F511", 12)).empty());

  PasswordRules narrow;
  narrow.max_length = 64;
  EXPECT_TRUE(failures(narrow, repeat("\u00e9", 64)).empty()) << "128 bytes, 64 characters";
}

TEST(PasswordRules, RefusesInvalidUtf8AloneAndFirst) {
  const PasswordRules rules;
  const std::string body = filler(12);
  for (const std::string& bad : {
           body + "\xff",              // never valid in UTF-8
           body + "\x80",              // a continuation byte without a lead
           body + "\xc0\xaf",          // overlong '/'
           body + "\xe0\x80\xaf",      // overlong '/' in three bytes
           body + "\xed\xa0\x80",      // UTF-16 surrogate U+D800
           body + "\xf4\x90\x80\x80",  // above U+10FFFF
           body + "\xe3\x81",          // truncated sequence
       }) {
    EXPECT_EQ(failures(rules, bad), std::vector<std::string>{"invalid_utf8"});
  }
  EXPECT_EQ(failures(rules, "\xff"), std::vector<std::string>{"invalid_utf8"}) << "not also too_short";
}

TEST(PasswordRules, RequiresLowerCaseLetterWhenAsked) {
  PasswordRules rules;
  rules.require_lower = true;
  EXPECT_EQ(failures(rules, "ZQXJVKWFYBZQ"), std::vector<std::string>{"missing_lower"});
  EXPECT_TRUE(failures(rules, "ZQXJVKWFYBZq").empty());
}

TEST(PasswordRules, RequiresUpperCaseLetterWhenAsked) {
  PasswordRules rules;
  rules.require_upper = true;
  EXPECT_EQ(failures(rules, filler(12)), std::vector<std::string>{"missing_upper"});
  EXPECT_TRUE(failures(rules, filler(11) + "Q").empty());
}

TEST(PasswordRules, RequiresDigitWhenAsked) {
  PasswordRules rules;
  rules.require_digit = true;
  EXPECT_EQ(failures(rules, filler(12)), std::vector<std::string>{"missing_digit"});
  EXPECT_TRUE(failures(rules, filler(11) + "7").empty());
}

TEST(PasswordRules, RequiresSymbolWhenAskedCountingNonAscii) {
  PasswordRules rules;
  rules.require_symbol = true;
  EXPECT_EQ(failures(rules, filler(12)), std::vector<std::string>{"missing_symbol"});
  EXPECT_TRUE(failures(rules, filler(11) + "%").empty());
  EXPECT_TRUE(failures(rules, filler(11) + " ").empty());
  EXPECT_TRUE(failures(rules, filler(11) + "\u00e9").empty());
}

TEST(PasswordRules, RequiresMinimumNumberOfClasses) {
  PasswordRules rules;
  rules.min_classes = 3;
  EXPECT_EQ(failures(rules, filler(10) + "QQ"), std::vector<std::string>{"too_few_classes"});
  EXPECT_TRUE(failures(rules, filler(10) + "Q7").empty());
  rules.min_classes = 4;
  EXPECT_EQ(failures(rules, filler(10) + "Q7"), std::vector<std::string>{"too_few_classes"});
  EXPECT_TRUE(failures(rules, filler(9) + "Q7!").empty());
}

TEST(PasswordRules, ReportsEveryFailureAtOnce) {
  PasswordRules rules;
  rules.require_lower = rules.require_upper = rules.require_digit = rules.require_symbol = true;
  rules.min_classes = 2;
  const auto got = failures(rules, "password", {"password@example.test", "Pat"});
  EXPECT_EQ(got, (std::vector<std::string>{"too_short", "missing_upper", "missing_digit", "missing_symbol",
                                           "too_few_classes", "common_password", "contains_login"}));
}

TEST(PasswordRules, FailuresCarryTheNumberTheyAreAbout) {
  PasswordRules rules;
  rules.min_length = 14;
  rules.max_length = 64;
  rules.min_classes = 3;
  rules.history_count = 7;
  std::vector<RuleFailure> failed;
  EXPECT_FALSE(check(rules, "short", {}, failed));
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0].code, "too_short");
  EXPECT_EQ(failed[0].limit, 14u);
  EXPECT_EQ(failed[1].code, "too_few_classes");
  EXPECT_EQ(failed[1].limit, 3u);
  failed.clear();
  EXPECT_FALSE(check(rules, std::string(65, 'a') + "B1", {}, failed));
  ASSERT_FALSE(failed.empty());
  EXPECT_EQ(failed[0].code, "too_long");
  EXPECT_EQ(failed[0].limit, 64u);
  EXPECT_EQ(reused_failure(rules).limit, 7u);
}

TEST(PasswordRules, ShipsTheCommonPasswordList) {
  // zxcvbn's list holds 30,000 passwords; fewer would mean the build embedded a truncated list.
  EXPECT_GE(common_password_count(), 29000u);
  EXPECT_TRUE(is_common_password("123456789"));
  EXPECT_TRUE(is_common_password("iloveyou"));
}

TEST(PasswordRules, RefusesCommonPasswordsIgnoringCaseAndTrailingDigitsAndSymbols) {
  PasswordRules rules;
  rules.min_length = 8;
  for (std::string_view common : {"password", "Password123!", "qwerty2024", "DRAGON", "Baseball!!", "LetMeIn2024"}) {
    EXPECT_TRUE(has(failures(rules, common), "common_password")) << common;
  }
}

TEST(PasswordRules, DoesNotStripLettersOrMatchInsideLongerWords) {
  EXPECT_FALSE(is_common_password("passwordzqxj"));
  EXPECT_FALSE(is_common_password("zqxjpassword"));
  EXPECT_FALSE(is_common_password("123!"));
}

TEST(PasswordRules, BlocklistCanBeTurnedOff) {
  PasswordRules rules;
  rules.min_length = 8;
  rules.blocklist = false;
  EXPECT_TRUE(failures(rules, "Password123!").empty());
}

TEST(PasswordRules, AcceptsStrongRandomPassphrase) {
  const auto ctx = test_support::test_crypto_context();
  const PasswordRules rules;
  for (int i = 0; i < 20; ++i) {
    const std::string phrase = generate_one_time_password(*ctx) + " " + generate_one_time_password(*ctx);
    EXPECT_TRUE(failures(rules, phrase, {"taro.yamada@example.test", "Taro Yamada"}).empty()) << phrase;
  }
}

TEST(PasswordRules, RefusesPasswordContainingLoginLocalPart) {
  const PasswordRules rules;
  const PasswordContext taro{"taro.yamada@example.test", "T. Y."};
  EXPECT_TRUE(has(failures(rules, "taro.yamada2024!", taro), "contains_login"));
  EXPECT_TRUE(has(failures(rules, "My-TARO.YAMADA-pass", taro), "contains_login")) << "case-insensitive";
  EXPECT_TRUE(has(failures(rules, "zqxj-Yamada-zqxj", taro), "contains_login")) << "a part of the local part";
  EXPECT_TRUE(has(failures(rules, "taro.yamada@example.test", taro), "contains_login"));
  EXPECT_TRUE(failures(rules, "zqxjvkwfybzq-example", taro).empty()) << "the domain is not the person";
}

TEST(PasswordRules, RefusesPasswordEqualToShortLoginOnly) {
  PasswordRules rules;
  rules.min_length = 8;
  const PasswordContext al{"al@example.test", "Al"};
  EXPECT_TRUE(has(failures(rules, "Al", al), "contains_login"));
  EXPECT_TRUE(failures(rules, "zqxj-also-zqxj", al).empty()) << "parts under 4 characters only match exactly";
}

TEST(PasswordRules, RefusesPasswordContainingDisplayName) {
  const PasswordRules rules;
  const PasswordContext hanako{"h.s@example.test", "Hanako Suzuki"};
  EXPECT_TRUE(has(failures(rules, "zqxj-suzuki-zqxj", hanako), "contains_login"));
  EXPECT_TRUE(has(failures(rules, "HANAKO-zqxj-zqxj", hanako), "contains_login"));
}

TEST(PasswordRules, JsonRoundTripKeepsEveryField) {
  PasswordRules rules;
  rules.min_length = 14;
  rules.max_length = 200;
  rules.require_lower = true;
  rules.require_upper = true;
  rules.require_digit = true;
  rules.require_symbol = true;
  rules.min_classes = 3;
  rules.expiry_days = 90;
  rules.history_count = 12;
  rules.blocklist = false;
  const std::string text = boost::json::serialize(to_json(rules));
  PasswordRules parsed;
  ASSERT_FALSE(password_rules_from_json(boost::json::parse(text), parsed)) << text;
  EXPECT_EQ(parsed, rules);
  EXPECT_EQ(to_json(rules).size(), 10u);
}

TEST(PasswordRules, JsonMissingKeysTakeDefaults) {
  PasswordRules parsed;
  parsed.min_length = 99;
  ASSERT_FALSE(password_rules_from_json(boost::json::parse(R"({"expiry_days": 30})"), parsed));
  PasswordRules expected;
  expected.expiry_days = 30;
  EXPECT_EQ(parsed, expected);
}

TEST(PasswordRules, JsonRefusesUnknownKeyNamingIt) {
  PasswordRules parsed;
  const auto e = password_rules_from_json(boost::json::parse(R"({"min_lenght": 12})"), parsed);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.key, "min_lenght");
  EXPECT_NE(e.message.find("min_lenght"), std::string::npos);
}

TEST(PasswordRules, JsonRefusesOutOfRangeNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"min_length": 7})", "min_length"},
      {R"({"min_length": 129})", "min_length"},
      {R"({"max_length": 63})", "max_length"},
      {R"({"max_length": 1025})", "max_length"},
      {R"({"min_length": 100, "max_length": 64})", "max_length"},
      {R"({"min_classes": 5})", "min_classes"},
      {R"({"history_count": 25})", "history_count"},
      {R"({"expiry_days": 3651})", "expiry_days"},
      {R"({"history_count": 4294967296})", "history_count"},
  };
  for (const auto& [text, key] : cases) {
    PasswordRules parsed;
    const auto e = password_rules_from_json(boost::json::parse(text), parsed);
    EXPECT_TRUE(e) << text;
    EXPECT_EQ(e.key, key) << text;
    EXPECT_NE(e.message.find(key), std::string::npos) << e.message;
    EXPECT_EQ(parsed, PasswordRules{}) << "out is untouched on failure";
  }
}

TEST(PasswordRules, JsonRefusesWrongTypes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"min_length": "12"})", "min_length"},       {R"({"min_length": 12.5})", "min_length"},
      {R"({"min_length": 12.0})", "min_length"},       {R"({"history_count": -1})", "history_count"},
      {R"({"expiry_days": true})", "expiry_days"},     {R"({"blocklist": 1})", "blocklist"},
      {R"({"require_digit": null})", "require_digit"},
  };
  for (const auto& [text, key] : cases) {
    PasswordRules parsed;
    EXPECT_EQ(password_rules_from_json(boost::json::parse(text), parsed).key, key) << text;
  }
  PasswordRules parsed;
  EXPECT_TRUE(password_rules_from_json(boost::json::parse("[]"), parsed));
}

TEST(PasswordRules, PolicyKeepsRulesUnderPasswordKeyBesideOtherSettings) {
  PasswordRules defaults;
  ASSERT_FALSE(rules_from_policy("{}", defaults));
  EXPECT_EQ(defaults, PasswordRules{});

  PasswordRules rules;
  rules.history_count = 10;
  std::string policy;
  ASSERT_FALSE(policy_with_rules(R"({"session": {"idle_minutes": 30}})", rules, policy));
  const auto doc = boost::json::parse(policy).as_object();
  EXPECT_TRUE(doc.contains("session")) << policy;
  PasswordRules read;
  ASSERT_FALSE(rules_from_policy(policy, read));
  EXPECT_EQ(read, rules);
}

TEST(PasswordRules, PolicyErrorsNameTheFullKey) {
  PasswordRules read;
  EXPECT_EQ(rules_from_policy(R"({"password": {"min_length": 4}})", read).key, "password.min_length");
  EXPECT_EQ(rules_from_policy(R"({"password": 12})", read).key, "password");
  EXPECT_TRUE(rules_from_policy("not json", read));
  std::string out;
  PasswordRules bad;
  bad.min_length = 2;
  EXPECT_EQ(policy_with_rules("{}", bad, out).key, "min_length");
}

TEST(PasswordRules, NeverExpiresWhenExpiryIsOff) {
  const PasswordRules rules;
  const auto now = std::chrono::system_clock::now();
  EXPECT_FALSE(expired(rules, now - std::chrono::days(10000), now));
  EXPECT_FALSE(expired(rules, std::string_view(""), now));
}

TEST(PasswordRules, ExpiresAfterTheConfiguredDays) {
  PasswordRules rules;
  rules.expiry_days = 90;
  const auto changed = std::chrono::sys_days(std::chrono::year(2024) / 1 / 1) + 9h;
  EXPECT_FALSE(expired(rules, changed, changed + std::chrono::days(90) - 1s));
  EXPECT_TRUE(expired(rules, changed, changed + std::chrono::days(90)));
}

TEST(PasswordRules, ReadsStoredChangeTimeAndFailsClosed) {
  PasswordRules rules;
  rules.expiry_days = 30;
  const auto jan1 = std::chrono::sys_days(std::chrono::year(2024) / 1 / 1);
  EXPECT_FALSE(expired(rules, std::string_view("2024-01-01T00:00:00.000Z"), jan1 + std::chrono::days(29)));
  EXPECT_TRUE(expired(rules, std::string_view("2024-01-01T00:00:00.000Z"), jan1 + std::chrono::days(30)));
  EXPECT_FALSE(expired(rules, std::string_view("2024-01-01T00:00:00Z"), jan1 + std::chrono::days(29)));
  EXPECT_TRUE(expired(rules, std::string_view(""), jan1)) << "never set: ask for a new password";
  EXPECT_TRUE(expired(rules, std::string_view("2024-02-30T00:00:00.000Z"), jan1));
  EXPECT_TRUE(expired(rules, std::string_view("yesterday"), jan1));
}

// Reuse over the database: two organizations, users created by the test with cheap hashes.
class PasswordRulesHistoryTest : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kHistory = 3;

  void SetUp() override {
    ctx_ = test_support::test_crypto_context();
    db_ = test_support::migrated_memory_database();
    hasher_ = test_support::low_cost_password_hasher(ctx_);
    add_org(kOrgA, "org-a");
    add_org(kOrgB, "org-b");
    add_user(kOrgA, kAlice, "alice@a.test", "alice-initial-pass");
    add_user(kOrgA, kBob, "bob@a.test", "bob-initial-pass");
    add_user(kOrgB, kCarol, "carol@b.test", "carol-initial-pass");
  }

  void add_org(const std::string& id, const std::string& code) {
    ASSERT_FALSE(
        db_->execute("INSERT INTO organizations (id, code, name, status) VALUES (?1, ?2, ?2, 'active')", {id, code}));
  }

  void add_user(const std::string& org, const std::string& id, const std::string& login, const std::string& pw) {
    ASSERT_FALSE(
        db_->execute("INSERT INTO users (id, org_id, login, display_name, role, password_hash) VALUES (?1, ?2, ?3, ?3, "
                     "'member', ?4)",
                     {id, org, login, hasher_->hash(pw)}));
  }

  // What the password-change flow will do: remember the old hash, store the new one, in one transaction.
  void change_password(const std::string& org, const std::string& user, const std::string& pw,
                       std::uint32_t history = kHistory) {
    const std::string new_hash = hasher_->hash(pw);
    ASSERT_FALSE(db_->transaction([&](db::Database& tx) -> boost::system::error_code {
      std::string old_hash;
      if (auto ec = tx.execute("SELECT password_hash FROM users WHERE org_id = ?1 AND id = ?2", {org, user},
                               [&](const db::Row& r) { old_hash = r.text(0); })) {
        return ec;
      }
      if (auto ec = record_change(tx, org, user, old_hash, history)) return ec;
      return tx.execute("UPDATE users SET password_hash = ?3 WHERE org_id = ?1 AND id = ?2", {org, user, new_hash});
    }));
  }

  bool is_reused(const std::string& org, const std::string& user, const std::string& candidate,
                 std::uint32_t history = kHistory) {
    const auto r = reused(*db_, org, user, candidate, *hasher_, history);
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r.has_value() && *r;
  }

  std::int64_t history_rows(const std::string& user) {
    std::int64_t n = -1;
    EXPECT_FALSE(db_->execute("SELECT count(*) FROM password_history WHERE user_id = ?1", {user},
                              [&](const db::Row& r) { n = r.integer(0); }));
    return n;
  }

  const std::string kOrgA = std::string(31, 'a') + "1";
  const std::string kOrgB = std::string(31, 'b') + "2";
  const std::string kAlice = std::string(31, 'c') + "3";
  const std::string kBob = std::string(31, 'd') + "4";
  const std::string kCarol = std::string(31, 'e') + "5";
  std::shared_ptr<const crypto::CryptoContext> ctx_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<crypto::PasswordHasher> hasher_;
};

TEST_F(PasswordRulesHistoryTest, RefusesCurrentPassword) {
  EXPECT_TRUE(is_reused(kOrgA, kAlice, "alice-initial-pass"));
  EXPECT_FALSE(is_reused(kOrgA, kAlice, "something-else-entirely"));
}

TEST_F(PasswordRulesHistoryTest, RefusesCurrentPasswordEvenWithoutHistory) {
  EXPECT_TRUE(is_reused(kOrgA, kAlice, "alice-initial-pass", 0));
}

TEST_F(PasswordRulesHistoryTest, RefusesEachOfLastNAndAllowsOlder) {
  for (int i = 1; i <= 4; ++i) change_password(kOrgA, kAlice, "alice-pass-" + std::to_string(i));
  // Current: pass-4. History, newest first: pass-3, pass-2, pass-1 (the initial one trimmed away).
  for (int i = 1; i <= 4; ++i) EXPECT_TRUE(is_reused(kOrgA, kAlice, "alice-pass-" + std::to_string(i))) << i;
  EXPECT_FALSE(is_reused(kOrgA, kAlice, "alice-initial-pass")) << "the N+1-th older password is allowed again";
}

TEST_F(PasswordRulesHistoryTest, ConsultsOnlyHistoryCountRowsWhenMoreAreStored) {
  for (int i = 1; i <= 4; ++i) change_password(kOrgA, kAlice, "alice-pass-" + std::to_string(i));
  EXPECT_FALSE(is_reused(kOrgA, kAlice, "alice-pass-1", 2)) << "an organization that lowered N";
  EXPECT_TRUE(is_reused(kOrgA, kAlice, "alice-pass-2", 2));
}

TEST_F(PasswordRulesHistoryTest, TrimmingKeepsNewestNRows) {
  for (int i = 1; i <= 6; ++i) change_password(kOrgA, kAlice, "alice-pass-" + std::to_string(i));
  EXPECT_EQ(history_rows(kAlice), kHistory);
  change_password(kOrgA, kAlice, "alice-pass-7", 0);
  EXPECT_EQ(history_rows(kAlice), 0) << "history_count 0 keeps no history";
}

TEST_F(PasswordRulesHistoryTest, TrimmingLeavesOtherUsersAlone) {
  change_password(kOrgA, kBob, "bob-pass-1");
  change_password(kOrgB, kCarol, "carol-pass-1");
  for (int i = 1; i <= 6; ++i) change_password(kOrgA, kAlice, "alice-pass-" + std::to_string(i));
  EXPECT_EQ(history_rows(kBob), 1);
  EXPECT_EQ(history_rows(kCarol), 1);
}

TEST_F(PasswordRulesHistoryTest, DoesNotConsultOtherUsersHistory) {
  change_password(kOrgA, kBob, "shared-old-password");
  change_password(kOrgA, kBob, "bob-pass-2");
  EXPECT_FALSE(is_reused(kOrgA, kAlice, "shared-old-password"));
  EXPECT_FALSE(is_reused(kOrgA, kAlice, "bob-pass-2"));
  EXPECT_TRUE(is_reused(kOrgA, kBob, "shared-old-password"));
}

TEST_F(PasswordRulesHistoryTest, DoesNotConsultRowsFiledUnderAnotherOrganization) {
  // A row with Alice's user id but organization B's id (only a bug or a forged row could make
  // one): Alice's check in organization A must not see it.
  ASSERT_FALSE(db_->execute("INSERT INTO password_history (org_id, user_id, password_hash) VALUES (?1, ?2, ?3)",
                            {kOrgB, kAlice, hasher_->hash("filed-under-org-b")}));
  EXPECT_FALSE(is_reused(kOrgA, kAlice, "filed-under-org-b"));
}

TEST_F(PasswordRulesHistoryTest, UserOfAnotherOrganizationIsNotFound) {
  const auto r = reused(*db_, kOrgB, kAlice, "alice-initial-pass", *hasher_, kHistory);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), make_error_code(Errc::kNotFound));
  EXPECT_EQ(record_change(*db_, kOrgB, kAlice, "$argon2id$x", kHistory), make_error_code(Errc::kNotFound));
  EXPECT_EQ(history_rows(kAlice), 0) << "nothing recorded across tenants";
}

}  // namespace
}  // namespace furoshiki::admin
