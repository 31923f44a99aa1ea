// ScanPool: the bounded set of threads that run scans, off the network threads.
//
// A full queue makes submit() wait up to the configured time for room, then fail with
// Errc::kScannerBusy (503 scanner_busy with Retry-After) — a file is never let through unscanned.
// When the scanner cannot scan at all (no engine, definitions too old) submit() fails at once with
// Errc::kScannerUnavailable.
#pragma once

#include "scanner/scanner.hpp"

#include <boost/system/result.hpp>

#include <deque>
#include <future>

namespace furoshiki::scanner {

struct ScanPoolOptions {
  unsigned threads = 2;
  std::size_t queue_length = 64;  // jobs waiting for a thread, beyond those running
  std::chrono::milliseconds queue_wait{30000};
};

class ScanPool {
 public:
  // A job opens the object it scans (so the source and opener live on the scan thread) and calls
  // scanner.scan(); it returns the verdict.
  using Job = std::function<ScanVerdict(Scanner& scanner)>;

  ScanPool(Scanner& scanner, ScanPoolOptions options);
  // Finishes the jobs already running; queued jobs get error{"shutting_down"}.
  ~ScanPool();
  ScanPool(const ScanPool&) = delete;
  ScanPool& operator=(const ScanPool&) = delete;

  [[nodiscard]] boost::system::result<std::future<ScanVerdict>> submit(Job job);

  std::size_t queued() const;
  std::uint64_t busy_rejections() const;
  const ScanPoolOptions& options() const { return options_; }

 private:
  struct Queued {
    Job job;
    std::promise<ScanVerdict> promise;
  };
  void work();

  Scanner& scanner_;
  ScanPoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable has_work_;
  std::condition_variable has_room_;
  std::deque<Queued> queue_;           // REQUIRES: mutex_
  bool stopping_ = false;              // REQUIRES: mutex_
  std::uint64_t busy_rejections_ = 0;  // REQUIRES: mutex_
  std::vector<std::thread> threads_;
};

}  // namespace furoshiki::scanner
