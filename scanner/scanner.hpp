// Scanner: the scan stage as the rest of the product sees it. It owns the current Engine, builds
// a new one in the background when the signature directory changes and swaps it in atomically
// (scans in flight finish on the old engine; a failed load keeps the old engine and is reported),
// keeps libclamav's private temporary directory empty, and refuses everything — fail closed —
// when there is no engine or the definitions are older than policy allows.
#pragma once

#include "scanner/engine.hpp"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace furoshiki::scanner {

struct ScannerOptions {
  std::filesystem::path signature_dir;
  std::filesystem::path tmp_dir;  // private (0700), emptied at start and after scans
  ScanLimits limits;
  std::chrono::hours max_definition_age{168};  // 0: not checked
  // Unix seconds now; injectable so that tests can age the definitions.
  std::function<std::int64_t()> clock;
};

struct ScannerStatus {
  bool ready = false;
  std::string unavailable_reason;  // "no_engine" or "definitions_too_old" when !ready
  std::string unavailable_detail;
  std::optional<DefinitionInfo> definitions;  // the engine in use
  std::int64_t engine_loaded_at = 0;          // unix seconds
  std::uint64_t engine_generation = 0;        // 1 for the first engine, +1 per swap
  std::int64_t last_reload_attempt = 0;
  std::string last_reload_error;  // empty when the last attempt succeeded
  std::uint64_t reload_failures = 0;
  std::uint64_t scans_in_flight = 0;
  std::uint64_t scans_total = 0;
  std::uint64_t scans_clean = 0, scans_infected = 0, scans_refused = 0, scans_error = 0;
};

class Scanner {
 public:
  explicit Scanner(ScannerOptions options);
  ~Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  // Creates and empties the temporary directory and loads the definitions. Returns the load error
  // ("" on success); without an engine every scan is refused until a later load succeeds.
  std::string start();
  // Watches the signature directory every `interval` on a background thread until destruction.
  void watch(std::chrono::milliseconds interval);

  // Loads a new engine when the signature directory changed since the last attempt (always when
  // `force`), and swaps it in on success. Returns true when a new engine is now in use.
  // Thread-safe; concurrent calls are serialized.
  bool reload(bool force = false);

  // Scans one object. Thread-safe; blocks for the scan's duration (run it on the scan pool).
  ScanVerdict scan(crypto::ObjectOpener& object, const ScanPolicy& policy = {});

  // Why scan() would refuse everything right now, or nullopt when it would scan.
  std::optional<ScanVerdict> unavailable() const;
  ScannerStatus status() const;

  // Called after every reload attempt and definition change (on the thread that made it).
  void on_change(std::function<void(const ScannerStatus&)> callback);

 private:
  std::shared_ptr<const Engine> current() const;
  std::optional<ScanVerdict> unavailable_with(const std::shared_ptr<const Engine>& engine) const;
  void begin_scan();
  void end_scan(const ScanVerdict& verdict);
  void empty_tmp_dir();
  void notify();

  ScannerOptions options_;

  mutable std::mutex engine_mutex_;
  std::shared_ptr<const Engine> engine_;  // REQUIRES: engine_mutex_
  std::int64_t engine_loaded_at_ = 0;     // REQUIRES: engine_mutex_
  std::uint64_t generation_ = 0;          // REQUIRES: engine_mutex_
  std::int64_t last_attempt_ = 0;         // REQUIRES: engine_mutex_
  std::string last_error_;                // REQUIRES: engine_mutex_
  std::uint64_t reload_failures_ = 0;     // REQUIRES: engine_mutex_

  std::mutex reload_mutex_;            // one load at a time
  std::string attempted_fingerprint_;  // REQUIRES: reload_mutex_

  // Scans in flight and the temporary directory: it is emptied when the last scan ends, while no
  // new scan can start.
  mutable std::mutex scans_mutex_;
  std::uint64_t in_flight_ = 0;                                                    // REQUIRES: scans_mutex_
  std::uint64_t total_ = 0, clean_ = 0, infected_ = 0, refused_ = 0, errors_ = 0;  // REQUIRES: scans_mutex_

  std::mutex callback_mutex_;
  std::function<void(const ScannerStatus&)> callback_;

  std::mutex watch_mutex_;
  std::condition_variable watch_cv_;
  bool stopping_ = false;  // REQUIRES: watch_mutex_
  std::thread watcher_;
};

}  // namespace furoshiki::scanner
