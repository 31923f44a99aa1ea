// What furoshiki_crypto_bench times inside its own process: sealing and opening one object of the
// encrypted object format (crypto/object_format.hpp) held in memory, and, as references, raw
// AES-256-GCM through the same CryptoContext. Every figure is bytes per CPU-second of the
// calling thread (wall time is kept too), so that other processes on the machine distort it less.
#pragma once

#include "crypto/context.hpp"
#include "crypto/object_format.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
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

// One object in memory and the plaintext it holds: `object_bytes` bytes made of one
// `io_bytes` buffer of random bytes repeated, so that sealing streams any size through a fixed
// amount of memory. The sealed object (object_bytes plus 16 bytes per chunk and the header) is
// kept in a VectorSink whose capacity is reserved once and reused by every seal().
class InMemoryObject {
 public:
  // Throws crypto::CryptoError or std::invalid_argument (chunk size out of the format's bounds).
  InMemoryObject(std::shared_ptr<const crypto::CryptoContext> ctx, std::uint64_t object_bytes,
                 std::uint32_t chunk_bytes, std::size_t io_bytes);

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

 private:
  std::unique_ptr<crypto::ObjectOpener> open_object();

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  std::uint64_t object_bytes_;
  std::uint32_t chunk_bytes_;
  crypto::SecretKey tenant_key_;
  crypto::TenantKeyRef tenant_;
  std::string object_id_;
  std::vector<std::uint8_t> plaintext_;  // io_bytes, repeated to make the object
  std::vector<std::uint8_t> read_buffer_;
  crypto::VectorSink sink_;
  std::optional<crypto::SpanSource> source_;  // over sink_.bytes, for the last opener made
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
