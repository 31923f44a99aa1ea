// Decides whether a request may reach a route, from the route's declared policy. Unknown or
// unspecified policies are denied: adding a route without thinking about access cannot expose it.
#pragma once

#include "common/error.hpp"
#include "server/request.hpp"
#include "server/router.hpp"

#include <string>

namespace furoshiki::server {

class Authorizer {
 public:
  // metrics_token: the bearer token /metrics requires; empty: loopback clients only.
  explicit Authorizer(std::string metrics_token) : metrics_token_(std::move(metrics_token)) {}

  // Errc::kOk, kUnauthenticated (credentials missing or wrong) or kForbidden.
  Errc authorize(AuthPolicy policy, const Request& request) const;

 private:
  std::string metrics_token_;
};

}  // namespace furoshiki::server
