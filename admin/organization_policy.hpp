// An organization's policy as one typed value (issue 5, "organization policy"): the password
// rules, whether a second factor is required, the IP allowlist and the session timeouts, parsed
// strictly from organizations.policy (one JSON object) and written back to it.
//
// Every signed-in request reads the policy once (Authenticator, into Identity::policy) and every
// decision of that request uses that one value: nothing below re-reads or re-parses the column.
// A stored policy that does not parse refuses the request (fail closed): the caller logs and
// answers an internal error rather than guess at defaults for a security setting.
//
// The stored document may hold keys this struct does not manage (features that keep their own
// settings there); they are kept in `other` as they were and written back unchanged.
#pragma once

#include "admin/ip_allowlist.hpp"
#include "admin/password_rules.hpp"
#include "admin/sessions.hpp"
#include "db/database.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace furoshiki::admin {

// Policy key "require_2fa": who must have a second factor before doing anything but enrol.
enum class Require2fa { kNone, kAdmins, kAll };

// "none", "admins", "all".
std::string_view to_string(Require2fa value);
std::optional<Require2fa> parse_require_2fa(std::string_view text);

// Policy key "sessions": the timeouts of browser sessions started in the organization.
struct SessionPolicy {
  static constexpr std::uint32_t kMinIdleMinutes = 5;
  static constexpr std::uint32_t kMaxIdleMinutes = 1440;
  static constexpr std::uint32_t kMinAbsoluteHours = 1;
  static constexpr std::uint32_t kMaxAbsoluteHours = 720;

  std::uint32_t idle_timeout_minutes = 30;    // kMinIdleMinutes..kMaxIdleMinutes, at most the absolute timeout
  std::uint32_t absolute_timeout_hours = 12;  // kMinAbsoluteHours..kMaxAbsoluteHours

  // What SessionStore::create() and authenticate() take.
  SessionLimits limits() const;
  friend bool operator==(const SessionPolicy&, const SessionPolicy&) = default;
};

// Policy key "files": the upload limits of the organization (docs/upload.md, "Limits"). 0 means
// "not set" for every number. A user's rights (users.hpp) combine with these: upload_limits.hpp.
struct FilePolicy {
  static constexpr std::uint32_t kMaxRetentionDays = 36500;

  std::uint64_t max_file_bytes = 0;          // the largest file anyone in the organization may upload
  std::uint64_t quota_bytes = 0;             // all stored files of the organization together
  std::uint32_t default_retention_days = 0;  // for users without rights.max_retention_days; 0: kept
  std::uint32_t max_retention_days = 0;      // caps every retention (and "kept until deleted")
  // Files larger than the scanner can scan are stored unscanned, labelled, up to the instance's
  // [storage] max_file_bytes; false (the default): refused with too_large_to_scan.
  bool allow_unscanned_too_large = false;

  friend bool operator==(const FilePolicy&, const FilePolicy&) = default;
};

struct OrganizationPolicy {
  PasswordRules password;                      // key "password"
  Require2fa require_2fa = Require2fa::kNone;  // key "require_2fa"
  Allowlist ip_allowlist;                      // key "ip_allowlist": CIDR strings; empty allows every address
  SessionPolicy sessions;                      // key "sessions"
  FilePolicy files;                            // key "files"
  boost::json::object other;                   // stored keys not managed here, kept as they were

  // Whether a user with `role` ("org_admin" | "member") must have a second factor.
  bool requires_second_factor(std::string_view role) const;
};

// Why a policy document or a change to it was refused.
struct PolicyError {
  enum class Kind {
    kMalformed,   // not the expected shape: wrong type, unknown key, unparsable value
    kOutOfRange,  // well-formed but outside the allowed range, or inconsistent with another value
  };
  Kind kind = Kind::kMalformed;
  std::string key;      // the JSON key at fault, dotted ("sessions.idle_timeout_minutes"); empty for the whole
  std::string message;  // names the key; safe to show to an administrator
  explicit operator bool() const { return !message.empty(); }
};

// Replaces, in `policy`, every managed key that `changes` names with its value there; keys that
// `changes` does not name keep their values. A value replaces the whole key: an absent member of
// "password" or "sessions" takes its default, not its previous value. A key this struct does not
// manage is refused (kMalformed, naming it). `policy` is assigned only on success.
// This is the validation of PUT /admin/policy.
[[nodiscard]] PolicyError apply_policy_changes(const boost::json::object& changes, OrganizationPolicy& policy);

// Strict parsing of a stored document: managed keys as apply_policy_changes() checks them (absent
// keys take their defaults; "ip_allowlist": null counts as absent), other keys kept in `other`.
// "" and "{}" give the defaults. `out` is assigned only on success.
[[nodiscard]] PolicyError parse_organization_policy(std::string_view policy_json, OrganizationPolicy& out);

// The policy as stored and as GET /admin/policy shows it: `other`, then every managed key with
// every member present. IP ranges are written canonically ("::1" becomes "::1/128").
boost::json::object to_json(const OrganizationPolicy& policy);
std::string serialize(const OrganizationPolicy& policy);

// The policy of the organization with `org_id` (or with the organization `code`), in one query.
// Errc::kNotFound when there is no such organization; Errc::kInternal (logged, with the key at
// fault) when the stored policy does not parse; database errors as they come. The organization's
// status is not checked: callers that need an active organization check it themselves.
[[nodiscard]] boost::system::result<OrganizationPolicy> load_organization_policy(db::Database& db,
                                                                                 std::string_view org_id);
[[nodiscard]] boost::system::result<OrganizationPolicy> load_organization_policy_by_code(db::Database& db,
                                                                                         std::string_view code);

}  // namespace furoshiki::admin
