// Prometheus rendering: families, cumulative histogram buckets, label escaping.
#include "server/metrics.hpp"

#include <gtest/gtest.h>

namespace furoshiki::server {
namespace {

bool contains(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

TEST(MetricsTest, CountsRequestsByMethodRouteAndStatus) {
  Metrics m;
  m.record_request("GET", "/healthz", 200, std::chrono::milliseconds(1));
  m.record_request("GET", "/healthz", 200, std::chrono::milliseconds(1));
  m.record_request("GET", "unmatched", 404, std::chrono::milliseconds(1));
  const auto text = m.render();
  EXPECT_TRUE(contains(text, "furoshiki_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2\n"));
  EXPECT_TRUE(contains(text, "furoshiki_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n"));
  EXPECT_TRUE(contains(text, "# TYPE furoshiki_http_requests_total counter\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Metrics m;
  m.record_request("GET", "/r", 200, std::chrono::microseconds(500));  // ≤ 0.001
  m.record_request("GET", "/r", 200, std::chrono::milliseconds(20));   // ≤ 0.025
  m.record_request("GET", "/r", 200, std::chrono::seconds(100));       // only +Inf
  const auto text = m.render();
  EXPECT_TRUE(contains(text, "furoshiki_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.001\"} 1\n"));
  EXPECT_TRUE(contains(text, "furoshiki_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.01\"} 1\n"));
  EXPECT_TRUE(contains(text, "furoshiki_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.025\"} 2\n"));
  EXPECT_TRUE(contains(text, "furoshiki_http_request_duration_seconds_bucket{route=\"/r\",le=\"30\"} 2\n"));
  EXPECT_TRUE(contains(text, "furoshiki_http_request_duration_seconds_bucket{route=\"/r\",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(contains(text, "furoshiki_http_request_duration_seconds_count{route=\"/r\"} 3\n"));
}

TEST(MetricsTest, ConnectionsAndBytes) {
  Metrics m;
  m.connection_opened();
  m.connection_opened();
  m.connection_closed();
  m.add_bytes_received(10);
  m.add_bytes_sent(20);
  m.connection_rejected("header_timeout");
  const auto text = m.render();
  EXPECT_TRUE(contains(text, "furoshiki_connections_active 1\n"));
  EXPECT_TRUE(contains(text, "furoshiki_http_received_bytes_total 10\n"));
  EXPECT_TRUE(contains(text, "furoshiki_http_sent_bytes_total 20\n"));
  EXPECT_TRUE(contains(text, "furoshiki_connections_rejected_total{reason=\"header_timeout\"} 1\n"));
}

TEST(MetricsTest, EscapesLabelValues) { EXPECT_EQ(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd"); }

TEST(MetricsTest, EveryLineIsCommentOrSample) {
  Metrics m;
  m.record_request("GET", "/x", 200, std::chrono::milliseconds(3));
  m.set_gauge("furoshiki_test_gauge", "A test gauge.", 1.5);
  const auto text = m.render();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    EXPECT_TRUE(line.starts_with("# HELP ") || line.starts_with("# TYPE ") || line.starts_with("furoshiki_")) << line;
    start = end + 1;
  }
  EXPECT_TRUE(contains(text, "furoshiki_test_gauge 1.5\n"));
}

TEST(MetricsTest, InfoMetricCarriesEscapedLabels) {
  Metrics m;
  m.set_info("furoshiki_crypto_provider_info", "Provider.", {{"provider", "OpenSSL \"FIPS\""}, {"version", "3.0"}});
  EXPECT_TRUE(
      contains(m.render(), "furoshiki_crypto_provider_info{provider=\"OpenSSL \\\"FIPS\\\"\",version=\"3.0\"} 1\n"));
}

}  // namespace
}  // namespace furoshiki::server
