// Route access policies seen from outside: /metrics behind a bearer token when one is
// configured (deny by default), and loopback-only when none is.
#include "expectations.hpp"
#include "harness.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

namespace furoshiki::integration {
namespace {

constexpr std::string_view kMetricsToken = "mt-3f9c2a7b1e4d8f6a0c5b9e2d7a1f4c8e";

class MetricsToken : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_.write_secret_file("metrics.token", std::string(kMetricsToken) + "\n");
    instance_.set("metrics", "token_file", toml_string("metrics.token"));
    server_ = ServerProcess::start(instance_);
  }

  std::optional<HttpResponse> get_metrics(const std::vector<std::pair<std::string, std::string>>& headers) {
    return https_get(server_->https(), "/metrics", headers);
  }

  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
};

void expect_unauthenticated(const std::optional<HttpResponse>& response) {
  ASSERT_TRUE(response);
  expect_error(*response, 401, "unauthenticated");
  EXPECT_EQ(response->header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(response->body.find("furoshiki_"), std::string::npos) << "metrics leaked in a 401";
}

TEST_F(MetricsToken, MetricsWithoutTokenAnswers401) { expect_unauthenticated(get_metrics({})); }

TEST_F(MetricsToken, MetricsWithWrongTokenAnswers401) {
  expect_unauthenticated(get_metrics({{"Authorization", "Bearer mt-0000000000000000000000000000000"}}));
}

TEST_F(MetricsToken, MetricsWithTokenPrefixAnswers401) {
  // A prefix of the right token is still the wrong token.
  expect_unauthenticated(get_metrics({{"Authorization", "Bearer " + std::string(kMetricsToken.substr(0, 10))}}));
}

TEST_F(MetricsToken, MetricsWithRightTokenAnswers200) {
  const auto response = get_metrics({{"Authorization", "Bearer " + std::string(kMetricsToken)}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u) << response->body;
  EXPECT_NE(response->body.find("furoshiki_http_requests_total"), std::string::npos);
}

TEST_F(MetricsToken, HealthzNeedsNoToken) { EXPECT_EQ(status_of(https_get(server_->https(), "/healthz")), 200u); }

TEST(MetricsWithoutToken, LoopbackClientMayReadMetrics) {
  Instance instance;
  const auto server = ServerProcess::start(instance);
  EXPECT_EQ(status_of(https_get(server->https(), "/metrics")), 200u);
}

}  // namespace
}  // namespace furoshiki::integration
