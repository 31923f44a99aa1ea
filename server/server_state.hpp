// State shared by the server's listeners and sessions. Owned by Server; outlives every session
// (Server::run returns only after all connections are gone).
#pragma once

#include "common/config.hpp"
#include "common/network_range.hpp"
#include "server/authorizer.hpp"
#include "server/connections.hpp"
#include "server/metrics.hpp"
#include "server/router.hpp"
#include "server/tls.hpp"

#include <boost/asio/thread_pool.hpp>

#include <atomic>

namespace furoshiki::server {

struct ServerState {
  ServerState(const Config& c, std::shared_ptr<boost::asio::ssl::context> tls_ctx, std::string metrics_token)
      : config(c),
        tls(std::move(tls_ctx)),
        connections(c.limits.max_connections, c.limits.max_connections_per_client),
        authorizer(std::move(metrics_token)) {
    for (const auto& range : c.server.trusted_proxies) {
      if (auto parsed = parse_network_range(range)) trusted_proxies.push_back(*parsed);  // validated by config
    }
  }

  const Config& config;
  Router router;
  Metrics metrics;
  TlsContextHolder tls;
  ConnectionTracker connections;
  Authorizer authorizer;
  std::vector<NetworkRange> trusted_proxies;
  // Handlers that block (password hashing, database writes) and identity checks run here, so a
  // slow disk or a burst of sign-ins cannot stall the network threads. Declared after everything
  // a task uses; joined before they go (Server stops it first).
  boost::asio::thread_pool blocking{4};
  std::atomic<bool> draining{false};
  // Connections over a limit that are being told 503; capped so refusing costs little.
  std::atomic<std::size_t> refusing{0};
  static constexpr std::size_t kMaxRefusing = 64;
};

}  // namespace furoshiki::server
