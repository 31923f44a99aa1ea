// Fuzz target for the encrypted object format's reader (crypto/object_format.hpp, docs/format.md):
// any bytes, as a stored object, go to parse_object_header and to ObjectOpener::open over a
// SpanSource, opened as object kObjectId of organization kOrgId with one known tenant key.
//
// What must hold: no crash, hang or read outside the input; a header that parses encodes back to
// the same 118 bytes; open() fails exactly with kIntegrity (or kKeyDestroyed for the destroyed
// key id) unless the bytes are an object sealed under the fixed key — nothing else can
// authenticate. open() authenticates only the last chunk (random access), so an object that
// opens may still have damaged chunks before it: every read of an opened object either gives
// exactly the plaintext it was sealed with (plaintext_byte()) or fails with kIntegrity and leaves
// no plaintext in the caller's buffer; past the end it is kOutOfRange.
//
// Built with -DFUROSHIKI_FUZZ_WRITE_SEEDS this file is instead the generator of the seed corpus
// (target furoshiki_fuzz_object_header_seeds; fuzz/README.md): real objects sealed under the
// same fixed key, plus damaged variants.
#include "crypto/object_format.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace {

namespace crypto = furoshiki::crypto;

constexpr const char* kOrgId = "org-fuzz";
constexpr const char* kObjectId = "00112233445566778899aabbccddeeff";
constexpr const char* kTenantKeyId = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
constexpr std::uint32_t kTenantKeyVersion = 1;
// Names a key that was destroyed (its organization removed).
constexpr const char* kDestroyedKeyId = "dddddddddddddddddddddddddddddddd";

crypto::SecretKey tenant_key() {
  std::array<std::uint8_t, crypto::kKeyBytes> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
  return crypto::SecretKey(bytes);
}

// The plaintext every seed object holds at `offset`: not periodic at any chunk size, so a chunk
// read from the wrong place could not pass as the right one.
std::uint8_t plaintext_byte(std::uint64_t offset) {
  return static_cast<std::uint8_t>((static_cast<std::uint32_t>(offset) * 2654435761u) >> 24);
}

const std::shared_ptr<const crypto::CryptoContext>& context() {
  static const std::shared_ptr<const crypto::CryptoContext> ctx = crypto::CryptoContext::create({});
  return ctx;
}

boost::system::error_code lookup(const std::string& key_id, std::uint32_t version, crypto::SecretKey& out) {
  if (key_id == kDestroyedKeyId) return crypto::CryptoErrc::kKeyDestroyed;
  if (key_id != kTenantKeyId || version != kTenantKeyVersion) return crypto::CryptoErrc::kUnknownKey;
  out = tenant_key();
  return {};
}

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "object_header_fuzz: invariant violated: %s\n", what);
  std::abort();
}

void check_header(std::span<const std::uint8_t> bytes, const crypto::ObjectHeader& header) {
  require(bytes.size() >= crypto::kObjectHeaderBytes, "a header parses only from 118 bytes or more");
  const auto encoded = header.encode();
  require(std::equal(encoded.begin(), encoded.end(), bytes.begin()), "a parsed header encodes to the same bytes");
  require(header.version == 1 && header.algorithm == 1, "only version 1, algorithm 1 parse");
  require(header.chunk_bytes >= crypto::kMinChunkBytes && header.chunk_bytes <= crypto::kMaxChunkBytes,
          "the chunk size of a parsed header is within bounds");
}

// Reads [offset, offset + out.size()), which is inside the object: either the sealed plaintext
// or kIntegrity (a damaged chunk) with `out` holding none of it.
void check_read(crypto::ObjectOpener& opener, std::uint64_t offset, std::span<std::uint8_t> out) {
  std::fill(out.begin(), out.end(), 0);
  const auto ec = opener.read(offset, out);
  if (ec) {
    require(ec == crypto::CryptoErrc::kIntegrity, "an in-range read fails only with kIntegrity");
    require(std::all_of(out.begin(), out.end(), [](std::uint8_t b) { return b == 0; }),
            "a failed read leaves no plaintext in the buffer");
    return;
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    require(out[i] == plaintext_byte(offset + i), "a read gives the sealed plaintext");
  }
}

// Reads the whole object and a few ranges, then past the end. Objects that open are seeds or the
// fuzzer's copies of them, at most a few KiB.
void check_opened(crypto::ObjectOpener& opener, std::uint64_t input_bytes) {
  const std::uint64_t size = opener.size();
  require(size < input_bytes, "the plaintext is smaller than the object");
  std::vector<std::uint8_t> all(static_cast<std::size_t>(size));
  check_read(opener, 0, all);

  const std::uint64_t chunk = opener.header().chunk_bytes;
  std::array<std::uint8_t, 3> three{};
  // Reads at the start, across the first chunk boundary, at the second chunk and at the end.
  for (const std::uint64_t start : {std::uint64_t{0}, chunk - 1, chunk, size - std::min<std::uint64_t>(size, 3)}) {
    if (start + three.size() <= size) check_read(opener, start, three);
  }
  std::span<std::uint8_t> none;
  require(!opener.read(size, none), "an empty read at the end succeeds");
  require(opener.read(size, std::span(three).first(1)) == crypto::CryptoErrc::kOutOfRange,
          "a read past the end is kOutOfRange");
  require(opener.read(UINT64_MAX, std::span(three).first(1)) == crypto::CryptoErrc::kOutOfRange,
          "a read at offset 2^64 - 1 is kOutOfRange");
  if (size > 0) {
    require(opener.read(size - 1, std::span(three).first(2)) == crypto::CryptoErrc::kOutOfRange,
            "a read that runs past the end is kOutOfRange");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);

  crypto::ObjectHeader header;
  const auto parsed = crypto::parse_object_header(bytes, header);
  if (!parsed) check_header(bytes, header);

  crypto::SpanSource source(bytes);
  std::unique_ptr<crypto::ObjectOpener> opener;
  const auto opened = crypto::ObjectOpener::open(context(), source, kOrgId, kObjectId, lookup, opener);
  require(opened.failed() == !opener, "open() gives an opener exactly when it succeeds");
  if (opened) {
    require(opened == crypto::CryptoErrc::kIntegrity || opened == crypto::CryptoErrc::kKeyDestroyed,
            "open() fails with kIntegrity, or kKeyDestroyed for a destroyed key");
    return 0;
  }
  require(!parsed, "an object that opens has a header that parses");
  require(opener->header().encode() == header.encode(), "the opener's header is the parsed header");
  check_opened(*opener, size);
  return 0;
}

#ifdef FUROSHIKI_FUZZ_WRITE_SEEDS
// The seed corpus: `furoshiki_fuzz_object_header_seeds DIR` writes real objects of 0, 1, 4096 and
// 5000 bytes with 4 KiB chunks (sealed with a fresh data key and nonce prefix each time, so the
// files differ from run to run) and damaged variants of them into DIR.
#include <filesystem>
#include <fstream>

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes seal(std::uint64_t plaintext_bytes, const char* key_id = kTenantKeyId) {
  crypto::VectorSink sink;
  const crypto::TenantKeyRef tenant{kOrgId, key_id, kTenantKeyVersion};
  crypto::ObjectSealer sealer(context(), tenant_key(), tenant, kObjectId, sink, crypto::kMinChunkBytes);
  Bytes plaintext(static_cast<std::size_t>(plaintext_bytes));
  for (std::size_t i = 0; i < plaintext.size(); ++i) plaintext[i] = plaintext_byte(i);
  require(!sealer.status() && !sealer.append(plaintext) && !sealer.finish(), "sealing a seed");
  return sink.bytes;
}

void write(const std::filesystem::path& dir, const char* name, const Bytes& bytes) {
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  require(static_cast<bool>(out.flush()), "writing a seed file");
}

Bytes with_byte(Bytes bytes, std::size_t at, std::uint8_t value) {
  bytes.at(at) = value;
  return bytes;
}

Bytes flipped(Bytes bytes, std::size_t at) {
  bytes.at(at) ^= 0x01;
  return bytes;
}

Bytes first(const Bytes& bytes, std::size_t n) {
  return Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir(argv[1]);
  std::filesystem::create_directories(dir);
  const Bytes empty = seal(0), one = seal(1), full = seal(4096), two = seal(5000);
  const std::size_t header = crypto::kObjectHeaderBytes;
  write(dir, "sealed_0", empty);
  write(dir, "sealed_1", one);
  write(dir, "sealed_4096", full);
  write(dir, "sealed_5000", two);
  write(dir, "sealed_5000_truncated_at_chunk", first(two, header + 4096 + crypto::kTagBytes));
  write(dir, "sealed_5000_truncated_inside", first(two, two.size() - 10));
  Bytes appended = one;
  appended.push_back(0);
  write(dir, "sealed_1_appended", appended);
  write(dir, "sealed_4096_flipped_nonce_prefix", flipped(full, 52));
  write(dir, "sealed_4096_flipped_chunk", flipped(full, header + 100));
  // Opens (only the last chunk is authenticated by open()); reading the first chunk fails.
  write(dir, "sealed_5000_flipped_first_chunk", flipped(two, header + 145));
  write(dir, "sealed_4096_flipped_tag", flipped(full, full.size() - 1));
  write(dir, "sealed_4096_key_version_2", with_byte(full, 35, 2));
  write(dir, "sealed_1_other_object_id", flipped(one, 36));
  write(dir, "sealed_1_chunk_16mib", with_byte(with_byte(one, 14, 0), 12, 1));  // 0x00001000 -> 0x01000000
  write(dir, "sealed_1_chunk_4095", with_byte(with_byte(one, 14, 0x0f), 15, 0xff));
  write(dir, "sealed_1_chunk_too_large", with_byte(one, 12, 2));
  write(dir, "sealed_1_version_2", with_byte(one, 9, 2));
  write(dir, "sealed_1_algorithm_2", with_byte(one, 11, 2));
  write(dir, "sealed_1_wrapped_length_61", with_byte(one, 57, 61));
  write(dir, "sealed_1_bad_magic", with_byte(one, 0, 'X'));
  write(dir, "sealed_1_unknown_key", seal(1, "ffffffffffffffffffffffffffffffff"));
  write(dir, "sealed_1_destroyed_key", seal(1, kDestroyedKeyId));
  write(dir, "header_only", first(empty, header));
  write(dir, "header_and_15_bytes", first(two, header + 15));
  // One full chunk and a 10-byte remainder, too short to hold a tag.
  write(dir, "sealed_5000_last_chunk_10_bytes", first(two, header + 4096 + crypto::kTagBytes + 10));
  write(dir, "magic_only", first(empty, 8));
  write(dir, "empty_file", {});
  Bytes garbage(200);
  std::uint32_t x = 0x12345678;
  for (auto& b : garbage) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  write(dir, "garbage_200", garbage);
  std::printf("wrote the object_header seed corpus to %s\n", dir.c_str());
  return 0;
}
#endif
