// Password rules, the common-password blocklist, reuse and expiry; see password_rules.hpp.
#include "admin/password_rules.hpp"

#include "common/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>

namespace furoshiki::admin {

namespace {

// Number of code points in `s`, or nullopt when it is not valid UTF-8 (RFC 3629 section 4):
// no overlong forms, no UTF-16 surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
std::optional<std::size_t> count_code_points(std::string_view s) {
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
      len = 1;
      cp = b0;
    } else if ((b0 & 0xE0) == 0xC0) {
      len = 2;
      cp = b0 & 0x1F;
      min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3;
      cp = b0 & 0x0F;
      min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4;
      cp = b0 & 0x07;
      min = 0x10000;
    } else {
      return std::nullopt;  // a continuation byte first, or 0xF8..0xFF
    }
    if (s.size() - i < len) return std::nullopt;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (len > 1 && cp < min) return std::nullopt;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += len;
    ++count;
  }
  return count;
}

// Only ASCII letters change case: matching other scripts case-insensitively would need the
// Unicode case tables, and the blocklist and logins are ASCII.
char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower_ascii(c);
  return out;
}

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// What people append to a common word to satisfy composition rules: "password123!".
bool is_ascii_non_letter(char c) { return static_cast<unsigned char>(c) < 0x80 && !is_ascii_letter(c); }

const std::vector<std::string_view>& sorted_blocklist() {
  // Built once, on first use; a function-local static is initialised exactly once even when
  // several threads get here first (C++11 [stmt.dcl]/4). Sorted here rather than trusting the
  // generator's order, so that binary search never depends on how CMake compares strings.
  static const std::vector<std::string_view> kSorted = [] {
    const auto embedded = internal::embedded_password_blocklist();
    std::vector<std::string_view> v(embedded.begin(), embedded.end());
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }();
  return kSorted;
}

bool in_blocklist(std::string_view lowered) {
  const auto& list = sorted_blocklist();
  return std::binary_search(list.begin(), list.end(), lowered);
}

// The pieces of a person's login and name that a password must not be built from.
std::vector<std::string> name_parts(const PasswordContext& context) {
  std::vector<std::string> parts;
  auto split_into = [&parts](std::string_view s, std::string_view separators) {
    std::size_t start = 0;
    while (start <= s.size()) {
      const std::size_t end = std::min(s.find_first_of(separators, start), s.size());
      if (end > start) parts.emplace_back(s.substr(start, end - start));
      start = end + 1;
    }
  };
  const std::string login = lower_ascii(context.login);
  const std::string_view local = std::string_view(login).substr(0, login.find('@'));
  if (!local.empty()) parts.emplace_back(local);
  split_into(local, ".-_+");

  const std::string name = lower_ascii(context.display_name);
  const auto first = name.find_first_not_of(" \t");
  if (first != std::string::npos) {
    const auto last = name.find_last_not_of(" \t");
    parts.emplace_back(name.substr(first, last - first + 1));
  }
  split_into(name, " \t.-_");
  return parts;
}

bool contains_login(std::string_view lowered_candidate, const PasswordContext& context) {
  for (const std::string& part : name_parts(context)) {
    if (lowered_candidate == part) return true;
    // Short parts ("al", "li") occur in many good passwords by chance: only an exact match counts.
    const std::size_t length = count_code_points(part).value_or(part.size());
    if (length >= 4 && lowered_candidate.find(part) != std::string_view::npos) return true;
  }
  return false;
}

void fail(std::vector<RuleFailure>& failed, std::string_view code, std::string message, std::uint32_t limit = 0) {
  failed.push_back({std::string(code), std::move(message), limit});
}

// A JSON integer that fits the field's type; doubles (even 12.0) and negatives are refused.
std::optional<std::uint32_t> as_uint32(const boost::json::value& v) {
  if (v.is_int64()) {
    const auto n = v.get_int64();
    if (n < 0 || n > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
    return static_cast<std::uint32_t>(n);
  }
  if (v.is_uint64()) {
    const auto n = v.get_uint64();
    if (n > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
    return static_cast<std::uint32_t>(n);
  }
  return std::nullopt;
}

struct NumberField {
  std::string_view key;
  std::uint32_t PasswordRules::*member;
};
struct FlagField {
  std::string_view key;
  bool PasswordRules::*member;
};

constexpr std::array<NumberField, 5> kNumberFields = {{
    {"min_length", &PasswordRules::min_length},
    {"max_length", &PasswordRules::max_length},
    {"min_classes", &PasswordRules::min_classes},
    {"expiry_days", &PasswordRules::expiry_days},
    {"history_count", &PasswordRules::history_count},
}};
constexpr std::array<FlagField, 5> kFlagFields = {{
    {"require_lower", &PasswordRules::require_lower},
    {"require_upper", &PasswordRules::require_upper},
    {"require_digit", &PasswordRules::require_digit},
    {"require_symbol", &PasswordRules::require_symbol},
    {"blocklist", &PasswordRules::blocklist},
}};

RulesError out_of_range(std::string_view key, std::uint32_t low, std::uint32_t high) {
  return {std::string(key),
          std::string(key) + " must be a whole number from " + std::to_string(low) + " to " + std::to_string(high)};
}

std::optional<boost::json::object> parse_policy(std::string_view policy_json) {
  boost::system::error_code ec;
  // An empty column would be a bug elsewhere, but it means "nothing set", as "{}" does.
  if (policy_json.find_first_not_of(" \t\r\n") == std::string_view::npos) return boost::json::object{};
  boost::json::value v = boost::json::parse(policy_json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

constexpr std::string_view kPolicyKey = "password";

// "dddd-dd-ddTdd:dd:dd" with an optional fraction, then "Z": what SQLite's
// strftime('%Y-%m-%dT%H:%M:%fZ') and audit_log's format_time write.
std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  if (text.size() < kShape.size() + 1 || text.back() != 'Z') return std::nullopt;
  for (std::size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  const std::string_view rest = text.substr(kShape.size(), text.size() - kShape.size() - 1);
  if (!rest.empty()) {
    if (rest.size() < 2 || rest.front() != '.') return std::nullopt;
    if (!std::all_of(rest.begin() + 1, rest.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  }
  auto number = [&](std::size_t pos, std::size_t len) {
    int n = 0;
    for (std::size_t i = pos; i < pos + len; ++i) n = n * 10 + (text[i] - '0');
    return n;
  };
  using namespace std::chrono;
  const year_month_day ymd{year(number(0, 4)), month(static_cast<unsigned>(number(5, 2))),
                           day(static_cast<unsigned>(number(8, 2)))};
  const int h = number(11, 2), m = number(14, 2), s = number(17, 2);
  if (!ymd.ok() || h > 23 || m > 59 || s > 60) return std::nullopt;
  // The fraction is dropped: a day-granular rule does not need it.
  return sys_days(ymd) + hours(h) + minutes(m) + seconds(s);
}

}  // namespace

RulesError validate(const PasswordRules& r) {
  using R = PasswordRules;
  if (r.min_length < R::kMinLengthLow || r.min_length > R::kMinLengthHigh) {
    return out_of_range("min_length", R::kMinLengthLow, R::kMinLengthHigh);
  }
  if (r.max_length < R::kMaxLengthLow || r.max_length > R::kMaxLengthHigh) {
    return out_of_range("max_length", R::kMaxLengthLow, R::kMaxLengthHigh);
  }
  if (r.max_length < r.min_length) {
    return {"max_length", "max_length must not be below min_length (" + std::to_string(r.min_length) + ")"};
  }
  if (r.min_classes > R::kMaxClasses) return out_of_range("min_classes", 0, R::kMaxClasses);
  if (r.expiry_days > R::kMaxExpiryDays) return out_of_range("expiry_days", 0, R::kMaxExpiryDays);
  if (r.history_count > R::kMaxHistoryCount) return out_of_range("history_count", 0, R::kMaxHistoryCount);
  return {};
}

boost::json::object to_json(const PasswordRules& rules) {
  boost::json::object o;
  for (const auto& f : kNumberFields) o[f.key] = rules.*f.member;
  for (const auto& f : kFlagFields) o[f.key] = rules.*f.member;
  return o;
}

RulesError password_rules_from_json(const boost::json::value& json, PasswordRules& out) {
  if (!json.is_object()) return {"", "the password rules must be a JSON object"};
  PasswordRules rules;
  for (const auto& [key, value] : json.as_object()) {
    const auto number = std::find_if(kNumberFields.begin(), kNumberFields.end(),
                                     [&key = key](const NumberField& f) { return f.key == key; });
    if (number != kNumberFields.end()) {
      const auto n = as_uint32(value);
      if (!n) return {std::string(key), std::string(key) + " must be a whole number"};
      rules.*number->member = *n;
      continue;
    }
    const auto flag =
        std::find_if(kFlagFields.begin(), kFlagFields.end(), [&key = key](const FlagField& f) { return f.key == key; });
    if (flag != kFlagFields.end()) {
      if (!value.is_bool()) return {std::string(key), std::string(key) + " must be true or false"};
      rules.*flag->member = value.get_bool();
      continue;
    }
    // Refused rather than ignored: a misspelt key would otherwise silently leave a rule at its default.
    return {std::string(key), "unknown password rule: " + std::string(key)};
  }
  if (auto e = validate(rules)) return e;
  out = rules;
  return {};
}

RulesError rules_from_policy(std::string_view policy_json, PasswordRules& out) {
  const auto policy = parse_policy(policy_json);
  if (!policy) return {"", "the organization's policy is not a JSON object"};
  const auto it = policy->find(kPolicyKey);
  if (it == policy->end()) {
    out = PasswordRules{};
    return {};
  }
  RulesError e = password_rules_from_json(it->value(), out);
  if (e) e.key = e.key.empty() ? std::string(kPolicyKey) : std::string(kPolicyKey) + "." + e.key;
  return e;
}

RulesError policy_with_rules(std::string_view policy_json, const PasswordRules& rules, std::string& out) {
  if (auto e = validate(rules)) return e;
  auto policy = parse_policy(policy_json);
  if (!policy) return {"", "the organization's policy is not a JSON object"};
  (*policy)[kPolicyKey] = to_json(rules);
  out = boost::json::serialize(*policy);
  return {};
}

bool check(const PasswordRules& rules, std::string_view candidate, const PasswordContext& context,
           std::vector<RuleFailure>& failed) {
  const std::size_t before = failed.size();
  const auto length = count_code_points(candidate);
  if (!length) {
    fail(failed, rule_code::kInvalidUtf8, "The password is not valid UTF-8 text.");
    return false;
  }
  if (*length < rules.min_length) {
    fail(failed, rule_code::kTooShort, "Use at least " + std::to_string(rules.min_length) + " characters.",
         rules.min_length);
  }
  // Also bounds the bytes handed to the hasher: max_length <= 1024 code points <= 4096 bytes.
  if (*length > rules.max_length) {
    fail(failed, rule_code::kTooLong, "Use at most " + std::to_string(rules.max_length) + " characters.",
         rules.max_length);
  }

  bool lower = false, upper = false, digit = false, symbol = false;
  for (char c : candidate) {
    if (c >= 'a' && c <= 'z') {
      lower = true;
    } else if (c >= 'A' && c <= 'Z') {
      upper = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      // Punctuation, spaces and every byte of a non-ASCII character: without Unicode tables
      // "é" cannot be called a lower-case letter, and as a symbol it widens the search space.
      symbol = true;
    }
  }
  if (rules.require_lower && !lower) fail(failed, rule_code::kMissingLower, "Include a lower-case letter (a-z).");
  if (rules.require_upper && !upper) fail(failed, rule_code::kMissingUpper, "Include an upper-case letter (A-Z).");
  if (rules.require_digit && !digit) fail(failed, rule_code::kMissingDigit, "Include a digit (0-9).");
  if (rules.require_symbol && !symbol) {
    fail(failed, rule_code::kMissingSymbol, "Include a symbol, a space or a non-ASCII character.");
  }
  const unsigned classes = unsigned{lower} + unsigned{upper} + unsigned{digit} + unsigned{symbol};
  if (classes < rules.min_classes) {
    fail(failed, rule_code::kTooFewClasses,
         "Use at least " + std::to_string(rules.min_classes) +
             " of: lower-case letters, upper-case letters, digits, symbols.",
         rules.min_classes);
  }

  if (rules.blocklist && is_common_password(candidate)) {
    fail(failed, rule_code::kCommonPassword, "This password is one of the most common ones; choose another.");
  }
  if (contains_login(lower_ascii(candidate), context)) {
    fail(failed, rule_code::kContainsLogin, "The password must not contain your login or your name.");
  }
  return failed.size() == before;
}

RuleFailure reused_failure(const PasswordRules& rules) {
  std::string message = "Choose a password other than your current one";
  if (rules.history_count > 0) message += " and your last " + std::to_string(rules.history_count);
  message += ".";
  return {std::string(rule_code::kReused), std::move(message), rules.history_count};
}

bool is_common_password(std::string_view candidate) {
  const std::string lowered = lower_ascii(candidate);
  if (in_blocklist(lowered)) return true;
  std::size_t end = lowered.size();
  while (end > 0 && is_ascii_non_letter(lowered[end - 1])) --end;
  return end > 0 && end < lowered.size() && in_blocklist(std::string_view(lowered).substr(0, end));
}

std::size_t common_password_count() { return sorted_blocklist().size(); }

boost::system::result<bool> reused(db::Database& db, std::string_view org_id, std::string_view user_id,
                                   std::string_view candidate, crypto::PasswordHasher& hasher,
                                   std::uint32_t history_count) {
  // A caller passing an unvalidated count must not turn one password change into unbounded hashing.
  history_count = std::min(history_count, PasswordRules::kMaxHistoryCount);
  std::vector<std::string> hashes;
  if (auto ec = db.execute("SELECT password_hash FROM users WHERE org_id = ?1 AND id = ?2",
                           {std::string(org_id), std::string(user_id)},
                           [&](const db::Row& row) { hashes.push_back(row.text(0)); })) {
    return {boost::system::in_place_error, ec};
  }
  if (hashes.empty()) return {boost::system::in_place_error, make_error_code(Errc::kNotFound)};
  if (history_count > 0) {
    // rowid order is insertion order (trimming removes only the oldest rows, so a rowid is never
    // reused below a live one); changed_at would misorder changes made within one millisecond or
    // across a clock step.
    if (auto ec = db.execute("SELECT password_hash FROM password_history WHERE org_id = ?1 AND user_id = ?2 "
                             "ORDER BY rowid DESC LIMIT ?3",
                             {std::string(org_id), std::string(user_id), static_cast<std::int64_t>(history_count)},
                             [&](const db::Row& row) { hashes.push_back(row.text(0)); })) {
      return {boost::system::in_place_error, ec};
    }
  }
  // Verified after the queries have finished, so that no statement stays open during hashing.
  for (const std::string& stored : hashes) {
    if (hasher.verify(candidate, stored).ok) return true;
  }
  return false;
}

boost::system::error_code record_change(db::Database& tx, std::string_view org_id, std::string_view user_id,
                                        std::string_view old_hash, std::uint32_t history_count) {
  history_count = std::min(history_count, PasswordRules::kMaxHistoryCount);
  bool found = false;
  // The history row's org_id must be the user's own: a mismatched pair would put one tenant's
  // hash under another's scope, which the foreign keys alone do not prevent.
  if (auto ec = tx.execute("SELECT 1 FROM users WHERE org_id = ?1 AND id = ?2",
                           {std::string(org_id), std::string(user_id)}, [&](const db::Row&) { found = true; })) {
    return ec;
  }
  if (!found) return make_error_code(Errc::kNotFound);
  if (history_count > 0) {
    if (auto ec = tx.execute("INSERT INTO password_history (org_id, user_id, password_hash) VALUES (?1, ?2, ?3)",
                             {std::string(org_id), std::string(user_id), std::string(old_hash)})) {
      return ec;
    }
  }
  return tx.execute(
      "DELETE FROM password_history WHERE org_id = ?1 AND user_id = ?2 AND rowid NOT IN ("
      "SELECT rowid FROM password_history WHERE org_id = ?1 AND user_id = ?2 ORDER BY rowid DESC LIMIT ?3)",
      {std::string(org_id), std::string(user_id), static_cast<std::int64_t>(history_count)});
}

bool expired(const PasswordRules& rules, std::chrono::system_clock::time_point changed_at,
             std::chrono::system_clock::time_point now) {
  if (rules.expiry_days == 0) return false;
  return now >= changed_at + std::chrono::days(rules.expiry_days);
}

bool expired(const PasswordRules& rules, std::string_view password_changed_at,
             std::chrono::system_clock::time_point now) {
  if (rules.expiry_days == 0) return false;
  const auto changed_at = parse_utc(password_changed_at);
  return !changed_at || expired(rules, *changed_at, now);
}

}  // namespace furoshiki::admin
