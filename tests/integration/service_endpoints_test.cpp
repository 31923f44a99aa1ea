// The service endpoints (/healthz, /readyz, /metrics), the headers every response carries, and
// how unknown routes, wrong methods and unexpected bodies are answered — all over real HTTPS.
#include "expectations.hpp"
#include "harness.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

namespace furoshiki::integration {
namespace {

class ServiceEndpoints : public ::testing::Test {
 protected:
  void SetUp() override { server_ = ServerProcess::start(instance_); }

  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServiceEndpoints, HealthzAnswersOkWithSecurityHeaders) {
  const auto response = https_get(server_->https(), "/healthz");
  ASSERT_TRUE(response) << server_->log_text();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(response->json(), boost::json::value({{"status", "ok"}})) << response->body;

  expect_standard_headers(*response);
}

TEST_F(ServiceEndpoints, EachResponseHasItsOwnRequestId) {
  const auto first = https_get(server_->https(), "/healthz");
  const auto second = https_get(server_->https(), "/healthz");
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->header("X-Request-Id"), second->header("X-Request-Id"));
}

TEST_F(ServiceEndpoints, AccessLogLineCarriesTheResponsesRequestId) {
  const auto response = https_get(server_->https(), "/healthz");
  ASSERT_TRUE(response);
  const std::string id = response->header("X-Request-Id");
  const auto line = server_->wait_for_event(
      [&](const boost::json::object& o) {
        return json_string(o, "event") == "access" && json_string(o, "request_id") == id;
      },
      10s);
  ASSERT_TRUE(line) << "no access line for " << id << "\n" << server_->log_text();
  EXPECT_EQ(json_string(*line, "method"), "GET");
  EXPECT_EQ(json_string(*line, "route"), "/healthz");
  EXPECT_EQ(line->at("status"), 200);
  EXPECT_TRUE(json_string(*line, "client").starts_with("127.0.0.1:")) << json_string(*line, "client");
}

TEST_F(ServiceEndpoints, ReadyzReportsReadyWithDatabaseCheck) {
  const auto response = https_get(server_->https(), "/readyz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u) << response->body;
  const auto body = response->json();
  ASSERT_TRUE(body.is_object()) << response->body;
  EXPECT_EQ(body.at("status"), "ready");
  const auto* database = body.at("checks").as_object().if_contains("database");
  ASSERT_TRUE(database) << response->body;
  EXPECT_EQ(database->at("ok"), true) << response->body;
}

TEST_F(ServiceEndpoints, MetricsExposeFamiliesAndCountEarlierRequests) {
  // Same connection: the server records a request's metrics before it reads the next one, so
  // the /healthz below is counted by the time /metrics is rendered.
  const TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  const auto health = connection->get("/healthz");
  ASSERT_TRUE(health);
  ASSERT_EQ(health->status, 200u);
  const auto metrics = connection->get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200u) << metrics->body;
  EXPECT_TRUE(metrics->header("Content-Type").starts_with("text/plain")) << metrics->header("Content-Type");
  for (const char* family :
       {"# TYPE furoshiki_http_requests_total counter", "# TYPE furoshiki_connections_active gauge",
        "# TYPE furoshiki_http_request_duration_seconds histogram",
        "# TYPE furoshiki_http_received_bytes_total counter", "# TYPE furoshiki_http_sent_bytes_total counter"}) {
    EXPECT_NE(metrics->body.find(family), std::string::npos) << family << "\n" << metrics->body;
  }
  EXPECT_GE(metric_value(metrics->body, R"(furoshiki_http_requests_total{method="GET",route="/healthz",status="200"})")
                .value_or(0),
            1)
      << metrics->body;
  EXPECT_GE(
      metric_value(metrics->body, R"(furoshiki_http_request_duration_seconds_count{route="/healthz"})").value_or(0), 1)
      << metrics->body;
  EXPECT_GT(metric_value(metrics->body, "furoshiki_http_received_bytes_total").value_or(0), 0) << metrics->body;
  EXPECT_GT(metric_value(metrics->body, "furoshiki_http_sent_bytes_total").value_or(0), 0) << metrics->body;
}

TEST_F(ServiceEndpoints, UnknownRouteAnswers404InErrorShape) {
  const auto response = https_get(server_->https(), "/no/such/route");
  ASSERT_TRUE(response);
  expect_error(*response, 404, "not_found");
}

TEST_F(ServiceEndpoints, WrongMethodAnswers405WithAllow) {
  const TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  const auto response = connection->request(http_request("DELETE", "/healthz"));
  ASSERT_TRUE(response);
  expect_error(*response, 405, "method_not_allowed");
  EXPECT_NE(response->header("Allow").find("GET"), std::string::npos) << response->header("Allow");
}

TEST_F(ServiceEndpoints, BodyOnRouteWithoutBodyAnswers413) {
  const TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  const auto response = connection->request(http_request("GET", "/healthz", {{"Content-Length", "5"}}) + "hello");
  ASSERT_TRUE(response);
  expect_error(*response, 413, "too_large");
  EXPECT_TRUE(connection->wait_closed(10s)) << "a rejected request must close the connection";
}

TEST_F(ServiceEndpoints, KeepAliveConnectionServesSeveralRequests) {
  const TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  for (int i = 0; i < 3; ++i) {
    const auto response = connection->get("/healthz");
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->status, 200u);
  }
}

}  // namespace
}  // namespace furoshiki::integration
