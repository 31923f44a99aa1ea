// AES-256-GCM sealing and opening with a 96-bit nonce and a 128-bit tag, through the
// library context (FIPS provider when required). The building block of key wrapping and of the
// object format.
#pragma once

#include "crypto/context.hpp"
#include "crypto/errors.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <vector>

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
