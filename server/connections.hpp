// Bookkeeping of open client connections: limits in total and per client address, and the hooks
// graceful shutdown uses to drain or abort them.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace furoshiki::server {

// Implemented by sessions. Both calls may come from any thread; implementations post to their strand.
class Connection {
 public:
  virtual ~Connection() = default;
  // Finish the request in flight (if any), then close; close at once if idle.
  virtual void drain() = 0;
  // Close now.
  virtual void abort() = 0;
};

class ConnectionTracker {
 public:
  ConnectionTracker(std::size_t max_total, std::size_t max_per_client)
      : max_total_(max_total), max_per_client_(max_per_client) {}

  enum class Admission { kAdmitted, kTotalLimit, kClientLimit };

  // Reserves a slot for a new connection from `client`. On kAdmitted the caller must call
  // release(client) exactly once when the connection ends.
  Admission admit(const boost::asio::ip::address& client);
  void release(const boost::asio::ip::address& client);

  // Registers a live connection for drain()/abort(); returns a handle for forget().
  std::uint64_t track(std::weak_ptr<Connection> connection);
  void forget(std::uint64_t handle);

  void drain_all();
  void abort_all();

  std::size_t open() const;

  // Called (outside the lock) whenever the number of open connections drops to zero.
  void on_empty(std::function<void()> callback);

 private:
  const std::size_t max_total_;
  const std::size_t max_per_client_;
  mutable std::mutex mutex_;
  std::size_t open_ = 0;                                            // REQUIRES: mutex_
  std::map<boost::asio::ip::address, std::size_t> per_client_;      // REQUIRES: mutex_
  std::map<std::uint64_t, std::weak_ptr<Connection>> connections_;  // REQUIRES: mutex_
  std::uint64_t next_handle_ = 1;                                   // REQUIRES: mutex_
  std::function<void()> on_empty_;                                  // REQUIRES: mutex_
};

}  // namespace furoshiki::server
