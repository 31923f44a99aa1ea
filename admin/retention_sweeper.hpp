// The retention sweeper (docs/upload.md, "Retention"): deletes files whose expires_at has passed.
// Each pass deletes at most `batch` files through FileDirectory::remove_expired (row, usage and
// audit event "file.expired" in one transaction per file), then their objects. An object whose
// removal fails stays unreferenced and is removed by start-up reconciliation. Errors are logged
// and the next pass tries again: the sweeper never stops the server.
//
// Expired files are invisible to their owners from the moment they expire (FileDirectory's
// reads filter on expires_at), so the interval only decides how long their bytes stay on disk.
#pragma once

#include "admin/files.hpp"
#include "storage/object_store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

namespace furoshiki::admin {

struct SweepReport {
  std::size_t expired = 0;          // rows deleted
  std::size_t objects_removed = 0;  // their objects removed
  std::size_t errors = 0;           // failures (logged)
};

class RetentionSweeper {
 public:
  struct Options {
    std::chrono::milliseconds interval{std::chrono::seconds(300)};
    std::size_t batch = 200;  // files per pass
  };

  // `files` and `store` must outlive the sweeper.
  RetentionSweeper(FileDirectory& files, storage::ObjectStore& store, Options options);
  ~RetentionSweeper();  // stop()
  RetentionSweeper(const RetentionSweeper&) = delete;
  RetentionSweeper& operator=(const RetentionSweeper&) = delete;

  // One pass, on the calling thread. Logs what it did ("files_expired") and every failure.
  SweepReport sweep_once();

  // Runs a pass at once and then every interval on a thread of its own; a pass that found a full
  // batch is followed by the next one at once. stop() ends it (waits for a running pass).
  void start();
  void stop();

 private:
  void run();

  FileDirectory& files_;
  storage::ObjectStore& store_;
  Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // REQUIRES: mutex_ held
  std::thread thread_;
};

}  // namespace furoshiki::admin
