// Randomness and constant-time comparison; see random.hpp.
#include "crypto/random.hpp"

#include "crypto/hex.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <limits>
#include <stdexcept>
#include <vector>

namespace furoshiki::crypto {

void random_bytes(std::span<std::uint8_t> out) {
  while (!out.empty()) {
    const std::size_t n = std::min<std::size_t>(out.size(), std::numeric_limits<int>::max());
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      throw std::runtime_error("the random number generator failed");
    }
    out = out.subspan(n);
  }
}

std::string random_hex(std::size_t bytes) {
  std::vector<std::uint8_t> raw(bytes);
  random_bytes(raw);
  std::string out = hex_encode(raw);
  OPENSSL_cleanse(raw.data(), raw.size());
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace furoshiki::crypto
