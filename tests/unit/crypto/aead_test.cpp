// AES-256-GCM known answers (the GCM specification's AES-256 test cases, as used by NIST's
// CAVP gcmEncryptExtIV256 set), authentication failures, and the keyed-once contexts
// (AeadSealer/AeadOpener) giving the same bytes as one context per message.
#include "crypto/aead.hpp"

#include "test_support/crypto_context.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace furoshiki::crypto {
namespace {

std::vector<std::uint8_t> unhex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

struct Vector {
  const char* name;
  const char* key;
  const char* iv;
  const char* plaintext;
  const char* aad;
  const char* ciphertext;
  const char* tag;
};

// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13–16 (AES-256, 96-bit IV).
constexpr Vector kVectors[] = {
    {"case 13: empty", "0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"case 14: one zero block", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "", "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
    {"case 15: 64 bytes", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657b"
     "a637b391aafd255",
     "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0ab"
     "cc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"case 16: 60 bytes with associated data", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657b"
     "a637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0ab"
     "cc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(AeadTest, MatchesKnownAnswers) {
  const auto ctx = test_support::test_crypto_context();
  for (const auto& v : kVectors) {
    const auto key_bytes = unhex(v.key);
    const SecretKey key(std::span<const std::uint8_t, kKeyBytes>(key_bytes.data(), kKeyBytes));
    const auto iv = unhex(v.iv);
    const std::span<const std::uint8_t, kNonceBytes> nonce(iv.data(), kNonceBytes);
    const auto plain = unhex(v.plaintext);
    const auto aad = unhex(v.aad);
    auto expected = unhex(v.ciphertext);
    const auto tag = unhex(v.tag);
    expected.insert(expected.end(), tag.begin(), tag.end());

    std::vector<std::uint8_t> sealed;
    ASSERT_FALSE(aead_seal(*ctx, key, nonce, aad, plain, sealed)) << v.name;
    EXPECT_EQ(sealed, expected) << v.name;
    std::vector<std::uint8_t> opened;
    ASSERT_FALSE(aead_open(*ctx, key, nonce, aad, expected, opened)) << v.name;
    EXPECT_EQ(opened, plain) << v.name;
  }
}

TEST(AeadTest, AnyChangeFailsAuthenticationAndYieldsNothing) {
  const auto ctx = test_support::test_crypto_context();
  const SecretKey key = SecretKey::random(*ctx);
  const std::array<std::uint8_t, kNonceBytes> nonce{1, 2, 3};
  const std::vector<std::uint8_t> plain = {'s', 'e', 'c', 'r', 'e', 't'};
  const std::vector<std::uint8_t> aad = {'o', 'r', 'g'};
  std::vector<std::uint8_t> sealed;
  ASSERT_FALSE(aead_seal(*ctx, key, nonce, aad, plain, sealed));
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto bad = sealed;
    bad[i] ^= 0x20;
    EXPECT_EQ(aead_open(*ctx, key, nonce, aad, bad, out), make_error_code(CryptoErrc::kIntegrity)) << i;
    EXPECT_TRUE(out.empty());
  }
  const std::vector<std::uint8_t> other_aad = {'o', 'r', 'h'};
  EXPECT_EQ(aead_open(*ctx, key, nonce, other_aad, sealed, out), make_error_code(CryptoErrc::kIntegrity));
  EXPECT_EQ(aead_open(*ctx, SecretKey::random(*ctx), nonce, aad, sealed, out), make_error_code(CryptoErrc::kIntegrity));
  const std::vector<std::uint8_t> short_input(kTagBytes - 1);
  EXPECT_EQ(aead_open(*ctx, key, nonce, aad, short_input, out), make_error_code(CryptoErrc::kIntegrity));
}

TEST(AeadTest, KnownAnswersThroughOneKeyedContext) {
  const auto ctx = test_support::test_crypto_context();
  // Cases 15 and 16 share key and IV; sealing both (and case 15 again) through one context shows
  // that setting the nonce resets all GCM state left by the previous message.
  const auto key_bytes = unhex(kVectors[2].key);
  const SecretKey key(std::span<const std::uint8_t, kKeyBytes>(key_bytes.data(), kKeyBytes));
  AeadSealer sealer(*ctx, key);
  AeadOpener opener(*ctx, key);
  ASSERT_TRUE(sealer.valid());
  ASSERT_TRUE(opener.valid());
  for (const auto* v : {&kVectors[2], &kVectors[3], &kVectors[2]}) {
    const auto iv = unhex(v->iv);
    const std::span<const std::uint8_t, kNonceBytes> nonce(iv.data(), kNonceBytes);
    const auto plain = unhex(v->plaintext);
    auto expected = unhex(v->ciphertext);
    const auto tag = unhex(v->tag);
    expected.insert(expected.end(), tag.begin(), tag.end());
    std::vector<std::uint8_t> sealed(plain.size() + kTagBytes);
    ASSERT_FALSE(sealer.seal(nonce, unhex(v->aad), plain, sealed)) << v->name;
    EXPECT_EQ(sealed, expected) << v->name;
    std::vector<std::uint8_t> opened(plain.size());
    ASSERT_FALSE(opener.open(nonce, unhex(v->aad), expected, opened)) << v->name;
    EXPECT_EQ(opened, plain) << v->name;
  }
}

TEST(AeadTest, KeyedContextsMatchOneShotCallsAndSurviveFailures) {
  const auto ctx = test_support::test_crypto_context();
  const SecretKey key = SecretKey::random(*ctx);
  AeadSealer sealer(*ctx, key);
  AeadOpener opener(*ctx, key);
  std::array<std::uint8_t, kNonceBytes> nonce{9, 8, 7};
  const std::vector<std::uint8_t> aad(41, 0x5a);
  for (std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{4097}, std::size_t{65536}}) {
    ++nonce[11];
    std::vector<std::uint8_t> plain(size);
    ctx->random_bytes(plain);
    std::vector<std::uint8_t> one_shot;
    ASSERT_FALSE(aead_seal(*ctx, key, nonce, aad, plain, one_shot));
    std::vector<std::uint8_t> sealed(size + kTagBytes);
    ASSERT_FALSE(sealer.seal(nonce, aad, plain, sealed)) << size;
    EXPECT_EQ(sealed, one_shot) << size;

    // A failed open wipes its output and leaves the context good for the next message.
    auto bad = sealed;
    bad[size / 2] ^= 0x01;
    std::vector<std::uint8_t> out(size, 0xee);
    EXPECT_EQ(opener.open(nonce, aad, bad, out), make_error_code(CryptoErrc::kIntegrity)) << size;
    EXPECT_EQ(std::count(out.begin(), out.end(), 0), static_cast<std::ptrdiff_t>(size)) << size;
    ASSERT_FALSE(opener.open(nonce, aad, sealed, out)) << size;
    EXPECT_EQ(out, plain) << size;
  }
}

TEST(AeadTest, KeyedContextsRejectMisuse) {
  const auto ctx = test_support::test_crypto_context();
  const SecretKey key = SecretKey::random(*ctx);
  const std::array<std::uint8_t, kNonceBytes> nonce{};
  const std::vector<std::uint8_t> plain(10);
  std::vector<std::uint8_t> out(plain.size() + kTagBytes);
  AeadSealer unkeyed;
  EXPECT_FALSE(unkeyed.valid());
  EXPECT_EQ(unkeyed.seal(nonce, {}, plain, out), make_error_code(CryptoErrc::kInternal));
  AeadOpener unkeyed_opener;
  std::vector<std::uint8_t> opened(plain.size());
  EXPECT_EQ(unkeyed_opener.open(nonce, {}, out, opened), make_error_code(CryptoErrc::kInternal));

  AeadSealer sealer(*ctx, key);
  std::vector<std::uint8_t> too_short(plain.size() + kTagBytes - 1);
  EXPECT_EQ(sealer.seal(nonce, {}, plain, too_short), make_error_code(CryptoErrc::kInternal));
  ASSERT_FALSE(sealer.seal(nonce, {}, plain, out));
  AeadOpener opener(*ctx, key);
  std::vector<std::uint8_t> wrong_size(plain.size() + 1);
  EXPECT_EQ(opener.open(nonce, {}, out, wrong_size), make_error_code(CryptoErrc::kIntegrity));
  const std::vector<std::uint8_t> short_input(kTagBytes - 1);
  std::vector<std::uint8_t> nothing;
  EXPECT_EQ(opener.open(nonce, {}, short_input, nothing), make_error_code(CryptoErrc::kIntegrity));
}

TEST(AeadTest, Sha256MatchesFips180Examples) {
  const auto ctx = test_support::test_crypto_context();
  const std::string abc = "abc";
  const auto digest = sha256(*ctx, {reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()});
  EXPECT_EQ(std::vector<std::uint8_t>(digest.begin(), digest.end()),
            unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

}  // namespace
}  // namespace furoshiki::crypto
