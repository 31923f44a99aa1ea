// Bearer tokens for share links and upload requests, and numeric one-time codes for e-mail.
// A token is 256 random bits from the context's DRBG; the database stores only its SHA-256, so
// a leaked database does not leak usable links, and a presented token is checked by hashing it
// and comparing the hashes in constant time.
#pragma once

#include "crypto/context.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace furoshiki::crypto {

// SHA-256 of a token: what the database stores.
using TokenHash = std::array<std::uint8_t, 32>;

// Length of generate_token()'s result.
inline constexpr std::size_t kTokenLength = 43;

// 32 bytes from ctx's DRBG, base64url without padding (RFC 4648 section 5): kTokenLength
// characters of [A-Za-z0-9_-], safe in URL paths and query strings. Throws CryptoError if the
// DRBG fails.
[[nodiscard]] std::string generate_token(const CryptoContext& ctx);

// SHA-256 of the token's characters, through ctx's fetched SHA-256. Throws CryptoError if the
// digest fails.
[[nodiscard]] TokenHash token_hash(const CryptoContext& ctx, std::string_view token);

// Whether `token` hashes to `stored_hash`; the comparison takes the same time wherever the
// hashes differ (CRYPTO_memcmp). Any string may be presented; false unless it matches. Throws
// CryptoError only if the digest fails.
[[nodiscard]] bool token_matches(const CryptoContext& ctx, std::string_view token, const TokenHash& stored_hash);

// A one-time code of `digits` decimal digits (for e-mail), each digit uniform: drawn from ctx's
// DRBG by rejection sampling, so there is no modulo bias. REQUIRES: 1 <= digits <= 32
// (std::invalid_argument otherwise). Throws CryptoError if the DRBG fails.
[[nodiscard]] std::string generate_numeric_code(const CryptoContext& ctx, int digits);

}  // namespace furoshiki::crypto
