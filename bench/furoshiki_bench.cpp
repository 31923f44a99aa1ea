// furoshiki_bench: TLS handshakes per second, keep-alive requests per second and latency of
// GET /healthz, against a furoshiki it starts itself (or one already running) and, with --nginx,
// against nginx serving the same response on the same machine. See bench/README.md.
#include "load.hpp"
#include "machine.hpp"
#include "servers.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/crypto.h>
#include <sys/utsname.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#ifndef FUROSHIKI_DEFAULT_BINARY
#define FUROSHIKI_DEFAULT_BINARY "furoshiki"
#endif

namespace {

using namespace furoshiki::bench;
namespace fs = std::filesystem;
namespace json = boost::json;

std::atomic<bool> g_interrupted{false};

void on_interrupt(int) { g_interrupted = true; }

struct Options {
  fs::path furoshiki = FUROSHIKI_DEFAULT_BINARY;
  std::string target;  // host:port of a running server; empty: start one
  bool nginx = false;
  fs::path nginx_binary = "/usr/sbin/nginx";
  double duration_seconds = 5;
  std::vector<unsigned> handshake_connections = {16};
  std::vector<unsigned> keepalive_connections = {1, 16, 64};
  unsigned rounds = 1;
  unsigned client_threads = 1;
  unsigned server_threads = 0;
  std::string server_log_level = "info";
  fs::path json_file;
};

// One server under test and, per scenario of the plan, the result of every round.
struct ServerRun {
  ListeningServer server;
  std::vector<std::vector<LoadResult>> rounds;  // [scenario][round]
};

// "127.0.0.1:8443" or "[::1]:8443".
std::optional<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  try {
    const unsigned long port = std::stoul(text.substr(colon + 1));
    if (port == 0 || port > 65535) return std::nullopt;
    return std::pair{host, static_cast<std::uint16_t>(port)};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void print_header(const char* first_column) {
  std::printf("%-10s %-10s %6s %5s %10s %7s %10s %8s %8s %8s %8s\n", first_column, "scenario", "conns", "round",
              "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms");
}

void print_result_line(const std::string& server, const LoadResult& r, const std::string& round) {
  std::printf("%-10s %-10s %6u %5s %10llu %7llu %10.1f %8.3f %8.3f %8.3f %8.3f\n", server.c_str(),
              std::string(scenario_name(r.scenario)).c_str(), r.connections, round.c_str(),
              static_cast<unsigned long long>(r.requests), static_cast<unsigned long long>(r.errors),
              r.requests_per_second, r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms);
  std::fflush(stdout);
}

// The round with the median request rate (the lower middle one for an even count).
const LoadResult& median(const std::vector<LoadResult>& rounds) {
  std::vector<const LoadResult*> sorted;
  sorted.reserve(rounds.size());
  for (const auto& r : rounds) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const LoadResult* a, const LoadResult* b) { return a->requests_per_second < b->requests_per_second; });
  return *sorted[(sorted.size() - 1) / 2];
}

// Runs every scenario of the plan `rounds` times. Servers take turns within each round, so that
// other load on the machine (it is shared) drifts over all of them alike.
void run_plan(std::vector<ServerRun>& runs, const std::vector<std::pair<Scenario, unsigned>>& plan,
              const Options& options) {
  const auto duration = std::chrono::milliseconds(static_cast<long long>(options.duration_seconds * 1000));
  for (auto& run : runs) run.rounds.resize(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    for (unsigned round = 1; round <= options.rounds; ++round) {
      for (auto& run : runs) {
        if (g_interrupted) return;
        Target target;
        target.host = run.server.host;
        target.port = run.server.port;
        LoadSpec spec;
        spec.scenario = plan[i].first;
        spec.connections = plan[i].second;
        spec.duration = duration;
        spec.client_threads = options.client_threads;
        run.rounds[i].push_back(run_load(target, spec, g_interrupted));
        print_result_line(run.server.name, run.rounds[i].back(), std::to_string(round));
      }
    }
  }
}

json::object result_json(const LoadResult& r) {
  return {{"scenario", scenario_name(r.scenario)},
          {"connections", r.connections},
          {"requests", r.requests},
          {"errors", r.errors},
          {"reconnects", r.reconnects},
          {"seconds", r.seconds},
          {"requests_per_second", r.requests_per_second},
          {"p50_ms", r.p50_ms},
          {"p90_ms", r.p90_ms},
          {"p99_ms", r.p99_ms},
          {"max_ms", r.max_ms}};
}

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

int run(const Options& options) {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  std::signal(SIGPIPE, SIG_IGN);

  const unsigned server_threads =
      options.server_threads > 0 ? options.server_threads : std::max(1u, std::thread::hardware_concurrency());
  utsname uts{};
  ::uname(&uts);
  json::object summary;
  summary["date"] = utc_now();
  summary["machine"] = {{"cpu", cpu_model()},
                        {"cores", std::thread::hardware_concurrency()},
                        {"kernel", std::string(uts.sysname) + " " + uts.release},
                        {"load_average_at_start", load_average()}};
  summary["settings"] = {
      {"duration_seconds", options.duration_seconds}, {"rounds", options.rounds},
      {"client_threads", options.client_threads},     {"server_threads", server_threads},
      {"server_log_level", options.server_log_level}, {"client_openssl", OpenSSL_version(OPENSSL_VERSION)}};

  std::printf(
      "furoshiki_bench  %s  %.1f s per scenario, %u round(s), client %u thread(s), server %u "
      "thread(s)/worker(s)\n",
      utc_now().c_str(), options.duration_seconds, options.rounds, options.client_threads, server_threads);

  // Servers first (all of them stay up, idle while another is measured), then the rounds.
  TempDir temp;
  std::vector<ServerRun> runs;
  std::optional<FuroshikiServer> furoshiki;
  std::optional<NginxServer> nginx;
  if (!options.target.empty()) {
    const auto host_port = parse_host_port(options.target);
    if (!host_port) throw std::runtime_error("--target must be HOST:PORT, e.g. 127.0.0.1:8443 or [::1]:8443");
    runs.push_back({{"target", "", host_port->first, host_port->second}, {}});
  } else {
    furoshiki.emplace(options.furoshiki, temp.path(), server_threads, options.server_log_level);
    runs.push_back({furoshiki->endpoint(), {}});
  }
  if (options.nginx) {
    const bool access_log = options.server_log_level == "info" || options.server_log_level == "debug";
    nginx.emplace(options.nginx_binary, temp.path() / "nginx", furoshiki->certificate(), furoshiki->private_key(),
                  server_threads, access_log);
    runs.push_back({nginx->endpoint(), {}});
  }
  for (const auto& run : runs) {
    std::printf("%-10s %s %s:%u\n", run.server.name.c_str(), run.server.version.c_str(), run.server.host.c_str(),
                run.server.port);
  }

  std::vector<std::pair<Scenario, unsigned>> plan;
  for (unsigned c : options.handshake_connections) plan.emplace_back(Scenario::kHandshake, c);
  for (unsigned c : options.keepalive_connections) plan.emplace_back(Scenario::kKeepAlive, c);
  std::printf("\n");
  print_header("server");
  std::fflush(stdout);
  run_plan(runs, plan, options);

  // Summary: per scenario, the median round of each server.
  std::printf("\nsummary (median round by req/s)\n");
  print_header("server");
  json::array servers;
  bool complete = !g_interrupted;
  for (const auto& run : runs) {
    json::array results;
    std::string tls;
    for (const auto& rounds : run.rounds) {
      if (rounds.empty()) continue;
      const LoadResult& m = median(rounds);
      print_result_line(run.server.name, m, "med");
      json::object entry = result_json(m);
      json::array all;
      for (const auto& r : rounds) {
        all.push_back(result_json(r));
        complete = complete && r.requests > 0;
        if (tls.empty() && !r.tls_version.empty()) tls = r.tls_version + " " + r.tls_cipher;
      }
      entry["rounds"] = std::move(all);
      results.push_back(std::move(entry));
    }
    servers.push_back(json::object{
        {"name", run.server.name}, {"version", run.server.version}, {"tls", tls}, {"results", std::move(results)}});
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& tls = servers[i].as_object().at("tls").as_string();
    std::printf("%-10s %s\n", runs[i].server.name.c_str(), tls.empty() ? "no TLS handshake completed" : tls.c_str());
  }
  summary["servers"] = std::move(servers);

  if (runs.size() == 2) {
    std::printf(
        "\nratio furoshiki/nginx of the medians  (req/s above 1: furoshiki faster; latency above 1: "
        "furoshiki slower)\n");
    std::printf("%-10s %6s %8s %8s %8s\n", "scenario", "conns", "req/s", "p50", "p99");
    json::array ratios;
    for (std::size_t i = 0; i < plan.size(); ++i) {
      if (runs[0].rounds[i].empty() || runs[1].rounds[i].empty()) continue;
      const auto& a = median(runs[0].rounds[i]);
      const auto& b = median(runs[1].rounds[i]);
      const double rps = ratio(a.requests_per_second, b.requests_per_second);
      const double p50 = ratio(a.p50_ms, b.p50_ms);
      const double p99 = ratio(a.p99_ms, b.p99_ms);
      std::printf("%-10s %6u %8.2f %8.2f %8.2f\n", std::string(scenario_name(a.scenario)).c_str(), a.connections, rps,
                  p50, p99);
      ratios.push_back(json::object{{"scenario", scenario_name(a.scenario)},
                                    {"connections", a.connections},
                                    {"requests_per_second", rps},
                                    {"p50_ms", p50},
                                    {"p99_ms", p99}});
    }
    summary["ratios_furoshiki_over_nginx"] = std::move(ratios);
  }

  const std::string text = json::serialize(summary);
  std::printf("\nJSON %s\n", text.c_str());
  if (!options.json_file.empty()) {
    std::ofstream out(options.json_file);
    out << text << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + options.json_file.string());
  }

  return complete ? 0 : 1;
}

}  // namespace

namespace {

int run_cli(int argc, char** argv) {
  Options options;
  CLI::App app{"furoshiki_bench — TLS handshakes, keep-alive requests and latency of GET /healthz"};
  app.add_option("--furoshiki", options.furoshiki, "furoshiki binary to start a temporary instance with")
      ->capture_default_str();
  app.add_option("--target", options.target, "Measure a running server at HOST:PORT instead of starting one");
  app.add_flag("--nginx", options.nginx, "Also measure nginx serving the same response, and print ratios");
  app.add_option("--nginx-binary", options.nginx_binary, "nginx binary")->capture_default_str();
  app.add_option("--duration", options.duration_seconds, "Seconds per scenario")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--handshake-connections", options.handshake_connections,
                 "Concurrent clients for the new-connection-per-request scenario")
      ->capture_default_str()
      ->delimiter(',')
      ->check(CLI::Range(1u, 10000u));
  app.add_option("--connections", options.keepalive_connections, "Concurrent keep-alive connections, one run each")
      ->capture_default_str()
      ->delimiter(',')
      ->check(CLI::Range(1u, 10000u));
  app.add_option("--rounds", options.rounds,
                 "Rounds per scenario, servers taking turns; the summary shows the median round")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100u));
  app.add_option("--client-threads", options.client_threads, "Threads of the load generator")
      ->capture_default_str()
      ->check(CLI::Range(1u, 256u));
  app.add_option("--server-threads", options.server_threads,
                 "furoshiki io_threads and nginx worker_processes (0: one per core)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 256u));
  app.add_option("--server-log-level", options.server_log_level,
                 "furoshiki log.level; nginx logs each request unless this is warn or error")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--json", options.json_file, "Also write the JSON summary to this file");
  CLI11_PARSE(app, argc, argv);
  if (options.nginx && !options.target.empty()) {
    std::cerr << "furoshiki_bench: --nginx needs a furoshiki it starts itself (for the certificate), not --target\n";
    return 2;
  }
  return run(options);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_cli(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "furoshiki_bench: " << e.what() << "\n";
    return 1;
  }
}
