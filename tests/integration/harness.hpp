// Integration-test harness: a temporary furoshiki instance (made by the real `furoshiki init`),
// the real `furoshiki serve` running on loopback with its log lines captured, and bounded runs
// of the other CLI commands.
//
// Every wait here has a deadline; nothing blocks forever if the server misbehaves. Harness
// failures (cannot spawn, server never listens) throw std::runtime_error, which GoogleTest
// reports as a failure of the test that triggered it, with the server's log in the message.
#pragma once

#include <boost/json/object.hpp>

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace furoshiki::integration {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The furoshiki binary under test (FUROSHIKI_BINARY, set by CMake).
std::filesystem::path furoshiki_binary();

// A directory under /tmp made with mkdtemp; removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;  // the exit status, or 128 + signal if killed
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is a path, not searched in PATH) to completion, capturing stdout and
// stderr. After `timeout` the process is killed and timed_out is set.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 20s);

// Runs `furoshiki <args…>`.
CommandResult run_furoshiki(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 20s);

// Quotes `text` as a TOML basic string.
std::string toml_string(std::string_view text);

// A furoshiki instance in its own temporary directory, created by `furoshiki init`.
//
// The configuration starts from what init generated (so its relative paths are kept) with test
// defaults on top: listen = ["127.0.0.1:0"], two io threads, a short shutdown grace. Tests change
// keys with set()/erase() and then write_config() (start_server() in ServerProcess does it).
class Instance {
 public:
  explicit Instance(const std::string& hostname = "localhost");

  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path config_file() const { return dir() / "furoshiki.toml"; }
  std::filesystem::path certificate_file() const { return dir() / "tls/cert.pem"; }
  std::filesystem::path private_key_file() const { return dir() / "tls/key.pem"; }

  // Sets `key` in `[section]` to a raw TOML value: set("limits", "header_timeout_seconds", "2"),
  // set("log", "level", toml_string("debug")). A dotted section ("server.redirect") is a subtable.
  Instance& set(const std::string& section, const std::string& key, std::string toml_value);
  Instance& erase(const std::string& section, const std::string& key);

  // Writes a secret file (mode 0600) inside the instance and returns its path.
  std::filesystem::path write_secret_file(const std::string& relative_path, std::string_view content) const;

  // The configuration text as write_config() would write it.
  std::string config_text() const;
  void write_config() const;

 private:
  TempDir dir_;
  // section → (key → raw TOML value); std::map keeps "server" before "server.redirect".
  std::map<std::string, std::map<std::string, std::string>> settings_;
};

struct Endpoint {
  std::string address;  // literal IPv4 or IPv6 address, no brackets
  std::uint16_t port = 0;
};

// How to start `furoshiki serve` beyond its configuration.
struct ServerOptions {
  std::vector<std::string> extra_args;  // after `serve --config <file>`, e.g. "--allow-test-hooks"
  std::vector<std::string> extra_env;   // "NAME=value", added to the test's environment
};

// A running `furoshiki serve`. stdout and stderr go to one pipe that a thread reads into lines.
class ServerProcess {
 public:
  // Writes `instance`'s configuration, starts the server and waits (up to `startup_timeout`) for
  // its "server_started" line. Throws, with the captured log, if it exits or times out first.
  static std::unique_ptr<ServerProcess> start(const Instance& instance,
                                              std::chrono::milliseconds startup_timeout = 20s);
  static std::unique_ptr<ServerProcess> start(const Instance& instance, const ServerOptions& options,
                                              std::chrono::milliseconds startup_timeout = 20s);

  // Stops the server if it still runs: SIGTERM, up to 10 s, then SIGKILL.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Listener addresses from the "listening" lines, by scheme ("https" or "http").
  std::vector<Endpoint> listeners(std::string_view scheme) const;
  // The first HTTPS listener.
  Endpoint https() const;

  bool signal(int signal_number) const;

  // Waits for the process to exit; returns its exit status (128 + signal if killed by one), or
  // nullopt if it is still running after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  // Every line captured so far.
  std::vector<std::string> logs() const;
  // All captured lines joined, for failure messages.
  std::string log_text() const;
  // Captured lines that are JSON objects whose "event" is `event`.
  std::vector<boost::json::object> events(std::string_view event) const;

  // Waits until some captured JSON line satisfies `predicate` (or the output ends); returns it.
  std::optional<boost::json::object> wait_for_event(const std::function<bool(const boost::json::object&)>& predicate,
                                                    std::chrono::milliseconds timeout);
  std::optional<boost::json::object> wait_for_event(std::string_view event, std::chrono::milliseconds timeout);

 private:
  ServerProcess() = default;
  void read_output(int fd);
  void stop();

  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;  // REQUIRES: mutex_
  bool output_closed_ = false;      // REQUIRES: mutex_
  std::vector<std::pair<std::string, Endpoint>> listeners_;
};

// String value of a JSON field, or "" if absent or not a string.
std::string json_string(const boost::json::object& object, std::string_view key);

// The value of one series in Prometheus text exposition, e.g.
// metric_value(body, R"(furoshiki_http_requests_total{method="GET",route="/healthz",status="200"})");
// nullopt if no line starts with exactly that series.
std::optional<double> metric_value(std::string_view exposition, std::string_view series);

// Lines of sanitizer reports (ASan, LSan, UBSan) in `text`; empty when there are none. Lets the
// suite fail on memory errors in the server when it runs under -DFUROSHIKI_SANITIZE=ON.
std::string sanitizer_reports(std::string_view text);

}  // namespace furoshiki::integration
