// Prometheus text rendering; see metrics.hpp and
// https://prometheus.io/docs/instrumenting/exposition_formats/
#include "server/metrics.hpp"

#include "common/version.hpp"

#include <cstdio>

namespace furoshiki::server {

const std::vector<double>& Metrics::duration_buckets() {
  static const std::vector<double> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                               0.25,  0.5,    1,     2.5,  5,     10,   30};
  return kBuckets;
}

Metrics::Metrics() = default;

std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void Metrics::record_request(std::string_view method, std::string_view route, unsigned status,
                             std::chrono::nanoseconds duration) {
  const double seconds = std::chrono::duration<double>(duration).count();
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(method), std::string(route), status}];
  auto& h = durations_[std::string(route)];
  const auto& buckets = duration_buckets();
  if (h.counts.empty()) h.counts.assign(buckets.size(), 0);
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (seconds <= buckets[i]) {
      ++h.counts[i];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::connection_rejected(std::string_view reason) {
  std::lock_guard lock(mutex_);
  ++rejected_[std::string(reason)];
}

void Metrics::tls_reloaded(bool ok) {
  std::lock_guard lock(mutex_);
  ++(ok ? tls_reloads_ok_ : tls_reloads_failed_);
}

void Metrics::set_gauge(const std::string& name, const std::string& help, double value) {
  std::lock_guard lock(mutex_);
  gauges_[name] = {help, value};
}

namespace {
std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}
}  // namespace

void Metrics::set_info(const std::string& name, const std::string& help,
                       const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string text;
  for (const auto& [key, value] : labels) {
    if (!text.empty()) text += ",";
    text += key + "=\"" + escape_label(value) + "\"";
  }
  std::lock_guard lock(mutex_);
  infos_[name] = {help, text};
}

void Metrics::on_render(std::function<void()> refresh) {
  std::lock_guard lock(mutex_);
  refreshers_.push_back(std::move(refresh));
}

std::string Metrics::render() const {
  std::vector<std::function<void()>> refreshers;
  {
    std::lock_guard lock(mutex_);
    refreshers = refreshers_;
  }
  for (const auto& refresh : refreshers) refresh();  // outside the lock: they call set_gauge
  std::string out;
  out += "# HELP furoshiki_build_info Version of the running furoshiki.\n";
  out += "# TYPE furoshiki_build_info gauge\n";
  out += "furoshiki_build_info{version=\"" + escape_label(kVersion) + "\"} 1\n";

  out += "# HELP furoshiki_connections_active Open client connections.\n";
  out += "# TYPE furoshiki_connections_active gauge\n";
  out += "furoshiki_connections_active " + std::to_string(active_connections_.load()) + "\n";
  out += "# HELP furoshiki_http_received_bytes_total Bytes of HTTP requests received (headers and bodies).\n";
  out += "# TYPE furoshiki_http_received_bytes_total counter\n";
  out += "furoshiki_http_received_bytes_total " + std::to_string(bytes_received_.load()) + "\n";
  out += "# HELP furoshiki_http_sent_bytes_total Bytes of HTTP responses sent (headers and bodies).\n";
  out += "# TYPE furoshiki_http_sent_bytes_total counter\n";
  out += "furoshiki_http_sent_bytes_total " + std::to_string(bytes_sent_.load()) + "\n";

  std::lock_guard lock(mutex_);
  out += "# HELP furoshiki_http_requests_total HTTP requests answered, by method, route and status.\n";
  out += "# TYPE furoshiki_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [method, route, status] = key;
    out += "furoshiki_http_requests_total{method=\"" + escape_label(method) + "\",route=\"" + escape_label(route) +
           "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(count) + "\n";
  }
  out +=
      "# HELP furoshiki_http_request_duration_seconds Time from the first byte of the request to the end of "
      "the response.\n";
  out += "# TYPE furoshiki_http_request_duration_seconds histogram\n";
  const auto& buckets = duration_buckets();
  for (const auto& [route, h] : durations_) {
    const std::string label = "route=\"" + escape_label(route) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      cumulative += h.counts[i];
      out += "furoshiki_http_request_duration_seconds_bucket{" + label + ",le=\"" + number(buckets[i]) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out +=
        "furoshiki_http_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    out += "furoshiki_http_request_duration_seconds_sum{" + label + "} " + number(h.sum) + "\n";
    out += "furoshiki_http_request_duration_seconds_count{" + label + "} " + std::to_string(h.count) + "\n";
  }
  out += "# HELP furoshiki_connections_rejected_total Connections or requests refused by a limit, by reason.\n";
  out += "# TYPE furoshiki_connections_rejected_total counter\n";
  for (const auto& [reason, count] : rejected_) {
    out +=
        "furoshiki_connections_rejected_total{reason=\"" + escape_label(reason) + "\"} " + std::to_string(count) + "\n";
  }
  out += "# HELP furoshiki_tls_reloads_total Certificate reloads (SIGHUP), by result.\n";
  out += "# TYPE furoshiki_tls_reloads_total counter\n";
  out += "furoshiki_tls_reloads_total{result=\"ok\"} " + std::to_string(tls_reloads_ok_) + "\n";
  out += "furoshiki_tls_reloads_total{result=\"failed\"} " + std::to_string(tls_reloads_failed_) + "\n";
  for (const auto& [name, info] : infos_) {
    out += "# HELP " + name + " " + info.first + "\n# TYPE " + name + " gauge\n" + name + "{" + info.second + "} 1\n";
  }
  for (const auto& [name, gauge] : gauges_) {
    out += "# HELP " + name + " " + gauge.first + "\n# TYPE " + name + " gauge\n" + name + " " + number(gauge.second) +
           "\n";
  }
  return out;
}

}  // namespace furoshiki::server
