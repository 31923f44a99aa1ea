// TLS context construction; see tls.hpp. Cipher choice follows the "intermediate" profile
// without CBC suites: ECDHE key exchange and AEAD (AES-GCM, ChaCha20-Poly1305) only.
#include "server/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <stdexcept>

namespace furoshiki::server {
namespace {

constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
constexpr const char* kTls13Suites = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr const char* kFipsGroups = "P-256:P-384";  // when the provider (FIPS) has no X25519

std::string openssl_reason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(e);
  return reason ? reason : "unknown error";
}

int select_http11(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                  void*) {
  static const unsigned char kProtos[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kProtos, sizeof kProtos, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // the client offers only protocols we do not speak (e.g. h2 alone)
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsConfig& tls, ossl_lib_ctx_st* libctx) {
  namespace ssl = boost::asio::ssl;
  SSL_CTX* created = SSL_CTX_new_ex(libctx, nullptr, TLS_server_method());
  if (!created) throw std::runtime_error("TLS setup failed: " + openssl_reason());
  auto ctx = std::make_shared<ssl::context>(created);  // takes ownership
  SSL_CTX* native = ctx->native_handle();
  ctx->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::no_compression | ssl::context::single_dh_use);
  // OpenSSL 3 already refuses client-initiated renegotiation unless SSL_OP_ALLOW_CLIENT_RENEGOTIATION is set.
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 || SSL_CTX_set_ciphersuites(native, kTls13Suites) != 1 ||
      (SSL_CTX_set1_groups_list(native, kGroups) != 1 && SSL_CTX_set1_groups_list(native, kFipsGroups) != 1)) {
    throw std::runtime_error("TLS setup failed: " + openssl_reason());
  }
  SSL_CTX_set_alpn_select_cb(native, select_http11, nullptr);
  // Checked here too, not only when the configuration is read, because SIGHUP reloads the files.
  struct stat st {};
  if (::stat(tls.private_key.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    throw std::runtime_error("TLS private key " + tls.private_key.string() +
                             " is accessible by group or others; chmod 600 it");
  }
  if (SSL_CTX_use_certificate_chain_file(native, tls.certificate.c_str()) != 1) {
    throw std::runtime_error("cannot load TLS certificate " + tls.certificate.string() + ": " + openssl_reason());
  }
  if (SSL_CTX_use_PrivateKey_file(native, tls.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw std::runtime_error("cannot load TLS private key " + tls.private_key.string() + ": " + openssl_reason());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    throw std::runtime_error("TLS private key " + tls.private_key.string() + " does not match certificate " +
                             tls.certificate.string());
  }
  return ctx;
}

}  // namespace furoshiki::server
