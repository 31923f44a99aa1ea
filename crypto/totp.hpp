// Time-based one-time passwords for two-factor sign-in: RFC 6238 TOTP with the parameters every
// authenticator app supports — HMAC-SHA-1 (FIPS-approved as an HMAC), 6 digits, 30-second steps
// from the Unix epoch — plus the base32 and otpauth:// URI used to enrol an app by QR code.
#pragma once

#include "crypto/context.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace furoshiki::crypto {

inline constexpr int kTotpDigits = 6;
inline constexpr std::int64_t kTotpStepSeconds = 30;
// Shortest secret accepted: RFC 4226 section 4 requires at least 128 bits.
inline constexpr std::size_t kMinTotpSecretBytes = 16;

// A new shared secret: 20 bytes (160 bits, RFC 4226's recommendation) from ctx's DRBG. Secret:
// store it encrypted. Throws CryptoError if the DRBG fails.
[[nodiscard]] std::vector<std::uint8_t> generate_totp_secret(const CryptoContext& ctx);

// RFC 4648 section 6 base32, upper case, without padding (what authenticator apps expect).
[[nodiscard]] std::string base32_encode(std::span<const std::uint8_t> data);

// Inverse of base32_encode, accepting lower case too. nullopt for padding, any character outside
// the alphabet, an impossible length or non-zero unused trailing bits.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> base32_decode(std::string_view text);

// The 6-digit code for `unix_time` (seconds). REQUIRES: unix_time >= 0 and
// secret.size() >= kMinTotpSecretBytes (std::invalid_argument otherwise). Throws CryptoError if
// HMAC fails.
[[nodiscard]] std::string totp_code(const CryptoContext& ctx, std::span<const std::uint8_t> secret,
                                    std::int64_t unix_time);

// Checks `code` against the steps unix_time/30 - 1, unix_time/30 and unix_time/30 + 1 (one step
// of clock drift either way) and returns the step it matched, which the caller stores as the
// next call's `last_used_step`: a step <= last_used_step never matches, so each code is accepted
// at most once (RFC 6238 section 5.2). nullopt for a wrong or replayed code, for anything but
// exactly 6 ASCII digits, for unix_time < 0 and for a secret shorter than kMinTotpSecretBytes.
// Codes are compared in constant time. Throws CryptoError if HMAC fails.
[[nodiscard]] std::optional<std::int64_t> verify_totp(const CryptoContext& ctx, std::span<const std::uint8_t> secret,
                                                      std::string_view code, std::int64_t unix_time,
                                                      std::optional<std::int64_t> last_used_step);

// The Key URI an authenticator app scans:
//   otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
// issuer and account are UTF-8; every byte outside RFC 3986's unreserved set is percent-encoded
// (so a ':' in either cannot split the label). The URI contains the secret.
[[nodiscard]] std::string otpauth_uri(std::string_view issuer, std::string_view account,
                                      std::span<const std::uint8_t> secret);

// The primitive behind TOTP, exposed for known-answer tests. Not for other callers.
namespace internal {

// RFC 4226 section 5.3 HOTP with HMAC-SHA-1 through ctx's HMAC: `digits` (1..9) decimal digits.
// Throws CryptoError if HMAC fails.
[[nodiscard]] std::string hotp_sha1(const CryptoContext& ctx, std::span<const std::uint8_t> secret,
                                    std::uint64_t counter, int digits);

}  // namespace internal
}  // namespace furoshiki::crypto
