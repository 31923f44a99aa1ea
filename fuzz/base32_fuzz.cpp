// Fuzz target for crypto::base32_decode and base32_encode (crypto/totp.hpp; RFC 4648 section 6
// without padding, decoding case-insensitively), which read the TOTP secrets users and admins
// paste in. The input is used twice: as text to decode and as bytes to encode.
//
// What must hold: decoding accepts exactly the texts the header describes — alphabet characters
// only, a length that whole bytes can give (not 1, 3 or 6 mod 8) and zero unused trailing bits —
// checked against an independent statement of those rules; what it accepts encodes back to the
// text in upper case; and any bytes encode to ceil(8n/5) alphabet characters that decode back to
// the same bytes.
#include "crypto/totp.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace {

namespace crypto = furoshiki::crypto;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "base32_fuzz: invariant violated: %s\n", what);
  std::abort();
}

// The 5-bit value of an RFC 4648 base32 character, either case; -1 outside the alphabet.
int value_of(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

bool decodable(std::string_view text) {
  for (const char c : text) {
    if (value_of(c) < 0) return false;
  }
  const std::size_t rest = text.size() % 8;
  if (rest == 1 || rest == 3 || rest == 6) return false;
  // 5n bits make floor(5n/8) bytes; the unused low bits, all in the last character, must be 0.
  const std::size_t unused = text.size() * 5 % 8;
  return unused == 0 || (value_of(text.back()) & ((1 << unused) - 1)) == 0;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto decoded = crypto::base32_decode(text);
  require(decoded.has_value() == decodable(text), "decoding accepts exactly the well-formed texts");
  if (decoded) {
    require(decoded->size() == size * 5 / 8, "a text of n characters decodes to floor(5n/8) bytes");
    require(crypto::base32_encode(*decoded) == upper(text), "a decoded text encodes back to itself in upper case");
  }

  const std::span<const std::uint8_t> bytes(data, size);
  const std::string encoded = crypto::base32_encode(bytes);
  require(encoded.size() == (size * 8 + 4) / 5, "n bytes encode to ceil(8n/5) characters");
  for (const char c : encoded) {
    require(value_of(c) >= 0 && !(c >= 'a' && c <= 'z'), "encoding uses the upper-case alphabet only");
  }
  const auto again = crypto::base32_decode(encoded);
  require(again && std::equal(again->begin(), again->end(), bytes.begin(), bytes.end()), "encoded bytes decode back");
  return 0;
}
