// The route table. Every route declares its access policy; a route without one
// (AuthPolicy::kUnspecified) is unreachable: deny by default.
#pragma once

#include "server/request.hpp"

#include <boost/beast/http/verb.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace furoshiki::server {

enum class AuthPolicy {
  kUnspecified,    // default: never served (403)
  kPublic,         // anyone, no credentials
  kMetricsReader,  // bearer token from metrics.token_file, or loopback clients when none is set
  kSignedIn,       // a user of an active organization: session cookie (+ X-CSRF-Token when unsafe) or API token
  kOrgAdmin,       // as kSignedIn, with the role org_admin
  // An operator (the service's own accounts, not an organization's): the operator session cookie
  // (+ X-CSRF-Token when unsafe). No API token and no user session ever grants it.
  kOperator,
};

// The policy's name in logs and the route table: "unspecified", "public", "metrics_reader",
// "signed_in", "org_admin", "operator".
std::string_view policy_name(AuthPolicy policy);

// Whether the policy needs the request's identity (resolved off the network threads).
inline bool needs_identity(AuthPolicy policy) {
  return policy == AuthPolicy::kSignedIn || policy == AuthPolicy::kOrgAdmin || policy == AuthPolicy::kOperator;
}

using Handler = std::function<Response(const Request&)>;

struct Route {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string pattern;  // "/api/v1/files/{id}": literal segments and {name} parameters
  AuthPolicy policy = AuthPolicy::kUnspecified;
  std::size_t body_limit = 0;  // bytes; 0: the request must not have a body
  Handler handler;
  // The handler blocks (password hashing, database writes): it runs on the blocking pool, never on
  // a network thread. Routes with an identity policy always do.
  bool blocking = false;
  // Reachable while the user (or operator) must still replace a one-time password (/me,
  // /me/password, logout; /system/me, /system/password, /system/logout).
  bool before_password_change = false;
  // Reachable while the organization requires a second factor the user has not enrolled yet
  // (/me, /me/password, /me/totp, /me/totp/confirm, logout).
  bool during_totp_enrolment = false;
};

struct RouteMatch {
  const Route* route = nullptr;  // null: see path_exists
  bool path_exists = false;      // the path matches a route with another method (405)
  std::map<std::string, std::string, std::less<>> params;
};

class Router {
 public:
  // Throws std::invalid_argument for a malformed pattern or a duplicate (method, pattern).
  void add(Route route);

  // HEAD is served by the GET route of the path.
  RouteMatch match(boost::beast::http::verb method, std::string_view path) const;

  // Methods allowed on `path`, for the Allow header of a 405.
  std::string allowed_methods(std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace furoshiki::server
