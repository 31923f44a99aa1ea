// Child server processes for furoshiki_bench; see servers.hpp.
#include "servers.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace furoshiki::bench {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// strerror() is not thread-safe (the stderr reader threads run meanwhile); this is.
std::string errno_text(std::string_view what) {
  return std::string(what) + ": " + std::generic_category().message(errno);
}

// Starts argv with stdin from /dev/null and stdout and stderr on `out_fd`. The child gets the
// default signal dispositions and mask back, and SIGTERM when the bench (this thread) dies.
pid_t spawn(const std::vector<std::string>& argv, int out_fd) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(errno_text("fork"));
  if (pid == 0) {  // only async-signal-safe calls until exec
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    ::sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

std::pair<int, int> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  return {fds[0], fds[1]};
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits up to `timeout` for `pid`; returns its status, or nullopt if it is still running.
std::optional<int> wait_exit(pid_t pid, Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return decode_status(status);
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

// A port that was free a moment ago on 127.0.0.1 (for servers that cannot listen on port 0 and
// report the port, such as nginx).
std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(errno_text("socket"));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  sockaddr* generic = reinterpret_cast<sockaddr*>(&address);
  if (::bind(fd, generic, sizeof address) != 0 || ::getsockname(fd, generic, &length) != 0) {
    const std::string error = errno_text("bind 127.0.0.1:0");
    ::close(fd);
    throw std::runtime_error(error);
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool accepts_connections(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// Waits (at most 30 s) until `process` accepts connections on 127.0.0.1:`port`; throws with
// diagnostics() if it exits or the time runs out.
void wait_until_accepting(ServerProcess& process, std::uint16_t port, const std::function<std::string()>& diagnostics) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!accepts_connections(port)) {
    if (!process.running() || Clock::now() >= deadline) {
      throw std::runtime_error("the server did not start listening on 127.0.0.1:" + std::to_string(port) + "\n" +
                               diagnostics());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string first_line(const std::string& text) {
  auto line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

// nginx as close to furoshiki's /healthz as configuration allows: same body, same headers, the
// same TLS versions and groups, one line of access log per request, no limit on the number of
// requests per keep-alive connection (nginx's default closes after 1000; furoshiki has none).
// open_file_cache keeps the file open, as a tuned static server would: no open() per request.
constexpr std::string_view kNginxConf = R"(daemon off;
master_process on;
@USER@
worker_processes @WORKERS@;
pid "@DIR@/nginx.pid";
error_log "@DIR@/logs/error.log" warn;
events { worker_connections 4096; }
http {
  access_log @ACCESS_LOG@;
  client_body_temp_path "@DIR@/tmp/body";
  proxy_temp_path "@DIR@/tmp/proxy";
  fastcgi_temp_path "@DIR@/tmp/fastcgi";
  uwsgi_temp_path "@DIR@/tmp/uwsgi";
  scgi_temp_path "@DIR@/tmp/scgi";
  server_tokens off;
  open_file_cache max=16;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:@PORT@ ssl;
    ssl_certificate "@CERTIFICATE@";
    ssl_certificate_key "@PRIVATE_KEY@";
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ecdh_curve X25519:prime256v1:secp384r1;
@EXTRA_LOCATIONS@
    location = /healthz {
      root "@DIR@/www";
      default_type "application/json; charset=utf-8";
      add_header Content-Security-Policy "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'" always;
      add_header X-Content-Type-Options nosniff always;
      add_header Referrer-Policy no-referrer always;
      add_header X-Frame-Options DENY always;
      add_header Cross-Origin-Opener-Policy same-origin always;
      add_header Cross-Origin-Resource-Policy same-origin always;
      add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
      add_header Cache-Control no-store always;
      add_header X-Request-Id $request_id always;
    }
  }
}
)";

// Replaces every occurrence of `name` in `text` with `value`.
void substitute(std::string& text, std::string_view name, const std::string& value) {
  for (auto at = text.find(name); at != std::string::npos; at = text.find(name, at + value.size())) {
    text.replace(at, name.size(), value);
  }
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "furoshiki-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error(errno_text("mkdtemp"));
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

CommandOutput run_command(const std::vector<std::string>& argv, int timeout_seconds) {
  const auto [read_fd, write_fd] = make_pipe();
  pid_t pid = -1;
  try {
    pid = spawn(argv, write_fd);
  } catch (...) {
    ::close(read_fd);
    ::close(write_fd);
    throw;
  }
  ::close(write_fd);
  CommandOutput result;
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
  pollfd p{read_fd, POLLIN, 0};
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(read_fd, buffer, sizeof buffer);
    if (n > 0) {
      result.output.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(read_fd);
  result.status = wait_exit(pid, std::chrono::seconds(5)).value_or(-1);
  if (result.status == -1) {
    ::kill(pid, SIGKILL);
    wait_exit(pid, std::chrono::seconds(5));
  }
  return result;
}

// What the reader thread shares with wait_for_line().
struct ServerProcess::Output {
  static constexpr std::size_t kMaxKeptLines = 1000;
  static constexpr std::size_t kMaxWatchedLines = 10000;

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> lines;    // REQUIRES: mutex. Kept until a marker was found.
  bool keep = true;                  // REQUIRES: mutex. False once nobody waits for lines.
  bool closed = false;               // REQUIRES: mutex. The pipe reached end of file.
  std::string marker;                // REQUIRES: mutex. Lines containing it go to `watched`.
  std::vector<std::string> watched;  // REQUIRES: mutex.
  std::atomic<bool> quit{false};

  void read_loop(int fd) {
    std::string partial;
    pollfd p{fd, POLLIN, 0};
    while (!quit) {
      const int r = ::poll(&p, 1, 200);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) continue;
      char buffer[65536];
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::lock_guard lock(mutex);
      if (!keep && marker.empty()) continue;
      partial.append(buffer, static_cast<std::size_t>(n));
      std::size_t begin = 0;
      for (auto eol = partial.find('\n'); eol != std::string::npos; eol = partial.find('\n', begin)) {
        const std::string_view line(partial.data() + begin, eol - begin);
        if (keep && lines.size() < kMaxKeptLines) lines.emplace_back(line);
        if (!marker.empty() && watched.size() < kMaxWatchedLines && line.find(marker) != std::string_view::npos) {
          watched.emplace_back(line);
        }
        begin = eol + 1;
      }
      partial.erase(0, begin);
      changed.notify_all();
    }
    ::close(fd);
    std::lock_guard lock(mutex);
    closed = true;
    changed.notify_all();
  }
};

ServerProcess::~ServerProcess() { stop(5); }

void ServerProcess::start(const std::vector<std::string>& argv) {
  const auto [read_fd, write_fd] = make_pipe();
  try {
    pid_ = spawn(argv, write_fd);
  } catch (...) {
    ::close(read_fd);
    ::close(write_fd);
    throw;
  }
  ::close(write_fd);
  output_ = std::make_shared<Output>();
  reader_ = std::thread([output = output_, fd = read_fd] { output->read_loop(fd); });
}

std::string ServerProcess::wait_for_line(const std::function<bool(const std::string&)>& accept, int timeout_seconds) {
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
  std::unique_lock lock(output_->mutex);
  std::size_t scanned = 0;
  while (true) {
    for (; scanned < output_->lines.size(); ++scanned) {
      if (accept(output_->lines[scanned])) {
        std::string found = output_->lines[scanned];
        output_->keep = false;  // from now on the output is read and dropped
        output_->lines.clear();
        return found;
      }
    }
    std::string why;
    if (output_->closed) why = "the process exited";
    if (why.empty() && output_->changed.wait_until(lock, deadline) == std::cv_status::timeout) why = "timed out";
    if (!why.empty()) {
      std::string text;
      for (const auto& line : output_->lines) text += "  " + line + "\n";
      throw std::runtime_error("the server " + why + " before it was ready; its output:\n" + text);
    }
  }
}

std::string ServerProcess::output_so_far() {
  std::lock_guard lock(output_->mutex);
  std::string text;
  for (const auto& line : output_->lines) text += "  " + line + "\n";
  return text;
}

void ServerProcess::watch(const std::string& marker) {
  std::lock_guard lock(output_->mutex);
  output_->marker = marker;
}

std::vector<std::string> ServerProcess::take_watched() {
  std::lock_guard lock(output_->mutex);
  return std::exchange(output_->watched, {});
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  if (!wait_exit(pid_, Clock::duration::zero())) return true;
  pid_ = -1;  // reaped: never signal this pid again
  return false;
}

void ServerProcess::stop(int grace_seconds) {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    if (!wait_exit(pid_, std::chrono::seconds(grace_seconds))) {
      ::kill(pid_, SIGKILL);
      wait_exit(pid_, std::chrono::seconds(5));
    }
    pid_ = -1;
  }
  if (reader_.joinable()) {
    output_->quit = true;
    reader_.join();
  }
}

FuroshikiServer::FuroshikiServer(const fs::path& binary, const fs::path& dir, unsigned io_threads,
                                 const std::string& log_level, const BeforeServe& before_serve) {
  const fs::path instance = dir / "instance";
  const auto init =
      run_command({binary.string(), "init", "--dir", instance.string(), "--hostname", "localhost", "--port", "8443"});
  if (init.status != 0) throw std::runtime_error("furoshiki init failed:\n" + init.output);
  endpoint_.name = "furoshiki";
  endpoint_.version = first_line(run_command({binary.string(), "version"}).output);
  certificate_ = instance / "tls/cert.pem";
  private_key_ = instance / "tls/key.pem";

  // Rewrite the generated configuration: one loopback listener on an ephemeral port, whose number
  // the "listening" log line tells. That line is at info level: at warn or error, pick a port here.
  const bool logs_listening = log_level == "debug" || log_level == "info";
  const std::uint16_t port = logs_listening ? 0 : free_loopback_port();
  const fs::path config = instance / "furoshiki.toml";
  std::istringstream in(read_file(config));
  std::string out, line, section;
  bool listen_done = false, level_done = false;
  while (std::getline(in, line)) {
    if (line.starts_with('[')) section = line;
    if (section == "[server]" && line.starts_with("listen =")) {
      line = "listen = [\"127.0.0.1:" + std::to_string(port) + "\"]\nio_threads = " + std::to_string(io_threads);
      listen_done = true;
    } else if (section == "[log]" && line.starts_with("level =")) {
      line = "level = \"" + log_level + "\"";
      level_done = true;
    }
    out += line + "\n";
  }
  if (!listen_done || !level_done) {
    throw std::runtime_error("unexpected configuration from furoshiki init (no [server] listen or [log] level):\n" +
                             out);
  }
  write_file(config, out);
  if (before_serve) before_serve(instance, config);

  process_.start({binary.string(), "serve", "--config", config.string()});
  endpoint_.host = "127.0.0.1";
  if (!logs_listening) {
    endpoint_.port = port;
    wait_until_accepting(process_, port, [this] { return process_.output_so_far(); });
    return;
  }
  std::string address;
  process_.wait_for_line(
      [&](const std::string& text) {
        boost::system::error_code ec;
        const auto value = boost::json::parse(text, ec);
        if (ec || !value.is_object()) return false;
        const auto& object = value.as_object();
        const auto* event = object.if_contains("event");
        const auto* scheme = object.if_contains("scheme");
        const auto* bound = object.if_contains("address");
        if (!event || !scheme || !bound || !bound->is_string() || *event != "listening" || *scheme != "https") {
          return false;
        }
        address = std::string(bound->as_string());
        return true;
      },
      30);
  const auto colon = address.rfind(':');
  endpoint_.host = address.substr(0, colon);
  if (endpoint_.host.starts_with('[')) endpoint_.host = endpoint_.host.substr(1, endpoint_.host.size() - 2);
  endpoint_.port = static_cast<std::uint16_t>(std::stoul(address.substr(colon + 1)));
}

// Connections are closed by then, so the drain is immediate; the grace is above the default 30 s.
FuroshikiServer::~FuroshikiServer() { process_.stop(40); }

NginxServer::NginxServer(const fs::path& binary, const fs::path& dir, const fs::path& certificate,
                         const fs::path& private_key, unsigned workers, bool access_log,
                         const std::string& extra_locations)
    : dir_(dir) {
  fs::create_directories(dir / "www");
  fs::create_directories(dir / "logs");
  fs::create_directories(dir / "tmp");
  write_file(dir / "www/healthz", R"({"status":"ok"})");  // 15 bytes, as furoshiki's /healthz
  endpoint_.name = "nginx";
  endpoint_.version = first_line(run_command({binary.string(), "-v"}).output);
  endpoint_.host = "127.0.0.1";
  endpoint_.port = free_loopback_port();

  std::string user;
  if (::geteuid() == 0) {  // otherwise workers would run as nobody, who cannot read the 0700 temp dir
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(16384);
    if (::getpwuid_r(::geteuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
      user = "user " + std::string(found->pw_name) + ";";
    }
  }
  std::string conf(kNginxConf);
  substitute(conf, "@EXTRA_LOCATIONS@", extra_locations);
  substitute(conf, "@USER@", user);
  substitute(conf, "@WORKERS@", std::to_string(workers));
  substitute(conf, "@DIR@", dir.string());
  substitute(conf, "@ACCESS_LOG@", access_log ? "\"" + (dir / "logs/access.log").string() + "\"" : "off");
  substitute(conf, "@PORT@", std::to_string(endpoint_.port));
  substitute(conf, "@CERTIFICATE@", certificate.string());
  substitute(conf, "@PRIVATE_KEY@", private_key.string());
  const fs::path conf_file = dir / "nginx.conf";
  write_file(conf_file, conf);

  process_.start(
      {binary.string(), "-p", dir.string(), "-c", conf_file.string(), "-e", (dir / "logs/error.log").string()});
  wait_until_accepting(process_, endpoint_.port, [&] { return read_file(dir / "logs/error.log"); });
}

NginxServer::~NginxServer() { process_.stop(10); }

}  // namespace furoshiki::bench
