// Definition updates, the server's side: scheduling, the child process and its result; see updater.hpp.
#include "scanner/updater.hpp"

#include "common/log.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <regex>

extern char** environ;

namespace furoshiki::scanner {

namespace {

using Clock = std::chrono::steady_clock;

// The JSON result line is small; anything larger is not one.
constexpr std::size_t kMaxStdoutBytes = 64 * 1024;
// Enough of the child's stderr to say what went wrong, and never more, whatever it prints.
constexpr std::size_t kStderrTailBytes = 4 * 1024;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<std::int64_t>(left, 60000));
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Starts the child with stdin from /dev/null and stdout/stderr into the pipes. posix_spawn, not
// fork: the server is multi-threaded, and a forked copy of it could deadlock on a lock another
// thread held before running exec. The child gets default signal handling, an empty signal mask,
// none of the server's other descriptors and a process group of its own, so that a time-out can
// kill everything it started.
int spawn(const std::vector<std::string>& argv, int out_fd, int err_fd, pid_t& pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = ::posix_spawn(&pid, argv.at(0).c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc;
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

// Reads what is available; false at end of file or on error.
bool drain(int fd, std::string& into, std::size_t limit, bool keep_tail) {
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) return false;
    into.append(buf, static_cast<std::size_t>(n));
    if (into.size() > limit) {
      if (keep_tail) {
        into.erase(0, into.size() - limit);
      } else {
        into.resize(limit + 1);  // marks "too long" for the parser; the rest is read and dropped
      }
    }
  }
}

// Fills `attempt` from the child's result line. False when there is no well-formed one.
bool parse_result(const std::string& out, UpdateAttempt& attempt) {
  if (out.size() > kMaxStdoutBytes) return false;
  const auto newline = out.find('\n');
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(out.substr(0, newline), ec);
  if (ec || !v.is_object()) return false;
  const auto& o = v.get_object();
  const auto* ok = o.if_contains("ok");
  const auto* updated = o.if_contains("updated");
  if (!ok || !ok->is_bool() || !updated || !(updated->is_uint64() || updated->is_int64())) return false;
  attempt.ok = ok->get_bool();
  attempt.updated = static_cast<unsigned>(updated->to_number<std::uint64_t>());
  if (const auto* error = o.if_contains("error"); error && error->is_string()) {
    attempt.error = std::string(error->get_string());
  }
  if (const auto* names = o.if_contains("databases"); names && names->is_array()) {
    for (const auto& n : names->get_array()) {
      if (n.is_string()) attempt.databases.emplace_back(n.get_string());
    }
  }
  return true;
}

// libfreshclam prints the URLs it fails on; credentials in them (https://user:password@host/…)
// must not reach the log.
std::string without_credentials(const std::string& text) {
  static const std::regex userinfo(R"(://[^/@\s]+@)");
  return std::regex_replace(text, userinfo, "://");
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + ::strsignal(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

}  // namespace

DefinitionUpdater::DefinitionUpdater(Scanner& scanner, ScannerUpdatesConfig config, std::vector<std::string> child_argv)
    : scanner_(scanner), config_(std::move(config)), child_argv_(std::move(child_argv)) {
  if (child_argv_.empty()) throw std::invalid_argument("DefinitionUpdater: empty child command");
  if (::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error(std::string("DefinitionUpdater: pipe2: ") + std::strerror(errno));
  }
  status_.enabled = config_.enabled;
}

DefinitionUpdater::~DefinitionUpdater() {
  {
    std::lock_guard lock(loop_mutex_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  // Level-triggered: an attempt in progress, and any started later, sees it at once.
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = ::write(stop_pipe_[1], &byte, 1);
  if (loop_.joinable()) loop_.join();
  // run_once() on another thread must have returned before destruction (it holds run_mutex_).
  std::lock_guard wait(run_mutex_);
  close_fd(stop_pipe_[0]);
  close_fd(stop_pipe_[1]);
}

void DefinitionUpdater::start() {
  if (!config_.enabled) {
    log::info("definitions_updates_disabled");
    return;
  }
  loop_ = std::thread([this] {
    std::unique_lock lock(loop_mutex_);
    while (!stopping_) {
      lock.unlock();
      try {
        run_once();
      } catch (const std::exception& e) {
        log::error("definitions_update_failed", {{"error", e.what()}});
      }
      lock.lock();
      loop_cv_.wait_for(lock, config_.interval, [this] { return stopping_; });
    }
  });
}

UpdateAttempt DefinitionUpdater::run_once() {
  std::lock_guard lock(run_mutex_);
  const std::int64_t started = steady_ms();
  UpdateAttempt attempt = spawn_and_wait();
  // The reload comes before the status is updated, so that a reader who sees the attempt counted
  // also sees the new definitions in force.
  if (attempt.updated > 0) {
    // The Scanner would also notice at its next directory check; asking now puts the new
    // definitions in force without that delay. Even a failed attempt may have installed some
    // databases (each one tested before it replaced the old file).
    try {
      scanner_.reload(false);
    } catch (const std::exception& e) {
      log::error("definitions_reload_failed", {{"reason", e.what()}});
    }
  }
  record(attempt, started);
  return attempt;
}

UpdateStatus DefinitionUpdater::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

UpdateAttempt DefinitionUpdater::spawn_and_wait() {
  UpdateAttempt attempt;
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC | O_NONBLOCK) != 0 || ::pipe2(err, O_CLOEXEC | O_NONBLOCK) != 0) {
    attempt.error = std::string("cannot create pipes: ") + std::strerror(errno);
    close_fd(out[0]), close_fd(out[1]), close_fd(err[0]), close_fd(err[1]);
    return attempt;
  }
  pid_t pid = -1;
  const int rc = spawn(child_argv_, out[1], err[1], pid);
  close_fd(out[1]);
  close_fd(err[1]);
  if (rc != 0) {
    close_fd(out[0]), close_fd(err[0]);
    attempt.error = "cannot start " + child_argv_[0] + ": " + std::strerror(rc);
    return attempt;
  }

  int pidfd = open_pidfd(pid);
  const Clock::time_point deadline = Clock::now() + config_.timeout;
  std::string stdout_text;
  bool exited = false, stopped = false;
  int wait_status = 0;
  auto reap = [&](int flags) {
    if (exited) return;
    pid_t r;
    do r = ::waitpid(pid, &wait_status, flags);
    while (r < 0 && errno == EINTR);
    if (r == pid) exited = true;
  };
  auto kill_child = [&] {
    ::kill(-pid, SIGKILL);  // its process group: anything it started
    ::kill(pid, SIGKILL);
    reap(0);
  };

  while (!(exited && out[0] < 0 && err[0] < 0)) {
    pollfd fds[4];
    nfds_t n = 0;
    const int out_i = out[0] >= 0 ? static_cast<int>(n) : -1;
    if (out[0] >= 0) fds[n++] = {out[0], POLLIN, 0};
    const int err_i = err[0] >= 0 ? static_cast<int>(n) : -1;
    if (err[0] >= 0) fds[n++] = {err[0], POLLIN, 0};
    const int stop_i = static_cast<int>(n);
    fds[n++] = {stop_pipe_[0], POLLIN, 0};
    const int pid_i = pidfd >= 0 && !exited ? static_cast<int>(n) : -1;
    if (pid_i >= 0) fds[n++] = {pidfd, POLLIN, 0};
    // Without a pidfd, the exit of a child that closed its pipes early is noticed by polling.
    int wait_ms = remaining_ms(deadline);
    if (pidfd < 0 && out[0] < 0 && err[0] < 0) wait_ms = std::min(wait_ms, 20);
    const int r = ::poll(fds, n, wait_ms);
    if (r < 0 && errno != EINTR) {
      attempt.error = std::string("poll: ") + std::strerror(errno);
      kill_child();
      break;
    }
    if (r > 0 && (fds[stop_i].revents & POLLIN)) {
      stopped = true;
      kill_child();
      break;
    }
    if (out_i >= 0 && fds[out_i].revents && !drain(out[0], stdout_text, kMaxStdoutBytes, false)) close_fd(out[0]);
    if (err_i >= 0 && fds[err_i].revents && !drain(err[0], attempt.stderr_tail, kStderrTailBytes, true)) {
      close_fd(err[0]);
    }
    if (pid_i >= 0 && fds[pid_i].revents) reap(WNOHANG);
    if (pidfd < 0) reap(WNOHANG);
    if (!(exited && out[0] < 0 && err[0] < 0) && Clock::now() >= deadline) {
      attempt.timed_out = true;
      kill_child();
      break;
    }
  }
  close_fd(out[0]);
  close_fd(err[0]);
  close_fd(pidfd);
  if (!exited) reap(0);
  attempt.stderr_tail = without_credentials(attempt.stderr_tail);

  if (stopped) {
    attempt.ok = false;
    attempt.error = "stopped: the server is shutting down";
    return attempt;
  }
  if (attempt.timed_out) {
    attempt.ok = false;
    attempt.error = "timed out after " + std::to_string(config_.timeout.count()) + " s; the update process was killed";
    // Whatever it printed before, a killed attempt's result is not trusted, but files it had
    // already tested and installed are real: count them so that the Scanner reloads.
    UpdateAttempt partial;
    if (parse_result(stdout_text, partial)) attempt.updated = partial.updated;
    return attempt;
  }
  if (!attempt.error.empty()) return attempt;
  const bool clean_exit = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  if (!parse_result(stdout_text, attempt)) {
    attempt.ok = false;
    attempt.error = "the update process " + describe_exit(wait_status) + " without a result";
    return attempt;
  }
  if (attempt.ok && !clean_exit) {
    attempt.ok = false;
    attempt.error = "the update process " + describe_exit(wait_status);
  } else if (!attempt.ok && attempt.error.empty()) {
    attempt.error = "the update failed; the update process " + describe_exit(wait_status);
  }
  if (attempt.ok) attempt.error.clear();
  return attempt;
}

void DefinitionUpdater::record(const UpdateAttempt& attempt, std::int64_t started_ms) {
  const std::int64_t now = unix_now();
  boost::json::array names;
  for (const auto& n : attempt.databases) names.emplace_back(n);
  const std::int64_t duration_ms = steady_ms() - started_ms;
  std::uint64_t failures = 0;
  {
    std::lock_guard lock(status_mutex_);
    ++status_.attempts;
    status_.last_attempt = now;
    if (attempt.ok) {
      status_.last_success = now;
      status_.last_error.clear();
    } else {
      ++status_.failures;
      status_.last_error = attempt.error;
    }
    if (attempt.updated > 0) {
      status_.last_updated = now;
      status_.last_updated_databases = attempt.databases;
    }
    failures = status_.failures;
  }
  if (attempt.ok) {
    log::info("definitions_update",
              {{"updated", attempt.updated}, {"databases", std::move(names)}, {"duration_ms", duration_ms}});
  } else {
    log::error("definitions_update_failed", {{"error", attempt.error},
                                             {"timed_out", attempt.timed_out},
                                             {"updated", attempt.updated},
                                             {"databases", std::move(names)},
                                             {"failures", failures},
                                             {"duration_ms", duration_ms},
                                             {"stderr", attempt.stderr_tail}});
  }
  if (on_attempt_) {
    try {
      on_attempt_(attempt);
    } catch (const std::exception& e) {
      log::error("definitions_update_callback_failed", {{"reason", e.what()}});
    }
  }
}

void DefinitionUpdater::on_attempt(std::function<void(const UpdateAttempt&)> callback) {
  on_attempt_ = std::move(callback);
}

}  // namespace furoshiki::scanner
