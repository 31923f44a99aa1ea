// An organization's policy, typed; see organization_policy.hpp.
#include "admin/organization_policy.hpp"

#include "common/error.hpp"
#include "common/log.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <limits>

namespace furoshiki::admin {

namespace {

constexpr std::string_view kPasswordKey = "password";
constexpr std::string_view kRequire2faKey = "require_2fa";
constexpr std::string_view kIpAllowlistKey = "ip_allowlist";
constexpr std::string_view kSessionsKey = "sessions";
constexpr std::string_view kFilesKey = "files";
constexpr std::array<std::string_view, 5> kManagedKeys = {kPasswordKey, kRequire2faKey, kIpAllowlistKey, kSessionsKey,
                                                          kFilesKey};

bool managed(std::string_view key) {
  return std::find(kManagedKeys.begin(), kManagedKeys.end(), key) != kManagedKeys.end();
}

PolicyError malformed(std::string key, std::string message) {
  return {PolicyError::Kind::kMalformed, std::move(key), std::move(message)};
}

PolicyError out_of_range(std::string key, std::string message) {
  return {PolicyError::Kind::kOutOfRange, std::move(key), std::move(message)};
}

// A JSON integer (not a double, even 30.0), or nullopt.
std::optional<std::int64_t> whole_number(const boost::json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    const auto n = v.get_uint64();
    return n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(n);
  }
  return std::nullopt;
}

PolicyError password_from_json(const boost::json::value& json, PasswordRules& out) {
  if (const RulesError e = password_rules_from_json(json, out)) {
    std::string key = e.key.empty() ? std::string(kPasswordKey) : std::string(kPasswordKey) + "." + e.key;
    return malformed(key, key + ": " + e.message);
  }
  return {};
}

PolicyError require_2fa_from_json(const boost::json::value& json, Require2fa& out) {
  const auto parsed = json.is_string() ? parse_require_2fa(json.get_string()) : std::nullopt;
  if (!parsed) return malformed(std::string(kRequire2faKey), "require_2fa must be \"none\", \"admins\" or \"all\"");
  out = *parsed;
  return {};
}

PolicyError allowlist_from_json(const boost::json::value& json, Allowlist& out) {
  if (!json.is_array()) {
    return malformed(std::string(kIpAllowlistKey), "ip_allowlist must be an array of CIDR ranges");
  }
  Allowlist list;
  const auto& items = json.get_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto range = items[i].is_string() ? parse_network_range(items[i].get_string()) : std::nullopt;
    if (!range) {
      std::string key = std::string(kIpAllowlistKey) + "[" + std::to_string(i) + "]";
      return malformed(key, key + " must be an IPv4 or IPv6 CIDR range without host bits, like 192.0.2.0/24");
    }
    list.ranges.push_back(*range);
  }
  out = std::move(list);
  return {};
}

PolicyError sessions_from_json(const boost::json::value& json, SessionPolicy& out) {
  const std::string prefix = std::string(kSessionsKey) + ".";
  if (!json.is_object()) {
    return malformed(std::string(kSessionsKey),
                     "sessions must be an object with idle_timeout_minutes and absolute_timeout_hours");
  }
  struct Field {
    std::string_view key;
    std::uint32_t SessionPolicy::*member;
    std::uint32_t low;
    std::uint32_t high;
  };
  static constexpr std::array<Field, 2> kFields = {{
      {"idle_timeout_minutes", &SessionPolicy::idle_timeout_minutes, SessionPolicy::kMinIdleMinutes,
       SessionPolicy::kMaxIdleMinutes},
      {"absolute_timeout_hours", &SessionPolicy::absolute_timeout_hours, SessionPolicy::kMinAbsoluteHours,
       SessionPolicy::kMaxAbsoluteHours},
  }};
  SessionPolicy sessions;
  for (const auto& [key, value] : json.get_object()) {
    const auto field =
        std::find_if(kFields.begin(), kFields.end(), [&key = key](const Field& f) { return f.key == key; });
    if (field == kFields.end()) {
      return malformed(prefix + std::string(key), "unknown session setting: " + prefix + std::string(key));
    }
    const std::string name = prefix + std::string(key);
    const auto n = whole_number(value);
    if (!n) return malformed(name, name + " must be a whole number");
    if (*n < field->low || *n > field->high) {
      return out_of_range(name, name + " must be from " + std::to_string(field->low) + " to " +
                                    std::to_string(field->high) + ", not " + std::to_string(*n));
    }
    sessions.*field->member = static_cast<std::uint32_t>(*n);
  }
  // SessionStore refuses a session whose idle timeout exceeds its absolute one: such a policy
  // could never start a session.
  if (std::uint64_t{sessions.idle_timeout_minutes} > std::uint64_t{sessions.absolute_timeout_hours} * 60) {
    return out_of_range(prefix + "idle_timeout_minutes",
                        prefix + "idle_timeout_minutes (" + std::to_string(sessions.idle_timeout_minutes) +
                            " minutes) must not be longer than " + prefix + "absolute_timeout_hours (" +
                            std::to_string(sessions.absolute_timeout_hours) + " hours)");
  }
  out = sessions;
  return {};
}

PolicyError files_from_json(const boost::json::value& json, FilePolicy& out) {
  const std::string prefix = std::string(kFilesKey) + ".";
  if (!json.is_object()) {
    return malformed(std::string(kFilesKey),
                     "files must be an object with max_file_bytes, quota_bytes, default_retention_days, "
                     "max_retention_days and allow_unscanned_too_large");
  }
  FilePolicy files;
  for (const auto& [key, value] : json.get_object()) {
    const std::string name = prefix + std::string(key);
    if (key == "allow_unscanned_too_large") {
      if (!value.is_bool()) return malformed(name, name + " must be true or false");
      files.allow_unscanned_too_large = value.get_bool();
      continue;
    }
    const bool bytes = key == "max_file_bytes" || key == "quota_bytes";
    const bool days = key == "default_retention_days" || key == "max_retention_days";
    if (!bytes && !days) return malformed(name, "unknown files setting: " + name);
    const auto n = whole_number(value);
    if (!n) return malformed(name, name + " must be a whole number");
    const std::int64_t high = bytes ? std::numeric_limits<std::int64_t>::max() : FilePolicy::kMaxRetentionDays;
    if (*n < 0 || *n > high) {
      return out_of_range(name, name + " must be from 0 to " + std::to_string(high) + ", not " + std::to_string(*n));
    }
    if (key == "max_file_bytes") files.max_file_bytes = static_cast<std::uint64_t>(*n);
    if (key == "quota_bytes") files.quota_bytes = static_cast<std::uint64_t>(*n);
    if (key == "default_retention_days") files.default_retention_days = static_cast<std::uint32_t>(*n);
    if (key == "max_retention_days") files.max_retention_days = static_cast<std::uint32_t>(*n);
  }
  if (files.max_retention_days > 0 && files.default_retention_days > files.max_retention_days) {
    return out_of_range(prefix + "default_retention_days", prefix + "default_retention_days must not be longer than " +
                                                               prefix + "max_retention_days (" +
                                                               std::to_string(files.max_retention_days) + ")");
  }
  out = files;
  return {};
}

// One managed key into `policy`.
PolicyError apply_key(std::string_view key, const boost::json::value& value, OrganizationPolicy& policy) {
  if (key == kPasswordKey) return password_from_json(value, policy.password);
  if (key == kRequire2faKey) return require_2fa_from_json(value, policy.require_2fa);
  if (key == kIpAllowlistKey) return allowlist_from_json(value, policy.ip_allowlist);
  if (key == kFilesKey) return files_from_json(value, policy.files);
  return sessions_from_json(value, policy.sessions);
}

std::string range_text(const NetworkRange& range) {
  return range.network.to_string() + "/" + std::to_string(range.prefix);
}

// Loads by `column` (id or code); the column name is one of two literals, never input.
boost::system::result<OrganizationPolicy> load_by(db::Database& db, std::string_view column, std::string_view value) {
  bool found = false;
  std::string text;
  if (auto ec = db.execute("SELECT policy FROM organizations WHERE " + std::string(column) + " = ?1",
                           {std::string(value)}, [&](const db::Row& r) {
                             found = true;
                             text = r.text(0);
                           })) {
    return ec;
  }
  if (!found) return make_error_code(Errc::kNotFound);
  OrganizationPolicy policy;
  if (const PolicyError e = parse_organization_policy(text, policy)) {
    log::error("organization_policy_unreadable",
               {{column == "id" ? "org_id" : "org_code", std::string(value)}, {"key", e.key}, {"reason", e.message}});
    return make_error_code(Errc::kInternal);
  }
  return policy;
}

}  // namespace

std::string_view to_string(Require2fa value) {
  switch (value) {
    case Require2fa::kNone: return "none";
    case Require2fa::kAdmins: return "admins";
    case Require2fa::kAll: return "all";
  }
  return "none";
}

std::optional<Require2fa> parse_require_2fa(std::string_view text) {
  for (const Require2fa v : {Require2fa::kNone, Require2fa::kAdmins, Require2fa::kAll}) {
    if (to_string(v) == text) return v;
  }
  return std::nullopt;
}

SessionLimits SessionPolicy::limits() const {
  return {std::chrono::minutes(idle_timeout_minutes), std::chrono::hours(absolute_timeout_hours)};
}

bool OrganizationPolicy::requires_second_factor(std::string_view role) const {
  return require_2fa == Require2fa::kAll || (require_2fa == Require2fa::kAdmins && role == "org_admin");
}

PolicyError apply_policy_changes(const boost::json::object& changes, OrganizationPolicy& policy) {
  OrganizationPolicy next = policy;
  for (const auto& [key, value] : changes) {
    if (!managed(key)) return malformed(std::string(key), "unknown key: " + std::string(key));
    if (PolicyError e = apply_key(key, value, next)) return e;
  }
  policy = std::move(next);
  return {};
}

PolicyError parse_organization_policy(std::string_view policy_json, OrganizationPolicy& out) {
  OrganizationPolicy policy;
  // An empty column would be a bug elsewhere, but it means "nothing set", as "{}" does.
  if (policy_json.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    boost::system::error_code ec;
    boost::json::value document = boost::json::parse(policy_json, ec);
    if (ec || !document.is_object()) return malformed("", "the organization's policy is not a JSON object");
    for (auto& [key, value] : document.get_object()) {
      if (!managed(key)) {
        policy.other[key] = std::move(value);
        continue;
      }
      if (key == kIpAllowlistKey && value.is_null()) continue;
      if (PolicyError e = apply_key(key, value, policy)) return e;
    }
  }
  out = std::move(policy);
  return {};
}

boost::json::object to_json(const OrganizationPolicy& policy) {
  boost::json::object out = policy.other;
  out[kPasswordKey] = to_json(policy.password);
  out[kRequire2faKey] = to_string(policy.require_2fa);
  boost::json::array ranges;
  for (const auto& range : policy.ip_allowlist.ranges) ranges.emplace_back(range_text(range));
  out[kIpAllowlistKey] = std::move(ranges);
  out[kSessionsKey] = {{"idle_timeout_minutes", policy.sessions.idle_timeout_minutes},
                       {"absolute_timeout_hours", policy.sessions.absolute_timeout_hours}};
  out[kFilesKey] = {{"max_file_bytes", policy.files.max_file_bytes},
                    {"quota_bytes", policy.files.quota_bytes},
                    {"default_retention_days", policy.files.default_retention_days},
                    {"max_retention_days", policy.files.max_retention_days},
                    {"allow_unscanned_too_large", policy.files.allow_unscanned_too_large}};
  return out;
}

std::string serialize(const OrganizationPolicy& policy) { return boost::json::serialize(to_json(policy)); }

boost::system::result<OrganizationPolicy> load_organization_policy(db::Database& db, std::string_view org_id) {
  return load_by(db, "id", org_id);
}

boost::system::result<OrganizationPolicy> load_organization_policy_by_code(db::Database& db, std::string_view code) {
  return load_by(db, "code", code);
}

}  // namespace furoshiki::admin
