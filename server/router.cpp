// Route matching; see router.hpp.
#include "server/router.hpp"

#include <stdexcept>

namespace furoshiki::server {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool matches(std::string_view pattern, std::string_view path, std::map<std::string, std::string, std::less<>>* params) {
  const auto want = split(pattern);
  const auto have = split(path);
  if (want.size() != have.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (is_param(want[i])) {
      if (have[i].empty()) return false;
      if (params) (*params)[std::string(want[i].substr(1, want[i].size() - 2))] = std::string(have[i]);
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view policy_name(AuthPolicy policy) {
  switch (policy) {
    case AuthPolicy::kUnspecified: return "unspecified";
    case AuthPolicy::kPublic: return "public";
    case AuthPolicy::kMetricsReader: return "metrics_reader";
    case AuthPolicy::kSignedIn: return "signed_in";
    case AuthPolicy::kOrgAdmin: return "org_admin";
    case AuthPolicy::kOperator: return "operator";
  }
  return "unspecified";
}

std::string_view Request::header(boost::beast::http::field f) const {
  if (!headers) return {};
  auto it = headers->find(f);
  return it == headers->end() ? std::string_view() : std::string_view(it->value());
}

std::string_view Request::header(std::string_view name) const {
  if (!headers) return {};
  auto it = headers->find(name);  // field names compare case-insensitively
  return it == headers->end() ? std::string_view() : std::string_view(it->value());
}

Response json_response(boost::beast::http::status status, std::string body) {
  Response res{status, 11};
  res.set(boost::beast::http::field::content_type, "application/json; charset=utf-8");
  res.body() = std::move(body);
  return res;
}

void Router::add(Route route) {
  if (split(route.pattern).empty()) throw std::invalid_argument("route pattern must start with '/': " + route.pattern);
  for (auto segment : split(route.pattern)) {
    if (segment.find_first_of("{}") != std::string_view::npos && !is_param(segment)) {
      throw std::invalid_argument("malformed route segment in " + route.pattern);
    }
  }
  for (const auto& r : routes_) {
    if (r.method == route.method && r.pattern == route.pattern) {
      throw std::invalid_argument("duplicate route " + route.pattern);
    }
  }
  routes_.push_back(std::move(route));
}

RouteMatch Router::match(boost::beast::http::verb method, std::string_view path) const {
  using boost::beast::http::verb;
  const verb wanted = method == verb::head ? verb::get : method;
  RouteMatch out;
  for (const auto& r : routes_) {
    std::map<std::string, std::string, std::less<>> params;
    if (!matches(r.pattern, path, &params)) continue;
    if (r.method == wanted) {
      out.route = &r;
      out.params = std::move(params);
      return out;
    }
    out.path_exists = true;
  }
  return out;
}

std::string Router::allowed_methods(std::string_view path) const {
  std::string out;
  for (const auto& r : routes_) {
    if (!matches(r.pattern, path, nullptr)) continue;
    if (!out.empty()) out += ", ";
    out += std::string(boost::beast::http::to_string(r.method));
    if (r.method == boost::beast::http::verb::get) out += ", HEAD";
  }
  return out;
}

}  // namespace furoshiki::server
