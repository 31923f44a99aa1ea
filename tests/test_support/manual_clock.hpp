// A clock the test moves by hand, for the stores that take an injected clock (SessionClock,
// OperatorClock): they read it from their own threads, so it is guarded by a mutex.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>

namespace furoshiki::test_support {

class ManualClock {
 public:
  using time_point = std::chrono::system_clock::time_point;

  // Starts well after the Unix epoch (2030-03-17), so that "minus a timeout" stays positive.
  explicit ManualClock(time_point start = time_point(std::chrono::seconds(1'900'000'000))) : now_(start) {}

  time_point now() const {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void advance(std::chrono::system_clock::duration d) {
    std::lock_guard lock(mutex_);
    now_ += d;
  }
  // The clock to hand to a store; REQUIRES: this outlives the store.
  std::function<time_point()> function() {
    return [this] { return now(); };
  }

 private:
  mutable std::mutex mutex_;
  time_point now_;
};

}  // namespace furoshiki::test_support
