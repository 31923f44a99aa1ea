// What furoshiki_crypto_bench times inside its own process: sealing and opening objects of the
// encrypted object format (crypto/object_format.hpp) held in memory or streamed through bounded
// buffers as on the server, and, as references, raw
// AES-256-GCM through the same CryptoContext. Every figure is bytes per CPU-second of the
// calling thread (wall time is kept too), so that other processes on the machine distort it less.
#pragma once

#include "crypto/context.hpp"
#include "crypto/object_format.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace furoshiki::bench {

struct Throughput {
  std::uint64_t bytes = 0;  // plaintext bytes processed
  double cpu_seconds = 0;   // CPU time of the measuring thread (user + system)
  double wall_seconds = 0;
  // 10^6 bytes per CPU-second, the unit `openssl speed` reports (its "k" is 1000 bytes).
  double mb_per_cpu_second() const { return cpu_seconds > 0 ? static_cast<double>(bytes) / cpu_seconds / 1e6 : 0; }
  double mb_per_wall_second() const { return wall_seconds > 0 ? static_cast<double>(bytes) / wall_seconds / 1e6 : 0; }
};

// The tenant every benchmark object belongs to, with the key lookup ObjectOpener::open needs.
struct BenchTenant {
  explicit BenchTenant(const crypto::CryptoContext& ctx);
  crypto::TenantKeyLookup lookup() const;  // refers to *this: keep it alive while it is used

  crypto::SecretKey key;
  crypto::TenantKeyRef ref;
  std::string object_id;
};

// Hides a sink's lending (reserve/commit): the sealer then seals into its own buffer and
// write()s, as with a file sink that only has write(2). For measuring what the zero-copy paths
// gain (--copying).
class CopyingSink final : public crypto::ObjectSink {
 public:
  explicit CopyingSink(crypto::ObjectSink& inner) : inner_(inner) {}
  boost::system::error_code write(std::span<const std::uint8_t> bytes) override { return inner_.write(bytes); }

 private:
  crypto::ObjectSink& inner_;
};

// Hides a source's views: the opener then copies every sealed chunk with read_at(), as from a
// file source that only has pread(2).
class CopyingSource final : public crypto::ObjectSource {
 public:
  explicit CopyingSource(crypto::ObjectSource& inner) : inner_(inner) {}
  std::uint64_t size() const override { return inner_.size(); }
  boost::system::error_code read_at(std::uint64_t offset, std::span<std::uint8_t> out) override {
    return inner_.read_at(offset, out);
  }

 private:
  crypto::ObjectSource& inner_;
};

// The write buffer of a staging file: `capacity` bytes reused over and over. When the next
// write or reservation does not fit, the buffer counts as flushed (where a file sink would hand
// it to write(2); the kernel's copy into the page cache is not modelled) and starts again
// from its beginning. Lends its memory (reserve/commit) unless `lend` is false.
class BoundedSink final : public crypto::ObjectSink {
 public:
  BoundedSink(std::size_t capacity, bool lend);
  boost::system::error_code write(std::span<const std::uint8_t> bytes) override;
  std::span<std::uint8_t> reserve(std::size_t n) override;
  boost::system::error_code commit(std::size_t n) override;

  void reset() {
    used_ = 0;
    reserved_ = 0;
    total_ = 0;
  }
  std::uint64_t total() const { return total_; }  // bytes written and committed since reset()

 private:
  std::vector<std::uint8_t> buffer_;
  bool lend_;
  std::size_t used_ = 0;
  std::size_t reserved_ = 0;
  std::uint64_t total_ = 0;
};

// One object in memory and the plaintext it holds: `object_bytes` bytes made of one
// `io_bytes` buffer of random bytes repeated, so that sealing streams any size through a fixed
// amount of memory. The sealed object (object_bytes plus 16 bytes per chunk and the header) is
// kept in a VectorSink whose capacity is reserved once and reused by every seal(). With
// `zero_copy` false, the sink and source are wrapped in CopyingSink/CopyingSource.
class InMemoryObject {
 public:
  // Throws crypto::CryptoError or std::invalid_argument (chunk size out of the format's bounds).
  InMemoryObject(std::shared_ptr<const crypto::CryptoContext> ctx, std::uint64_t object_bytes,
                 std::uint32_t chunk_bytes, std::size_t io_bytes, bool zero_copy);

  // Seals the whole plaintext with a fresh ObjectSealer, io_bytes per append(), into the sink
  // (replacing the previous object). Throws std::runtime_error if sealing fails.
  Throughput seal();

  // Opens the sealed object (ObjectOpener::open over a SpanSource, which authenticates the last
  // chunk) and reads it from start to end, io_bytes per read(). REQUIRES: seal() ran.
  // Throws std::runtime_error if opening or a read fails.
  Throughput open();

  // Opens and reads the object like open(), untimed, and checks every byte against the
  // plaintext. Throws std::runtime_error on a difference.
  void verify();

  std::uint64_t sealed_bytes() const { return sink_.bytes.size(); }
  std::span<const std::uint8_t> sealed() const { return sink_.bytes; }

 private:
  std::unique_ptr<crypto::ObjectOpener> open_object();

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  std::uint64_t object_bytes_;
  std::uint32_t chunk_bytes_;
  bool zero_copy_;
  BenchTenant tenant_;
  std::vector<std::uint8_t> plaintext_;  // io_bytes, repeated to make the object
  std::vector<std::uint8_t> read_buffer_;
  crypto::VectorSink sink_;
  std::optional<crypto::SpanSource> source_;  // over sink_.bytes, for the last opener made
  std::optional<CopyingSource> copying_source_;
};

// The server's path, modelled without the network and the disk: an upload's plaintext arrives
// in one reused network buffer of `io_bytes` and is appended to an ObjectSealer whose sink is a
// BoundedSink of `sink_bytes` (the staging file's write buffer); a download opens a sealed object
// held in memory (the page cache's copy of a recently used file, `cached_object_bytes` of
// plaintext) and read()s it into one reused buffer of `io_bytes`. Unlike InMemoryObject, no
// 256 MiB destination is written: the bytes stay in the caches, as on the server, where the
// kernel (not this code) moves them to and from the page cache.
class StreamingPath {
 public:
  // Seals the cached object once (untimed). Throws like InMemoryObject.
  StreamingPath(std::shared_ptr<const crypto::CryptoContext> ctx, std::uint32_t chunk_bytes, std::size_t io_bytes,
                std::size_t sink_bytes, std::uint64_t cached_object_bytes, bool zero_copy);

  // Seals one object of `total_bytes` (a fresh ObjectSealer, finish() included).
  Throughput seal(std::uint64_t total_bytes);
  // Opens the cached object and reads it start to end, again (a new ObjectOpener each time)
  // until at least `total_bytes` were read.
  Throughput open(std::uint64_t total_bytes);
  // Reads the cached object once, untimed, checking every byte. Throws std::runtime_error.
  void verify();

 private:
  std::unique_ptr<crypto::ObjectOpener> open_cached();

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  std::uint32_t chunk_bytes_;
  bool zero_copy_;
  BenchTenant tenant_;
  std::vector<std::uint8_t> network_buffer_;  // the plaintext appended, and where reads land
  std::vector<std::uint8_t> expected_;        // the cached object's plaintext, for verify()
  BoundedSink sink_;
  crypto::VectorSink cached_;
  std::optional<crypto::SpanSource> source_;
  std::optional<CopyingSource> copying_source_;
};

// The upload path down to the disk: the plaintext arrives in one reused network buffer of
// `io_bytes` and is sealed into a staging file of a private data directory under `parent` through
// storage::ObjectFileSink (its own write buffer of `sink_bytes`, lent to the sealer unless
// `zero_copy` is false, flushed with write(2)), then committed (fdatasync, rename, directory
// fsyncs) and removed. The seal's CPU time includes the write(2)s (the kernel's copy into the
// page cache); the commit is timed apart, by the wall clock, since it waits for the disk.
class StagingFilePath {
 public:
  struct Result {
    Throughput seal;
    double commit_wall_seconds = 0;
  };

  // Creates the data directory. Throws std::runtime_error when it cannot.
  StagingFilePath(std::shared_ptr<const crypto::CryptoContext> ctx, std::uint32_t chunk_bytes, std::size_t io_bytes,
                  std::size_t sink_bytes, const std::filesystem::path& parent, bool zero_copy);
  ~StagingFilePath();  // removes the data directory
  StagingFilePath(const StagingFilePath&) = delete;
  StagingFilePath& operator=(const StagingFilePath&) = delete;

  // Seals, commits and removes one object of `total_bytes`. Throws std::runtime_error.
  Result seal(std::uint64_t total_bytes);
  // Seals and commits an object of `total_bytes`, opens it from the store and checks every byte,
  // untimed. Throws std::runtime_error.
  void verify(std::uint64_t total_bytes);

 private:
  void seal_and_commit(std::uint64_t total_bytes, Result* timing);

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  std::uint32_t chunk_bytes_;
  std::size_t sink_bytes_;
  bool zero_copy_;
  BenchTenant tenant_;
  std::vector<std::uint8_t> network_buffer_;
  std::filesystem::path root_;
};

// Bulk AES-256-GCM, the loop `openssl speed -evp aes-256-gcm` is written as: one EVP_CIPHER_CTX,
// key and IV set once, then EVP_EncryptUpdate over the same `block_bytes` buffer in place,
// repeated for about `seconds` of wall time — no per-message work at all. (OpenSSL 3.0.22's
// `openssl speed` also re-sets the IV before every block; bench/README.md.)
Throughput raw_gcm_stream(const crypto::CryptoContext& ctx, std::size_t block_bytes, double seconds);

// Raw AES-256-GCM one message at a time, the way crypto::aead_seal seals a chunk: per message a
// new EVP_CIPHER_CTX, EVP_EncryptInit_ex2 with key and nonce, 41 bytes of AAD, one update from
// an input buffer to an output buffer, final and tag. The gap between this and the stream is
// the per-message cost of GCM in OpenSSL; the gap between this and seal() is the object format's.
Throughput raw_gcm_per_message(const crypto::CryptoContext& ctx, std::size_t message_bytes, double seconds);

}  // namespace furoshiki::bench
