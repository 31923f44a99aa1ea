// Blocking test clients for the integration tests: TLS over OpenSSL with configurable protocol
// versions and ciphers, an HTTP/1.1 response reader, and a plain-TCP client for the redirect
// listener.
//
// Sockets are non-blocking underneath and every wait goes through poll() with a deadline, so a
// server that never answers fails a test instead of hanging it. Peer certificates are not
// verified (the instance's certificate is self-signed); tests that care inspect it themselves.
#pragma once

#include "harness.hpp"

#include <boost/beast/http/fields.hpp>
#include <boost/json/value.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace furoshiki::integration {

struct HttpResponse {
  unsigned status = 0;
  boost::beast::http::fields headers;
  std::string body;

  // The header's value, or "" if absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // The body parsed as JSON; a null value if it is not JSON.
  boost::json::value json() const;
};

// The response's status, or 0 if there was none (so that a missing response fails an EXPECT_EQ
// instead of dereferencing an empty optional).
unsigned status_of(const std::optional<HttpResponse>& response);

// "GET /path HTTP/1.1" with Host and the given extra header lines ("Name: value").
std::string http_request(std::string_view method, std::string_view target,
                         const std::vector<std::pair<std::string, std::string>>& headers = {}, bool keep_alive = true);

struct TlsOptions {
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  std::string cipher_list;                // TLS ≤ 1.2 (OpenSSL syntax); empty: OpenSSL's default
  std::string ciphersuites;               // TLS 1.3; empty: OpenSSL's default
  std::string server_name = "localhost";  // SNI
  std::chrono::milliseconds timeout = std::chrono::seconds(10);  // per operation
};

// Options offering only the protocol versions from `min_version` to `max_version` and, for
// TLS ≤ 1.2, the ciphers of `cipher_list` (empty: OpenSSL's default).
TlsOptions tls_versions(int min_version, int max_version, std::string cipher_list = {});

// Default options with another per-operation timeout.
TlsOptions tls_timeout(std::chrono::milliseconds timeout);

// What one read waited for.
enum class ReadOutcome { kData, kClosed, kTimeout };

// One TLS connection, owned by the test.
class TlsConnection {
 public:
  TlsConnection(SSL* ssl, int fd, std::chrono::milliseconds timeout) : ssl_(ssl), fd_(fd), timeout_(timeout) {}
  // Closes the socket without close_notify (as a client that just goes away).
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // Writes all of `data`; false if the connection failed or the deadline passed.
  bool send(std::string_view data);

  // Reads whatever arrives next (appending to `out`), waiting at most `timeout`.
  ReadOutcome read_some(std::string& out, std::chrono::milliseconds timeout);

  // Reads one complete response; nullopt on close, timeout or a malformed response.
  std::optional<HttpResponse> read_response();
  std::optional<HttpResponse> read_response(std::chrono::milliseconds timeout);

  // send(request) then read_response().
  std::optional<HttpResponse> request(std::string_view raw_request);
  std::optional<HttpResponse> get(std::string_view target,
                                  const std::vector<std::pair<std::string, std::string>>& headers = {});

  // Reads until the server closes the connection (keeping what arrives in pending()); true if it
  // closed within `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout);

  std::string protocol_version() const;  // "TLSv1.3"
  std::string cipher() const;            // OpenSSL name of the negotiated cipher
  std::string peer_common_name() const;  // subject CN of the server's certificate
  std::string peer_fingerprint() const;  // SHA-256 of the certificate's DER, hex

  // Bytes received but not consumed yet.
  const std::string& pending() const { return buffer_; }

 private:
  SSL* ssl_;
  int fd_;
  std::chrono::milliseconds timeout_;
  std::string buffer_;  // received, not yet consumed by read_response()
};

// A client TLS context; connections made from it share its settings. Cheap connections for the
// many-connections test depend on sharing one context.
class TlsClient {
 public:
  explicit TlsClient(TlsOptions options = {});
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Connects and completes the handshake. On failure returns nullptr and, if `error` is set,
  // stores OpenSSL's reasons there (e.g. "...:tlsv1 alert protocol version").
  std::unique_ptr<TlsConnection> connect(const Endpoint& endpoint, std::string* error = nullptr) const;

 private:
  TlsOptions options_;
  SSL_CTX* ctx_ = nullptr;
};

// One request on a fresh connection (Connection: close); nullopt if anything failed.
std::optional<HttpResponse> https_get(const Endpoint& endpoint, std::string_view target,
                                      const std::vector<std::pair<std::string, std::string>>& headers = {});

// A plain TCP connection (for the HTTP redirect listener).
class TcpConnection {
 public:
  // nullptr if the connection failed.
  static std::unique_ptr<TcpConnection> connect(const Endpoint& endpoint,
                                                std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  bool send(std::string_view data);
  // Reads until the peer closes (or `timeout`); returns what arrived.
  std::string read_until_closed(std::chrono::milliseconds timeout) const;

 private:
  explicit TcpConnection(int fd, std::chrono::milliseconds timeout) : fd_(fd), timeout_(timeout) {}
  int fd_;
  std::chrono::milliseconds timeout_;
};

// Parses one complete HTTP/1.1 response from the start of `data`; nullopt if incomplete or bad.
std::optional<HttpResponse> parse_response(std::string_view data);

// True if `::1` can be bound on this machine.
bool ipv6_loopback_available();

}  // namespace furoshiki::integration
