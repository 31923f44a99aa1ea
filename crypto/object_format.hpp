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
#include <optional>

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
//
// write() is all a sink must implement. A sink that holds the bytes in its own memory can also
// lend it, so that the sealer encrypts straight into it instead of into a buffer of its own that
// write() then copies (one copy of every sealed byte less): reserve(n) returns n writable bytes
// that follow everything written so far, and commit(k) appends the first k of them (k <= n) to
// the object. Until commit() they are not part of the object: a sealer that fails in between
// simply never commits. At most one reservation is open at a time; write() or another reserve()
// abandons it. The default — and the answer of any sink that cannot lend, such as a file sink
// writing through write(2) — is an empty span, and the sealer then uses write().
class ObjectSink {
 public:
  virtual ~ObjectSink() = default;
  [[nodiscard]] virtual boost::system::error_code write(std::span<const std::uint8_t> bytes) = 0;

  // n writable bytes at the end of the object, or an empty span when lending is not supported
  // (callers must then use write()). Valid until commit(), write() or the next reserve().
  virtual std::span<std::uint8_t> reserve(std::size_t n);
  // Makes the first n bytes of the open reservation part of the object. CryptoErrc::kInternal
  // if nothing (or less than n) was reserved.
  [[nodiscard]] virtual boost::system::error_code commit(std::size_t n);
};

// Where sealed bytes come from, with random access.
//
// read_at() is all a source must implement. A source whose bytes already sit in memory can also
// hand out a view of them, so that the opener decrypts straight from it instead of copying each
// sealed chunk into a buffer first. The default — and the answer of any source that cannot, such
// as a file source reading through read(2) — is an empty span, and the opener then uses read_at().
// A view is only for memory nobody changes while the opener reads it: authentication and
// decryption read the ciphertext in place, so bytes changed in between (a shared mapping
// another process writes) could yield plaintext that was never authenticated. Such a source
// must not offer views.
class ObjectSource {
 public:
  virtual ~ObjectSource() = default;
  virtual std::uint64_t size() const = 0;
  // Reads exactly out.size() bytes at offset; CryptoErrc::kIo if it cannot.
  [[nodiscard]] virtual boost::system::error_code read_at(std::uint64_t offset, std::span<std::uint8_t> out) = 0;
  // The n bytes at offset, in place and unchanging for as long as the source lives, or an empty
  // span when the source cannot (or the range is outside it): then read_at() is the way.
  virtual std::span<const std::uint8_t> view(std::uint64_t offset, std::size_t n);
};

// The sealed object in memory. Lends its vector (reserve() grows it; commit() trims it to
// what was committed).
class VectorSink final : public ObjectSink {
 public:
  boost::system::error_code write(std::span<const std::uint8_t> bytes) override;
  std::span<std::uint8_t> reserve(std::size_t n) override;
  boost::system::error_code commit(std::size_t n) override;
  std::vector<std::uint8_t> bytes;  // what was written and committed (plus an open reservation)

 private:
  std::size_t reserved_ = 0;  // bytes at the end of `bytes` reserved and not yet committed
};

// A sealed object in memory the caller keeps alive and unchanged while it is read (its views
// point into it).
class SpanSource final : public ObjectSource {
 public:
  explicit SpanSource(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::uint64_t size() const override { return bytes_.size(); }
  boost::system::error_code read_at(std::uint64_t offset, std::span<std::uint8_t> out) override;
  std::span<const std::uint8_t> view(std::uint64_t offset, std::size_t n) override;

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
  // Any amount, any number of times. Whole chunks that are known not to be the last (more bytes
  // follow them in `plaintext`) are sealed straight from `plaintext`; the rest is copied into
  // the sealer's one-chunk buffer until the next append() or finish() tells whether it is last.
  [[nodiscard]] boost::system::error_code append(std::span<const std::uint8_t> plaintext);
  // Writes the last chunk. REQUIRES: called once; no append() after it. With an expected total
  // the last chunk may already be sealed (then finish() only checks the total was reached).
  [[nodiscard]] boost::system::error_code finish();

  // Declares the object's plaintext size before the first append() (resumable uploads): every
  // chunk is then sealed as soon as it is complete — it is the last exactly when it ends at
  // `total` — so nothing waits in the buffer but a partial chunk. append() past `total`
  // answers CryptoErrc::kInternal, as does finish() short of it. REQUIRES: no append() yet.
  [[nodiscard]] boost::system::error_code expect_total(std::uint64_t total);
  // Plaintext bytes sealed into the sink so far (whole chunks, plus the last one once sealed):
  // what a resumable upload may count as received once the sink is synced.
  std::uint64_t sealed_plaintext_bytes() const { return sealed_plaintext_; }
  // Bytes of plaintext held in the buffer, not yet sealed.
  std::size_t buffered_bytes() const { return buffer_.size(); }

  std::uint64_t plaintext_bytes() const { return plaintext_bytes_; }
  std::uint64_t sealed_bytes() const { return sealed_bytes_; }

 private:
  // Seals `plaintext` as the next chunk into the sink (its lent memory when it has some).
  boost::system::error_code emit(std::span<const std::uint8_t> plaintext, bool last);

  std::shared_ptr<const CryptoContext> ctx_;  // first: outlives aead_, whose cipher it provides
  ObjectSink& sink_;
  AeadSealer aead_;  // keyed once with the object's data key
  ObjectHeader header_;
  std::array<std::uint8_t, 32> header_digest_{};
  std::vector<std::uint8_t> buffer_;  // plaintext of a chunk not yet known to be (or not be) last
  std::vector<std::uint8_t> sealed_;  // one sealed chunk, for sinks that do not lend memory
  std::uint64_t next_chunk_ = 0;
  std::uint64_t plaintext_bytes_ = 0;
  std::uint64_t sealed_bytes_ = 0;
  std::uint64_t sealed_plaintext_ = 0;
  std::optional<std::uint64_t> expected_total_;
  bool last_sealed_ = false;
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
  // An unfinished object (a resumable upload still receiving): reads its first `whole_chunks`
  // chunks, none of which may carry the last flag (size() is whole_chunks * chunk size). Bytes
  // past them are ignored. The chunks are authenticated as they are read, like any other.
  [[nodiscard]] static boost::system::error_code open_prefix(std::shared_ptr<const CryptoContext> ctx,
                                                             ObjectSource& source, std::string_view org_id,
                                                             std::string_view object_id, const TenantKeyLookup& lookup,
                                                             std::uint64_t whole_chunks,
                                                             std::unique_ptr<ObjectOpener>& out);

  std::uint64_t size() const { return plaintext_size_; }
  const ObjectHeader& header() const { return header_; }

  // Fills `out` with the plaintext at [offset, offset + out.size()). kOutOfRange past the end;
  // kIntegrity if any chunk it needs fails authentication (then `out` holds nothing usable).
  [[nodiscard]] boost::system::error_code read(std::uint64_t offset, std::span<std::uint8_t> out);

 private:
  ObjectOpener(std::shared_ptr<const CryptoContext> ctx, ObjectSource& source)
      : ctx_(std::move(ctx)), source_(source) {}
  // open() and open_prefix(): the prefix's chunk count, or nullopt for a finished object.
  static boost::system::error_code open_impl(std::shared_ptr<const CryptoContext> ctx, ObjectSource& source,
                                             std::string_view org_id, std::string_view object_id,
                                             const TenantKeyLookup& lookup, std::optional<std::uint64_t> prefix,
                                             std::unique_ptr<ObjectOpener>& out);
  // Whether chunk `index` is the object's last (never, for a prefix).
  bool is_last(std::uint64_t index) const { return !unfinished_ && index + 1 == chunk_count_; }
  // The sealed bytes of chunk `index`: a view of the source, or a copy in sealed_.
  boost::system::error_code sealed_chunk(std::uint64_t index, std::span<const std::uint8_t>& out);
  boost::system::error_code load_chunk(std::uint64_t index);                               // into chunk_ (cached)
  boost::system::error_code open_chunk(std::uint64_t index, std::span<std::uint8_t> out);  // into out

  std::shared_ptr<const CryptoContext> ctx_;  // first: outlives aead_, whose cipher it provides
  ObjectSource& source_;
  ObjectHeader header_;
  AeadOpener aead_;  // keyed once with the object's data key
  std::array<std::uint8_t, 32> header_digest_{};
  std::uint64_t chunk_count_ = 0;
  std::uint64_t plaintext_size_ = 0;
  std::vector<std::uint8_t> sealed_;  // one sealed chunk, for sources that give no views
  std::vector<std::uint8_t> chunk_;   // plaintext of chunk cached_index_
  std::uint64_t cached_index_ = UINT64_MAX;
  bool unfinished_ = false;  // open_prefix(): no chunk is the last
};

}  // namespace furoshiki::crypto
