// Listener kinds and address families: the plain-HTTP redirect listener and IPv6 loopback.
#include "harness.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

namespace furoshiki::integration {
namespace {

TEST(RedirectListener, Answers308ToPublicUrlIgnoringHostHeader) {
  Instance instance;
  instance.set("server", "public_url", toml_string("https://files.example.test:9443"))
      .set("server.redirect", "listen", R"(["127.0.0.1:0"])");
  const auto server = ServerProcess::start(instance);
  const auto redirects = server->listeners("http");
  ASSERT_EQ(redirects.size(), 1u) << server->log_text();

  auto connection = TcpConnection::connect(redirects.front());
  ASSERT_TRUE(connection);
  // A hostile Host header must not end up in Location (no open redirect).
  ASSERT_TRUE(connection->send("GET /transfers/abc?x=1 HTTP/1.1\r\nHost: evil.example\r\n\r\n"));
  const std::string raw = connection->read_until_closed(10s);
  const auto response = parse_response(raw);
  ASSERT_TRUE(response) << raw;
  EXPECT_EQ(response->status, 308u);
  EXPECT_EQ(response->header("Location"), "https://files.example.test:9443/transfers/abc?x=1");
}

TEST(RedirectListener, DoesNotRedirectToAnotherHostViaSchemeRelativePath) {
  Instance instance;
  instance.set("server", "public_url", toml_string("https://files.example.test"))
      .set("server.redirect", "listen", R"(["127.0.0.1:0"])");
  const auto server = ServerProcess::start(instance);
  const auto redirects = server->listeners("http");
  ASSERT_EQ(redirects.size(), 1u);
  auto connection = TcpConnection::connect(redirects.front());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(connection->send("GET //evil.example/x HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const auto response = parse_response(connection->read_until_closed(10s));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 308u);
  EXPECT_TRUE(response->header("Location").starts_with("https://files.example.test/")) << response->header("Location");
  EXPECT_EQ(response->header("Location").find("evil.example"), std::string::npos) << response->header("Location");
}

TEST(Ipv6Listener, AnswersHealthzOverIpv6Loopback) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "::1 cannot be bound on this machine";
  Instance instance;
  instance.set("server", "listen", R"(["[::1]:0"])");
  const auto server = ServerProcess::start(instance);
  const Endpoint endpoint = server->https();
  ASSERT_EQ(endpoint.address, "::1") << server->log_text();

  const auto response = https_get(endpoint, "/healthz");
  ASSERT_TRUE(response) << server->log_text();
  EXPECT_EQ(response->status, 200u);
  const auto access = server->wait_for_event("access", 10s);
  ASSERT_TRUE(access);
  EXPECT_TRUE(json_string(*access, "client").starts_with("[::1]:")) << json_string(*access, "client");
}

TEST(Ipv6Listener, ServesIpv4AndIpv6ListenersTogether) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "::1 cannot be bound on this machine";
  Instance instance;
  instance.set("server", "listen", R"(["127.0.0.1:0", "[::1]:0"])");
  const auto server = ServerProcess::start(instance);
  const auto endpoints = server->listeners("https");
  ASSERT_EQ(endpoints.size(), 2u) << server->log_text();
  for (const auto& endpoint : endpoints) {
    EXPECT_EQ(status_of(https_get(endpoint, "/healthz")), 200u) << endpoint.address;
  }
}

}  // namespace
}  // namespace furoshiki::integration
