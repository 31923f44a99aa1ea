// The sign-in routes of api.md ("Auth"): POST /api/v1/auth/login, POST /api/v1/auth/logout,
// GET /api/v1/me, POST /api/v1/me/password. Thin HTTP over admin::Authenticator: JSON in and
// out, the session cookie, Retry-After, and the error codes of the contract.
#pragma once

#include "admin/authenticator.hpp"
#include "common/error.hpp"
#include "server/router.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <functional>

namespace furoshiki::server {

struct IdentityRouteOptions {
  std::chrono::seconds session_lifetime{std::chrono::hours(12)};  // the cookie's Max-Age
  // The organization's IP allowlist at sign-in, by organization code: Errc::kOk, kIpNotAllowed
  // (403 ip_not_allowed) or another error (500). Unset: no check.
  std::function<Errc(const std::string& org_code, const boost::asio::ip::address& client)> sign_in_network_check;
};

void add_identity_routes(Router& router, admin::Authenticator& authenticator, IdentityRouteOptions options = {});

// The JSON of a user as /me, sign-in and the admin user routes show it.
boost::json::object user_json(const admin::Identity& identity);
boost::json::object user_json(const admin::User& user, std::string_view org_code);

}  // namespace furoshiki::server
