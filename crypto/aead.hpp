// AES-256-GCM sealing and opening with a 96-bit nonce and a 128-bit tag, through the
// library context (FIPS provider when required). The building block of key wrapping and of the
// object format.
#pragma once

#include "crypto/context.hpp"
#include "crypto/errors.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;  // as <openssl/types.h> declares it

namespace furoshiki::crypto {

inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kNonceBytes = 12;
inline constexpr std::size_t kTagBytes = 16;

// A 256-bit secret key; wiped when destroyed.
class SecretKey {
 public:
  SecretKey() = default;
  explicit SecretKey(std::span<const std::uint8_t, kKeyBytes> bytes);
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  ~SecretKey();
  static SecretKey random(const CryptoContext& ctx);
  std::span<const std::uint8_t, kKeyBytes> bytes() const { return bytes_; }
  bool operator==(const SecretKey& other) const;

 private:
  std::array<std::uint8_t, kKeyBytes> bytes_{};
};

namespace detail {
// Frees an EVP_CIPHER_CTX (declared here so that the header needs no OpenSSL include).
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept;
};
}  // namespace detail

// One key, many messages: the EVP_CIPHER_CTX is made and keyed (AES key schedule, GHASH key)
// once, and each message only sets its nonce. The object format seals or opens every 64 KiB chunk
// of an object under the same data key; re-keying a fresh context per chunk cost ~2 % of its
// throughput. The cipher comes from the CryptoContext's library context, so with FIPS required
// it is the FIPS provider's. The key is not kept outside OpenSSL's context, which wipes it when
// freed. Movable, not copyable; a default-constructed or moved-from object has no key and every
// call returns CryptoErrc::kInternal. Not thread-safe (one context, one message at a time).
class AeadSealer {
 public:
  AeadSealer() = default;
  // If OpenSSL cannot make or key the context, valid() is false (and seal() fails).
  AeadSealer(const CryptoContext& ctx, const SecretKey& key);
  bool valid() const { return ctx_ != nullptr; }

  // Encrypts `plaintext` into `out`, which must be exactly plaintext.size() + kTagBytes long
  // (ciphertext, then the tag); `out` must not overlap `plaintext`. REQUIRES: a nonce never
  // repeats under the key.
  [[nodiscard]] boost::system::error_code seal(std::span<const std::uint8_t, kNonceBytes> nonce,
                                               std::span<const std::uint8_t> aad,
                                               std::span<const std::uint8_t> plaintext, std::span<std::uint8_t> out);

 private:
  std::unique_ptr<EVP_CIPHER_CTX, detail::CipherCtxFree> ctx_;
};

// The opening side of AeadSealer (same lifetime and key rules).
class AeadOpener {
 public:
  AeadOpener() = default;
  AeadOpener(const CryptoContext& ctx, const SecretKey& key);
  bool valid() const { return ctx_ != nullptr; }

  // Decrypts ciphertext||tag into `out`, which must be exactly sealed.size() - kTagBytes long;
  // CryptoErrc::kIntegrity when authentication fails, and then `out` is wiped: no plaintext is
  // left unless the tag verifies. A failed message leaves the context usable for the next one.
  [[nodiscard]] boost::system::error_code open(std::span<const std::uint8_t, kNonceBytes> nonce,
                                               std::span<const std::uint8_t> aad, std::span<const std::uint8_t> sealed,
                                               std::span<std::uint8_t> out);

 private:
  std::unique_ptr<EVP_CIPHER_CTX, detail::CipherCtxFree> ctx_;
};

// Encrypts `plaintext` into `out` (resized to plaintext + tag). REQUIRES: a nonce never repeats
// under `key`.
[[nodiscard]] boost::system::error_code aead_seal(const CryptoContext& ctx, const SecretKey& key,
                                                  std::span<const std::uint8_t, kNonceBytes> nonce,
                                                  std::span<const std::uint8_t> aad,
                                                  std::span<const std::uint8_t> plaintext,
                                                  std::vector<std::uint8_t>& out);

// Decrypts ciphertext||tag into `out`; CryptoErrc::kIntegrity (and `out` cleared) when
// authentication fails. No plaintext is returned unless the tag verifies.
[[nodiscard]] boost::system::error_code aead_open(const CryptoContext& ctx, const SecretKey& key,
                                                  std::span<const std::uint8_t, kNonceBytes> nonce,
                                                  std::span<const std::uint8_t> aad,
                                                  std::span<const std::uint8_t> sealed, std::vector<std::uint8_t>& out);

// The same, decrypting into `out`, which must be exactly sealed.size() - kTagBytes long (the
// download path decrypts straight into the caller's buffer). On failure `out` is wiped.
[[nodiscard]] boost::system::error_code aead_open(const CryptoContext& ctx, const SecretKey& key,
                                                  std::span<const std::uint8_t, kNonceBytes> nonce,
                                                  std::span<const std::uint8_t> aad,
                                                  std::span<const std::uint8_t> sealed, std::span<std::uint8_t> out);

// SHA-256 through the library context.
std::array<std::uint8_t, 32> sha256(const CryptoContext& ctx, std::span<const std::uint8_t> data);

}  // namespace furoshiki::crypto
