// The bounded scan thread pool; see scan_pool.hpp.
#include "scanner/scan_pool.hpp"

#include "common/error.hpp"
#include "common/log.hpp"

namespace furoshiki::scanner {

ScanPool::ScanPool(Scanner& scanner, ScanPoolOptions options) : scanner_(scanner), options_(options) {
  if (options_.threads == 0) options_.threads = std::max(1u, std::thread::hardware_concurrency());
  if (options_.queue_length == 0) options_.queue_length = 1;
  threads_.reserve(options_.threads);
  for (unsigned i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { work(); });
}

ScanPool::~ScanPool() {
  std::deque<Queued> abandoned;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    abandoned.swap(queue_);
  }
  has_work_.notify_all();
  has_room_.notify_all();
  for (auto& q : abandoned) q.promise.set_value(ScanVerdict::error("shutting_down", "the server is stopping"));
  for (auto& t : threads_) t.join();
}

boost::system::result<std::future<ScanVerdict>> ScanPool::submit(Job job) {
  if (scanner_.unavailable()) return make_error_code(Errc::kScannerUnavailable);
  std::unique_lock lock(mutex_);
  const bool room = has_room_.wait_for(lock, options_.queue_wait,
                                       [this] { return stopping_ || queue_.size() < options_.queue_length; });
  if (stopping_) return make_error_code(Errc::kScannerUnavailable);
  if (!room) {
    ++busy_rejections_;
    log::warn("scanner_busy", {{"queued", queue_.size()}, {"threads", options_.threads}});
    return make_error_code(Errc::kScannerBusy);
  }
  Queued q{std::move(job), {}};
  auto future = q.promise.get_future();
  queue_.push_back(std::move(q));
  lock.unlock();
  has_work_.notify_one();
  return future;
}

void ScanPool::work() {
  for (;;) {
    Queued q;
    {
      std::unique_lock lock(mutex_);
      has_work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      q = std::move(queue_.front());
      queue_.pop_front();
    }
    has_room_.notify_one();
    ScanVerdict verdict;
    try {
      verdict = q.job(scanner_);
    } catch (const std::exception& e) {
      verdict = ScanVerdict::error("engine_error", e.what());
    }
    q.promise.set_value(std::move(verdict));
  }
}

std::size_t ScanPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::uint64_t ScanPool::busy_rejections() const {
  std::lock_guard lock(mutex_);
  return busy_rejections_;
}

}  // namespace furoshiki::scanner
