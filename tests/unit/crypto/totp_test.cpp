// TOTP (RFC 6238) codes and verification, base32 (RFC 4648), otpauth URIs.
#include "crypto/totp.hpp"

#include "crypto/context.hpp"
#include "test_support/crypto_context.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace furoshiki::crypto {
namespace {

using test_support::test_crypto_context;  // FIPS or not, as the test run is configured

// RFC 6238 appendix B: the SHA-1 seed, ASCII "12345678901234567890".
std::vector<std::uint8_t> rfc6238_secret() {
  const std::string ascii = "12345678901234567890";
  return {ascii.begin(), ascii.end()};
}

struct Rfc6238Vector {
  std::int64_t unix_time;
  const char* eight_digits;
};

// RFC 6238 appendix B, SHA-1 rows.
constexpr Rfc6238Vector kRfc6238Sha1[] = {
    {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
    {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
};

TEST(TotpTest, HotpMatchesRfc6238Sha1VectorsWithEightDigits) {
  const auto ctx = test_crypto_context();
  for (const auto& v : kRfc6238Sha1) {
    EXPECT_EQ(internal::hotp_sha1(*ctx, rfc6238_secret(), static_cast<std::uint64_t>(v.unix_time / 30), 8),
              v.eight_digits)
        << v.unix_time;
  }
}

TEST(TotpTest, CodeIsTheLastSixDigitsOfRfc6238Vectors) {
  const auto ctx = test_crypto_context();
  for (const auto& v : kRfc6238Sha1) {
    EXPECT_EQ(totp_code(*ctx, rfc6238_secret(), v.unix_time), std::string(v.eight_digits).substr(2)) << v.unix_time;
  }
}

TEST(TotpTest, AcceptsCodeOfTheCurrentStepAndReturnsTheStep) {
  EXPECT_EQ(verify_totp(*test_crypto_context(), rfc6238_secret(), "287082", 59, std::nullopt), 1);
}

TEST(TotpTest, AcceptsCodesOneStepEitherSideOfNow) {
  const auto ctx = test_crypto_context();
  // 1111111109 is step 37037036 and 1111111111 is step 37037037.
  EXPECT_EQ(verify_totp(*ctx, rfc6238_secret(), "081804", 1111111111, std::nullopt), 37037036);
  EXPECT_EQ(verify_totp(*ctx, rfc6238_secret(), "050471", 1111111109, std::nullopt), 37037037);
}

TEST(TotpTest, RefusesCodesTwoStepsFromNow) {
  const auto ctx = test_crypto_context();
  EXPECT_EQ(verify_totp(*ctx, rfc6238_secret(), "081804", 1111111109 + 60, std::nullopt), std::nullopt);
  EXPECT_EQ(verify_totp(*ctx, rfc6238_secret(), "081804", 1111111109 - 60, std::nullopt), std::nullopt);
}

TEST(TotpTest, RefusesReplayOfTheLastUsedStep) {
  const auto ctx = test_crypto_context();
  EXPECT_EQ(verify_totp(*ctx, rfc6238_secret(), "287082", 59, 1), std::nullopt);
  EXPECT_EQ(verify_totp(*ctx, rfc6238_secret(), "287082", 59, 0), 1);
}

TEST(TotpTest, RefusesAnEarlierStepOnceALaterOneWasUsed) {
  EXPECT_EQ(verify_totp(*test_crypto_context(), rfc6238_secret(), "081804", 1111111111, 37037037), std::nullopt);
}

TEST(TotpTest, RefusesWrongCode) {
  EXPECT_EQ(verify_totp(*test_crypto_context(), rfc6238_secret(), "287083", 59, std::nullopt), std::nullopt);
}

TEST(TotpTest, RefusesAnythingButSixAsciiDigits) {
  const auto ctx = test_crypto_context();
  for (const char* code : {"", "28708", "2870820", "94287082", "28708a", " 87082", "287082 ", "+28708", "-28708",
                           "\xef\xbc\x92\xef\xbc\x98\xef\xbc\x97\xef\xbc\x90\xef\xbc\x98\xef\xbc\x92"}) {
    EXPECT_EQ(verify_totp(*ctx, rfc6238_secret(), code, 59, std::nullopt), std::nullopt) << code;
  }
  EXPECT_EQ(verify_totp(*ctx, rfc6238_secret(), std::string("28708\0", 6), 59, std::nullopt), std::nullopt);
}

TEST(TotpTest, RefusesSecretShorterThan128Bits) {
  const auto ctx = test_crypto_context();
  const std::vector<std::uint8_t> short_secret(15, 0x31);
  EXPECT_EQ(verify_totp(*ctx, short_secret, "000000", 59, std::nullopt), std::nullopt);
  EXPECT_THROW((void)totp_code(*ctx, short_secret, 59), std::invalid_argument);
}

TEST(TotpTest, RefusesTimesBeforeTheEpoch) {
  const auto ctx = test_crypto_context();
  EXPECT_EQ(verify_totp(*ctx, rfc6238_secret(), "287082", -1, std::nullopt), std::nullopt);
  EXPECT_THROW((void)totp_code(*ctx, rfc6238_secret(), -1), std::invalid_argument);
}

TEST(TotpTest, VerifiesItsOwnCodesForFreshSecrets) {
  const auto ctx = test_crypto_context();
  const auto secret = generate_totp_secret(*ctx);
  const std::int64_t now = 1700000000;
  EXPECT_EQ(verify_totp(*ctx, secret, totp_code(*ctx, secret, now), now, std::nullopt), now / 30);
}

TEST(TotpTest, GeneratesDistinctTwentyByteSecrets) {
  const auto ctx = test_crypto_context();
  const auto a = generate_totp_secret(*ctx);
  const auto b = generate_totp_secret(*ctx);
  EXPECT_EQ(a.size(), 20u);
  EXPECT_EQ(b.size(), 20u);
  EXPECT_NE(a, b);
}

std::vector<std::uint8_t> ascii(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Base32Test, EncodesRfc4648VectorsWithoutPadding) {
  // RFC 4648 section 10, with the padding removed.
  EXPECT_EQ(base32_encode(ascii("")), "");
  EXPECT_EQ(base32_encode(ascii("f")), "MY");
  EXPECT_EQ(base32_encode(ascii("fo")), "MZXQ");
  EXPECT_EQ(base32_encode(ascii("foo")), "MZXW6");
  EXPECT_EQ(base32_encode(ascii("foob")), "MZXW6YQ");
  EXPECT_EQ(base32_encode(ascii("fooba")), "MZXW6YTB");
  EXPECT_EQ(base32_encode(ascii("foobar")), "MZXW6YTBOI");
}

TEST(Base32Test, DecodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(base32_decode(""), ascii(""));
  EXPECT_EQ(base32_decode("MY"), ascii("f"));
  EXPECT_EQ(base32_decode("MZXQ"), ascii("fo"));
  EXPECT_EQ(base32_decode("MZXW6"), ascii("foo"));
  EXPECT_EQ(base32_decode("MZXW6YQ"), ascii("foob"));
  EXPECT_EQ(base32_decode("MZXW6YTB"), ascii("fooba"));
  EXPECT_EQ(base32_decode("MZXW6YTBOI"), ascii("foobar"));
}

TEST(Base32Test, DecodesLowerCase) { EXPECT_EQ(base32_decode("mzxw6ytboi"), ascii("foobar")); }

TEST(Base32Test, RejectsPaddingForeignCharactersAndImpossibleLengths) {
  for (const char* text : {"MY======", "MZXW6YQ=", "M1", "M8", "MZ-Q", "MZ XQ", "M", "MZX", "MZXW6Y"}) {
    EXPECT_EQ(base32_decode(text), std::nullopt) << text;
  }
}

TEST(Base32Test, RejectsNonZeroUnusedTrailingBits) { EXPECT_EQ(base32_decode("MZ"), std::nullopt); }

TEST(Base32Test, RoundTripsEveryLengthUpToForty) {
  std::vector<std::uint8_t> data;
  for (int n = 0; n <= 40; ++n) {
    EXPECT_EQ(base32_decode(base32_encode(data)), data) << n;
    data.push_back(static_cast<std::uint8_t>(n * 37 + 11));
  }
}

TEST(OtpauthUriTest, NamesIssuerAccountSecretAndParameters) {
  EXPECT_EQ(otpauth_uri("Example Co", "alice@example.com", rfc6238_secret()),
            "otpauth://totp/Example%20Co:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30");
}

TEST(OtpauthUriTest, PercentEncodesReservedAndNonAsciiBytes) {
  const std::string uri = otpauth_uri("A:B&C=D?/#%+", "zo\xc3\xab a-b.c_d~e", rfc6238_secret());
  EXPECT_EQ(uri,
            "otpauth://totp/A%3AB%26C%3DD%3F%2F%23%25%2B:zo%C3%AB%20a-b.c_d~e"
            "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=A%3AB%26C%3DD%3F%2F%23%25%2B"
            "&algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace furoshiki::crypto
