// TOTP (RFC 6238), base32 and otpauth URIs; see totp.hpp.
#include "crypto/totp.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <stdexcept>

namespace furoshiki::crypto {
namespace {

constexpr std::size_t kTotpSecretBytes = 20;
constexpr char kBase32Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int base32_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

bool is_code(std::string_view code) {
  if (code.size() != static_cast<std::size_t>(kTotpDigits)) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// RFC 3986 section 2.1: every byte but the unreserved ones as %XX (upper-case hex).
std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace

namespace internal {

std::string hotp_sha1(const CryptoContext& ctx, std::span<const std::uint8_t> secret, std::uint64_t counter,
                      int digits) {
  if (digits < 1 || digits > 9) throw std::invalid_argument("HOTP codes have 1 to 9 digits");
  std::array<std::uint8_t, 8> message{};
  for (std::size_t i = 0; i < message.size(); ++i) {
    message[message.size() - 1 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
  }
  std::array<std::uint8_t, 20> mac{};
  std::size_t mac_len = 0;
  char digest[] = "SHA1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_PROPERTIES, const_cast<char*>(ctx.properties()), 0),
      OSSL_PARAM_construct_end()};
  // EVP_MAC_CTX_new takes its own reference to the context's HMAC; it does not modify it.
  EVP_MAC_CTX* mctx = EVP_MAC_CTX_new(const_cast<EVP_MAC*>(ctx.hmac()));
  const bool ok = mctx && EVP_MAC_init(mctx, secret.data(), secret.size(), params) == 1 &&
                  EVP_MAC_update(mctx, message.data(), message.size()) == 1 &&
                  EVP_MAC_final(mctx, mac.data(), &mac_len, mac.size()) == 1 && mac_len == mac.size();
  EVP_MAC_CTX_free(mctx);
  if (!ok) {
    OPENSSL_cleanse(mac.data(), mac.size());
    throw CryptoError("HMAC-SHA-1 for a one-time password failed");
  }
  // Dynamic truncation, RFC 4226 section 5.3.
  const std::size_t offset = mac[19] & 0x0f;
  std::uint32_t value = ((std::uint32_t{mac[offset]} & 0x7f) << 24) | (std::uint32_t{mac[offset + 1]} << 16) |
                        (std::uint32_t{mac[offset + 2]} << 8) | std::uint32_t{mac[offset + 3]};
  OPENSSL_cleanse(mac.data(), mac.size());
  std::string code(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i) {
    code[static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return code;
}

}  // namespace internal

std::vector<std::uint8_t> generate_totp_secret(const CryptoContext& ctx) {
  std::vector<std::uint8_t> secret(kTotpSecretBytes);
  ctx.random_bytes(secret);
  return secret;
}

std::string base32_encode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t b : data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(acc >> bits) & 31]);
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(acc << (5 - bits)) & 31]);
  return out;
}

std::optional<std::vector<std::uint8_t>> base32_decode(std::string_view text) {
  // Lengths mod 8 of 1, 3 and 6 characters cannot come from whole bytes.
  const std::size_t rest = text.size() % 8;
  if (rest == 1 || rest == 3 || rest == 6) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 5 / 8);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = base32_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return std::nullopt;
  return out;
}

std::string totp_code(const CryptoContext& ctx, std::span<const std::uint8_t> secret, std::int64_t unix_time) {
  if (unix_time < 0) throw std::invalid_argument("TOTP needs a time at or after the Unix epoch");
  if (secret.size() < kMinTotpSecretBytes) throw std::invalid_argument("TOTP secret shorter than 128 bits");
  return internal::hotp_sha1(ctx, secret, static_cast<std::uint64_t>(unix_time / kTotpStepSeconds), kTotpDigits);
}

std::optional<std::int64_t> verify_totp(const CryptoContext& ctx, std::span<const std::uint8_t> secret,
                                        std::string_view code, std::int64_t unix_time,
                                        std::optional<std::int64_t> last_used_step) {
  if (!is_code(code) || unix_time < 0 || secret.size() < kMinTotpSecretBytes) return std::nullopt;
  const std::int64_t now = unix_time / kTotpStepSeconds;
  std::optional<std::int64_t> matched;
  // Every step in the window is computed and compared, so the time taken does not say which
  // step (if any) matched; the earliest acceptable match wins.
  for (std::int64_t step = now - 1; step <= now + 1; ++step) {
    if (step < 0) continue;
    std::string expected = internal::hotp_sha1(ctx, secret, static_cast<std::uint64_t>(step), kTotpDigits);
    const bool equal = CRYPTO_memcmp(expected.data(), code.data(), expected.size()) == 0;
    OPENSSL_cleanse(expected.data(), expected.size());
    const bool fresh = !last_used_step || step > *last_used_step;
    if (equal && fresh && !matched) matched = step;
  }
  return matched;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account, std::span<const std::uint8_t> secret) {
  const std::string encoded_issuer = percent_encode(issuer);
  return "otpauth://totp/" + encoded_issuer + ":" + percent_encode(account) + "?secret=" + base32_encode(secret) +
         "&issuer=" + encoded_issuer + "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) +
         "&period=" + std::to_string(kTotpStepSeconds);
}

}  // namespace furoshiki::crypto
