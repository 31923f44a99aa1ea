// Route access policies; see authorizer.hpp.
#include "server/authorizer.hpp"

#include "crypto/random.hpp"

namespace furoshiki::server {

namespace {
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
}  // namespace

Errc Authorizer::authorize(AuthPolicy policy, const Request& request) const {
  switch (policy) {
    case AuthPolicy::kPublic: return Errc::kOk;
    case AuthPolicy::kMetricsReader:
      if (metrics_token_.empty()) return request.client.is_loopback() ? Errc::kOk : Errc::kForbidden;
      return crypto::equal_constant_time(bearer_token(request), metrics_token_) ? Errc::kOk : Errc::kUnauthenticated;
    case AuthPolicy::kUnspecified: return Errc::kForbidden;
  }
  return Errc::kForbidden;
}

}  // namespace furoshiki::server
