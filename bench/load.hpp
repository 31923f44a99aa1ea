// The load generator of furoshiki_bench: HTTPS clients (Boost.Beast over OpenSSL) that hit one
// URL for a fixed time and record every request's latency.
//
// Two scenarios:
//   kHandshake  every request on a new TCP connection with a full TLS handshake (no session
//               resumption), "Connection: close"; measures handshakes per second.
//   kKeepAlive  `connections` connections opened (and handshaken) before the clock starts, then
//               requests one after another on each (no pipelining); measures requests per second.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace furoshiki::bench {

struct Target {
  std::string host = "127.0.0.1";  // literal IPv4 or IPv6 address
  std::uint16_t port = 0;
  std::string server_name = "localhost";  // SNI and Host header
  std::string path = "/healthz";
};

enum class Scenario { kHandshake, kKeepAlive };

std::string_view scenario_name(Scenario scenario);

struct LoadSpec {
  Scenario scenario = Scenario::kKeepAlive;
  unsigned connections = 1;  // concurrent clients
  std::chrono::milliseconds duration{5000};
  unsigned client_threads = 1;  // threads running the client's io_context
};

struct LoadResult {
  Scenario scenario = Scenario::kKeepAlive;
  unsigned connections = 0;
  std::uint64_t requests = 0;    // 200 responses completed within the duration
  std::uint64_t errors = 0;      // failed connects, handshakes, reads, writes, non-200 answers
  std::uint64_t reconnects = 0;  // keep-alive connections the server closed and that were reopened
  double seconds = 0;            // measured interval
  double requests_per_second = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  std::string tls_version;  // negotiated, e.g. "TLSv1.3"
  std::string tls_cipher;   // e.g. "TLS_AES_256_GCM_SHA384"
};

// The benches' TLS client settings: no certificate verification (the servers' certificates are
// self-signed), TLS 1.2 or later, ALPN http/1.1, and no session cache or tickets, so that every
// handshake is a full one.
std::unique_ptr<boost::asio::ssl::context> client_tls_context();

// Sets the SNI host name of a client connection that has not handshaken yet.
void set_server_name(SSL* ssl, const std::string& name);

// Runs one scenario against `target` and returns its figures. `stop` ends it early (Ctrl-C).
// Never throws for network errors; they are counted in LoadResult::errors.
LoadResult run_load(const Target& target, const LoadSpec& spec, const std::atomic<bool>& stop);

}  // namespace furoshiki::bench
