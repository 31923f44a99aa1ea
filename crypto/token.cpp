// Tokens and one-time codes; see token.hpp.
#include "crypto/token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>
#include <vector>

namespace furoshiki::crypto {
namespace {

constexpr std::size_t kTokenBytes = 32;

// RFC 4648 section 5 alphabet, no padding.
std::string base64url_encode(std::span<const std::uint8_t> in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t b : in) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

}  // namespace

std::string generate_token(const CryptoContext& ctx) {
  std::array<std::uint8_t, kTokenBytes> raw{};
  ctx.random_bytes(raw);
  std::string token = base64url_encode(raw);
  OPENSSL_cleanse(raw.data(), raw.size());
  return token;
}

TokenHash token_hash(const CryptoContext& ctx, std::string_view token) {
  TokenHash out{};
  unsigned int len = 0;
  if (EVP_Digest(token.data(), token.size(), out.data(), &len, ctx.sha256(), nullptr) != 1 || len != out.size()) {
    throw CryptoError("SHA-256 of a token failed");
  }
  return out;
}

bool token_matches(const CryptoContext& ctx, std::string_view token, const TokenHash& stored_hash) {
  const TokenHash presented = token_hash(ctx, token);
  return CRYPTO_memcmp(presented.data(), stored_hash.data(), presented.size()) == 0;
}

std::string generate_numeric_code(const CryptoContext& ctx, int digits) {
  if (digits < 1 || digits > 32) throw std::invalid_argument("a numeric code has 1 to 32 digits");
  std::string code;
  code.reserve(static_cast<std::size_t>(digits));
  // A byte below 250 is uniform over 0..249, so byte % 10 is uniform over 0..9; bytes 250..255
  // are discarded (probability 6/256 each).
  std::array<std::uint8_t, 64> pool{};
  while (code.size() < static_cast<std::size_t>(digits)) {
    ctx.random_bytes(pool);
    for (std::uint8_t b : pool) {
      if (b >= 250) continue;
      code.push_back(static_cast<char>('0' + b % 10));
      if (code.size() == static_cast<std::size_t>(digits)) break;
    }
  }
  OPENSSL_cleanse(pool.data(), pool.size());
  return code;
}

}  // namespace furoshiki::crypto
