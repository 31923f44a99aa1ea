// Hexadecimal encoding; see hex.hpp.
#include "crypto/hex.hpp"

namespace furoshiki::crypto {
namespace {

int digit_value(char c, HexCase letters) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (letters == HexCase::kAny && c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string hex_encode(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

bool hex_decode(std::string_view hex, std::span<std::uint8_t> out, HexCase letters) {
  if (hex.size() != 2 * out.size()) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = digit_value(hex[2 * i], letters);
    const int lo = digit_value(hex[2 * i + 1], letters);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace furoshiki::crypto
