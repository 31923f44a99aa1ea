// Decides whether a request may reach a route, from the route's declared policy. Unknown or
// unspecified policies are denied: adding a route without thinking about access cannot expose it.
#pragma once

#include "common/error.hpp"
#include "server/request.hpp"
#include "server/router.hpp"

#include <functional>
#include <string>

namespace furoshiki::admin {
class Authenticator;
}

namespace furoshiki::server {

// The session cookie (api.md). Set with Secure, HttpOnly, SameSite=Strict, Path=/ and no Domain.
inline constexpr std::string_view kSessionCookie = "furoshiki_session";

// The value of the session cookie in the request's Cookie headers, or "".
std::string_view session_cookie(const Request& request);
// The token of "Authorization: Bearer <token>", or "".
std::string_view bearer_token(const Request& request);

class Authorizer {
 public:
  // metrics_token: the bearer token /metrics requires; empty: loopback clients only.
  explicit Authorizer(std::string metrics_token) : metrics_token_(std::move(metrics_token)) {}

  // Identity policies need an authenticator; without one they are denied.
  void set_authenticator(admin::Authenticator* authenticator) { authenticator_ = authenticator; }

  // Whether an organization (by id) accepts requests from an address: Errc::kOk, kIpNotAllowed,
  // or another error (refused). Checked on every identity route after the credentials.
  using NetworkCheck = std::function<Errc(const std::string& org_id, const boost::asio::ip::address& client)>;
  void set_network_check(NetworkCheck check) { network_check_ = std::move(check); }

  // Errc::kOk, kUnauthenticated (credentials missing or wrong) or kForbidden. For identity
  // policies this is only the cheap first step (are there credentials at all?); the full check
  // is authorize_identity().
  Errc authorize(AuthPolicy policy, const Request& request) const;

  // Resolves the credentials of an identity route and sets request.identity. Blocking (database):
  // call it on the blocking pool. kUnauthenticated, kCsrfFailed (unsafe method with the cookie and
  // no or the wrong X-CSRF-Token), kPasswordChangeRequired, kForbidden (role) or kInternal.
  Errc authorize_identity(const Route& route, Request& request) const;

 private:
  std::string metrics_token_;
  admin::Authenticator* authenticator_ = nullptr;
  NetworkCheck network_check_;
};

}  // namespace furoshiki::server
