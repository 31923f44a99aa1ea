// An organization's password rules (issue 5, "Password policy per organization"): what its admin
// may set, how the rules are stored (the "password" key of organizations.policy) and checked, the
// blocklist of common passwords shipped with the product, "no reuse of the last N" over
// password_history, and expiry. Hashing itself is crypto::PasswordHasher (crypto/password.hpp).
//
// Lengths are counted in Unicode code points of the UTF-8 text as typed; invalid UTF-8 is
// refused. No Unicode normalisation is applied (NFC and NFD spellings of "é" are different
// passwords of different lengths): the same bytes must be typed at every sign-in, and browsers
// and operating systems send what the keyboard produced, consistently for one user.
#pragma once

#include "crypto/password.hpp"
#include "db/database.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace furoshiki::admin {

// The rules an organization's admin sets. Defaults follow NIST SP 800-63B section 5.1.1.2: length
// and a blocklist, no composition rules and no expiry unless the organization's own rules demand
// them. Every field's range is checked by validate() and password_rules_from_json().
struct PasswordRules {
  static constexpr std::uint32_t kMinLengthLow = 8;
  static constexpr std::uint32_t kMinLengthHigh = 128;
  static constexpr std::uint32_t kMaxLengthLow = 64;
  static constexpr std::uint32_t kMaxLengthHigh = 1024;
  static constexpr std::uint32_t kMaxClasses = 4;
  static constexpr std::uint32_t kMaxExpiryDays = 3650;
  static constexpr std::uint32_t kMaxHistoryCount = 24;

  std::uint32_t min_length = 12;    // code points, kMinLengthLow..kMinLengthHigh
  std::uint32_t max_length = 128;   // code points, max(kMaxLengthLow, min_length)..kMaxLengthHigh
  bool require_lower = false;       // a-z
  bool require_upper = false;       // A-Z
  bool require_digit = false;       // 0-9
  bool require_symbol = false;      // anything else, including every non-ASCII character
  std::uint32_t min_classes = 0;    // of the four classes above, 0..kMaxClasses
  std::uint32_t expiry_days = 0;    // 0: passwords never expire; at most kMaxExpiryDays
  std::uint32_t history_count = 5;  // the last N earlier passwords may not be reused, 0..kMaxHistoryCount
  bool blocklist = true;            // refuse common passwords (common_password_count() of them)

  friend bool operator==(const PasswordRules&, const PasswordRules&) = default;
};

// A code point takes at most 4 UTF-8 bytes, so every password the rules accept can be hashed.
static_assert(PasswordRules::kMaxLengthHigh * 4 <= crypto::PasswordHasher::kMaxPasswordBytes);

// Why stored or submitted rules were refused: the JSON key at fault (empty for the document as a
// whole) and a message for the admin.
struct RulesError {
  std::string key;
  std::string message;
  explicit operator bool() const { return !message.empty(); }
};

// Range checks of every field, and max_length >= min_length.
[[nodiscard]] RulesError validate(const PasswordRules& rules);

// The rules as a JSON object with every key present (what GET /admin/policy shows under
// "password"): min_length, max_length, require_lower, require_upper, require_digit,
// require_symbol, min_classes, expiry_days, history_count, blocklist.
boost::json::object to_json(const PasswordRules& rules);

// Strict parsing: `json` must be an object; keys absent take their defaults; an unknown key, a
// value of the wrong type (integers must be whole non-negative numbers, flags true or false) or
// out of range is refused with the key named. `out` is assigned only on success.
[[nodiscard]] RulesError password_rules_from_json(const boost::json::value& json, PasswordRules& out);

// organizations.policy is one JSON object shared by several features; the password rules live
// under its "password" key. Reading: the key absent (or the policy "{}") gives the defaults; text
// that is not a JSON object is an error. Writing: replaces "password" and keeps every other key.
[[nodiscard]] RulesError rules_from_policy(std::string_view policy_json, PasswordRules& out);
[[nodiscard]] RulesError policy_with_rules(std::string_view policy_json, const PasswordRules& rules, std::string& out);

// Who is choosing the password, for the rule against passwords built from one's own name.
struct PasswordContext {
  std::string_view login;  // the e-mail address
  std::string_view display_name;
};

// One broken rule: `code` is stable (the API and the UI key on it), `message` is for the person.
struct RuleFailure {
  std::string code;
  std::string message;
  // The number the rule is about (min_length, max_length, min_classes, history_count), so that a
  // client can word the failure in its own language; 0 for rules without one.
  std::uint32_t limit = 0;
  friend bool operator==(const RuleFailure&, const RuleFailure&) = default;
};

// The stable codes of RuleFailure.
namespace rule_code {
inline constexpr std::string_view kInvalidUtf8 = "invalid_utf8";
inline constexpr std::string_view kTooShort = "too_short";
inline constexpr std::string_view kTooLong = "too_long";
inline constexpr std::string_view kMissingLower = "missing_lower";
inline constexpr std::string_view kMissingUpper = "missing_upper";
inline constexpr std::string_view kMissingDigit = "missing_digit";
inline constexpr std::string_view kMissingSymbol = "missing_symbol";
inline constexpr std::string_view kTooFewClasses = "too_few_classes";
inline constexpr std::string_view kCommonPassword = "common_password";
inline constexpr std::string_view kContainsLogin = "contains_login";
inline constexpr std::string_view kReused = "reused";
}  // namespace rule_code

// Checks `candidate` against every rule that needs no database and appends one RuleFailure per
// broken rule, so that the person sees everything to fix at once (invalid UTF-8 is the exception:
// it is reported alone, as nothing else can be judged). True when nothing failed. Cheap (no
// hashing): run it before reused(), which is expensive.
//
// contains_login: the candidate equals, or contains (case-insensitively, ASCII letters), the
// login's local part, a part of it split at '.', '_', '-' or '+', the display name or a word of
// it; parts shorter than 4 code points count only when the whole candidate equals them.
bool check(const PasswordRules& rules, std::string_view candidate, const PasswordContext& context,
           std::vector<RuleFailure>& failed);

// The failure reported when reused() answers true, worded for rules.history_count.
RuleFailure reused_failure(const PasswordRules& rules);

// Whether `candidate` is one of the shipped common passwords, compared in ASCII lower case as it
// is and again with trailing digits and ASCII symbols removed ("Password123!" -> "password").
bool is_common_password(std::string_view candidate);

// How many passwords the shipped blocklist holds.
std::size_t common_password_count();

// Whether `candidate` is the user's current password or one of the newest `history_count` in
// password_history. The current password is refused even when history_count is 0: a forced
// change must change the password. Every query is filtered by org_id and user_id. Costs up to
// history_count + 1 hash verifications: call it from the hashing worker pool, after check().
// Errc::kNotFound when the user is not in that organization; database errors as they come.
// REQUIRES: candidate.size() <= crypto::PasswordHasher::kMaxPasswordBytes (check() ensures it).
[[nodiscard]] boost::system::result<bool> reused(db::Database& db, std::string_view org_id, std::string_view user_id,
                                                 std::string_view candidate, crypto::PasswordHasher& hasher,
                                                 std::uint32_t history_count);

// Records `old_hash` (the hash being replaced) in the user's history and trims it to the newest
// `history_count` rows (none when 0). Call it inside the transaction that stores the new hash.
// Errc::kNotFound when the user is not in that organization.
[[nodiscard]] boost::system::error_code record_change(db::Database& tx, std::string_view org_id,
                                                      std::string_view user_id, std::string_view old_hash,
                                                      std::uint32_t history_count);

// Whether a password set at `changed_at` has expired at `now` (never when expiry_days is 0).
bool expired(const PasswordRules& rules, std::chrono::system_clock::time_point changed_at,
             std::chrono::system_clock::time_point now);

// The same for users.password_changed_at as stored ("2024-05-01T09:30:00.123Z"). An empty or
// unreadable value counts as expired when expiry is on: failing closed only asks for a new password.
bool expired(const PasswordRules& rules, std::string_view password_changed_at,
             std::chrono::system_clock::time_point now);

namespace internal {
// The blocklist embedded at build time (cmake/EmbedPasswordBlocklist.cmake): lower-case entries
// of at least 4 bytes. Use is_common_password(); declared here for the generated source.
std::span<const std::string_view> embedded_password_blocklist();
}  // namespace internal

}  // namespace furoshiki::admin
