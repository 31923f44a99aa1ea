// Connection limits and drain bookkeeping; see connections.hpp.
#include "server/connections.hpp"

#include <vector>

namespace furoshiki::server {

ConnectionTracker::Admission ConnectionTracker::admit(const boost::asio::ip::address& client) {
  std::lock_guard lock(mutex_);
  if (open_ >= max_total_) return Admission::kTotalLimit;
  auto& mine = per_client_[client];
  if (mine >= max_per_client_) {
    if (mine == 0) per_client_.erase(client);
    return Admission::kClientLimit;
  }
  ++mine;
  ++open_;
  return Admission::kAdmitted;
}

void ConnectionTracker::release(const boost::asio::ip::address& client) {
  std::function<void()> callback;
  {
    std::lock_guard lock(mutex_);
    auto it = per_client_.find(client);
    if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
    if (open_ > 0) --open_;
    if (open_ == 0) callback = on_empty_;
  }
  if (callback) callback();
}

std::uint64_t ConnectionTracker::track(std::weak_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  const std::uint64_t handle = next_handle_++;
  connections_.emplace(handle, std::move(connection));
  return handle;
}

void ConnectionTracker::forget(std::uint64_t handle) {
  std::lock_guard lock(mutex_);
  connections_.erase(handle);
}

namespace {
std::vector<std::shared_ptr<Connection>> live(std::mutex& mutex,
                                              const std::map<std::uint64_t, std::weak_ptr<Connection>>& all) {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard lock(mutex);
  out.reserve(all.size());
  for (const auto& [handle, weak] : all) {
    if (auto c = weak.lock()) out.push_back(std::move(c));
  }
  return out;
}
}  // namespace

void ConnectionTracker::drain_all() {
  for (auto& c : live(mutex_, connections_)) c->drain();
}

void ConnectionTracker::abort_all() {
  for (auto& c : live(mutex_, connections_)) c->abort();
}

std::size_t ConnectionTracker::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

void ConnectionTracker::on_empty(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  on_empty_ = std::move(callback);
}

}  // namespace furoshiki::server
