// The sign-in routes of api.md ("Auth"): POST /api/v1/auth/login, POST /api/v1/auth/logout,
// GET /api/v1/me, POST /api/v1/me/password. Thin HTTP over admin::Authenticator: JSON in and
// out, the session cookie, Retry-After, and the error codes of the contract.
#pragma once

#include "admin/authenticator.hpp"
#include "server/router.hpp"

namespace furoshiki::server {

// The session cookie's Max-Age is the session's own absolute end (the organization's policy at
// sign-in); the organization's IP allowlist is checked by the authenticator (403 ip_not_allowed).
void add_identity_routes(Router& router, admin::Authenticator& authenticator);

// The JSON of a user as /me, sign-in and the admin user routes show it.
boost::json::object user_json(const admin::Identity& identity);
boost::json::object user_json(const admin::User& user, std::string_view org_code);

}  // namespace furoshiki::server
