// The process's one OpenSSL library context. Every algorithm on the data path is fetched
// explicitly from it through EVP.
//
// FIPS mode "required" loads the FIPS provider (with the base provider for encoders) from the
// module directory and module configuration named in furoshiki's own configuration — never the
// system's openssl.cnf — runs the provider's self-tests, and makes "fips=yes" the default
// property query, so that a non-approved algorithm (MD5, say) cannot be fetched at all.
// Mode "off" uses OpenSSL's default provider.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

typedef struct ossl_lib_ctx_st OSSL_LIB_CTX;
typedef struct evp_cipher_st EVP_CIPHER;
typedef struct evp_md_st EVP_MD;
typedef struct evp_mac_st EVP_MAC;
typedef struct evp_kdf_st EVP_KDF;

namespace furoshiki::crypto {

enum class FipsMode { kOff, kRequired };

struct CryptoSettings {
  FipsMode fips = FipsMode::kOff;
  std::filesystem::path fips_module_dir;     // holds fips.so
  std::filesystem::path fips_module_config;  // written by `openssl fipsinstall`
};

// Start-up failure of the crypto layer; the message says what is missing.
class CryptoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CryptoContext {
 public:
  // Creates the library context and loads the providers. Throws CryptoError, naming what is
  // missing, when FIPS is required but the provider cannot be loaded or its self-test fails.
  static std::shared_ptr<CryptoContext> create(const CryptoSettings& settings);
  ~CryptoContext();
  CryptoContext(const CryptoContext&) = delete;
  CryptoContext& operator=(const CryptoContext&) = delete;

  OSSL_LIB_CTX* libctx() const { return libctx_; }
  // The property query every fetch uses: "fips=yes" when required, "" otherwise.
  const char* properties() const;
  FipsMode mode() const { return mode_; }
  const std::string& provider_name() const { return provider_name_; }
  const std::string& provider_version() const { return provider_version_; }

  // Algorithms fetched once at creation (never null; creation fails instead).
  const EVP_CIPHER* aes_256_gcm() const { return aes_256_gcm_; }
  const EVP_MD* sha256() const { return sha256_; }
  const EVP_MAC* hmac() const { return hmac_; }

  // Fills `out` from this context's DRBG. Throws CryptoError if the DRBG fails.
  void random_bytes(std::span<std::uint8_t> out) const;

  // Runs the provider's self-tests again (FIPS: the known-answer tests; off: a quick AES-GCM
  // round trip). For /readyz.
  bool self_test() const;

 private:
  CryptoContext() = default;
  OSSL_LIB_CTX* libctx_ = nullptr;
  FipsMode mode_ = FipsMode::kOff;
  std::string provider_name_;
  std::string provider_version_;
  EVP_CIPHER* aes_256_gcm_ = nullptr;
  EVP_MD* sha256_ = nullptr;
  EVP_MAC* hmac_ = nullptr;
  struct Providers;
  std::unique_ptr<Providers> providers_;
};

}  // namespace furoshiki::crypto
