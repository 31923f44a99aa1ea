// The encrypted object format: round trips, random-access reads, and every tamper case of
// docs/format.md reported as an integrity error, never as wrong plaintext — each both through the
// zero-copy paths (VectorSink lending its memory, SpanSource giving views) and through sinks and
// sources that only write() and read_at(). Whatever the path and however plaintext is appended,
// the sealed bytes are exactly those docs/format.md defines (checked against a chunk-by-chunk
// reference built with aead_seal).
#include "crypto/object_format.hpp"

#include "test_support/crypto_context.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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

void put64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}

// Only write(): the sealer must seal into its own buffer (as with a file sink).
class WriteOnlySink final : public ObjectSink {
 public:
  explicit WriteOnlySink(ObjectSink& inner) : inner_(inner) {}
  boost::system::error_code write(std::span<const std::uint8_t> bytes) override { return inner_.write(bytes); }

 private:
  ObjectSink& inner_;
};

// Only read_at(): the opener must copy every sealed chunk (as from a file source).
class ReadOnlySource final : public ObjectSource {
 public:
  explicit ReadOnlySource(std::span<const std::uint8_t> bytes) : inner_(bytes) {}
  std::uint64_t size() const override { return inner_.size(); }
  boost::system::error_code read_at(std::uint64_t offset, std::span<std::uint8_t> out) override {
    return inner_.read_at(offset, out);
  }

 private:
  SpanSource inner_;
};

// Lends memory for every other reservation only, and can be told to fail commits or writes:
// the sealer must handle a sink that lends sometimes, and pass a sink's errors on.
class FickleSink final : public ObjectSink {
 public:
  boost::system::error_code write(std::span<const std::uint8_t> bytes) override {
    ++writes;
    if (fail_writes) return CryptoErrc::kIo;
    return inner.write(bytes);
  }
  std::span<std::uint8_t> reserve(std::size_t n) override {
    if (++reservations % 2 == 0) return {};
    return inner.reserve(n);
  }
  boost::system::error_code commit(std::size_t n) override {
    ++commits;
    if (fail_commits) return CryptoErrc::kIo;
    return inner.commit(n);
  }

  VectorSink inner;
  int reservations = 0, commits = 0, writes = 0;
  bool fail_commits = false, fail_writes = false;
};

// Param: true = the zero-copy paths (VectorSink lends, SpanSource gives views), false = a sink
// that only writes and a source that only reads.
class ObjectFormatTest : public ::testing::TestWithParam<bool> {
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
    WriteOnlySink write_only(sink);
    ObjectSealer sealer(ctx_, key_a_, ref_a_, object_id, zero_copy() ? static_cast<ObjectSink&>(sink) : write_only,
                        chunk);
    EXPECT_FALSE(sealer.status());
    for (std::size_t i = 0; i < plain.size(); i += piece) {
      EXPECT_FALSE(sealer.append(plain.subspan(i, std::min(piece, plain.size() - i))));
    }
    EXPECT_FALSE(sealer.finish());
    EXPECT_EQ(sealer.plaintext_bytes(), plain.size());
    EXPECT_EQ(sealer.sealed_bytes(), sink.bytes.size());
    return std::move(sink.bytes);
  }

  bool zero_copy() const { return GetParam(); }

  // The object docs/format.md defines for `plain` under the header `sealed` starts with (data
  // key, nonce prefix): every chunk sealed on its own with aead_seal, independently of how the
  // sealer buffers, lends or seals from the caller's span.
  std::vector<std::uint8_t> reference_object(std::span<const std::uint8_t> sealed, std::span<const std::uint8_t> plain,
                                             const std::string& object_id) {
    ObjectHeader header;
    EXPECT_FALSE(parse_object_header(sealed, header));
    SecretKey data_key;
    EXPECT_FALSE(unwrap_data_key(*ctx_, key_a_, kOrgA, object_id, header.wrapped_data_key, data_key));
    const auto digest = sha256(*ctx_, sealed.first(kObjectHeaderBytes));
    std::vector<std::uint8_t> out(sealed.begin(), sealed.begin() + kObjectHeaderBytes);
    const std::size_t chunk = header.chunk_bytes;
    const std::size_t chunks = plain.empty() ? 1 : (plain.size() + chunk - 1) / chunk;
    for (std::size_t i = 0; i < chunks; ++i) {
      std::array<std::uint8_t, kNonceBytes> nonce{};
      std::copy(header.nonce_prefix.begin(), header.nonce_prefix.end(), nonce.begin());
      put64(nonce.data() + 4, i);
      std::array<std::uint8_t, 41> aad{};
      std::copy(digest.begin(), digest.end(), aad.begin());
      put64(aad.data() + 32, i);
      aad[40] = i + 1 == chunks ? 1 : 0;
      const auto piece = plain.subspan(i * chunk, std::min(chunk, plain.size() - i * chunk));
      std::vector<std::uint8_t> sealed_chunk;
      EXPECT_FALSE(aead_seal(*ctx_, data_key, nonce, aad, piece, sealed_chunk));
      out.insert(out.end(), sealed_chunk.begin(), sealed_chunk.end());
    }
    return out;
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
    if (zero_copy()) {
      source_ = std::make_unique<SpanSource>(sealed);
    } else {
      source_ = std::make_unique<ReadOnlySource>(sealed);
    }
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
  std::unique_ptr<ObjectSource> source_;
};

INSTANTIATE_TEST_SUITE_P(Paths, ObjectFormatTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? std::string("ZeroCopy") : std::string("Copying");
                         });

TEST_P(ObjectFormatTest, RoundTripsEverySizeAroundChunkBoundaries) {
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

TEST_P(ObjectFormatTest, SeveralMegabytesWithTheDefaultChunkSize) {
  const auto plain = pattern(5 * 1024 * 1024 + 123);
  const auto id = new_id(*ctx_);
  const auto sealed = seal(plain, id, kDefaultChunkBytes, 100000);
  std::vector<std::uint8_t> back;
  ASSERT_FALSE(read_all(sealed, id, back));
  EXPECT_EQ(back, plain);
}

TEST_P(ObjectFormatTest, RandomRangesMatchThePlaintext) {
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

TEST_P(ObjectFormatTest, SameInputSealsDifferentlyEachTime) {
  const auto plain = pattern(100);
  const auto id = new_id(*ctx_);
  EXPECT_NE(seal(plain, id), seal(plain, id));  // fresh data key and nonce prefix per object
}

TEST_P(ObjectFormatTest, FlippedBitInEveryHeaderByteIsDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(3 * kChunk), id);
  for (std::size_t i = 0; i < kObjectHeaderBytes; ++i) {
    auto bad = sealed;
    bad[i] ^= 0x01;
    expect_integrity_error(bad, id, "header byte " + std::to_string(i));
  }
}

TEST_P(ObjectFormatTest, FlippedBitInTheBodyIsDetected) {
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

TEST_P(ObjectFormatTest, TruncationAtEveryChunkBoundaryIsDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(3 * kChunk + 100), id);
  const std::size_t stride = kChunk + kTagBytes;
  for (std::size_t chunks = 0; chunks <= 3; ++chunks) {
    const std::vector<std::uint8_t> cut(
        sealed.begin(), sealed.begin() + static_cast<std::ptrdiff_t>(kObjectHeaderBytes + chunks * stride));
    expect_integrity_error(cut, id, "cut after " + std::to_string(chunks) + " chunks");
  }
}

TEST_P(ObjectFormatTest, TruncationInsideChunksIsDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(2 * kChunk + 50), id);
  for (std::size_t remove : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{66}, std::size_t{67},
                             std::size_t{kChunk}, sealed.size() - kObjectHeaderBytes, sealed.size() - 1}) {
    const std::vector<std::uint8_t> cut(sealed.begin(), sealed.end() - static_cast<std::ptrdiff_t>(remove));
    expect_integrity_error(cut, id, "removed " + std::to_string(remove));
  }
}

TEST_P(ObjectFormatTest, AppendedDataIsDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(2 * kChunk), id);  // ends with a full last chunk
  for (std::size_t extra : {std::size_t{1}, std::size_t{16}, std::size_t{17}, std::size_t{kChunk + kTagBytes}}) {
    auto longer = sealed;
    const auto junk = pattern(extra, 99);
    longer.insert(longer.end(), junk.begin(), junk.end());
    expect_integrity_error(longer, id, "appended " + std::to_string(extra));
  }
}

TEST_P(ObjectFormatTest, ReorderedChunksAreDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(3 * kChunk + 10), id);
  const std::size_t stride = kChunk + kTagBytes;
  auto swapped = sealed;
  std::swap_ranges(swapped.begin() + kObjectHeaderBytes, swapped.begin() + kObjectHeaderBytes + stride,
                   swapped.begin() + kObjectHeaderBytes + stride);
  expect_integrity_error(swapped, id, "chunks 0 and 1 swapped");
}

TEST_P(ObjectFormatTest, DuplicatedChunkIsDetected) {
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

TEST_P(ObjectFormatTest, ChunkSplicedFromAnotherObjectIsDetected) {
  const auto id1 = new_id(*ctx_);
  const auto id2 = new_id(*ctx_);
  const auto one = seal(pattern(3 * kChunk, 1), id1);
  const auto two = seal(pattern(3 * kChunk, 2), id2);
  const std::size_t stride = kChunk + kTagBytes;
  auto spliced = one;
  std::copy_n(two.begin() + kObjectHeaderBytes + stride, stride, spliced.begin() + kObjectHeaderBytes + stride);
  expect_integrity_error(spliced, id1, "chunk 1 from another object");
}

TEST_P(ObjectFormatTest, HeaderSplicedFromAnotherObjectIsDetected) {
  const auto id1 = new_id(*ctx_);
  const auto id2 = new_id(*ctx_);
  const auto one = seal(pattern(3 * kChunk, 1), id1);
  const auto two = seal(pattern(3 * kChunk, 2), id2);
  auto spliced = one;
  std::copy_n(two.begin(), kObjectHeaderBytes, spliced.begin());
  expect_integrity_error(spliced, id1, "header of another object, opened as the first");
  expect_integrity_error(spliced, id2, "header of another object, opened as the second");
}

TEST_P(ObjectFormatTest, ObjectMovedToAnotherTenantIsUnreadable) {
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

// open_prefix(): the whole chunks of an object still being written (a resumable upload), none
// of them the last; each still authenticated as it is read.
TEST_P(ObjectFormatTest, OpenPrefixReadsTheWholeChunksOfAnUnfinishedObject) {
  const auto id = new_id(*ctx_);
  const auto plain = pattern(4 * kChunk);
  VectorSink sink;
  ObjectSealer sealer(ctx_, key_a_, ref_a_, id, sink, kChunk);
  ASSERT_FALSE(sealer.status());
  ASSERT_FALSE(sealer.expect_total(plain.size()));
  ASSERT_FALSE(sealer.append(std::span<const std::uint8_t>(plain).first(2 * kChunk + 7)));
  ASSERT_EQ(sealer.sealed_plaintext_bytes(), 2 * kChunk);
  const std::vector<std::uint8_t> unfinished = sink.bytes;
  auto open_prefix = [&](std::span<const std::uint8_t> sealed, std::uint64_t chunks,
                         std::unique_ptr<ObjectOpener>& out) {
    source_ = std::make_unique<SpanSource>(sealed);
    return ObjectOpener::open_prefix(ctx_, *source_, kOrgA, id, lookup_for(kOrgA), chunks, out);
  };
  std::unique_ptr<ObjectOpener> opener;
  ASSERT_FALSE(open_prefix(unfinished, 2, opener));
  EXPECT_EQ(opener->size(), 2 * kChunk);
  std::vector<std::uint8_t> got(2 * kChunk);
  ASSERT_FALSE(opener->read(0, got));
  EXPECT_TRUE(std::equal(got.begin(), got.end(), plain.begin()));
  // More chunks than the object holds; another tenant; a flipped bit.
  EXPECT_EQ(open_prefix(unfinished, 3, opener), make_error_code(CryptoErrc::kIntegrity));
  source_ = std::make_unique<SpanSource>(unfinished);
  EXPECT_TRUE(ObjectOpener::open_prefix(ctx_, *source_, kOrgB, id, lookup_for(kOrgB), 2, opener));
  auto tampered = unfinished;
  tampered[kObjectHeaderBytes + kChunk + 20] ^= 1;
  ASSERT_FALSE(open_prefix(tampered, 2, opener));
  EXPECT_FALSE(opener->read(0, std::span<std::uint8_t>(got).first(kChunk)));
  EXPECT_EQ(opener->read(kChunk, std::span<std::uint8_t>(got).first(kChunk)), make_error_code(CryptoErrc::kIntegrity));
  // A finished object read as a prefix: its last chunk carries the last flag, so it does not
  // authenticate as an unfinished one.
  const auto finished = seal(pattern(3 * kChunk), id);
  ASSERT_FALSE(open_prefix(finished, 3, opener));
  EXPECT_FALSE(opener->read(0, std::span<std::uint8_t>(got).first(kChunk)));
  EXPECT_EQ(opener->read(2 * kChunk, std::span<std::uint8_t>(got).first(kChunk)),
            make_error_code(CryptoErrc::kIntegrity));
}

TEST_P(ObjectFormatTest, ObjectOpenedUnderAnotherIdIsDetected) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(10), id);
  expect_integrity_error(sealed, new_id(*ctx_), "renamed object");
}

TEST_P(ObjectFormatTest, DestroyedTenantKeyMakesObjectsUnreadable) {
  const auto id = new_id(*ctx_);
  const auto sealed = seal(pattern(10), id);
  destroyed_ = true;
  std::vector<std::uint8_t> plain;
  EXPECT_EQ(read_all(sealed, id, plain), make_error_code(CryptoErrc::kKeyDestroyed));
}

TEST_P(ObjectFormatTest, TamperedMiddleChunkFailsOnlyReadsThatTouchIt) {
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

TEST_P(ObjectFormatTest, HeaderParserRejectsGarbageWithoutReadingPastIt) {
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

TEST_P(ObjectFormatTest, SealerRejectsMalformedIds) {
  VectorSink sink;
  EXPECT_THROW(ObjectSealer(ctx_, key_a_, ref_a_, "not-hex", sink), std::invalid_argument);
  TenantKeyRef bad = ref_a_;
  bad.key_id = "ABCDEF";
  EXPECT_THROW(ObjectSealer(ctx_, key_a_, bad, new_id(*ctx_), sink), std::invalid_argument);
}

TEST_P(ObjectFormatTest, SealedBytesFollowTheSpecificationForEveryAppendPattern) {
  // Appends smaller than, equal to and larger than a chunk, unaligned ones, and one append of
  // everything: partial buffers, full chunks sealed straight from the caller's span (followed
  // by more bytes), and full last chunks.
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{kChunk}, std::size_t{kChunk + 1},
                           std::size_t{3 * kChunk}, std::size_t{3 * kChunk + 7}, std::size_t{10 * kChunk + 4095}}) {
    const auto plain = pattern(size, static_cast<std::uint32_t>(size) + 3);
    for (std::size_t piece : {std::size_t{1000}, std::size_t{kChunk - 1}, std::size_t{kChunk}, std::size_t{kChunk + 1},
                              std::size_t{2 * kChunk}, std::size_t{3 * kChunk + 5}, std::max<std::size_t>(size, 1)}) {
      const auto id = new_id(*ctx_);
      const auto sealed = seal(plain, id, kChunk, piece);
      EXPECT_EQ(sealed, reference_object(sealed, plain, id)) << "size " << size << " piece " << piece;
      std::vector<std::uint8_t> back;
      ASSERT_FALSE(read_all(sealed, id, back)) << "size " << size << " piece " << piece;
      EXPECT_EQ(back, plain) << "size " << size << " piece " << piece;
    }
  }
}

TEST_P(ObjectFormatTest, MixedAppendSizesFollowTheSpecification) {
  const auto plain = pattern(9 * kChunk + 333, 5);
  const auto id = new_id(*ctx_);
  VectorSink sink;
  WriteOnlySink write_only(sink);
  ObjectSealer sealer(ctx_, key_a_, ref_a_, id, zero_copy() ? static_cast<ObjectSink&>(sink) : write_only, kChunk);
  std::span<const std::uint8_t> rest(plain);
  // A partial buffer, then a large append that first completes it and then seals whole chunks
  // directly, then small and exact-chunk appends again.
  for (std::size_t piece : {std::size_t{100}, std::size_t{4 * kChunk + 50}, std::size_t{kChunk}, std::size_t{7},
                            std::size_t{2 * kChunk + 1}, std::size_t{kChunk - 57}}) {
    ASSERT_FALSE(sealer.append(rest.first(piece)));
    rest = rest.subspan(piece);
  }
  ASSERT_FALSE(sealer.append(rest));
  ASSERT_FALSE(sealer.finish());
  EXPECT_EQ(sealer.plaintext_bytes(), plain.size());
  EXPECT_EQ(sealer.sealed_bytes(), sink.bytes.size());
  EXPECT_EQ(sink.bytes, reference_object(sink.bytes, plain, id));
}

TEST_P(ObjectFormatTest, SealerKeepsNoReferenceToTheCallersBuffer) {
  // The caller reuses its buffer (a network buffer) as soon as append() returns: whatever was
  // not sealed yet must have been copied.
  const auto plain = pattern(5 * kChunk + 99, 11);
  const auto id = new_id(*ctx_);
  VectorSink sink;
  WriteOnlySink write_only(sink);
  ObjectSealer sealer(ctx_, key_a_, ref_a_, id, zero_copy() ? static_cast<ObjectSink&>(sink) : write_only, kChunk);
  for (std::size_t offset = 0; offset < plain.size(); offset += 2 * kChunk + 10) {
    const std::size_t n = std::min<std::size_t>(2 * kChunk + 10, plain.size() - offset);
    std::vector<std::uint8_t> buffer(plain.begin() + static_cast<std::ptrdiff_t>(offset),
                                     plain.begin() + static_cast<std::ptrdiff_t>(offset + n));
    ASSERT_FALSE(sealer.append(buffer));
    std::fill(buffer.begin(), buffer.end(), 0xcc);
  }
  ASSERT_FALSE(sealer.finish());
  EXPECT_EQ(sink.bytes, reference_object(sink.bytes, plain, id));
}

TEST_P(ObjectFormatTest, ReadsAreTheSameThroughViewsAndCopies) {
  const auto plain = pattern(4 * kChunk + 1234, 8);
  const auto id = new_id(*ctx_);
  const auto sealed = seal(plain, id);
  std::unique_ptr<ObjectOpener> viewing;
  SpanSource span_source(sealed);
  ASSERT_FALSE(ObjectOpener::open(ctx_, span_source, kOrgA, id, lookup_for(kOrgA), viewing));
  std::unique_ptr<ObjectOpener> copying;
  ReadOnlySource read_only(sealed);
  ASSERT_FALSE(ObjectOpener::open(ctx_, read_only, kOrgA, id, lookup_for(kOrgA), copying));
  std::mt19937 rng(3);
  for (int i = 0; i < 100; ++i) {
    const std::size_t offset = rng() % (plain.size() + 1);
    const std::size_t length = rng() % (plain.size() - offset + 1);
    std::vector<std::uint8_t> a(length), b(length);
    ASSERT_FALSE(viewing->read(offset, a));
    ASSERT_FALSE(copying->read(offset, b));
    EXPECT_EQ(a, b);
    EXPECT_TRUE(std::equal(a.begin(), a.end(), plain.begin() + static_cast<std::ptrdiff_t>(offset)));
  }
}

TEST(ObjectFormatSinkTest, SealerHandlesSinksThatLendSometimes) {
  const auto ctx = test_support::test_crypto_context();
  const SecretKey key = SecretKey::random(*ctx);
  const TenantKeyRef ref{kOrgA, new_id(*ctx), 1};
  const auto id = new_id(*ctx);
  const auto plain = pattern(6 * kChunk + 10, 4);
  FickleSink sink;
  ObjectSealer sealer(ctx, key, ref, id, sink, kChunk);
  ASSERT_FALSE(sealer.append(plain));
  ASSERT_FALSE(sealer.finish());
  EXPECT_EQ(sealer.sealed_bytes(), sink.inner.bytes.size());
  EXPECT_GT(sink.commits, 0);
  EXPECT_GT(sink.writes, 1);  // the header, and the chunks it did not lend memory for
  SpanSource source(sink.inner.bytes);
  std::unique_ptr<ObjectOpener> opener;
  const TenantKeyLookup lookup = [&](const std::string&, std::uint32_t, SecretKey& out) -> boost::system::error_code {
    out = key;
    return {};
  };
  ASSERT_FALSE(ObjectOpener::open(ctx, source, kOrgA, id, lookup, opener));
  std::vector<std::uint8_t> back(opener->size());
  ASSERT_FALSE(opener->read(0, back));
  EXPECT_EQ(back, plain);
}

TEST(ObjectFormatSinkTest, SinkErrorsStopTheSealer) {
  const auto ctx = test_support::test_crypto_context();
  const SecretKey key = SecretKey::random(*ctx);
  const TenantKeyRef ref{kOrgA, new_id(*ctx), 1};
  const auto plain = pattern(3 * kChunk, 6);
  for (bool commits : {true, false}) {
    FickleSink sink;
    ObjectSealer sealer(ctx, key, ref, new_id(*ctx), sink, kChunk);
    ASSERT_FALSE(sealer.status());
    (commits ? sink.fail_commits : sink.fail_writes) = true;
    // The first chunk is lent (a commit), the second written: either fails within two chunks.
    const auto ec = sealer.append(plain);
    EXPECT_EQ(ec, make_error_code(CryptoErrc::kIo)) << commits;
    EXPECT_EQ(sealer.append(std::span(plain).first(1)), ec) << commits;  // sticky
    EXPECT_EQ(sealer.finish(), ec) << commits;
  }
}

TEST(ObjectFormatSinkTest, VectorSinkLendsAndCommits) {
  VectorSink sink;
  const std::vector<std::uint8_t> head = {1, 2, 3};
  ASSERT_FALSE(sink.write(head));
  auto lent = sink.reserve(5);
  ASSERT_EQ(lent.size(), 5u);
  std::fill(lent.begin(), lent.end(), 9);
  ASSERT_FALSE(sink.commit(4));  // fewer than reserved: the rest is dropped
  EXPECT_EQ(sink.bytes, (std::vector<std::uint8_t>{1, 2, 3, 9, 9, 9, 9}));
  EXPECT_EQ(sink.commit(1), make_error_code(CryptoErrc::kInternal));  // nothing reserved
  lent = sink.reserve(2);
  ASSERT_EQ(lent.size(), 2u);
  EXPECT_EQ(sink.commit(3), make_error_code(CryptoErrc::kInternal));  // more than reserved
  // An abandoned reservation is not part of the object: write() and reserve() replace it.
  ASSERT_FALSE(sink.write(head));
  EXPECT_EQ(sink.bytes, (std::vector<std::uint8_t>{1, 2, 3, 9, 9, 9, 9, 1, 2, 3}));
  (void)sink.reserve(100);
  lent = sink.reserve(1);
  ASSERT_EQ(lent.size(), 1u);
  lent[0] = 7;
  ASSERT_FALSE(sink.commit(1));
  EXPECT_EQ(sink.bytes, (std::vector<std::uint8_t>{1, 2, 3, 9, 9, 9, 9, 1, 2, 3, 7}));
}

TEST(ObjectFormatSinkTest, DefaultSinkAndSourceOfferNoZeroCopy) {
  VectorSink inner;
  WriteOnlySink sink(inner);
  EXPECT_TRUE(sink.reserve(10).empty());
  EXPECT_EQ(sink.commit(10), make_error_code(CryptoErrc::kInternal));
  const std::vector<std::uint8_t> bytes(10, 1);
  ReadOnlySource source(bytes);
  EXPECT_TRUE(source.view(0, 10).empty());
}

TEST(ObjectFormatSinkTest, SpanSourceViewsOnlyWhatItHolds) {
  const std::vector<std::uint8_t> bytes = pattern(100);
  SpanSource source(bytes);
  const auto v = source.view(10, 20);
  ASSERT_EQ(v.size(), 20u);
  EXPECT_EQ(v.data(), bytes.data() + 10);  // in place, no copy
  EXPECT_EQ(source.view(100, 0).size(), 0u);
  EXPECT_TRUE(source.view(90, 11).empty());
  EXPECT_TRUE(source.view(101, 0).empty());
  EXPECT_TRUE(source.view(UINT64_MAX, 1).empty());
}

}  // namespace
}  // namespace furoshiki::crypto

namespace furoshiki::crypto {
namespace {

// With the total declared (resumable uploads), every whole chunk is sealed as soon as it is
// complete — the last one flagged when it ends at the total — and the object is the same format.
TEST_P(ObjectFormatTest, ExpectedTotalSealsEveryWholeChunkAtOnce) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{kChunk}, std::size_t{kChunk + 1},
                           std::size_t{3 * kChunk}, std::size_t{3 * kChunk + 7}}) {
    SCOPED_TRACE(size);
    const auto plain = pattern(size, static_cast<std::uint32_t>(size) + 9);
    const auto id = new_id(*ctx_);
    VectorSink sink;
    WriteOnlySink write_only(sink);
    ObjectSealer sealer(ctx_, key_a_, ref_a_, id, zero_copy() ? static_cast<ObjectSink&>(sink) : write_only, kChunk);
    ASSERT_FALSE(sealer.expect_total(size));
    std::size_t at = 0;
    for (std::size_t piece :
         {std::size_t{kChunk}, std::size_t{1}, std::size_t{kChunk - 1}, std::size_t{2 * kChunk + 3}}) {
      const std::size_t n = std::min(piece, size - at);
      ASSERT_FALSE(sealer.append(std::span(plain).subspan(at, n)));
      at += n;
      // Nothing but a partial chunk waits, unless the total is reached (then nothing).
      EXPECT_EQ(sealer.sealed_plaintext_bytes(), at == size && size > 0 ? size : at - at % kChunk);
      EXPECT_EQ(sealer.buffered_bytes(), at == size ? 0 : at % kChunk);
    }
    ASSERT_EQ(at, size);
    ASSERT_FALSE(sealer.finish());
    std::vector<std::uint8_t> back;
    ASSERT_FALSE(read_all(sink.bytes, id, back));
    EXPECT_EQ(back, plain);
    EXPECT_EQ(sink.bytes, reference_object(sink.bytes, plain, id));
  }
}

TEST_P(ObjectFormatTest, ExpectedTotalRefusesBytesPastItAndFinishShortOfIt) {
  const auto plain = pattern(kChunk + 10, 5);
  {
    VectorSink sink;
    ObjectSealer sealer(ctx_, key_a_, ref_a_, new_id(*ctx_), sink, kChunk);
    ASSERT_FALSE(sealer.expect_total(kChunk));
    EXPECT_EQ(sealer.append(plain), CryptoErrc::kInternal);
  }
  {
    VectorSink sink;
    ObjectSealer sealer(ctx_, key_a_, ref_a_, new_id(*ctx_), sink, kChunk);
    ASSERT_FALSE(sealer.expect_total(plain.size()));
    ASSERT_FALSE(sealer.append(std::span(plain).first(kChunk)));
    EXPECT_EQ(sealer.finish(), CryptoErrc::kInternal);
  }
  {
    VectorSink sink;
    ObjectSealer sealer(ctx_, key_a_, ref_a_, new_id(*ctx_), sink, kChunk);
    ASSERT_FALSE(sealer.append(std::span(plain).first(1)));
    EXPECT_EQ(sealer.expect_total(plain.size()), CryptoErrc::kInternal);  // too late
  }
}

}  // namespace
}  // namespace furoshiki::crypto
