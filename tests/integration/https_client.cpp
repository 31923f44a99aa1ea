// Blocking TLS / TCP test clients with bounded waits; see https_client.hpp.
#include "https_client.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/json/parse.hpp>

// GCC 12 with -O2 and -fsanitize=address reports a false -Wmaybe-uninitialized inside Beast's
// parser (a boost::optional read only when set); silence it for these headers only so that
// -DFUROSHIKI_WERROR=ON builds with sanitizers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#pragma GCC diagnostic pop

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace furoshiki::integration {

namespace http = boost::beast::http;

namespace {

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

// Waits until `fd` is ready for `events` or the deadline passes; false on timeout.
bool wait_fd(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  while (true) {
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

std::string openssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

// A non-blocking, connected TCP socket, or -1 with `error` set.
int connect_socket(const Endpoint& endpoint, Clock::time_point deadline, std::string* error) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  if (endpoint.address.find(':') != std::string::npos) {
    family = AF_INET6;
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&storage);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(endpoint.port);
    if (::inet_pton(AF_INET6, endpoint.address.c_str(), &a6->sin6_addr) != 1) {
      if (error) *error = "bad address " + endpoint.address;
      return -1;
    }
    length = sizeof(sockaddr_in6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&storage);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(endpoint.port);
    if (::inet_pton(AF_INET, endpoint.address.c_str(), &a4->sin_addr) != 1) {
      if (error) *error = "bad address " + endpoint.address;
      return -1;
    }
    length = sizeof(sockaddr_in);
  }
  // CLOEXEC: servers started later must not inherit the test's connections.
  const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (error) *error = "socket: " + std::generic_category().message(errno);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    int err = errno;
    if (err == EINPROGRESS) {
      if (!wait_fd(fd, POLLOUT, deadline)) {
        err = ETIMEDOUT;
      } else {
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    if (err != 0) {
      if (error) *error = "connect: " + std::generic_category().message(err);
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : std::string(it->value());
}

bool HttpResponse::has_header(std::string_view name) const { return headers.find(name) != headers.end(); }

boost::json::value HttpResponse::json() const {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  return ec ? boost::json::value() : value;
}

unsigned status_of(const std::optional<HttpResponse>& response) { return response ? response->status : 0; }

std::string http_request(std::string_view method, std::string_view target,
                         const std::vector<std::pair<std::string, std::string>>& headers, bool keep_alive) {
  std::string out = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  return out + "\r\n";
}

namespace {
// Parses a response at the start of `data`. `consumed` receives its length. With `eof`, a
// response delimited by the end of the connection is complete.
std::optional<HttpResponse> parse_prefix(std::string_view data, bool eof, std::size_t& consumed) {
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(std::uint64_t{64} * 1024 * 1024);
  boost::beast::error_code ec;
  consumed = 0;
  while (!parser.is_done() && consumed < data.size()) {
    const std::size_t n = parser.put(boost::asio::buffer(data.data() + consumed, data.size() - consumed), ec);
    consumed += n;
    if (ec == http::error::need_more) break;
    if (ec) return std::nullopt;
    if (n == 0) break;
  }
  if (!parser.is_done() && eof && parser.is_header_done()) {
    ec = {};
    parser.put_eof(ec);
  }
  if (!parser.is_done()) return std::nullopt;
  auto message = parser.release();
  HttpResponse out;
  out.status = message.result_int();
  for (const auto& field : message.base()) out.headers.insert(field.name_string(), field.value());
  out.body = std::move(message.body());
  return out;
}
}  // namespace

std::optional<HttpResponse> parse_response(std::string_view data) {
  std::size_t consumed = 0;
  return parse_prefix(data, true, consumed);
}

TlsConnection::~TlsConnection() {
  SSL_free(ssl_);
  ::close(fd_);
}

bool TlsConnection::send(std::string_view data) {
  const auto deadline = Clock::now() + timeout_;
  while (!data.empty()) {
    ERR_clear_error();
    const int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_WRITE && wait_fd(fd_, POLLOUT, deadline)) continue;
    if (e == SSL_ERROR_WANT_READ && wait_fd(fd_, POLLIN, deadline)) continue;
    return false;
  }
  return true;
}

ReadOutcome TlsConnection::read_some(std::string& out, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  char buf[16 * 1024];
  while (true) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      return ReadOutcome::kData;
    }
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ) {
      if (!wait_fd(fd_, POLLIN, deadline)) return ReadOutcome::kTimeout;
      continue;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
      if (!wait_fd(fd_, POLLOUT, deadline)) return ReadOutcome::kTimeout;
      continue;
    }
    // close_notify, EOF without it, a reset or a fatal alert: the connection is over.
    ERR_clear_error();
    return ReadOutcome::kClosed;
  }
}

std::optional<HttpResponse> TlsConnection::read_response() { return read_response(timeout_); }

std::optional<HttpResponse> TlsConnection::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  bool closed = false;
  while (true) {
    std::size_t consumed = 0;
    if (!buffer_.empty()) {
      if (auto response = parse_prefix(buffer_, closed, consumed)) {
        buffer_.erase(0, consumed);
        return response;
      }
    }
    if (closed) return std::nullopt;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= std::chrono::milliseconds::zero()) return std::nullopt;
    switch (read_some(buffer_, left)) {
      case ReadOutcome::kData: break;
      case ReadOutcome::kClosed: closed = true; break;
      case ReadOutcome::kTimeout: return std::nullopt;
    }
  }
}

std::optional<HttpResponse> TlsConnection::request(std::string_view raw_request) {
  if (!send(raw_request)) return std::nullopt;
  return read_response();
}

std::optional<HttpResponse> TlsConnection::get(std::string_view target,
                                               const std::vector<std::pair<std::string, std::string>>& headers) {
  return request(http_request("GET", target, headers));
}

bool TlsConnection::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= std::chrono::milliseconds::zero()) return false;
    switch (read_some(buffer_, left)) {
      case ReadOutcome::kData: break;
      case ReadOutcome::kClosed: return true;
      case ReadOutcome::kTimeout: return false;
    }
  }
}

std::string TlsConnection::protocol_version() const { return SSL_get_version(ssl_); }

std::string TlsConnection::cipher() const { return SSL_get_cipher_name(ssl_); }

std::string TlsConnection::peer_common_name() const {
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (!cert) return {};
  char cn[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) < 0) return {};
  return cn;
}

std::string TlsConnection::peer_fingerprint() const {
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (!cert) return {};
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), md, &length) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

TlsOptions tls_versions(int min_version, int max_version, std::string cipher_list) {
  TlsOptions options;
  options.min_version = min_version;
  options.max_version = max_version;
  options.cipher_list = std::move(cipher_list);
  return options;
}

TlsOptions tls_timeout(std::chrono::milliseconds timeout) {
  TlsOptions options;
  options.timeout = timeout;
  return options;
}

TlsClient::TlsClient(TlsOptions options) : options_(std::move(options)), ctx_(SSL_CTX_new(TLS_client_method())) {
  if (!ctx_) throw std::runtime_error("SSL_CTX_new: " + openssl_errors());
  // Explicit bounds override the system-wide OpenSSL configuration, so a test can offer TLS 1.1.
  bool ok = SSL_CTX_set_min_proto_version(ctx_, options_.min_version) == 1 &&
            SSL_CTX_set_max_proto_version(ctx_, options_.max_version) == 1;
  if (ok && !options_.cipher_list.empty()) ok = SSL_CTX_set_cipher_list(ctx_, options_.cipher_list.c_str()) == 1;
  if (ok && !options_.ciphersuites.empty()) ok = SSL_CTX_set_ciphersuites(ctx_, options_.ciphersuites.c_str()) == 1;
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  ok = ok && SSL_CTX_set_alpn_protos(ctx_, kAlpn, sizeof kAlpn) == 0;
  if (!ok) {
    const std::string reason = openssl_errors();
    SSL_CTX_free(ctx_);
    throw std::runtime_error("client TLS setup failed: " + reason);
  }
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

TlsClient::~TlsClient() { SSL_CTX_free(ctx_); }

std::unique_ptr<TlsConnection> TlsClient::connect(const Endpoint& endpoint, std::string* error) const {
  const auto deadline = Clock::now() + options_.timeout;
  const int fd = connect_socket(endpoint, deadline, error);
  if (fd < 0) return nullptr;
  SSL* ssl = SSL_new(ctx_);
  auto fail = [&](std::string reason) -> std::unique_ptr<TlsConnection> {
    if (error) *error = std::move(reason);
    SSL_free(ssl);
    ::close(fd);
    return nullptr;
  };
  if (!ssl) return fail("SSL_new: " + openssl_errors());
  SSL_set_fd(ssl, fd);
  if (!options_.server_name.empty()) {
    // SSL_set_tlsext_host_name() expands to an old-style cast; this is the call it makes.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(options_.server_name.c_str()));
  }
  while (true) {
    ERR_clear_error();
    const int r = SSL_connect(ssl);
    if (r == 1) break;
    const int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
      if (!wait_fd(fd, POLLIN, deadline)) return fail("handshake timed out");
      continue;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
      if (!wait_fd(fd, POLLOUT, deadline)) return fail("handshake timed out");
      continue;
    }
    std::string reason = openssl_errors();
    if (e == SSL_ERROR_SYSCALL) {
      reason += std::string(reason.empty() ? "" : "; ") + "syscall: " + std::generic_category().message(errno);
    }
    return fail("handshake failed (SSL_get_error " + std::to_string(e) + "): " + reason);
  }
  return std::make_unique<TlsConnection>(ssl, fd, options_.timeout);
}

std::optional<HttpResponse> https_get(const Endpoint& endpoint, std::string_view target,
                                      const std::vector<std::pair<std::string, std::string>>& headers) {
  static const TlsClient client;
  auto connection = client.connect(endpoint);
  if (!connection) return std::nullopt;
  return connection->request(http_request("GET", target, headers, false));
}

std::unique_ptr<TcpConnection> TcpConnection::connect(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  const int fd = connect_socket(endpoint, Clock::now() + timeout, nullptr);
  if (fd < 0) return nullptr;
  return std::unique_ptr<TcpConnection>(new TcpConnection(fd, timeout));
}

TcpConnection::~TcpConnection() { ::close(fd_); }

bool TcpConnection::send(std::string_view data) {
  const auto deadline = Clock::now() + timeout_;
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR) && wait_fd(fd_, POLLOUT, deadline)) continue;
    return false;
  }
  return true;
}

std::string TcpConnection::read_until_closed(std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_fd(fd_, POLLIN, deadline)) return out;
      continue;
    }
    return out;  // EOF or reset
  }
}

bool ipv6_loopback_available() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

}  // namespace furoshiki::integration
