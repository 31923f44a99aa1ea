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
class OperatorAuthenticator;
}  // namespace furoshiki::admin

namespace furoshiki::server {

// The session cookie (api.md). Set with Secure, HttpOnly, SameSite=Strict, Path=/ and no Domain.
inline constexpr std::string_view kSessionCookie = "furoshiki_session";
// The operator session cookie: same attributes, a name of its own, so that a user session is
// never presented where an operator session is required, nor the reverse.
inline constexpr std::string_view kOperatorSessionCookie = "furoshiki_operator_session";

// The value of the cookie `name` in the request's Cookie headers, or "".
std::string_view cookie_value(const Request& request, std::string_view name);
// The value of the session cookie in the request's Cookie headers, or "".
inline std::string_view session_cookie(const Request& request) { return cookie_value(request, kSessionCookie); }
inline std::string_view operator_session_cookie(const Request& request) {
  return cookie_value(request, kOperatorSessionCookie);
}
// The token of "Authorization: Bearer <token>", or "".
std::string_view bearer_token(const Request& request);

class Authorizer {
 public:
  // metrics_token: the bearer token /metrics requires; empty: loopback clients only.
  explicit Authorizer(std::string metrics_token) : metrics_token_(std::move(metrics_token)) {}

  // Identity policies need an authenticator; without one they are denied.
  void set_authenticator(admin::Authenticator* authenticator) { authenticator_ = authenticator; }
  // kOperator needs an operator authenticator; without one it is denied.
  void set_operator_authenticator(admin::OperatorAuthenticator* authenticator) {
    operator_authenticator_ = authenticator;
  }

  // Errc::kOk, kUnauthenticated (credentials missing or wrong) or kForbidden. For identity
  // policies this is only the cheap first step (are there credentials at all?); the full check
  // is authorize_identity().
  Errc authorize(AuthPolicy policy, const Request& request) const;

  // Resolves the credentials of an identity route and sets request.identity (request.operator_identity
  // for kOperator, from the operator cookie only). Blocking (database):
  // call it on the blocking pool. kUnauthenticated, kCsrfFailed (unsafe method with the cookie and
  // no or the wrong X-CSRF-Token), kIpNotAllowed (outside the organization's IP allowlist, from
  // the policy read with the identity), kPasswordChangeRequired, kForbidden (role) or kInternal.
  Errc authorize_identity(const Route& route, Request& request) const;

 private:
  std::string metrics_token_;
  Errc authorize_operator(const Route& route, Request& request) const;

  admin::Authenticator* authenticator_ = nullptr;
  admin::OperatorAuthenticator* operator_authenticator_ = nullptr;
};

}  // namespace furoshiki::server
