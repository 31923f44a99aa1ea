// The retention sweeper; see retention_sweeper.hpp.
#include "admin/retention_sweeper.hpp"

#include "common/log.hpp"

#include <vector>

namespace furoshiki::admin {

RetentionSweeper::RetentionSweeper(FileDirectory& files, storage::ObjectStore& store, Options options)
    : files_(files), store_(store), options_(options) {
  if (options_.batch == 0) options_.batch = 1;
}

RetentionSweeper::~RetentionSweeper() { stop(); }

SweepReport RetentionSweeper::sweep_once() {
  SweepReport report;
  std::vector<StoredFile> removed;
  if (auto ec = files_.remove_expired(options_.batch, removed)) {
    ++report.errors;
    log::error("file_expiry_failed", {{"reason", ec.message()}});
  }
  report.expired = removed.size();
  for (const auto& f : removed) {
    // The row is gone: the object is unreferenced now whatever happens here.
    if (auto ec = store_.remove(f.object_id); ec && ec != boost::system::errc::no_such_file_or_directory) {
      ++report.errors;
      log::error("expired_object_remove_failed",
                 {{"file_id", f.id}, {"object_id", f.object_id}, {"reason", ec.message()}});
    } else {
      ++report.objects_removed;
    }
  }
  if (report.expired > 0) {
    log::info("files_expired", {{"files", report.expired}, {"objects_removed", report.objects_removed}});
  }
  return report;
}

void RetentionSweeper::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void RetentionSweeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RetentionSweeper::run() {
  for (;;) {
    SweepReport report;
    try {
      report = sweep_once();
    } catch (const std::exception& e) {
      // Never the end of the server: the next pass tries again.
      ++report.errors;
      log::error("file_expiry_failed", {{"reason", e.what()}});
    }
    const bool more = report.expired == options_.batch && report.errors == 0;
    std::unique_lock lock(mutex_);
    if (more) {
      if (stopping_) return;
      continue;
    }
    if (wake_.wait_for(lock, options_.interval, [this] { return stopping_; })) return;
  }
}

}  // namespace furoshiki::admin
