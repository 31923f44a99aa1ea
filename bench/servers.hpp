// The servers furoshiki_bench measures, started as child processes in a temporary directory:
// a fresh furoshiki instance (`furoshiki init`, listening on 127.0.0.1:0) and, for comparison,
// nginx serving the same 15-byte JSON body with the same certificate.
//
// Children get PR_SET_PDEATHSIG, so they end with the bench even when it is killed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace furoshiki::bench {

// A directory under $TMPDIR, removed with everything in it on destruction.
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

// Runs argv to completion (at most `timeout_seconds`), returning its exit status and what it
// wrote to stdout and stderr. Throws std::runtime_error if it cannot be started.
struct CommandOutput {
  int status = -1;
  std::string output;
};
CommandOutput run_command(const std::vector<std::string>& argv, int timeout_seconds = 60);

// A child process whose stderr is read by a thread: lines are scanned for a marker, then
// discarded, so that a server logging every request never blocks on a full pipe.
class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts argv with stdout and stderr on a pipe.
  void start(const std::vector<std::string>& argv);

  // Waits until a line satisfying `accept` appears (returns it), the process exits or the
  // timeout passes (throws std::runtime_error with the output so far).
  std::string wait_for_line(const std::function<bool(const std::string&)>& accept, int timeout_seconds);

  // The lines kept so far (all of them until wait_for_line() found its line), for error messages.
  std::string output_so_far();

  // From now on, also keep every line that contains `marker` (at most 10,000), even after
  // wait_for_line() found its line; take_watched() returns them and forgets them.
  void watch(const std::string& marker);
  std::vector<std::string> take_watched();

  // SIGTERM, then SIGKILL after `grace_seconds`. Idempotent.
  void stop(int grace_seconds);

  pid_t pid() const { return pid_; }
  bool running();

 private:
  struct Output;
  pid_t pid_ = -1;
  std::shared_ptr<Output> output_;
  std::thread reader_;
};

struct ListeningServer {
  std::string name;     // "furoshiki" or "nginx"
  std::string version;  // as the binary reports it
  std::string host;
  std::uint16_t port = 0;
};

// A temporary furoshiki instance. The configuration made by `furoshiki init` is changed to
// listen on 127.0.0.1 only, with `io_threads` (0: one per core) and the given log level. The
// port is 0 and read from the "listening" log line; at log levels that hide that line (warn,
// error) a port found free just before is configured instead.
class FuroshikiServer {
 public:
  // `before_serve`, if set, runs after `furoshiki init` and the configuration change, before
  // `furoshiki serve` starts, with the instance directory and its configuration file (to install
  // signatures, create organizations with the CLI, ...).
  using BeforeServe = std::function<void(const std::filesystem::path& instance, const std::filesystem::path& config)>;
  FuroshikiServer(const std::filesystem::path& binary, const std::filesystem::path& dir, unsigned io_threads,
                  const std::string& log_level, const BeforeServe& before_serve = {});
  ~FuroshikiServer();
  const ListeningServer& endpoint() const { return endpoint_; }
  ServerProcess& process() { return process_; }
  const std::filesystem::path& certificate() const { return certificate_; }
  const std::filesystem::path& private_key() const { return private_key_; }

 private:
  ServerProcess process_;
  ListeningServer endpoint_;
  std::filesystem::path certificate_, private_key_;
};

// nginx on 127.0.0.1 with TLS 1.2/1.3 and `workers` worker processes, serving GET /healthz as
// the static file {"status":"ok"} with the same security headers furoshiki sends, logging each
// request to a file as furoshiki does to its stderr pipe (unless access_log is false).
// `extra_locations` is inserted into the server block as is; "@DIR@" in it stands for `dir`.
// Static files are served from root() (`dir`/www).
class NginxServer {
 public:
  NginxServer(const std::filesystem::path& binary, const std::filesystem::path& dir,
              const std::filesystem::path& certificate, const std::filesystem::path& private_key, unsigned workers,
              bool access_log, const std::string& extra_locations = {});
  ~NginxServer();
  const ListeningServer& endpoint() const { return endpoint_; }
  std::filesystem::path root() const { return dir_ / "www"; }
  pid_t master_pid() const { return process_.pid(); }

 private:
  ServerProcess process_;
  ListeningServer endpoint_;
  std::filesystem::path dir_;
};

}  // namespace furoshiki::bench
