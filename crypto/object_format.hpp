// The encrypted object format, version 1 (specified in docs/format.md).
//
//   header (118 bytes, big-endian)  magic "FRSHKOBJ", version, algorithm, chunk size,
//                                   tenant key id + version, object id, nonce prefix,
//                                   wrapped data key
//   chunk 0 … chunk n-1             ciphertext || 16-byte tag; every chunk but the last holds
//                                   exactly `chunk size` plaintext bytes, the last 0…chunk size
//
// Chunk i is AES-256-GCM under the object's own data key with nonce = prefix(4) || i (64-bit),
// the SP 800-38D deterministic construction; the associated data is SHA-256(header) || i ||
// last-flag. So a flipped bit anywhere, truncation at or between chunks, appended bytes,
// reordered/duplicated chunks, chunks or headers from another object, and an object moved to
// another tenant all fail authentication (CryptoErrc::kIntegrity) — never wrong plaintext.
#pragma once

#include "crypto/keys.hpp"

#include <functional>
#include <memory>

namespace furoshiki::crypto {

inline constexpr std::size_t kObjectHeaderBytes = 118;
inline constexpr std::uint32_t kDefaultChunkBytes = 64 * 1024;
inline constexpr std::uint32_t kMinChunkBytes = 4 * 1024;
inline constexpr std::uint32_t kMaxChunkBytes = 16 * 1024 * 1024;

struct ObjectHeader {
  std::uint16_t version = 1;
  std::uint16_t algorithm = 1;  // 1: AES-256-GCM, 96-bit nonce, 128-bit tag
  std::uint32_t chunk_bytes = kDefaultChunkBytes;
  std::array<std::uint8_t, 16> tenant_key_id{};
  std::uint32_t tenant_key_version = 0;
  std::array<std::uint8_t, 16> object_id{};
  std::array<std::uint8_t, 4> nonce_prefix{};
  std::array<std::uint8_t, kWrappedKeyBytes> wrapped_data_key{};

  std::array<std::uint8_t, kObjectHeaderBytes> encode() const;
};

// Parses a header; checks magic, version, algorithm and chunk size bounds (not authenticity:
// that needs the keys). Never reads past `bytes`.
[[nodiscard]] boost::system::error_code parse_object_header(std::span<const std::uint8_t> bytes, ObjectHeader& out);

// 32 lower-case hex digits <-> 16 bytes (tenant key ids and object ids). False on bad input.
bool hex16_decode(std::string_view hex, std::array<std::uint8_t, 16>& out);
std::string hex16_encode(const std::array<std::uint8_t, 16>& bytes);

// Where sealed bytes go (a staging file, memory in tests).
class ObjectSink {
 public:
  virtual ~ObjectSink() = default;
  [[nodiscard]] virtual boost::system::error_code write(std::span<const std::uint8_t> bytes) = 0;
};

// Where sealed bytes come from, with random access.
class ObjectSource {
 public:
  virtual ~ObjectSource() = default;
  virtual std::uint64_t size() const = 0;
  // Reads exactly out.size() bytes at offset; CryptoErrc::kIo if it cannot.
  [[nodiscard]] virtual boost::system::error_code read_at(std::uint64_t offset, std::span<std::uint8_t> out) = 0;
};

class VectorSink final : public ObjectSink {
 public:
  boost::system::error_code write(std::span<const std::uint8_t> bytes) override;
  std::vector<std::uint8_t> bytes;
};

class SpanSource final : public ObjectSource {
 public:
  explicit SpanSource(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::uint64_t size() const override { return bytes_.size(); }
  boost::system::error_code read_at(std::uint64_t offset, std::span<std::uint8_t> out) override;

 private:
  std::span<const std::uint8_t> bytes_;
};

// Encrypts one object as a stream: append() any amount, then finish() once. Memory is one
// chunk, whatever the object's size.
class ObjectSealer {
 public:
  // Generates the data key and nonce prefix and writes the header to `sink`. `object_id` and
  // tenant.key_id are 32 hex digits. Throws std::invalid_argument for malformed ids or chunk size.
  ObjectSealer(std::shared_ptr<const CryptoContext> ctx, const SecretKey& tenant_key, const TenantKeyRef& tenant,
               std::string_view object_id, ObjectSink& sink, std::uint32_t chunk_bytes = kDefaultChunkBytes);
  ObjectSealer(const ObjectSealer&) = delete;
  ObjectSealer& operator=(const ObjectSealer&) = delete;
  ~ObjectSealer();

  // The header write's result (checked before the first append).
  [[nodiscard]] boost::system::error_code status() const { return status_; }
  [[nodiscard]] boost::system::error_code append(std::span<const std::uint8_t> plaintext);
  // Writes the last chunk. REQUIRES: called once; no append() after it.
  [[nodiscard]] boost::system::error_code finish();

  std::uint64_t plaintext_bytes() const { return plaintext_bytes_; }
  std::uint64_t sealed_bytes() const { return sealed_bytes_; }

 private:
  boost::system::error_code emit(bool last);

  std::shared_ptr<const CryptoContext> ctx_;
  ObjectSink& sink_;
  SecretKey data_key_;
  ObjectHeader header_;
  std::array<std::uint8_t, 32> header_digest_{};
  std::vector<std::uint8_t> buffer_;
  std::vector<std::uint8_t> sealed_;
  std::uint64_t next_chunk_ = 0;
  std::uint64_t plaintext_bytes_ = 0;
  std::uint64_t sealed_bytes_ = 0;
  bool finished_ = false;
  boost::system::error_code status_;
};

// Finds a tenant key by id and version (unwrapping it with the master key). Returns
// kUnknownKey or kKeyDestroyed when it cannot.
using TenantKeyLookup =
    std::function<boost::system::error_code(const std::string& key_id, std::uint32_t version, SecretKey& out)>;

// Random-access decryption: reads any byte range, decrypting only the chunks it touches.
class ObjectOpener {
 public:
  // Parses the header, unwraps the data key (bound to org_id and object_id: an object moved to
  // another tenant or renamed fails here) and authenticates the last chunk, so size() is
  // authenticated too. `source` must outlive the opener.
  [[nodiscard]] static boost::system::error_code open(std::shared_ptr<const CryptoContext> ctx, ObjectSource& source,
                                                      std::string_view org_id, std::string_view object_id,
                                                      const TenantKeyLookup& lookup,
                                                      std::unique_ptr<ObjectOpener>& out);

  std::uint64_t size() const { return plaintext_size_; }
  const ObjectHeader& header() const { return header_; }

  // Fills `out` with the plaintext at [offset, offset + out.size()). kOutOfRange past the end;
  // kIntegrity if any chunk it needs fails authentication (then `out` holds nothing usable).
  [[nodiscard]] boost::system::error_code read(std::uint64_t offset, std::span<std::uint8_t> out);

 private:
  ObjectOpener(std::shared_ptr<const CryptoContext> ctx, ObjectSource& source)
      : ctx_(std::move(ctx)), source_(source) {}
  boost::system::error_code read_sealed_chunk(std::uint64_t index);                        // into sealed_
  boost::system::error_code load_chunk(std::uint64_t index);                               // into chunk_ (cached)
  boost::system::error_code open_chunk(std::uint64_t index, std::span<std::uint8_t> out);  // into out

  std::shared_ptr<const CryptoContext> ctx_;
  ObjectSource& source_;
  ObjectHeader header_;
  SecretKey data_key_;
  std::array<std::uint8_t, 32> header_digest_{};
  std::uint64_t chunk_count_ = 0;
  std::uint64_t plaintext_size_ = 0;
  std::vector<std::uint8_t> sealed_;
  std::vector<std::uint8_t> chunk_;  // plaintext of chunk cached_index_
  std::uint64_t cached_index_ = UINT64_MAX;
};

}  // namespace furoshiki::crypto
