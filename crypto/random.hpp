// Cryptographically secure randomness and constant-time comparison (OpenSSL's DRBG).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace furoshiki::crypto {

// Fills `out` from OpenSSL's DRBG. Throws std::runtime_error if the DRBG fails (never silently
// returns weak bytes).
void random_bytes(std::span<std::uint8_t> out);

// `bytes` random bytes, lower-case hex encoded (2 * bytes characters).
std::string random_hex(std::size_t bytes);

// True when a and b are equal; the time taken depends only on the lengths.
bool equal_constant_time(std::string_view a, std::string_view b) noexcept;

}  // namespace furoshiki::crypto
