// Share and request tokens, their stored hashes, and e-mailed numeric codes.
#include "crypto/token.hpp"

#include "crypto/context.hpp"
#include "test_support/crypto_context.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

namespace furoshiki::crypto {
namespace {

using test_support::test_crypto_context;  // FIPS or not, as the test run is configured

TEST(TokenTest, IsFortyThreeBase64UrlCharacters) {
  const std::string token = generate_token(*test_crypto_context());
  EXPECT_EQ(token.size(), kTokenLength);
  EXPECT_TRUE(std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  })) << token;
}

TEST(TokenTest, EncodesExactlyThirtyTwoBytes) {
  // 43 characters carry 258 bits; the last character's two unused low bits are zero.
  const auto ctx = test_crypto_context();
  for (int i = 0; i < 64; ++i) {
    const std::string token = generate_token(*ctx);
    EXPECT_NE(std::string_view("AEIMQUYcgkosw048").find(token.back()), std::string_view::npos) << token;
  }
}

TEST(TokenTest, GeneratesDistinctTokens) {
  const auto ctx = test_crypto_context();
  std::set<std::string> tokens;
  for (int i = 0; i < 1000; ++i) tokens.insert(generate_token(*ctx));
  EXPECT_EQ(tokens.size(), 1000u);
}

TEST(TokenTest, HashIsSha256OfTheTokensCharacters) {
  // FIPS 180-2 appendix B.1: SHA-256("abc").
  const TokenHash expected = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                              0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                              0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  EXPECT_EQ(token_hash(*test_crypto_context(), "abc"), expected);
}

TEST(TokenTest, MatchesItsStoredHash) {
  const auto ctx = test_crypto_context();
  const std::string token = generate_token(*ctx);
  EXPECT_TRUE(token_matches(*ctx, token, token_hash(*ctx, token)));
}

TEST(TokenTest, RejectsAnyOtherTokenAgainstAStoredHash) {
  const auto ctx = test_crypto_context();
  const std::string token = generate_token(*ctx);
  const TokenHash stored = token_hash(*ctx, token);
  std::string one_char_changed = token;
  one_char_changed[10] = one_char_changed[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(token_matches(*ctx, one_char_changed, stored));
  EXPECT_FALSE(token_matches(*ctx, token.substr(0, kTokenLength - 1), stored));
  EXPECT_FALSE(token_matches(*ctx, token + "A", stored));
  EXPECT_FALSE(token_matches(*ctx, "", stored));
  EXPECT_FALSE(token_matches(*ctx, generate_token(*ctx), stored));
}

TEST(NumericCodeTest, HasTheRequestedNumberOfDecimalDigits) {
  const auto ctx = test_crypto_context();
  for (int digits : {1, 6, 8, 32}) {
    const std::string code = generate_numeric_code(*ctx, digits);
    EXPECT_EQ(code.size(), static_cast<std::size_t>(digits));
    EXPECT_TRUE(std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) << code;
  }
}

TEST(NumericCodeTest, RefusesDigitCountsOutOfRange) {
  const auto ctx = test_crypto_context();
  EXPECT_THROW((void)generate_numeric_code(*ctx, 0), std::invalid_argument);
  EXPECT_THROW((void)generate_numeric_code(*ctx, -1), std::invalid_argument);
  EXPECT_THROW((void)generate_numeric_code(*ctx, 33), std::invalid_argument);
}

TEST(NumericCodeTest, DrawsEveryDigitEvenly) {
  // 60,000 digits: each count is 6000 with a standard deviation of about 73; the bound is 8
  // standard deviations, so a correct generator essentially never fails it, while a generator
  // that skips or favours digits grossly does.
  const auto ctx = test_crypto_context();
  std::array<int, 10> counts{};
  for (int i = 0; i < 10000; ++i) {
    for (char c : generate_numeric_code(*ctx, 6)) ++counts[static_cast<std::size_t>(c - '0')];
  }
  for (int count : counts) EXPECT_NEAR(count, 6000, 600);
}

}  // namespace
}  // namespace furoshiki::crypto
