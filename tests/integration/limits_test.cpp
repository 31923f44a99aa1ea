// Limits on what clients control, exercised against the real server: slow headers (slowloris),
// idle connections, oversized headers, and connection counts in total and per client.
#include "expectations.hpp"
#include "harness.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

namespace furoshiki::integration {
namespace {

class Limits : public ::testing::Test {
 protected:
  void start() { server_ = ServerProcess::start(instance_); }

  // Waits for a request_rejected line with `reason`.
  bool rejected_with(std::string_view reason) {
    return server_
        ->wait_for_event(
            [reason](const boost::json::object& o) {
              return json_string(o, "event") == "request_rejected" && json_string(o, "reason") == reason;
            },
            10s)
        .has_value();
  }

  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
};

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

TEST_F(Limits, SlowlorisHeaderIsCutOffAfterHeaderTimeout) {
  constexpr double kHeaderTimeout = 2.0;
  instance_.set("limits", "header_timeout_seconds", "2").set("limits", "idle_timeout_seconds", "30");
  start();
  const TlsClient client;
  auto slow = client.connect(server_->https());
  ASSERT_TRUE(slow);

  // One header byte per second; between bytes, wait (up to the second) for the server to react.
  const std::string request = http_request("GET", "/healthz");
  std::string received;
  Clock::time_point first_byte;
  std::optional<Clock::time_point> cut_off;
  std::optional<HttpResponse> meanwhile;
  for (std::size_t i = 0; i < request.size() && i < 10 && !cut_off; ++i) {
    const auto sent_at = Clock::now();
    if (i == 0) first_byte = sent_at;
    if (!slow->send(request.substr(i, 1))) {
      cut_off = Clock::now();
      break;
    }
    if (i == 1) meanwhile = https_get(server_->https(), "/healthz");  // another client, mid-slowloris
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(sent_at + 1s - Clock::now());
    if (left > 0ms && slow->read_some(received, left) != ReadOutcome::kTimeout) cut_off = Clock::now();
  }
  ASSERT_TRUE(cut_off) << "the slow client was never cut off; log:\n" << server_->log_text();
  const double elapsed = seconds_between(first_byte, *cut_off);
  EXPECT_GE(elapsed, kHeaderTimeout - 0.5);
  EXPECT_LE(elapsed, kHeaderTimeout + 3.0);

  ASSERT_TRUE(meanwhile) << "a normal client was not served during the slowloris";
  EXPECT_EQ(meanwhile->status, 200u);

  // The server answers 408 (when the client can still read it) and closes.
  EXPECT_TRUE(slow->wait_closed(5s));
  received += slow->pending();
  if (!received.empty()) {
    const auto response = parse_response(received);
    ASSERT_TRUE(response) << received;
    expect_error(*response, 408, "request_timeout");
  }
  EXPECT_TRUE(rejected_with("header_timeout")) << server_->log_text();
}

TEST_F(Limits, IdleTimeIsNotCountedAgainstHeaderTimeout) {
  // The header deadline starts at the first byte of a request, not when the connection opens.
  instance_.set("limits", "header_timeout_seconds", "1").set("limits", "idle_timeout_seconds", "30");
  start();
  const TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  std::string nothing;
  // Stay idle past the header timeout (pacing the client, not synchronising with the server).
  EXPECT_EQ(connection->read_some(nothing, 1500ms), ReadOutcome::kTimeout) << nothing;
  const auto response = connection->get("/healthz");
  ASSERT_TRUE(response) << server_->log_text();
  EXPECT_EQ(response->status, 200u);
}

TEST_F(Limits, IdleConnectionIsClosedAfterIdleTimeout) {
  instance_.set("limits", "idle_timeout_seconds", "1");
  start();
  const TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  const auto opened = Clock::now();
  EXPECT_TRUE(connection->wait_closed(6s));
  EXPECT_GE(seconds_between(opened, Clock::now()), 0.5);
  EXPECT_TRUE(connection->pending().empty()) << "an idle connection is closed without a response";
}

TEST_F(Limits, ThousandIdleConnectionsDoNotBlockService) {
  constexpr std::size_t kIdle = 1000;
  instance_.set("limits", "max_connections", "5000")
      .set("limits", "max_connections_per_client", "5000")
      .set("limits", "idle_timeout_seconds", "300")
      .set("limits", "handshake_timeout_seconds", "120");
  start();
  const TlsClient client(tls_timeout(20s));
  std::vector<std::unique_ptr<TlsConnection>> idle;
  idle.reserve(kIdle);
  for (std::size_t i = 0; i < kIdle; ++i) {
    std::string error;
    auto connection = client.connect(server_->https(), &error);
    ASSERT_TRUE(connection) << "connection " << i << ": " << error;
    idle.push_back(std::move(connection));
  }

  const auto health = https_get(server_->https(), "/healthz");
  ASSERT_TRUE(health) << server_->log_text();
  EXPECT_EQ(health->status, 200u);

  const auto metrics = https_get(server_->https(), "/metrics");
  ASSERT_TRUE(metrics);
  const auto active = metric_value(metrics->body, "furoshiki_connections_active");
  ASSERT_TRUE(active) << metrics->body;
  EXPECT_GE(*active, static_cast<double>(kIdle));
}

TEST_F(Limits, OversizedHeaderAnswers431) {
  instance_.set("limits", "max_header_bytes", "2048");
  start();
  const TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  const auto response = connection->request(http_request("GET", "/healthz", {{"X-Filler", std::string(8192, 'a')}}));
  ASSERT_TRUE(response) << server_->log_text();
  expect_error(*response, 431, "headers_too_large");
  EXPECT_TRUE(connection->wait_closed(5s));
  EXPECT_TRUE(rejected_with("header_too_large")) << server_->log_text();
}

TEST_F(Limits, HeaderJustUnderLimitIsServed) {
  instance_.set("limits", "max_header_bytes", "2048");
  start();
  const TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  const auto response = connection->request(http_request("GET", "/healthz", {{"X-Filler", std::string(1500, 'a')}}));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
}

TEST_F(Limits, ThirdConnectionFromOneClientGets503) {
  instance_.set("limits", "max_connections_per_client", "2");
  start();
  const TlsClient client;
  auto first = client.connect(server_->https());
  auto second = client.connect(server_->https());
  ASSERT_TRUE(first && second);

  std::string error;
  auto third = client.connect(server_->https(), &error);
  ASSERT_TRUE(third) << "the extra connection should complete TLS to be told why: " << error;
  const auto response = third->get("/healthz");
  ASSERT_TRUE(response) << server_->log_text();
  expect_error(*response, 503, "too_many_connections");
  EXPECT_FALSE(response->header("Retry-After").empty());
  EXPECT_TRUE(third->wait_closed(5s));

  const auto rejected = server_->wait_for_event("connection_rejected", 5s);
  ASSERT_TRUE(rejected);
  EXPECT_EQ(json_string(*rejected, "reason"), "max_connections_per_client");

  // The admitted connections are unaffected.
  EXPECT_EQ(status_of(first->get("/healthz")), 200u);
  EXPECT_EQ(status_of(second->get("/healthz")), 200u);
}

TEST_F(Limits, ConnectionOverTotalLimitGets503) {
  instance_.set("limits", "max_connections", "2").set("limits", "max_connections_per_client", "100");
  start();
  const TlsClient client;
  auto first = client.connect(server_->https());
  auto second = client.connect(server_->https());
  ASSERT_TRUE(first && second);
  auto third = client.connect(server_->https());
  ASSERT_TRUE(third);
  const auto response = third->get("/healthz");
  ASSERT_TRUE(response);
  expect_error(*response, 503, "too_many_connections");
  const auto rejected = server_->wait_for_event("connection_rejected", 5s);
  ASSERT_TRUE(rejected);
  EXPECT_EQ(json_string(*rejected, "reason"), "max_connections");
}

}  // namespace
}  // namespace furoshiki::integration
