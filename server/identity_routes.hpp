// The sign-in routes of api.md ("Auth"): POST /api/v1/auth/login, POST /api/v1/auth/logout,
// GET /api/v1/me, POST /api/v1/me/password. Thin HTTP over admin::Authenticator: JSON in and
// out, the session cookie, Retry-After, and the error codes of the contract.
#pragma once

#include "admin/authenticator.hpp"
#include "admin/usage.hpp"
#include "server/router.hpp"

namespace furoshiki::server {

// The session cookie's Max-Age is the session's own absolute end (the organization's policy at
// sign-in); the organization's IP allowlist is checked by the authenticator (403 ip_not_allowed).
// GET /me adds the user's "usage" (usage_json) from `usage`.
void add_identity_routes(Router& router, admin::Authenticator& authenticator, admin::UsageCounters& usage);

// The days of traffic GET /me's "usage" counts (today included).
inline constexpr int kMeUsageDays = 30;

// GET /me's "usage": stored bytes and files now, the user's quota (null: none), and the uploads
// and downloads of the last kMeUsageDays UTC days.
boost::json::object usage_json(const admin::UserUsage& usage, std::uint64_t quota_bytes);

// The JSON of a user as /me, sign-in and the admin user routes show it.
boost::json::object user_json(const admin::Identity& identity);
boost::json::object user_json(const admin::User& user, std::string_view org_code);

}  // namespace furoshiki::server
