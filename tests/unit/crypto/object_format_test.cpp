// The encrypted object format: round trips, random-access reads, and every tamper case of
// docs/format.md reported as an integrity error, never as wrong plaintext.
#include "crypto/object_format.hpp"

#include "test_support/crypto_context.hpp"

#include <gtest/gtest.h>

#include <random>

namespace furoshiki::crypto {
namespace {

constexpr std::uint32_t kChunk = kMinChunkBytes;  // small chunks: many boundaries in little data
const std::string kOrgA = "org-a";
const std::string kOrgB = "org-b";

std::vector<std::uint8_t> pattern(std::size_t n, std::uint32_t seed = 1) {
  std::vector<std::uint8_t> out(n);
  std::mt19937 rng(seed);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

std::string new_id(const CryptoContext& ctx) {
  std::array<std::uint8_t, 16> raw{};
  ctx.random_bytes(raw);
  return hex16_encode(raw);
}

class ObjectFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_ = test_support::test_crypto_context();
    key_a_ = SecretKey::random(*ctx_);
    key_b_ = SecretKey::random(*ctx_);
    ref_a_ = {kOrgA, new_id(*ctx_), 1};
    ref_b_ = {kOrgB, new_id(*ctx_), 1};
  }

  // Seals `plain` as object `object_id` of tenant A, appending in pieces of `piece` bytes.
  std::vector<std::uint8_t> seal(std::span<const std::uint8_t> plain, const std::string& object_id,
                                 std::uint32_t chunk = kChunk, std::size_t piece = 1000) {
    VectorSink sink;
    ObjectSealer sealer(ctx_, key_a_, ref_a_, object_id, sink, chunk);
    EXPECT_FALSE(sealer.status());
    for (std::size_t i = 0; i < plain.size(); i += piece) {
      EXPECT_FALSE(sealer.append(plain.subspan(i, std::min(piece, plain.size() - i))));
    }
    EXPECT_FALSE(sealer.finish());
    EXPECT_EQ(sealer.plaintext_bytes(), plain.size());
    EXPECT_EQ(sealer.sealed_bytes(), sink.bytes.size());
    return std::move(sink.bytes);
  }

  TenantKeyLookup lookup_for(const std::string& org) {
    return [this, org](const std::string& key_id, std::uint32_t version, SecretKey& out) -> boost::system::error_code {
      const TenantKeyRef& ref = org == kOrgA ? ref_a_ : ref_b_;
      if (key_id != ref.key_id || version != ref.version) return CryptoErrc::kUnknownKey;
      if (destroyed_) return CryptoErrc::kKeyDestroyed;
      out = org == kOrgA ? key_a_ : key_b_;
      return {};
    };
  }

  boost::system::error_code open(std::span<const std::uint8_t> sealed, const std::string& object_id,
                                 std::unique_ptr<ObjectOpener>& out, const std::string& org = kOrgA) {
    source_ = std::make_unique<SpanSource>(sealed);
    return ObjectOpener::open(ctx_, *source_, org, object_id, lookup_for(org), out);
  }

  // Opens and reads everything; returns the first error.
  boost::system::error_code read_all(std::span<const std::uint8_t> sealed, const std::string& object_id,
                                     std::vector<std::uint8_t>& plain, const std::string& org = kOrgA) {
    std::unique_ptr<ObjectOpener> opener;
    if (auto ec = open(sealed, object_id, opener, org)) return ec;
    plain.assign(opener->size(), 0);
    return opener->read(0, plain);
  }

  void expect_integrity_error(std::span<const std::uint8_t> sealed, const std::string& object_id,
                              const std::string& what) {
    std::vector<std::uint8_t> plain;
    EXPECT_EQ(read_all(sealed, object_id, plain), make_error_code(CryptoErrc::kIntegrity)) << what;
  }

  std::shared_ptr<const CryptoContext> ctx_;
  SecretKey key_a_, key_b_;
  TenantKeyRef ref_a_, ref_b_;
  bool destroyed_ = false;
  std::unique_ptr<SpanSource> source_;
};

TEST_F(ObjectFormatTest, RoundTripsEverySizeAroundChunkBoundaries) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{kChunk - 1}, std::size_t{kChunk},
                           std::size_t{kChunk + 1}, std::size_t{3 * kChunk}, std::size_t{3 * kChunk + 7}}) {
    const auto plain = pattern(size, static_cast<std::uint32_t>(size));
    const auto id = new_id(*ctx_);
    const auto sealed = seal(plain, id);
    const std::size_t chunks = size == 0 ? 1 : (size + kChunk - 1) / kChunk;
    EXPECT_EQ(sealed.size(), kObjectHeaderBytes + size + chunks * kTagBytes) << size;
    std::vector<std::uint8_t> back;
    ASSERT_FALSE(read_all(sealed, id, back)) << size;
    EXPECT_EQ(back, plain) << size;
  }
}

TEST_F(ObjectFormatTest, SeveralMegabytesWithTheDefaultChunkSize) {
  const auto plain = pattern(5 * 1024 * 1024 + 123);
  const auto id = new_id(*ctx_);
  const auto sealed = seal(plain, id, kDefaultChunkBytes, 100000);
  std::vector<std::uint8_t> back;
  ASSERT_FALSE(read_all(sealed, id, back));
  EXPECT_EQ(back, plain);
}

TEST_F(ObjectFormatTest, RandomRangesMatchThePlaintext) {
  std::mt19937 rng(42);
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{kChunk - 1}, std::size_t{kChunk},
                           std::size_t{kChunk + 1}, std::size_t{5 * 1024 * 1024 + 3}}) {
    const auto plain = pattern(size, 7);
    const auto id = new_id(*ctx_);
    const auto sealed = seal(plain, id, kChunk, 4099);
    std::unique_ptr<ObjectOpener> opener;
    ASSERT_FALSE(open(sealed, id, opener));
    ASSERT_EQ(opener->size(), size);
    for (int i = 0; i < 200; ++i) {
      const std::size_t offset = rng() % (size + 1);
      const std::size_t length = rng() % (size - offset + 1);
      std::vector<std::uint8_t> out(length);
      ASSERT_FALSE(opener->read(offset, out)) << offset << "+" << length;
      ASSERT_TRUE(std::equal(out.begin(), out.end(), plain.begin() + static_cast<std::ptrdiff_t>(offset)))
          << "size " << size << " offset " << offset << " length " << length;
    }
    std::vector<std::uint8_t> past(1);
    EXPECT_EQ(opener->read(size, past), make_error_code(CryptoErrc::kOutOfRange));
  }
}

TEST_F(ObjectFormatTest, SameInputSealsDifferentlyEachTime) {
  const auto plain = pattern(100);
  const auto id = new_id(*ctx_);
  EXPECT_NE(seal(plain, id), seal(plain, id));  // fresh data key and nonce prefix per object
}

TEST_F(ObjectFormatTest, FlippedBitInEveryHeaderByteIsDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(3 * kChunk), id);
  for (std::size_t i = 0; i < kObjectHeaderBytes; ++i) {
    auto bad = sealed;
    bad[i] ^= 0x01;
    expect_integrity_error(bad, id, "header byte " + std::to_string(i));
  }
}

TEST_F(ObjectFormatTest, FlippedBitInTheBodyIsDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(3 * kChunk + 100), id);
  const std::size_t stride = kChunk + kTagBytes;
  for (std::size_t offset :
       {std::size_t{0}, std::size_t{1}, std::size_t{kChunk - 1}, std::size_t{kChunk}, std::size_t{stride - 1},
        std::size_t{stride}, std::size_t{2 * stride + 17}, std::size_t{3 * stride}, std::size_t{3 * stride + 115}}) {
    for (std::uint8_t bit : {0x01, 0x80}) {
      auto bad = sealed;
      bad[kObjectHeaderBytes + offset] ^= bit;
      expect_integrity_error(bad, id, "body offset " + std::to_string(offset));
    }
  }
}

TEST_F(ObjectFormatTest, TruncationAtEveryChunkBoundaryIsDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(3 * kChunk + 100), id);
  const std::size_t stride = kChunk + kTagBytes;
  for (std::size_t chunks = 0; chunks <= 3; ++chunks) {
    const std::vector<std::uint8_t> cut(
        sealed.begin(), sealed.begin() + static_cast<std::ptrdiff_t>(kObjectHeaderBytes + chunks * stride));
    expect_integrity_error(cut, id, "cut after " + std::to_string(chunks) + " chunks");
  }
}

TEST_F(ObjectFormatTest, TruncationInsideChunksIsDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(2 * kChunk + 50), id);
  for (std::size_t remove : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{66}, std::size_t{67},
                             std::size_t{kChunk}, sealed.size() - kObjectHeaderBytes, sealed.size() - 1}) {
    const std::vector<std::uint8_t> cut(sealed.begin(), sealed.end() - static_cast<std::ptrdiff_t>(remove));
    expect_integrity_error(cut, id, "removed " + std::to_string(remove));
  }
}

TEST_F(ObjectFormatTest, AppendedDataIsDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(2 * kChunk), id);  // ends with a full last chunk
  for (std::size_t extra : {std::size_t{1}, std::size_t{16}, std::size_t{17}, std::size_t{kChunk + kTagBytes}}) {
    auto longer = sealed;
    const auto junk = pattern(extra, 99);
    longer.insert(longer.end(), junk.begin(), junk.end());
    expect_integrity_error(longer, id, "appended " + std::to_string(extra));
  }
}

TEST_F(ObjectFormatTest, ReorderedChunksAreDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(3 * kChunk + 10), id);
  const std::size_t stride = kChunk + kTagBytes;
  auto swapped = sealed;
  std::swap_ranges(swapped.begin() + kObjectHeaderBytes, swapped.begin() + kObjectHeaderBytes + stride,
                   swapped.begin() + kObjectHeaderBytes + stride);
  expect_integrity_error(swapped, id, "chunks 0 and 1 swapped");
}

TEST_F(ObjectFormatTest, DuplicatedChunkIsDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(3 * kChunk + 10), id);
  const std::size_t stride = kChunk + kTagBytes;
  auto copied = sealed;  // chunk 0 written over chunk 1
  std::copy_n(sealed.begin() + kObjectHeaderBytes, stride, copied.begin() + kObjectHeaderBytes + stride);
  expect_integrity_error(copied, id, "chunk 0 duplicated over chunk 1");
  auto inserted = sealed;  // chunk 1 inserted again after itself
  inserted.insert(inserted.begin() + kObjectHeaderBytes + 2 * stride, sealed.begin() + kObjectHeaderBytes + stride,
                  sealed.begin() + kObjectHeaderBytes + 2 * stride);
  expect_integrity_error(inserted, id, "chunk 1 inserted twice");
}

TEST_F(ObjectFormatTest, ChunkSplicedFromAnotherObjectIsDetected) {
  const auto id1 = new_id(*ctx_);
  const auto id2 = new_id(*ctx_);
  const auto one = seal(pattern(3 * kChunk, 1), id1);
  const auto two = seal(pattern(3 * kChunk, 2), id2);
  const std::size_t stride = kChunk + kTagBytes;
  auto spliced = one;
  std::copy_n(two.begin() + kObjectHeaderBytes + stride, stride, spliced.begin() + kObjectHeaderBytes + stride);
  expect_integrity_error(spliced, id1, "chunk 1 from another object");
}

TEST_F(ObjectFormatTest, HeaderSplicedFromAnotherObjectIsDetected) {
  const auto id1 = new_id(*ctx_);
  const auto id2 = new_id(*ctx_);
  const auto one = seal(pattern(3 * kChunk, 1), id1);
  const auto two = seal(pattern(3 * kChunk, 2), id2);
  auto spliced = one;
  std::copy_n(two.begin(), kObjectHeaderBytes, spliced.begin());
  expect_integrity_error(spliced, id1, "header of another object, opened as the first");
  expect_integrity_error(spliced, id2, "header of another object, opened as the second");
}

TEST_F(ObjectFormatTest, ObjectMovedToAnotherTenantIsUnreadable) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(kChunk + 5), id);
  std::vector<std::uint8_t> plain;
  // Tenant B's key ring does not know tenant A's key id: not readable as B's.
  EXPECT_EQ(read_all(sealed, id, plain, kOrgB), make_error_code(CryptoErrc::kIntegrity));
  // Even with A's key at hand, the data key is bound to org A.
  std::unique_ptr<ObjectOpener> opener;
  SpanSource source(sealed);
  const auto ec = ObjectOpener::open(ctx_, source, kOrgB, id, lookup_for(kOrgA), opener);
  EXPECT_EQ(ec, make_error_code(CryptoErrc::kIntegrity));
  EXPECT_EQ(opener, nullptr);
}

TEST_F(ObjectFormatTest, ObjectOpenedUnderAnotherIdIsDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(10), id);
  expect_integrity_error(sealed, new_id(*ctx_), "renamed object");
}

TEST_F(ObjectFormatTest, DestroyedTenantKeyMakesObjectsUnreadable) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(10), id);
  destroyed_ = true;
  std::vector<std::uint8_t> plain;
  EXPECT_EQ(read_all(sealed, id, plain), make_error_code(CryptoErrc::kKeyDestroyed));
}

TEST_F(ObjectFormatTest, TamperedMiddleChunkFailsOnlyReadsThatTouchIt) {
  const auto id = new_id(*ctx_);
  const auto plain = pattern(3 * kChunk);
  auto sealed = seal(plain, id);
  sealed[kObjectHeaderBytes + (kChunk + kTagBytes) + 10] ^= 0x04;  // inside chunk 1
  std::unique_ptr<ObjectOpener> opener;
  ASSERT_FALSE(open(sealed, id, opener));  // header and last chunk are intact
  std::vector<std::uint8_t> first(kChunk);
  EXPECT_FALSE(opener->read(0, first));
  std::vector<std::uint8_t> across(20);
  EXPECT_EQ(opener->read(kChunk - 10, across), make_error_code(CryptoErrc::kIntegrity));
  EXPECT_EQ(std::count(across.begin(), across.begin() + 10, 0), 10);  // nothing usable left behind
}

TEST_F(ObjectFormatTest, HeaderParserRejectsGarbageWithoutReadingPastIt) {
  ObjectHeader h;
  EXPECT_TRUE(parse_object_header({}, h));
  const auto junk = pattern(kObjectHeaderBytes);
  EXPECT_TRUE(parse_object_header(junk, h));
  ObjectHeader good;
  good.chunk_bytes = kChunk;
  auto bytes = good.encode();
  EXPECT_FALSE(parse_object_header(bytes, h));
  EXPECT_EQ(h.chunk_bytes, kChunk);
  bytes[12] = 0xff;  // chunk size out of bounds (≥ 4 GiB - 16 MiB)
  EXPECT_TRUE(parse_object_header(bytes, h));
}

TEST_F(ObjectFormatTest, SealerRejectsMalformedIds) {
  VectorSink sink;
  EXPECT_THROW(ObjectSealer(ctx_, key_a_, ref_a_, "not-hex", sink), std::invalid_argument);
  TenantKeyRef bad = ref_a_;
  bad.key_id = "ABCDEF";
  EXPECT_THROW(ObjectSealer(ctx_, key_a_, bad, new_id(*ctx_), sink), std::invalid_argument);
}

}  // namespace
}  // namespace furoshiki::crypto
