// TLS settings of the HTTPS listener: TLS 1.2 and 1.3 only, ECDHE with AEAD ciphers only,
// no compression, no renegotiation, ALPN http/1.1. The context can be replaced at run time
// (SIGHUP) without touching open connections: each connection keeps the context it began with.
#pragma once

#include "common/config.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <string>

struct ossl_lib_ctx_st;

namespace furoshiki::server {

// Builds a server context from the configured certificate chain and key, with its algorithms
// taken from `libctx` (the process's crypto library context: the FIPS provider when required;
// null means OpenSSL's default context). Throws std::runtime_error naming the file that failed
// (never the key material).
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsConfig& tls, ossl_lib_ctx_st* libctx = nullptr);

class TlsContextHolder {
 public:
  explicit TlsContextHolder(std::shared_ptr<boost::asio::ssl::context> ctx) : ctx_(std::move(ctx)) {}
  std::shared_ptr<boost::asio::ssl::context> get() const {
    std::lock_guard lock(mutex_);
    return ctx_;
  }
  void set(std::shared_ptr<boost::asio::ssl::context> ctx) {
    std::lock_guard lock(mutex_);
    ctx_ = std::move(ctx);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;
};

}  // namespace furoshiki::server
