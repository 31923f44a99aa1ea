// What the server writes to its log: structured JSON lines, and never the secrets that clients
// send (bearer tokens, query-string tokens, cookies) nor the configured metrics token.
#include "harness.hpp"
#include "https_client.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace furoshiki::integration {
namespace {

constexpr std::string_view kConfiguredToken = "CONFIGUREDTOKEN-5d1e9b3c7a2f";
constexpr std::string_view kBearerSecret = "SECRETTOKEN123-a8f3e1c9d7b2";
constexpr std::string_view kQuerySecret = "SECRETQUERY456-4c2e8a1f9d3b";
constexpr std::string_view kCookieSecret = "SECRETCOOKIE789-7b3d9f1a5e2c";

TEST(Logging, NoSecretsInLogs) {
  Instance instance;
  instance.write_secret_file("metrics.token", std::string(kConfiguredToken) + "\n");
  instance.set("metrics", "token_file", toml_string("metrics.token"))
      .set("log", "level", toml_string("debug"))
      .set("limits", "max_header_bytes", "2048");
  const auto server = ServerProcess::start(instance);
  const std::string bearer = "Bearer " + std::string(kBearerSecret);
  const std::string query = "?token=" + std::string(kQuerySecret) + "&access_token=" + std::string(kQuerySecret);
  const std::string cookie = "session=" + std::string(kCookieSecret);

  // Each kind of outcome logs differently: served, unauthenticated, not found, rejected.
  std::vector<std::optional<HttpResponse>> responses;
  responses.push_back(https_get(server->https(), "/healthz" + query, {{"Authorization", bearer}, {"Cookie", cookie}}));
  responses.push_back(https_get(server->https(), "/metrics" + query, {{"Authorization", bearer}}));
  responses.push_back(
      https_get(server->https(), "/metrics", {{"Authorization", "Bearer " + std::string(kConfiguredToken)}}));
  // Share links may one day carry tokens in the path: log.hpp's contract is to log route
  // patterns, never raw targets, so not even an unmatched path may appear.
  responses.push_back(
      https_get(server->https(), "/no/such/" + std::string(kQuerySecret) + query, {{"Authorization", bearer}}));
  responses.push_back(https_get(server->https(), "/healthz" + query,
                                {{"Authorization", bearer}, {"Cookie", cookie}, {"X-Filler", std::string(4096, 'f')}}));
  const std::vector<unsigned> expected = {200, 401, 200, 404, 431};
  ASSERT_EQ(responses.size(), expected.size());
  for (std::size_t i = 0; i < responses.size(); ++i) {
    ASSERT_TRUE(responses[i]) << "request " << i;
    EXPECT_EQ(responses[i]->status, expected[i]) << "request " << i;
    // Wait for the request's access line, so that everything it logs has been written.
    const std::string id = responses[i]->header("X-Request-Id");
    ASSERT_TRUE(server->wait_for_event(
        [&](const boost::json::object& o) {
          return json_string(o, "event") == "access" && json_string(o, "request_id") == id;
        },
        10s))
        << "no access line for request " << i << "\n"
        << server->log_text();
  }

  const auto lines = server->logs();
  for (const auto& line : lines) {
    for (std::string_view secret : {kConfiguredToken, kBearerSecret, kQuerySecret, kCookieSecret}) {
      EXPECT_EQ(line.find(secret), std::string::npos) << "secret " << secret << " logged in: " << line;
    }
  }
}

TEST(Logging, EveryLineIsAJsonObjectWithTsLevelAndEvent) {
  Instance instance;
  instance.set("log", "level", toml_string("debug"));
  const auto server = ServerProcess::start(instance);
  ASSERT_EQ(status_of(https_get(server->https(), "/healthz")), 200u);
  ASSERT_EQ(status_of(https_get(server->https(), "/nope")), 404u);
  ASSERT_TRUE(server->wait_for_event(
      [](const boost::json::object& o) { return json_string(o, "event") == "access" && o.at("status") == 404; }, 10s));
  for (const auto& line : server->logs()) {
    boost::system::error_code ec;
    const auto value = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    ASSERT_TRUE(value.is_object()) << line;
    for (const char* key : {"ts", "level", "event"}) {
      EXPECT_TRUE(value.as_object().contains(key)) << key << " missing in " << line;
    }
  }
}

}  // namespace
}  // namespace furoshiki::integration
