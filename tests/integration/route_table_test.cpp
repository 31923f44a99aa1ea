// The route table of the real server (the "route_table" line `serve` logs at start): every route
// has an access policy, the policy is the one its part of the API must have, and every route of
// the HTTP API is in docs/openapi.yaml with its method. A new route fails here until it is given
// a policy on purpose and documented.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <fstream>
#include <regex>
#include <set>

namespace furoshiki::integration {
namespace {

struct Rule {
  std::string_view prefix;  // a pattern equal to it, or starting with it followed by '/'
  std::string_view policy;
};

// Where each part of the API stands. Exceptions come first: the first matching rule decides.
constexpr Rule kRules[] = {
    {"/api/v1/auth/login", "public"}, {"/api/v1/system/login", "public"},
    {"/api/v1/system", "operator"},   {"/api/v1/admin", "org_admin"},
    {"/api/v1/auth", "signed_in"},    {"/api/v1/me", "signed_in"},
    {"/healthz", "public"},           {"/readyz", "public"},
    {"/metrics", "metrics_reader"},   {"/assets", "public"},  // the UI's files (server/web_ui.hpp)
    {"/api/v1/files", "signed_in"},   {"/api/v1/uploads", "signed_in"},
};
// The UI's pages: index.html, public (the page asks the API who is signed in).
const std::set<std::string> kUiPages = {"/",      "/login",       "/password",     "/account",  "/account/2fa",
                                        "/files", "/admin/users", "/admin/policy", "/admin/log"};

std::string expected_policy(const std::string& pattern) {
  for (const auto& rule : kRules) {
    if (pattern == rule.prefix || (pattern.starts_with(rule.prefix) && pattern.size() > rule.prefix.size() &&
                                   pattern[rule.prefix.size()] == '/')) {
      return std::string(rule.policy);
    }
  }
  return kUiPages.contains(pattern) ? "public" : "";
}

// "METHOD /path" for every operation of docs/openapi.yaml.
std::set<std::string> documented_operations() {
  std::ifstream in(std::string(FUROSHIKI_SOURCE_DIR) + "/docs/openapi.yaml");
  EXPECT_TRUE(in) << "docs/openapi.yaml";
  const std::regex path_line(R"(^  (/\S*):\s*$)");
  const std::regex method_line(R"(^    (get|put|post|patch|delete|head|options):)");
  std::set<std::string> out;
  std::string line, path;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, path_line)) {
      path = m[1];
    } else if (!path.empty() && std::regex_search(line, m, method_line)) {
      std::string method = m[1];
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.insert(method + " " + path);
    } else if (!line.empty() && line[0] != ' ') {
      path.clear();  // the next top-level section
    }
  }
  return out;
}

TEST(RouteTable, EveryRouteHasTheExpectedPolicyAndTheApiIsDocumented) {
  Instance instance;
  const auto ui = instance.dir() / "ui";
  std::filesystem::create_directories(ui);
  std::ofstream(ui / "index.html") << "<!doctype html>";
  instance.set("web", "root", toml_string(ui.string()));
  auto server = ServerProcess::start(instance);
  EXPECT_TRUE(server->events("route_without_policy").empty()) << server->log_text();
  const auto tables = server->events("route_table");
  ASSERT_EQ(tables.size(), 1u) << server->log_text();
  const auto& routes = tables[0].at("routes").as_array();
  ASSERT_GT(routes.size(), 30u);

  const auto documented = documented_operations();
  std::set<std::string> seen;
  for (const auto& r : routes) {
    const std::string method(r.at("method").as_string());
    const std::string pattern(r.at("pattern").as_string());
    const std::string policy(r.at("policy").as_string());
    const std::string route = method + " " + pattern;
    EXPECT_TRUE(seen.insert(route).second) << "listed twice: " << route;
    EXPECT_NE(policy, "unspecified") << route;
    // tus clients ask OPTIONS before signing anything: the one public method there.
    const std::string expected = route == "OPTIONS /api/v1/uploads" ? "public" : expected_policy(pattern);
    EXPECT_FALSE(expected.empty()) << route << " (" << policy
                                   << ") belongs to no part of the API: give it a rule in this test";
    if (!expected.empty()) {
      EXPECT_EQ(policy, expected) << route;
    }
    if (pattern.starts_with("/api/") || pattern == "/healthz" || pattern == "/readyz" || pattern == "/metrics") {
      EXPECT_TRUE(documented.contains(route)) << route << " is missing from docs/openapi.yaml";
    }
  }
  // And the document describes nothing the server does not serve.
  for (const auto& operation : documented) {
    EXPECT_TRUE(seen.contains(operation)) << operation << " is documented but not served";
  }
  for (const auto& page : kUiPages) EXPECT_TRUE(seen.contains("GET " + page)) << page;
}

}  // namespace
}  // namespace furoshiki::integration
