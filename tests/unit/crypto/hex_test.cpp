// Hexadecimal encoding: round trip, case rules, and refusal of malformed input.
#include "crypto/hex.hpp"

#include <gtest/gtest.h>

#include <array>

namespace furoshiki::crypto {
namespace {

TEST(HexTest, EncodesLowerCaseAndRoundTrips) {
  const std::array<std::uint8_t, 4> bytes = {0x00, 0x9f, 0xa0, 0xff};
  EXPECT_EQ(hex_encode(bytes), "009fa0ff");
  std::array<std::uint8_t, 4> back{};
  ASSERT_TRUE(hex_decode("009fa0ff", back));
  EXPECT_EQ(back, bytes);
  EXPECT_EQ(hex_encode({}), "");
}

TEST(HexTest, UpperCaseOnlyWhenAllowed) {
  std::array<std::uint8_t, 2> out{};
  EXPECT_FALSE(hex_decode("ABCD", out));
  ASSERT_TRUE(hex_decode("ABCD", out, HexCase::kAny));
  EXPECT_EQ(out[0], 0xab);
  EXPECT_EQ(out[1], 0xcd);
}

TEST(HexTest, RefusesWrongLengthAndNonDigits) {
  std::array<std::uint8_t, 2> out{};
  EXPECT_FALSE(hex_decode("abc", out));
  EXPECT_FALSE(hex_decode("abcdef", out));
  EXPECT_FALSE(hex_decode("abcg", out, HexCase::kAny));
  EXPECT_FALSE(hex_decode(std::string_view("ab\0d", 4), out, HexCase::kAny));
}

}  // namespace
}  // namespace furoshiki::crypto
