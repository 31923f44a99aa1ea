// The encrypted object format; see object_format.hpp and docs/format.md.
#include "crypto/object_format.hpp"

#include "crypto/hex.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace furoshiki::crypto {
namespace {

constexpr std::array<std::uint8_t, 8> kMagic = {'F', 'R', 'S', 'H', 'K', 'O', 'B', 'J'};
constexpr std::size_t kChunkAadBytes = 32 + 8 + 1;

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}
void put64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}
std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t get32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

// Header field offsets (docs/format.md).
constexpr std::size_t kOffVersion = 8, kOffAlgorithm = 10, kOffChunk = 12, kOffKeyId = 16, kOffKeyVersion = 32,
                      kOffObjectId = 36, kOffPrefix = 52, kOffWrappedLen = 56, kOffWrapped = 58;
static_assert(kOffWrapped + kWrappedKeyBytes == kObjectHeaderBytes);

std::array<std::uint8_t, kNonceBytes> chunk_nonce(const std::array<std::uint8_t, 4>& prefix, std::uint64_t index) {
  std::array<std::uint8_t, kNonceBytes> nonce{};
  std::copy(prefix.begin(), prefix.end(), nonce.begin());
  put64(nonce.data() + 4, index);
  return nonce;
}

std::array<std::uint8_t, kChunkAadBytes> chunk_aad(const std::array<std::uint8_t, 32>& digest, std::uint64_t index,
                                                   bool last) {
  std::array<std::uint8_t, kChunkAadBytes> aad{};
  std::copy(digest.begin(), digest.end(), aad.begin());
  put64(aad.data() + 32, index);
  aad[40] = last ? 1 : 0;
  return aad;
}

// Overwrites every byte the vector has allocated (plaintext may sit beyond size()).
void wipe(std::vector<std::uint8_t>& v) {
  v.resize(v.capacity());
  OPENSSL_cleanse(v.data(), v.size());
  v.clear();
}

}  // namespace

bool hex16_decode(std::string_view hex, std::array<std::uint8_t, 16>& out) { return hex_decode(hex, out); }

std::string hex16_encode(const std::array<std::uint8_t, 16>& bytes) { return hex_encode(bytes); }

std::array<std::uint8_t, kObjectHeaderBytes> ObjectHeader::encode() const {
  std::array<std::uint8_t, kObjectHeaderBytes> out{};
  std::copy(kMagic.begin(), kMagic.end(), out.begin());
  put16(out.data() + kOffVersion, version);
  put16(out.data() + kOffAlgorithm, algorithm);
  put32(out.data() + kOffChunk, chunk_bytes);
  std::copy(tenant_key_id.begin(), tenant_key_id.end(), out.begin() + kOffKeyId);
  put32(out.data() + kOffKeyVersion, tenant_key_version);
  std::copy(object_id.begin(), object_id.end(), out.begin() + kOffObjectId);
  std::copy(nonce_prefix.begin(), nonce_prefix.end(), out.begin() + kOffPrefix);
  put16(out.data() + kOffWrappedLen, static_cast<std::uint16_t>(kWrappedKeyBytes));
  std::copy(wrapped_data_key.begin(), wrapped_data_key.end(), out.begin() + kOffWrapped);
  return out;
}

boost::system::error_code parse_object_header(std::span<const std::uint8_t> bytes, ObjectHeader& out) {
  if (bytes.size() < kObjectHeaderBytes) return CryptoErrc::kIntegrity;
  const std::uint8_t* p = bytes.data();
  if (!std::equal(kMagic.begin(), kMagic.end(), p)) return CryptoErrc::kIntegrity;
  ObjectHeader h;
  h.version = get16(p + kOffVersion);
  h.algorithm = get16(p + kOffAlgorithm);
  h.chunk_bytes = get32(p + kOffChunk);
  if (h.version != 1 || h.algorithm != 1) return CryptoErrc::kIntegrity;
  if (h.chunk_bytes < kMinChunkBytes || h.chunk_bytes > kMaxChunkBytes) return CryptoErrc::kIntegrity;
  if (get16(p + kOffWrappedLen) != kWrappedKeyBytes) return CryptoErrc::kIntegrity;
  std::copy_n(p + kOffKeyId, 16, h.tenant_key_id.begin());
  h.tenant_key_version = get32(p + kOffKeyVersion);
  std::copy_n(p + kOffObjectId, 16, h.object_id.begin());
  std::copy_n(p + kOffPrefix, 4, h.nonce_prefix.begin());
  std::copy_n(p + kOffWrapped, kWrappedKeyBytes, h.wrapped_data_key.begin());
  out = h;
  return {};
}

std::span<std::uint8_t> ObjectSink::reserve(std::size_t /*n*/) { return {}; }

boost::system::error_code ObjectSink::commit(std::size_t /*n*/) { return CryptoErrc::kInternal; }

std::span<const std::uint8_t> ObjectSource::view(std::uint64_t /*offset*/, std::size_t /*n*/) { return {}; }

boost::system::error_code VectorSink::write(std::span<const std::uint8_t> b) {
  bytes.resize(bytes.size() - reserved_);  // an open reservation is abandoned
  reserved_ = 0;
  bytes.insert(bytes.end(), b.begin(), b.end());
  return {};
}

std::span<std::uint8_t> VectorSink::reserve(std::size_t n) {
  // resize() zero-fills the new bytes (std::vector cannot grow uninitialised): that memset costs
  // about what the copy from the sealer's buffer did (bench/README.md), so lending gains little
  // here; sinks over memory that needs no fill (a mapped file, a reused buffer) gain the copy.
  const std::size_t start = bytes.size() - reserved_;
  bytes.resize(start + n);
  reserved_ = n;
  return std::span(bytes).subspan(start, n);
}

boost::system::error_code VectorSink::commit(std::size_t n) {
  if (n > reserved_) return CryptoErrc::kInternal;
  bytes.resize(bytes.size() - (reserved_ - n));
  reserved_ = 0;
  return {};
}

boost::system::error_code SpanSource::read_at(std::uint64_t offset, std::span<std::uint8_t> out) {
  if (offset > bytes_.size() || out.size() > bytes_.size() - offset) return CryptoErrc::kIo;
  std::memcpy(out.data(), bytes_.data() + offset, out.size());
  return {};
}

std::span<const std::uint8_t> SpanSource::view(std::uint64_t offset, std::size_t n) {
  if (offset > bytes_.size() || n > bytes_.size() - offset) return {};
  return bytes_.subspan(static_cast<std::size_t>(offset), n);
}

ObjectSealer::ObjectSealer(std::shared_ptr<const CryptoContext> ctx, const SecretKey& tenant_key,
                           const TenantKeyRef& tenant, std::string_view object_id, ObjectSink& sink,
                           std::uint32_t chunk_bytes)
    : ctx_(std::move(ctx)), sink_(sink) {
  if (chunk_bytes < kMinChunkBytes || chunk_bytes > kMaxChunkBytes) throw std::invalid_argument("chunk size");
  if (!hex16_decode(tenant.key_id, header_.tenant_key_id) || !hex16_decode(object_id, header_.object_id)) {
    throw std::invalid_argument("tenant key id and object id must be 32 lower-case hex digits");
  }
  header_.chunk_bytes = chunk_bytes;
  header_.tenant_key_version = tenant.version;
  ctx_->random_bytes(header_.nonce_prefix);
  // The data key lives on only inside aead_'s OpenSSL context (and wrapped, in the header).
  const SecretKey data_key = SecretKey::random(*ctx_);
  aead_ = AeadSealer(*ctx_, data_key);
  if (!aead_.valid()) throw CryptoError("AES-256-GCM context setup failed");
  const auto wrapped = wrap_data_key(*ctx_, tenant_key, tenant.org_id, object_id, data_key);
  std::copy(wrapped.begin(), wrapped.end(), header_.wrapped_data_key.begin());
  const auto encoded = header_.encode();
  header_digest_ = sha256(*ctx_, encoded);
  buffer_.reserve(chunk_bytes);
  status_ = sink_.write(encoded);
  sealed_bytes_ = encoded.size();
}

ObjectSealer::~ObjectSealer() { wipe(buffer_); }

boost::system::error_code ObjectSealer::expect_total(std::uint64_t total) {
  if (status_) return status_;
  if (finished_ || plaintext_bytes_ != 0 || expected_total_) return CryptoErrc::kInternal;
  expected_total_ = total;
  return {};
}

boost::system::error_code ObjectSealer::append(std::span<const std::uint8_t> plaintext) {
  if (status_) return status_;
  if (finished_) return CryptoErrc::kInternal;
  const std::size_t chunk = header_.chunk_bytes;
  if (expected_total_) {
    if (plaintext.empty()) return {};
    // The total is known: a chunk is sealed the moment it is complete, flagged last when it ends
    // at the total. A chunk index is never used twice: each emit() takes the next one.
    if (plaintext.size() > *expected_total_ - plaintext_bytes_ || last_sealed_) {
      return status_ = CryptoErrc::kInternal;
    }
    while (!plaintext.empty()) {
      if (buffer_.empty() && plaintext.size() >= chunk) {
        const bool last = plaintext_bytes_ + chunk == *expected_total_;
        if ((status_ = emit(plaintext.first(chunk), last))) return status_;
        plaintext = plaintext.subspan(chunk);
        plaintext_bytes_ += chunk;
        last_sealed_ = last;
        continue;
      }
      const std::size_t take = std::min<std::size_t>(chunk - buffer_.size(), plaintext.size());
      buffer_.insert(buffer_.end(), plaintext.begin(), plaintext.begin() + static_cast<std::ptrdiff_t>(take));
      plaintext = plaintext.subspan(take);
      plaintext_bytes_ += take;
      if (buffer_.size() == chunk || plaintext_bytes_ == *expected_total_) {
        const bool last = plaintext_bytes_ == *expected_total_;
        if ((status_ = emit(buffer_, last))) return status_;
        buffer_.clear();
        last_sealed_ = last;
      }
    }
    return {};
  }
  while (!plaintext.empty()) {
    // A full buffer is known not to be the last chunk only once more data arrives.
    if (buffer_.size() == chunk) {
      if ((status_ = emit(buffer_, false))) return status_;
      buffer_.clear();  // overwritten by the next chunk; wiped once in finish() and the destructor
    }
    if (buffer_.empty() && plaintext.size() > chunk) {
      // A whole chunk with more bytes after it is not the last: seal it from the caller's span,
      // with no copy into buffer_. Same chunk boundaries, same bytes as the copying path.
      if ((status_ = emit(plaintext.first(chunk), false))) return status_;
      plaintext = plaintext.subspan(chunk);
      plaintext_bytes_ += chunk;
      continue;
    }
    const std::size_t take = std::min<std::size_t>(header_.chunk_bytes - buffer_.size(), plaintext.size());
    buffer_.insert(buffer_.end(), plaintext.begin(), plaintext.begin() + static_cast<std::ptrdiff_t>(take));
    plaintext = plaintext.subspan(take);
    plaintext_bytes_ += take;
  }
  return {};
}

boost::system::error_code ObjectSealer::finish() {
  if (status_) return status_;
  if (finished_) return CryptoErrc::kInternal;
  finished_ = true;
  if (expected_total_) {
    if (plaintext_bytes_ != *expected_total_) return status_ = CryptoErrc::kInternal;
    // A total of 0 has its (empty) last chunk still to seal; any other was sealed by append().
    if (!last_sealed_) status_ = emit(buffer_, true);
    wipe(buffer_);
    return status_;
  }
  status_ = emit(buffer_, true);
  wipe(buffer_);
  return status_;
}

boost::system::error_code ObjectSealer::emit(std::span<const std::uint8_t> plaintext, bool last) {
  const auto nonce = chunk_nonce(header_.nonce_prefix, next_chunk_);
  const auto aad = chunk_aad(header_digest_, next_chunk_, last);
  const std::size_t n = plaintext.size() + kTagBytes;
  boost::system::error_code ec;
  if (const auto lent = sink_.reserve(n); lent.size() >= n) {
    // Encrypt straight into the sink's memory; on failure nothing is committed.
    if ((ec = aead_.seal(nonce, aad, plaintext, lent.first(n)))) return ec;
    ec = sink_.commit(n);
  } else {
    sealed_.resize(n);  // the same size for every chunk but the last: no zero-fill after the first
    if ((ec = aead_.seal(nonce, aad, plaintext, sealed_))) return ec;
    ec = sink_.write(sealed_);
  }
  ++next_chunk_;
  sealed_bytes_ += n;
  if (!ec) sealed_plaintext_ += plaintext.size();
  return ec;
}

boost::system::error_code ObjectOpener::open(std::shared_ptr<const CryptoContext> ctx, ObjectSource& source,
                                             std::string_view org_id, std::string_view object_id,
                                             const TenantKeyLookup& lookup, std::unique_ptr<ObjectOpener>& out) {
  return open_impl(std::move(ctx), source, org_id, object_id, lookup, std::nullopt, out);
}

boost::system::error_code ObjectOpener::open_prefix(std::shared_ptr<const CryptoContext> ctx, ObjectSource& source,
                                                    std::string_view org_id, std::string_view object_id,
                                                    const TenantKeyLookup& lookup, std::uint64_t whole_chunks,
                                                    std::unique_ptr<ObjectOpener>& out) {
  return open_impl(std::move(ctx), source, org_id, object_id, lookup, whole_chunks, out);
}

boost::system::error_code ObjectOpener::open_impl(std::shared_ptr<const CryptoContext> ctx, ObjectSource& source,
                                                  std::string_view org_id, std::string_view object_id,
                                                  const TenantKeyLookup& lookup, std::optional<std::uint64_t> prefix,
                                                  std::unique_ptr<ObjectOpener>& out) {
  out.reset();
  std::unique_ptr<ObjectOpener> self(new ObjectOpener(std::move(ctx), source));
  const std::uint64_t total = source.size();
  if (total < kObjectHeaderBytes + (prefix ? 0 : kTagBytes)) return CryptoErrc::kIntegrity;
  std::array<std::uint8_t, kObjectHeaderBytes> raw{};
  if (auto ec = source.read_at(0, raw)) return ec;
  if (auto ec = parse_object_header(raw, self->header_)) return ec;
  std::array<std::uint8_t, 16> expected_object{};
  if (!hex16_decode(object_id, expected_object) || expected_object != self->header_.object_id) {
    return CryptoErrc::kIntegrity;
  }
  SecretKey tenant_key;
  if (auto ec = lookup(hex16_encode(self->header_.tenant_key_id), self->header_.tenant_key_version, tenant_key)) {
    // A header naming a key this tenant never had is damaged or foreign; a destroyed key stays
    // distinguishable (the organization was removed).
    return ec == CryptoErrc::kUnknownKey ? make_error_code(CryptoErrc::kIntegrity) : ec;
  }
  {
    // The data key lives on only inside aead_'s OpenSSL context.
    SecretKey data_key;
    if (auto ec =
            unwrap_data_key(*self->ctx_, tenant_key, org_id, object_id, self->header_.wrapped_data_key, data_key)) {
      return ec;
    }
    self->aead_ = AeadOpener(*self->ctx_, data_key);
    if (!self->aead_.valid()) return CryptoErrc::kInternal;
  }
  self->header_digest_ = sha256(*self->ctx_, raw);

  const std::uint64_t body = total - kObjectHeaderBytes;
  const std::uint64_t stride = std::uint64_t{self->header_.chunk_bytes} + kTagBytes;
  if (prefix) {
    // Whole chunks of an object still being written: each is authenticated when read.
    if (*prefix > body / stride) return CryptoErrc::kIntegrity;
    self->unfinished_ = true;
    self->chunk_count_ = *prefix;
    self->plaintext_size_ = *prefix * self->header_.chunk_bytes;
    out = std::move(self);
    return {};
  }
  // The chunk layout follows from the length; the last chunk's flag authenticates it.
  const std::uint64_t full = body / stride;
  const std::uint64_t rest = body % stride;
  if (rest != 0 && rest < kTagBytes) return CryptoErrc::kIntegrity;
  self->chunk_count_ = rest == 0 ? full : full + 1;
  const std::uint64_t last_plain = rest == 0 ? self->header_.chunk_bytes : rest - kTagBytes;
  self->plaintext_size_ = (self->chunk_count_ - 1) * self->header_.chunk_bytes + last_plain;
  if (auto ec = self->load_chunk(self->chunk_count_ - 1)) return ec;
  out = std::move(self);
  return {};
}

boost::system::error_code ObjectOpener::sealed_chunk(std::uint64_t index, std::span<const std::uint8_t>& out) {
  const bool last = is_last(index);
  const std::uint64_t stride = std::uint64_t{header_.chunk_bytes} + kTagBytes;
  const std::uint64_t offset = kObjectHeaderBytes + index * stride;
  // At most a chunk and a tag: the layout computed in open() bounds the last chunk too.
  const auto length = static_cast<std::size_t>(last ? source_.size() - offset : stride);
  if (const auto in_place = source_.view(offset, length); in_place.size() == length) {
    out = in_place;
    return {};
  }
  sealed_.resize(length);
  if (auto ec = source_.read_at(offset, sealed_)) return ec;
  out = sealed_;
  return {};
}

boost::system::error_code ObjectOpener::open_chunk(std::uint64_t index, std::span<std::uint8_t> out) {
  std::span<const std::uint8_t> sealed;
  if (auto ec = sealed_chunk(index, sealed)) return ec;
  if (sealed.size() != out.size() + kTagBytes) return CryptoErrc::kIntegrity;
  const auto nonce = chunk_nonce(header_.nonce_prefix, index);
  const auto aad = chunk_aad(header_digest_, index, is_last(index));
  return aead_.open(nonce, aad, sealed, out);
}

boost::system::error_code ObjectOpener::load_chunk(std::uint64_t index) {
  if (index == cached_index_) return {};
  cached_index_ = UINT64_MAX;
  std::span<const std::uint8_t> sealed;
  if (auto ec = sealed_chunk(index, sealed)) return ec;
  if (sealed.size() < kTagBytes) return CryptoErrc::kIntegrity;
  chunk_.resize(sealed.size() - kTagBytes);  // no clear() first: reusing the buffer costs no zero-fill
  const auto nonce = chunk_nonce(header_.nonce_prefix, index);
  const auto aad = chunk_aad(header_digest_, index, is_last(index));
  if (auto ec = aead_.open(nonce, aad, sealed, chunk_)) {
    chunk_.clear();
    return ec;
  }
  cached_index_ = index;
  return {};
}

boost::system::error_code ObjectOpener::read(std::uint64_t offset, std::span<std::uint8_t> out) {
  if (offset > plaintext_size_ || out.size() > plaintext_size_ - offset) return CryptoErrc::kOutOfRange;
  const std::uint64_t chunk = header_.chunk_bytes;
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t position = offset + done;
    const std::uint64_t index = position / chunk;
    const std::uint64_t chunk_plain = index + 1 == chunk_count_ ? plaintext_size_ - index * chunk : chunk;
    if (position == index * chunk && out.size() - done >= chunk_plain && index != cached_index_) {
      // A whole chunk: decrypt straight into the caller's buffer, no copy.
      if (auto ec = open_chunk(index, out.subspan(done, static_cast<std::size_t>(chunk_plain)))) {
        OPENSSL_cleanse(out.data(), done);
        return ec;
      }
      done += static_cast<std::size_t>(chunk_plain);
      continue;
    }
    if (auto ec = load_chunk(index)) {
      OPENSSL_cleanse(out.data(), done);
      return ec;
    }
    const std::size_t within = static_cast<std::size_t>(position - index * chunk);
    const std::size_t n = std::min(out.size() - done, chunk_.size() - within);
    std::memcpy(out.data() + done, chunk_.data() + within, n);
    done += n;
  }
  return {};
}

}  // namespace furoshiki::crypto
