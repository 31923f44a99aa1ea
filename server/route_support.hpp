// What the JSON route handlers (identity_routes, account_routes, admin_routes, system_routes)
// share: body and page limits, turning domain errors into answers, strict JSON body fields,
// query-string parameters and page sizes, opaque list cursors, RFC 3339 times, and the session
// cookie's header. Plain functions of their arguments; nothing here keeps state.
#pragma once

#include "admin/audit_log.hpp"
#include "admin/organizations.hpp"
#include "admin/password_rules.hpp"
#include "common/error.hpp"
#include "server/request.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace furoshiki::server {

// Body limit of the routes that take a small JSON object (sign-in, user and policy changes).
inline constexpr std::size_t kSmallJsonBody = 16 * 1024;
// Page sizes of the list routes: the default and the largest a client may ask for (?limit=).
inline constexpr std::size_t kDefaultPageSize = 50;
inline constexpr std::size_t kMaxPageSize = 500;

// --- errors ------------------------------------------------------------------------------------

// The Errc of a furoshiki error code; kOk for no error, kInternal for any other category.
Errc errc_of(const boost::system::error_code& ec);

// The answer to a failed domain call: a furoshiki error code answers as its Errc with the
// default message, any other category (database, crypto) as internal_error.
Response error_response(const boost::system::error_code& ec);

// A failure that is not the client's: logged as `route_failed` with the request id, `what` and
// the reason, answered 500 internal_error without details.
Response internal_error(const Request& request, std::string_view what, const boost::system::error_code& ec);

// A refused directory change (organizations, users). Bad request and conflict keep the
// directory's message (it names the code or rule, nothing secret); not found answers with the
// default message only, so that another organization's user and a missing one give the same
// bytes; anything else is an internal_error.
Response directory_error(const Request& request, const admin::DirectoryError& e);

// A new password refused by the rules: 422 password_policy, with the failed rules in
// error.rules as [{"code","message"}].
Response password_policy_error(const std::vector<admin::RuleFailure>& failed);

// --- audit ---------------------------------------------------------------------------------------

// An event of the organization's chain acting as the request's signed-in user (from its client
// address and User-Agent). REQUIRES: request.identity.
admin::AuditEvent user_audit_event(const Request& request, std::string action, std::string target);

// --- JSON bodies ---------------------------------------------------------------------------------
// Each returns false with `problem` set to the message for the client's 400 answer.

// The body as a JSON object; nullopt (and `problem`) when it is not one.
std::optional<boost::json::object> json_object(const Request& request, std::string& problem);

// Strict bodies: a key not in `known` is an error naming it (a typo must not be silently ignored
// on an administrative change).
bool only_known_keys(const boost::json::object& o, std::initializer_list<std::string_view> known, std::string& problem);

// A string member. Absent or null: an error when `required`, otherwise `out` is left as it is.
bool string_field(const boost::json::object& o, std::string_view key, std::optional<std::string>& out, bool required,
                  std::string& problem);
bool string_field(const boost::json::object& o, std::string_view key, std::string& out, bool required,
                  std::string& problem);

// A member that may be absent (`out` left as it is) but, when present, must be a string or a
// bool: null is refused, unlike string_field().
bool optional_string(const boost::json::object& o, std::string_view key, std::optional<std::string>& out,
                     std::string& problem);
bool optional_bool(const boost::json::object& o, std::string_view key, std::optional<bool>& out, std::string& problem);

// --- query strings -------------------------------------------------------------------------------

using QueryParams = std::map<std::string, std::string, std::less<>>;

// RFC 3986 section 2.1 percent-decoding; nullopt for a '%' not followed by two hex digits. '+'
// stays '+' (not a space): it appears in RFC 3339 offsets and in e-mail addresses, and no filter
// value needs a space.
std::optional<std::string> percent_decode(std::string_view in);

// The parameters of a raw query string (without '?'), decoded. A repeated or undecodable
// parameter is an error; empty pairs ("a=1&&b=2") are skipped.
bool parse_query(std::string_view query, QueryParams& out, std::string& problem);

// The value of `key`, or null when the query does not have it.
const std::string* param(const QueryParams& params, std::string_view key);

// An error naming the first parameter (in key order) not in `known`.
bool only_known_params(const QueryParams& params, std::initializer_list<std::string_view> known, std::string& problem);

// ?limit=: kDefaultPageSize when absent, otherwise a whole number from 1 to kMaxPageSize.
bool page_size(const QueryParams& params, std::size_t& out, std::string& problem);

// --- list cursors --------------------------------------------------------------------------------
// A cursor names where the next page starts (the last key of this one). It is opaque to
// clients: base64url (RFC 4648 section 5) without padding, safe in a query string unencoded.

std::string encode_cursor(std::string_view key);
// nullopt for anything encode_cursor() cannot have produced.
std::optional<std::string> decode_cursor(std::string_view cursor);

// ?cursor=: `after` stays empty when absent or empty; otherwise the decoded key, which must not
// be empty ("cursor is not one this API gave").
bool page_cursor(const QueryParams& params, std::string& after, std::string& problem);

// --- times ---------------------------------------------------------------------------------------

// RFC 3339 UTC with whole seconds: 2026-11-22T05:00:00Z.
std::string rfc3339(std::chrono::system_clock::time_point t);

// rfc3339() of a Unix time in seconds; null for 0 or less ("never") or a time gmtime() cannot
// represent.
boost::json::value rfc3339_or_null(std::int64_t unix_seconds);

// RFC 3339 section 5.6 date-time: 2026-11-22T05:00:00Z, 2026-11-22T14:00:00.5+09:00. Years 1900
// to 2200 (the clock's 64-bit nanoseconds end in 2262); a leap second becomes :59.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s);

// --- cookies -------------------------------------------------------------------------------------

// Set-Cookie of a session cookie (user or operator): Secure, HttpOnly, SameSite=Strict, Path=/
// and no Domain, what the __Host- prefix would demand (RFC 6265bis section 4.1.3.2). A max_age
// of 0 (or less) deletes the cookie.
std::string session_cookie_header(std::string_view cookie_name, std::string_view token, std::chrono::seconds max_age);

}  // namespace furoshiki::server
