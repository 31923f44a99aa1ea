// Fuzz target for furoshiki::server::Router::match over a route table shaped like the real one
// (literal segments, {param} segments, the same path under several methods).
//
// Input: "METHOD path" — the bytes before the first space name the method (an unknown name is
// verb::unknown), the rest is the path, any bytes at all. Without a space the whole input is a
// GET path. A match must reproduce the path exactly when its parameters are put back into the
// pattern, and allowed_methods() must agree with match() about whether the path exists.
#include "server/router.hpp"

#include <boost/beast/http/verb.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

namespace http = boost::beast::http;
using furoshiki::server::AuthPolicy;
using furoshiki::server::Request;
using furoshiki::server::Response;
using furoshiki::server::Router;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "router_fuzz: invariant violated: %s\n", what);
  std::abort();
}

Router make_route_table() {
  Router router;
  const auto ok = [](const Request&) { return Response{}; };
  const std::pair<http::verb, const char*> kRoutes[] = {
      {http::verb::get, "/healthz"},
      {http::verb::get, "/readyz"},
      {http::verb::get, "/metrics"},
      {http::verb::get, "/api/v1/files/{id}"},
      {http::verb::delete_, "/api/v1/files/{id}"},
      {http::verb::post, "/api/v1/transfers"},
      {http::verb::get, "/api/v1/transfers/{transfer}/files/{file}"},
      {http::verb::put, "/api/v1/uploads/{upload}/chunks/{index}"},
      {http::verb::patch, "/api/v1/uploads/{upload}"},
      {http::verb::get, "/api/v1/orgs/{org}/users/me"},
      {http::verb::get, "/api/v1/orgs/{org}/users/{user}"},
      {http::verb::get, "/s/{token}"},
      {http::verb::post, "/s/{token}/verify"},
      {http::verb::get, "/"},
  };
  for (const auto& [method, pattern] : kRoutes) router.add({method, pattern, AuthPolicy::kPublic, 0, ok});
  return router;
}

// The pattern with every {name} replaced by params[name]; every parameter bound is used.
std::string fill(std::string_view pattern, const furoshiki::server::RouteMatch& match) {
  std::string out;
  std::size_t used = 0;
  while (!pattern.empty()) {
    const auto open = pattern.find('{');
    out += pattern.substr(0, open);
    if (open == std::string_view::npos) break;
    const auto close = pattern.find('}', open);
    const auto name = pattern.substr(open + 1, close - open - 1);
    const auto it = match.params.find(name);
    require(it != match.params.end(), "every parameter of the pattern is bound");
    require(!it->second.empty() && it->second.find('/') == std::string::npos, "a parameter is one non-empty segment");
    out += it->second;
    ++used;
    pattern.remove_prefix(close + 1);
  }
  require(used == match.params.size(), "no parameter is bound that the pattern does not name");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  http::verb method = http::verb::get;
  if (const auto space = input.find(' '); space != std::string_view::npos) {
    method = http::string_to_verb(input.substr(0, space));
    input.remove_prefix(space + 1);
  }
  const std::string path(input);  // a copy of exactly the path, so that ASan sees reads past its end

  static const Router router = make_route_table();
  const auto match = router.match(method, path);
  const bool exists = match.route != nullptr || match.path_exists;
  require(exists == !router.allowed_methods(path).empty(), "allowed_methods agrees with match");
  if (match.route == nullptr) {
    require(match.params.empty(), "no parameters without a route");
    return 0;
  }
  const http::verb served = method == http::verb::head ? http::verb::get : method;
  require(match.route->method == served, "the route's method is the request's (HEAD served by GET)");
  require(fill(match.route->pattern, match) == path, "the pattern with its parameters is the path");
  return 0;
}
