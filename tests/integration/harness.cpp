// Integration-test harness: temporary instances, the server process and CLI runs; see harness.hpp.
#include "harness.hpp"

#include "test_support/fips_module.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace furoshiki::integration {
namespace fs = std::filesystem;

namespace {

// Process-wide setup, once before any test.
class ProcessSetup : public ::testing::Environment {
 public:
  void SetUp() override {
    // A server that closes a connection must not kill the test with SIGPIPE; writes then fail
    // with EPIPE instead. Children get the default disposition back (see spawn()).
    ::signal(SIGPIPE, SIG_IGN);
    // The many-connections test holds 1000+ sockets: raise the soft descriptor limit.
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
      limit.rlim_cur = limit.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
  }
};

// NOLINTNEXTLINE(cert-err58-cpp): registration has to happen before main; a throw aborts the run.
[[maybe_unused]] const auto* const kProcessSetup = ::testing::AddGlobalTestEnvironment(new ProcessSetup);

// strerror() is not thread-safe; the generic category's message() is.
std::string error_text(int error) { return std::generic_category().message(error); }

std::string errno_text(std::string_view what) { return std::string(what) + ": " + error_text(errno); }

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

// Waits for `pid` to exit until `deadline`. Uses a pidfd where the kernel has one, so the wait
// is an event rather than a polling loop.
std::optional<int> wait_pid_until(pid_t pid, Clock::time_point deadline) {
  int status = 0;
  const pid_t done = ::waitpid(pid, &status, WNOHANG);
  if (done == pid) return decode_status(status);
#ifdef SYS_pidfd_open
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    while (true) {
      const int r = ::poll(&p, 1, remaining_ms(deadline));
      if (r < 0 && errno == EINTR) continue;
      break;
    }
    ::close(pidfd);
    if (::waitpid(pid, &status, WNOHANG) == pid) return decode_status(status);
    return std::nullopt;
  }
#endif
  while (Clock::now() < deadline) {  // no pidfd: poll the child's state
    if (::waitpid(pid, &status, WNOHANG) == pid) return decode_status(status);
    std::this_thread::sleep_for(5ms);
  }
  return std::nullopt;
}

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
    read = fds[0];
    write = fds[1];
  }
};

// Starts argv with stdout → out_fd and stderr → err_fd. The test process ignores SIGPIPE; the
// child gets default signal handling and an empty signal mask, like a process started by a shell.
// Its environment is the test's plus `extra_env` ("NAME=value").
pid_t spawn(const std::vector<std::string>& argv, int out_fd, int err_fd,
            const std::vector<std::string>& extra_env = {}) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGHUP);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  for (const auto& e : extra_env) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv.at(0).c_str(), &actions, &attr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + ": " + error_text(rc));
  return pid;
}

// Reads the generated configuration into section → key → raw value. init writes plain
// `key = value` lines under `[section]` headers; comments and blank lines are skipped.
std::map<std::string, std::map<std::string, std::string>> read_simple_toml(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::map<std::string, std::map<std::string, std::string>> out;
  std::string section;
  std::string line;
  auto trim = [](const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      section = trim(line.substr(1, line.find(']') - 1));
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos) throw std::runtime_error("unexpected line in generated config: " + line);
    out[section][trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return out;
}

}  // namespace

fs::path furoshiki_binary() { return FUROSHIKI_BINARY; }

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "furoshiki-it-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error(errno_text("mkdtemp"));
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  Pipe out;
  Pipe err;
  const pid_t pid = spawn(argv, out.write, err.write);
  ::close(out.write);
  ::close(err.write);
  CommandResult result;
  const auto deadline = Clock::now() + timeout;
  std::array<pollfd, 2> fds{{{out.read, POLLIN, 0}, {err.read, POLLIN, 0}}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open = 2;
  while (open > 0) {
    const int r = ::poll(fds.data(), fds.size(), remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  for (auto& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  // After a kill (or once the pipes closed) the exit follows promptly.
  const auto status = wait_pid_until(pid, Clock::now() + (result.timed_out ? 10s : timeout));
  if (!status) {
    ::kill(pid, SIGKILL);
    result.exit_code = wait_pid_until(pid, Clock::now() + 10s).value_or(-1);
    result.timed_out = true;
  } else {
    result.exit_code = *status;
  }
  return result;
}

CommandResult run_furoshiki(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{furoshiki_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult result = run_command(argv, timeout);
  if (const std::string reports = sanitizer_reports(result.err); !reports.empty()) {
    ADD_FAILURE() << "furoshiki " << (args.empty() ? "" : args.front())
                  << " reported memory or undefined-behaviour errors:\n"
                  << result.err;
  }
  return result;
}

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

Instance::Instance(const std::string& hostname) {
  // No ClamAV mirror is reachable from a test: updates off unless a test turns them on.
  const auto result =
      run_furoshiki({"init", "--dir", dir().string(), "--hostname", hostname, "--no-definition-updates"});
  if (result.exit_code != 0) {
    throw std::runtime_error("furoshiki init failed (" + std::to_string(result.exit_code) + "): " + result.err);
  }
  settings_ = read_simple_toml(config_file());
  set("server", "listen", R"(["127.0.0.1:0"])");
  set("server", "io_threads", "2");
  set("server", "shutdown_grace_seconds", "10");
  // With the FIPS provider available (scripts/dev test), every server under test runs its crypto
  // under crypto.fips = "required", as the issue's acceptance asks.
  if (const auto module = test_support::fips_module_from_env()) {
    set("crypto", "fips", toml_string("required"));
    set("crypto", "fips_module_dir", toml_string(module->dir.string()));
    set("crypto", "fips_module_config", toml_string(module->config.string()));
  }
}

Instance& Instance::set(const std::string& section, const std::string& key, std::string toml_value) {
  settings_[section][key] = std::move(toml_value);
  return *this;
}

Instance& Instance::erase(const std::string& section, const std::string& key) {
  settings_[section].erase(key);
  return *this;
}

fs::path Instance::write_secret_file(const std::string& relative_path, std::string_view content) const {
  fs::path path = dir() / relative_path;
  fs::create_directories(path.parent_path());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error(errno_text("open " + path.string()));
  const bool ok =
      ::fchmod(fd, 0600) == 0 && ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ::close(fd);
  if (!ok) throw std::runtime_error(errno_text("write " + path.string()));
  return path;
}

std::string Instance::config_text() const {
  std::string out = "# written by the furoshiki integration tests\n";
  for (const auto& [section, keys] : settings_) {
    out += "\n[" + section + "]\n";
    for (const auto& [key, value] : keys) out += key + " = " + value + "\n";
  }
  return out;
}

void Instance::write_config() const {
  std::ofstream out(config_file(), std::ios::trunc);
  out << config_text();
  if (!out.flush()) throw std::runtime_error("cannot write " + config_file().string());
}

std::unique_ptr<ServerProcess> ServerProcess::start(const Instance& instance,
                                                    std::chrono::milliseconds startup_timeout) {
  return start(instance, ServerOptions{}, startup_timeout);
}

std::unique_ptr<ServerProcess> ServerProcess::start(const Instance& instance, const ServerOptions& options,
                                                    std::chrono::milliseconds startup_timeout) {
  instance.write_config();
  std::unique_ptr<ServerProcess> server(new ServerProcess);
  Pipe output;
  std::vector<std::string> argv = {furoshiki_binary().string(), "serve", "--config", instance.config_file().string()};
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  server->pid_ = spawn(argv, output.write, output.write, options.extra_env);
  ::close(output.write);
  server->reader_ = std::thread([s = server.get(), fd = output.read] { s->read_output(fd); });

  // Listening lines precede "server_started" (Server::start logs them before run()).
  if (!server->wait_for_event("server_started", startup_timeout)) {
    // The output ends when the process exits; give the exit status a moment to be collected.
    const auto status = server->wait_exit(2s);
    throw std::runtime_error(
        (status ? "furoshiki serve exited with status " + std::to_string(*status)
                : "furoshiki serve did not start within " + std::to_string(startup_timeout.count()) + " ms") +
        "; output:\n" + server->log_text());
  }
  for (const auto& line : server->events("listening")) {
    const std::string address = json_string(line, "address");
    const auto colon = address.rfind(':');
    std::string host = address.substr(0, colon);
    if (host.starts_with('[')) host = host.substr(1, host.size() - 2);
    server->listeners_.push_back(
        {json_string(line, "scheme"), {host, static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)))}});
  }
  return server;
}

ServerProcess::~ServerProcess() { stop(); }

void ServerProcess::stop() {
  if (pid_ > 0 && !exit_status_) {
    ::kill(pid_, SIGTERM);
    if (!wait_exit(10s)) {
      ::kill(pid_, SIGKILL);
      wait_exit(10s);
    }
  }
  if (reader_.joinable()) reader_.join();  // the pipe closes when the process is gone
  const std::string output = log_text();
  if (const std::string reports = sanitizer_reports(output); !reports.empty()) {
    ADD_FAILURE() << "furoshiki serve reported memory or undefined-behaviour errors:\n" << output;
  }
}

void ServerProcess::read_output(int fd) {
  std::string pending;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t start = 0;
    std::vector<std::string> complete;
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', start)) {
      complete.push_back(pending.substr(start, nl - start));
      start = nl + 1;
    }
    pending.erase(0, start);
    if (!complete.empty()) {
      std::lock_guard lock(mutex_);
      for (auto& l : complete) lines_.push_back(std::move(l));
      changed_.notify_all();
    }
  }
  ::close(fd);
  std::lock_guard lock(mutex_);
  if (!pending.empty()) lines_.push_back(std::move(pending));
  output_closed_ = true;
  changed_.notify_all();
}

std::vector<Endpoint> ServerProcess::listeners(std::string_view scheme) const {
  std::vector<Endpoint> out;
  for (const auto& [s, endpoint] : listeners_) {
    if (s == scheme) out.push_back(endpoint);
  }
  return out;
}

Endpoint ServerProcess::https() const {
  const auto all = listeners("https");
  if (all.empty()) throw std::runtime_error("the server has no https listener; output:\n" + log_text());
  return all.front();
}

bool ServerProcess::signal(int signal_number) const {
  return pid_ > 0 && !exit_status_ && ::kill(pid_, signal_number) == 0;
}

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  if (!exit_status_ && pid_ > 0) exit_status_ = wait_pid_until(pid_, deadline);
  if (exit_status_) {
    // The process is gone, but the reader may not have drained the pipe yet: its last lines
    // (shutdown_complete…) are only visible to the caller once the pipe has reached EOF.
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, std::max(deadline, Clock::now() + 5s), [this] { return output_closed_; });
  }
  return exit_status_;
}

std::vector<std::string> ServerProcess::logs() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::string ServerProcess::log_text() const {
  std::string out;
  for (const auto& line : logs()) out += line + "\n";
  return out;
}

namespace {
std::optional<boost::json::object> as_object(const std::string& line) {
  boost::system::error_code ec;
  auto value = boost::json::parse(line, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}
}  // namespace

std::vector<boost::json::object> ServerProcess::events(std::string_view event) const {
  std::vector<boost::json::object> out;
  for (const auto& line : logs()) {
    auto object = as_object(line);
    if (object && json_string(*object, "event") == event) out.push_back(std::move(*object));
  }
  return out;
}

std::optional<boost::json::object> ServerProcess::wait_for_event(
    const std::function<bool(const boost::json::object&)>& predicate, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t checked = 0;
  std::unique_lock lock(mutex_);
  while (true) {
    for (; checked < lines_.size(); ++checked) {
      auto object = as_object(lines_[checked]);
      if (object && predicate(*object)) return object;
    }
    if (output_closed_) return std::nullopt;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && checked == lines_.size()) {
      return std::nullopt;
    }
  }
}

std::optional<boost::json::object> ServerProcess::wait_for_event(std::string_view event,
                                                                 std::chrono::milliseconds timeout) {
  return wait_for_event([event](const boost::json::object& o) { return json_string(o, "event") == event; }, timeout);
}

std::string json_string(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::optional<double> metric_value(std::string_view exposition, std::string_view series) {
  std::size_t start = 0;
  while (start < exposition.size()) {
    auto end = exposition.find('\n', start);
    if (end == std::string_view::npos) end = exposition.size();
    const std::string_view line = exposition.substr(start, end - start);
    if (line.starts_with(series) && line.size() > series.size() && line[series.size()] == ' ') {
      try {
        return std::stod(std::string(line.substr(series.size() + 1)));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::string sanitizer_reports(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    if (line.find("Sanitizer") != std::string_view::npos || line.find("runtime error:") != std::string_view::npos) {
      out += std::string(line) + "\n";
    }
    start = end + 1;
  }
  return out;
}

}  // namespace furoshiki::integration
