// The HTTPS server: listeners, io threads, the route table, service endpoints (/healthz,
// /readyz, /metrics), signals (SIGTERM/SIGINT drain and exit, SIGHUP reloads the certificate).
#pragma once

#include "common/config.hpp"
#include "common/error.hpp"
#include "server/router.hpp"

#include <boost/asio/ip/address.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

struct ossl_lib_ctx_st;

namespace furoshiki::admin {
class Authenticator;
class OperatorAuthenticator;
}  // namespace furoshiki::admin

namespace furoshiki::server {

class Metrics;

// A readiness check: returns true when its component can serve; may set `detail` (no secrets).
using ReadinessCheck = std::function<bool(std::string& detail)>;

// Loads what the server needs beyond the parsed configuration — the TLS certificate and key
// (and that they match) and the metrics token — and returns one message per problem, each naming
// its configuration key. Used by `check-config` and before `serve`.
std::vector<ConfigError> check_server_material(const Config& config, ossl_lib_ctx_st* tls_libctx = nullptr);

class Server {
 public:
  // Throws std::runtime_error when the TLS material or the metrics token cannot be loaded.
  // TLS takes its algorithms from `tls_libctx` (the process's crypto library context; null:
  // OpenSSL's default), so crypto.fips = "required" covers TLS too.
  explicit Server(const Config& config, ossl_lib_ctx_st* tls_libctx = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Routes must be added before start().
  Router& router();
  Metrics& metrics();
  void add_readiness_check(std::string name, ReadinessCheck check);
  // Enables the identity policies (kSignedIn, kOrgAdmin); without it those routes answer 403.
  void set_authenticator(admin::Authenticator* authenticator);
  // Enables the operator policy (kOperator); without it those routes answer 403.
  void set_operator_authenticator(admin::OperatorAuthenticator* authenticator);

  // Binds every configured listener and logs a "listening" event per address (with the real
  // port when the configuration says 0). Throws std::runtime_error naming the address on failure.
  void start();

  // The addresses the HTTPS listeners are bound to ("127.0.0.1:40123"), after start().
  std::vector<std::string> bound_addresses() const;

  // Serves until SIGTERM or SIGINT (or request_shutdown()), then stops accepting, lets requests
  // in flight finish within server.shutdown_grace_seconds, closes the rest, and returns 0.
  int run();

  // Begins the same graceful shutdown as SIGTERM. Thread-safe.
  void request_shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace furoshiki::server
