// The sign-in routes of api.md ("Auth"): POST /api/v1/auth/login, POST /api/v1/auth/logout,
// GET /api/v1/me, POST /api/v1/me/password. Thin HTTP over admin::Authenticator: JSON in and
// out, the session cookie, Retry-After, and the error codes of the contract.
#pragma once

#include "admin/authenticator.hpp"
#include "server/router.hpp"

#include <chrono>

namespace furoshiki::server {

struct IdentityRouteOptions {
  std::chrono::seconds session_lifetime{std::chrono::hours(12)};  // the cookie's Max-Age
};

void add_identity_routes(Router& router, admin::Authenticator& authenticator, IdentityRouteOptions options = {});

// The JSON of a user as /me and sign-in show it.
boost::json::object user_json(const admin::Identity& identity);

}  // namespace furoshiki::server
