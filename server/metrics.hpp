// Process metrics in the Prometheus text exposition format (version 0.0.4). Label values are
// bounded by construction: routes are patterns from the route table (or "unmatched"), methods
// are HTTP verbs, statuses are numbers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace furoshiki::server {

class Metrics {
 public:
  Metrics();

  void record_request(std::string_view method, std::string_view route, unsigned status,
                      std::chrono::nanoseconds duration);
  void add_bytes_received(std::uint64_t n) { bytes_received_.fetch_add(n, std::memory_order_relaxed); }
  void add_bytes_sent(std::uint64_t n) { bytes_sent_.fetch_add(n, std::memory_order_relaxed); }
  void connection_opened() { active_connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { active_connections_.fetch_sub(1, std::memory_order_relaxed); }
  void connection_rejected(std::string_view reason);
  void tls_reloaded(bool ok);

  // Extra gauges set by other components (e.g. readiness, crypto mode); name must be a valid
  // metric name, value a number.
  void set_gauge(const std::string& name, const std::string& help, double value);

  // An "info" metric: a gauge of value 1 whose labels carry the facts (e.g. provider, version).
  void set_info(const std::string& name, const std::string& help,
                const std::vector<std::pair<std::string, std::string>>& labels);

  // Runs `refresh` at the start of every render(), so that gauges read from another component
  // (the scanner's status, the definitions' age) are current when scraped. `refresh` calls
  // set_gauge/set_info; it must not call render().
  void on_render(std::function<void()> refresh);

  std::string render() const;

  static const std::vector<double>& duration_buckets();  // seconds

 private:
  struct Histogram {
    std::vector<std::uint64_t> counts;  // one per bucket, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t> requests_;  // REQUIRES: mutex_
  std::map<std::string, Histogram> durations_;                                        // REQUIRES: mutex_
  std::map<std::string, std::uint64_t> rejected_;                                     // REQUIRES: mutex_
  std::map<std::string, std::pair<std::string, double>> gauges_;                      // REQUIRES: mutex_
  std::map<std::string, std::pair<std::string, std::string>> infos_;                  // REQUIRES: mutex_
  std::uint64_t tls_reloads_ok_ = 0, tls_reloads_failed_ = 0;                         // REQUIRES: mutex_
  std::vector<std::function<void()>> refreshers_;                                     // REQUIRES: mutex_
  std::atomic<std::uint64_t> bytes_received_{0};
  std::atomic<std::uint64_t> bytes_sent_{0};
  std::atomic<std::int64_t> active_connections_{0};
};

// Escapes a label value (backslash, double quote, newline).
std::string escape_label(std::string_view value);

}  // namespace furoshiki::server
