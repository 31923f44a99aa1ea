// DefinitionUpdater: the server's side of automatic definition updates. It runs each attempt in a
// child process (definition_update.hpp says why), bounds its time, reads its one-line result,
// logs every attempt and asks the Scanner to load the new definitions after a successful one.
#pragma once

#include "common/config.hpp"
#include "scanner/scanner.hpp"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace furoshiki::scanner {

// What /system/health, /readyz and /metrics show about updates. Times are unix seconds, 0: never.
struct UpdateStatus {
  bool enabled = false;
  std::uint64_t attempts = 0;
  std::uint64_t failures = 0;
  std::int64_t last_attempt = 0;  // when the last attempt ended
  std::int64_t last_success = 0;
  std::string last_error;                           // of the last attempt; empty when it succeeded
  std::int64_t last_updated = 0;                    // the last attempt that installed new definitions
  std::vector<std::string> last_updated_databases;  // what that attempt installed
};

// The result of one attempt.
struct UpdateAttempt {
  bool ok = false;
  unsigned updated = 0;                // database files installed
  std::vector<std::string> databases;  // their names
  std::string error;                   // empty when ok
  bool timed_out = false;              // killed after config.timeout
  std::string stderr_tail;             // the end of the child's stderr, for diagnosis
};

class DefinitionUpdater {
 public:
  // `child_argv` starts one attempt; in production {"/proc/self/exe", "definitions", "update",
  // "--config", FILE}. The child prints {"ok":…,"updated":…,"error":…,"databases":[…]} on stdout.
  DefinitionUpdater(Scanner& scanner, ScannerUpdatesConfig config, std::vector<std::string> child_argv);
  // Stops the background thread and kills an attempt in progress, without waiting for it to end.
  ~DefinitionUpdater();
  DefinitionUpdater(const DefinitionUpdater&) = delete;
  DefinitionUpdater& operator=(const DefinitionUpdater&) = delete;

  // Attempts an update now and then every config.interval on a background thread. Does nothing
  // when updates are disabled. Call at most once.
  void start();

  // One attempt now, on the calling thread (tests, and a manual trigger); waits for an attempt in
  // progress on another thread to end first. Runs even when updates are disabled in config.
  UpdateAttempt run_once();

  UpdateStatus status() const;

  // Called after every attempt with its result (on the thread that ran it), e.g. to record the
  // attempt in the service's audit log. Set before start().
  void on_attempt(std::function<void(const UpdateAttempt&)> callback);

 private:
  UpdateAttempt spawn_and_wait();
  void record(const UpdateAttempt& attempt, std::int64_t started_ms);

  Scanner& scanner_;
  const ScannerUpdatesConfig config_;
  const std::vector<std::string> child_argv_;

  std::mutex run_mutex_;  // one attempt at a time

  std::function<void(const UpdateAttempt&)> on_attempt_;  // set before start(), then read-only
  mutable std::mutex status_mutex_;
  UpdateStatus status_;  // REQUIRES: status_mutex_

  // Written once on destruction: wakes the poll() of an attempt in progress, which then kills
  // the child and returns.
  int stop_pipe_[2] = {-1, -1};

  std::mutex loop_mutex_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;  // REQUIRES: loop_mutex_
  std::thread loop_;
};

}  // namespace furoshiki::scanner
