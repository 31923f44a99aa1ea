// Route access policies; see authorizer.hpp.
#include "server/authorizer.hpp"

#include "admin/authenticator.hpp"
#include "admin/operator_authenticator.hpp"
#include "common/log.hpp"
#include "crypto/random.hpp"

namespace furoshiki::server {

std::string_view bearer_token(const Request& request) {
  constexpr std::string_view kScheme = "Bearer ";
  const std::string_view value = request.header(boost::beast::http::field::authorization);
  if (value.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {  // the scheme is case-insensitive (RFC 9110 §11.1)
    if (std::tolower(static_cast<unsigned char>(value[i])) != std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return {};
    }
  }
  return value.substr(kScheme.size());
}

std::string_view cookie_value(const Request& request, std::string_view name) {
  if (!request.headers) return {};
  // Cookie: a=1; furoshiki_session=TOKEN; b=2 (RFC 6265 section 5.4), possibly in several headers.
  const auto [first, last] = request.headers->equal_range(boost::beast::http::field::cookie);
  for (auto it = first; it != last; ++it) {
    std::string_view rest = it->value();
    while (!rest.empty()) {
      const auto semicolon = rest.find(';');
      std::string_view pair = rest.substr(0, semicolon);
      rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    }
  }
  return {};
}

Errc Authorizer::authorize(AuthPolicy policy, const Request& request) const {
  switch (policy) {
    case AuthPolicy::kPublic: return Errc::kOk;
    case AuthPolicy::kMetricsReader:
      if (metrics_token_.empty()) return request.client.is_loopback() ? Errc::kOk : Errc::kForbidden;
      return crypto::equal_constant_time(bearer_token(request), metrics_token_) ? Errc::kOk : Errc::kUnauthenticated;
    case AuthPolicy::kSignedIn:
    case AuthPolicy::kOrgAdmin:
      if (!authenticator_) return Errc::kForbidden;
      return session_cookie(request).empty() && bearer_token(request).empty() ? Errc::kUnauthenticated : Errc::kOk;
    case AuthPolicy::kOperator:
      if (!operator_authenticator_) return Errc::kForbidden;
      return operator_session_cookie(request).empty() ? Errc::kUnauthenticated : Errc::kOk;
    case AuthPolicy::kUnspecified: return Errc::kForbidden;
  }
  return Errc::kForbidden;
}

Errc Authorizer::authorize_identity(const Route& route, Request& request) const {
  if (route.policy == AuthPolicy::kOperator) return authorize_operator(route, request);
  if (route.policy != AuthPolicy::kSignedIn && route.policy != AuthPolicy::kOrgAdmin) return Errc::kForbidden;
  if (!authenticator_) return Errc::kForbidden;
  const std::string_view bearer = bearer_token(request);
  const std::string_view cookie = session_cookie(request);
  // A bearer token wins: scripts send no cookies, and a browser never sends our API tokens.
  auto identity = !bearer.empty() ? authenticator_->from_api_token(bearer) : authenticator_->from_session(cookie);
  if (!identity) {
    if (identity.error() == Errc::kUnauthenticated) return Errc::kUnauthenticated;
    log::error("identity_check_failed", {{"request_id", request.request_id}, {"reason", identity.error().message()}});
    return Errc::kInternal;
  }
  // The organization's IP allowlist, from the policy the authenticator read for this request.
  if (!identity->policy.ip_allowlist.allows(request.client)) return Errc::kIpNotAllowed;
  const bool safe = request.method == boost::beast::http::verb::get || request.method == boost::beast::http::verb::head;
  if (bearer.empty() && !safe && !authenticator_->csrf_ok(*identity, request.header("X-CSRF-Token"))) {
    return Errc::kCsrfFailed;
  }
  if (identity->user.password_change_required && !route.before_password_change) return Errc::kPasswordChangeRequired;
  if (identity->totp_enrolment_required && !route.during_totp_enrolment) return Errc::kTotpEnrolmentRequired;
  if (route.policy == AuthPolicy::kOrgAdmin && identity->user.role != "org_admin") return Errc::kForbidden;
  request.identity = std::make_shared<const admin::Identity>(std::move(*identity));
  return Errc::kOk;
}

// Operators sign in with their own cookie and nothing else: a bearer token or a user session
// cookie is not looked at, so no credential of an organization's user can reach these routes.
Errc Authorizer::authorize_operator(const Route& route, Request& request) const {
  if (!operator_authenticator_) return Errc::kForbidden;
  auto identity = operator_authenticator_->from_session(operator_session_cookie(request));
  if (!identity) {
    if (identity.error() == Errc::kUnauthenticated) return Errc::kUnauthenticated;
    log::error("operator_check_failed", {{"request_id", request.request_id}, {"reason", identity.error().message()}});
    return Errc::kInternal;
  }
  const bool safe = request.method == boost::beast::http::verb::get || request.method == boost::beast::http::verb::head;
  if (!safe && !operator_authenticator_->csrf_ok(*identity, request.header("X-CSRF-Token"))) return Errc::kCsrfFailed;
  if (identity->account.password_change_required && !route.before_password_change) {
    return Errc::kPasswordChangeRequired;
  }
  request.operator_identity = std::make_shared<const admin::OperatorIdentity>(std::move(*identity));
  return Errc::kOk;
}

}  // namespace furoshiki::server
