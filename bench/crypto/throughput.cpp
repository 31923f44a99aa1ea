// In-process measurements of furoshiki_crypto_bench; see throughput.hpp.
#include "throughput.hpp"

#include "storage/data_directory.hpp"
#include "storage/object_store.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <stdexcept>

namespace furoshiki::bench {
namespace {

constexpr const char* kOrgId = "org-bench";
constexpr const char* kTenantKeyId = "0123456789abcdef0123456789abcdef";
constexpr const char* kObjectId = "fedcba9876543210fedcba9876543210";

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Both clocks from construction to stop().
class Stopwatch {
 public:
  Stopwatch() : cpu_start_(thread_cpu_seconds()), wall_start_(std::chrono::steady_clock::now()) {}
  double wall_elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
  }
  Throughput stop(std::uint64_t bytes) const { return {bytes, thread_cpu_seconds() - cpu_start_, wall_elapsed()}; }

 private:
  double cpu_start_;
  std::chrono::steady_clock::time_point wall_start_;
};

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

// Appends `total_bytes` to `sealer`: `buffer` again and again, as a reused network buffer.
void append_repeated(crypto::ObjectSealer& sealer, std::span<const std::uint8_t> buffer, std::uint64_t total_bytes) {
  for (std::uint64_t left = total_bytes; left > 0;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
    require(!sealer.append(buffer.first(n)), "sealing: append failed");
    left -= n;
  }
}

}  // namespace

BenchTenant::BenchTenant(const crypto::CryptoContext& ctx)
    : key(crypto::SecretKey::random(ctx)), ref{kOrgId, kTenantKeyId, 1}, object_id(kObjectId) {}

crypto::TenantKeyLookup BenchTenant::lookup() const {
  return [this](const std::string& key_id, std::uint32_t version, crypto::SecretKey& out) -> boost::system::error_code {
    if (key_id != ref.key_id || version != ref.version) return crypto::CryptoErrc::kUnknownKey;
    out = key;
    return {};
  };
}

BoundedSink::BoundedSink(std::size_t capacity, bool lend) : buffer_(capacity), lend_(lend) {
  if (capacity == 0) throw std::invalid_argument("the sink buffer must not be empty");
}

boost::system::error_code BoundedSink::write(std::span<const std::uint8_t> bytes) {
  reserved_ = 0;
  total_ += bytes.size();
  while (!bytes.empty()) {
    if (used_ == buffer_.size()) used_ = 0;  // flushed
    const std::size_t n = std::min(bytes.size(), buffer_.size() - used_);
    std::memcpy(buffer_.data() + used_, bytes.data(), n);
    used_ += n;
    bytes = bytes.subspan(n);
  }
  return {};
}

std::span<std::uint8_t> BoundedSink::reserve(std::size_t n) {
  reserved_ = 0;
  if (!lend_ || n > buffer_.size()) return {};
  if (n > buffer_.size() - used_) used_ = 0;  // flushed
  reserved_ = n;
  return std::span(buffer_).subspan(used_, n);
}

boost::system::error_code BoundedSink::commit(std::size_t n) {
  if (n > reserved_) return crypto::CryptoErrc::kInternal;
  used_ += n;
  total_ += n;
  reserved_ = 0;
  return {};
}

InMemoryObject::InMemoryObject(std::shared_ptr<const crypto::CryptoContext> ctx, std::uint64_t object_bytes,
                               std::uint32_t chunk_bytes, std::size_t io_bytes, bool zero_copy)
    : ctx_(std::move(ctx)),
      object_bytes_(object_bytes),
      chunk_bytes_(chunk_bytes),
      zero_copy_(zero_copy),
      tenant_(*ctx_),
      plaintext_(io_bytes),
      read_buffer_(io_bytes) {
  if (chunk_bytes < crypto::kMinChunkBytes || chunk_bytes > crypto::kMaxChunkBytes) {
    throw std::invalid_argument("chunk size outside the object format's bounds");
  }
  if (io_bytes == 0) throw std::invalid_argument("the append/read size must not be 0");
  ctx_->random_bytes(plaintext_);
  const std::uint64_t chunks = object_bytes / chunk_bytes + 1;  // at most: a partial or empty last chunk
  sink_.bytes.reserve(crypto::kObjectHeaderBytes + object_bytes + chunks * crypto::kTagBytes);
}

Throughput InMemoryObject::seal() {
  sink_.bytes.clear();  // keeps the capacity: no allocation or page fault inside the timing
  CopyingSink copying(sink_);
  crypto::ObjectSink& sink = zero_copy_ ? static_cast<crypto::ObjectSink&>(sink_) : copying;
  const Stopwatch watch;
  crypto::ObjectSealer sealer(ctx_, tenant_.key, tenant_.ref, tenant_.object_id, sink, chunk_bytes_);
  require(!sealer.status(), "sealing: the header write failed");
  std::uint64_t left = object_bytes_;
  while (left > 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, plaintext_.size()));
    require(!sealer.append(std::span(plaintext_).first(n)), "sealing: append failed");
    left -= n;
  }
  require(!sealer.finish(), "sealing: finish failed");
  return watch.stop(object_bytes_);
}

std::unique_ptr<crypto::ObjectOpener> InMemoryObject::open_object() {
  std::unique_ptr<crypto::ObjectOpener> opener;
  // The opener keeps a reference to the source: it lives as long as this object.
  source_.emplace(sink_.bytes);
  crypto::ObjectSource* source = &*source_;
  if (!zero_copy_) source = &copying_source_.emplace(*source_);
  const auto ec =
      crypto::ObjectOpener::open(ctx_, *source, tenant_.ref.org_id, tenant_.object_id, tenant_.lookup(), opener);
  if (ec) throw std::runtime_error("opening the sealed object failed: " + ec.message());
  if (opener->size() != object_bytes_) throw std::runtime_error("the opened object has the wrong size");
  return opener;
}

Throughput InMemoryObject::open() {
  const Stopwatch watch;
  const auto opener = open_object();
  for (std::uint64_t offset = 0; offset < object_bytes_;) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(object_bytes_ - offset, read_buffer_.size()));
    require(!opener->read(offset, std::span(read_buffer_).first(n)), "opening: read failed");
    offset += n;
  }
  return watch.stop(object_bytes_);
}

void InMemoryObject::verify() {
  const auto opener = open_object();
  for (std::uint64_t offset = 0; offset < object_bytes_;) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(object_bytes_ - offset, read_buffer_.size()));
    require(!opener->read(offset, std::span(read_buffer_).first(n)), "verifying: read failed");
    require(std::memcmp(read_buffer_.data(), plaintext_.data(), n) == 0, "verifying: the plaintext differs");
    offset += n;
  }
}

StreamingPath::StreamingPath(std::shared_ptr<const crypto::CryptoContext> ctx, std::uint32_t chunk_bytes,
                             std::size_t io_bytes, std::size_t sink_bytes, std::uint64_t cached_object_bytes,
                             bool zero_copy)
    : ctx_(std::move(ctx)),
      chunk_bytes_(chunk_bytes),
      zero_copy_(zero_copy),
      tenant_(*ctx_),
      network_buffer_(io_bytes),
      expected_(static_cast<std::size_t>(cached_object_bytes)),
      sink_(sink_bytes, zero_copy) {
  if (chunk_bytes < crypto::kMinChunkBytes || chunk_bytes > crypto::kMaxChunkBytes) {
    throw std::invalid_argument("chunk size outside the object format's bounds");
  }
  if (io_bytes == 0 || cached_object_bytes == 0) throw std::invalid_argument("sizes must not be 0");
  ctx_->random_bytes(network_buffer_);
  ctx_->random_bytes(expected_);
  crypto::ObjectSealer sealer(ctx_, tenant_.key, tenant_.ref, tenant_.object_id, cached_, chunk_bytes_);
  require(!sealer.status() && !sealer.append(expected_) && !sealer.finish(), "sealing the cached object failed");
}

Throughput StreamingPath::seal(std::uint64_t total_bytes) {
  sink_.reset();
  const Stopwatch watch;
  crypto::ObjectSealer sealer(ctx_, tenant_.key, tenant_.ref, tenant_.object_id, sink_, chunk_bytes_);
  require(!sealer.status(), "streaming seal: the header write failed");
  append_repeated(sealer, network_buffer_, total_bytes);
  require(!sealer.finish(), "streaming seal: finish failed");
  Throughput result = watch.stop(total_bytes);
  require(sink_.total() == sealer.sealed_bytes(), "streaming seal: the sink did not get every sealed byte");
  return result;
}

std::unique_ptr<crypto::ObjectOpener> StreamingPath::open_cached() {
  std::unique_ptr<crypto::ObjectOpener> opener;
  source_.emplace(cached_.bytes);
  crypto::ObjectSource* source = &*source_;
  if (!zero_copy_) source = &copying_source_.emplace(*source_);
  const auto ec =
      crypto::ObjectOpener::open(ctx_, *source, tenant_.ref.org_id, tenant_.object_id, tenant_.lookup(), opener);
  if (ec) throw std::runtime_error("opening the cached object failed: " + ec.message());
  if (opener->size() != expected_.size()) throw std::runtime_error("the cached object has the wrong size");
  return opener;
}

Throughput StreamingPath::open(std::uint64_t total_bytes) {
  const Stopwatch watch;
  std::uint64_t done = 0;
  while (done < total_bytes) {
    const auto opener = open_cached();
    for (std::uint64_t offset = 0; offset < opener->size();) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(opener->size() - offset, network_buffer_.size()));
      require(!opener->read(offset, std::span(network_buffer_).first(n)), "streaming open: read failed");
      offset += n;
    }
    done += opener->size();
  }
  return watch.stop(done);
}

void StreamingPath::verify() {
  const auto opener = open_cached();
  std::vector<std::uint8_t> buffer(network_buffer_.size());
  for (std::uint64_t offset = 0; offset < opener->size();) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(opener->size() - offset, buffer.size()));
    require(!opener->read(offset, std::span(buffer).first(n)), "verifying: read failed");
    require(std::memcmp(buffer.data(), expected_.data() + offset, n) == 0, "verifying: the plaintext differs");
    offset += n;
  }
}

StagingFilePath::StagingFilePath(std::shared_ptr<const crypto::CryptoContext> ctx, std::uint32_t chunk_bytes,
                                 std::size_t io_bytes, std::size_t sink_bytes, const std::filesystem::path& parent,
                                 bool zero_copy)
    : ctx_(std::move(ctx)),
      chunk_bytes_(chunk_bytes),
      sink_bytes_(sink_bytes),
      zero_copy_(zero_copy),
      tenant_(*ctx_),
      network_buffer_(io_bytes) {
  if (io_bytes == 0 || sink_bytes == 0) throw std::invalid_argument("sizes must not be 0");
  ctx_->random_bytes(network_buffer_);
  std::string dir = (parent / "furoshiki-crypto-bench.XXXXXX").string();
  require(::mkdtemp(dir.data()) != nullptr, "staging file: cannot create a directory under --file-dir");
  root_ = dir;
  require(!storage::prepare_data_directory(root_), "staging file: cannot prepare the data directory");
}

StagingFilePath::~StagingFilePath() {
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

void StagingFilePath::seal_and_commit(std::uint64_t total_bytes, Result* timing) {
  storage::ObjectStore store(storage::posix_file_system(), root_);
  std::unique_ptr<storage::ObjectFileSink> file;
  require(!store.create_staging(tenant_.object_id, file, sink_bytes_), "staging file: create failed");
  CopyingSink copying(*file);
  crypto::ObjectSink& sink = zero_copy_ ? static_cast<crypto::ObjectSink&>(*file) : copying;
  const Stopwatch watch;
  crypto::ObjectSealer sealer(ctx_, tenant_.key, tenant_.ref, tenant_.object_id, sink, chunk_bytes_);
  require(!sealer.status(), "staging file: the header write failed");
  append_repeated(sealer, network_buffer_, total_bytes);
  require(!sealer.finish() && !file->flush(), "staging file: finish failed");
  if (timing) timing->seal = watch.stop(total_bytes);
  const Stopwatch commit;
  require(!store.commit(tenant_.object_id, *file), "staging file: commit failed");
  if (timing) timing->commit_wall_seconds = commit.wall_elapsed();
  require(file->durable_bytes() == sealer.sealed_bytes(), "staging file: not every sealed byte is durable");
}

StagingFilePath::Result StagingFilePath::seal(std::uint64_t total_bytes) {
  Result result;
  seal_and_commit(total_bytes, &result);
  storage::ObjectStore store(storage::posix_file_system(), root_);
  require(!store.remove(tenant_.object_id), "staging file: removing the object failed");
  return result;
}

void StagingFilePath::verify(std::uint64_t total_bytes) {
  seal_and_commit(total_bytes, nullptr);
  storage::ObjectStore store(storage::posix_file_system(), root_);
  std::unique_ptr<storage::ObjectFileSource> source;
  require(!store.open(tenant_.object_id, source), "staging file: open failed");
  std::unique_ptr<crypto::ObjectOpener> opener;
  require(!crypto::ObjectOpener::open(ctx_, *source, tenant_.ref.org_id, tenant_.object_id, tenant_.lookup(), opener),
          "staging file: the stored object does not open");
  require(opener->size() == total_bytes, "staging file: the stored object has the wrong size");
  std::vector<std::uint8_t> buffer(network_buffer_.size());
  for (std::uint64_t offset = 0; offset < total_bytes;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(total_bytes - offset, buffer.size()));
    require(!opener->read(offset, std::span(buffer).first(n)), "staging file: read failed");
    require(std::memcmp(buffer.data(), network_buffer_.data(), n) == 0, "staging file: the plaintext differs");
    offset += n;
  }
  require(!store.remove(tenant_.object_id), "staging file: removing the object failed");
}

Throughput raw_gcm_stream(const crypto::CryptoContext& ctx, std::size_t block_bytes, double seconds) {
  require(block_bytes <= static_cast<std::size_t>(std::numeric_limits<int>::max()), "block too large");
  std::array<std::uint8_t, crypto::kKeyBytes> key{};
  std::array<std::uint8_t, crypto::kNonceBytes> iv{};
  ctx.random_bytes(key);
  ctx.random_bytes(iv);
  std::vector<std::uint8_t> block(block_bytes);
  CipherCtx c(EVP_CIPHER_CTX_new());
  require(c && EVP_EncryptInit_ex2(c.get(), ctx.aes_256_gcm(), key.data(), iv.data(), nullptr) == 1,
          "raw AES-256-GCM: init failed");
  const Stopwatch watch;
  std::uint64_t bytes = 0;
  int len = 0;
  // GCM's counter allows 2^36 - 32 bytes per IV (about 68 GB): far more than a few seconds'
  // worth, so, unlike `openssl speed`, no re-initialisation is needed.
  do {
    require(EVP_EncryptUpdate(c.get(), block.data(), &len, block.data(), static_cast<int>(block_bytes)) == 1,
            "raw AES-256-GCM: update failed");
    bytes += block_bytes;
  } while (watch.wall_elapsed() < seconds);
  Throughput result = watch.stop(bytes);
  std::array<std::uint8_t, 16> tail{};
  require(EVP_EncryptFinal_ex(c.get(), tail.data(), &len) == 1, "raw AES-256-GCM: final failed");
  return result;
}

Throughput raw_gcm_per_message(const crypto::CryptoContext& ctx, std::size_t message_bytes, double seconds) {
  require(message_bytes <= static_cast<std::size_t>(std::numeric_limits<int>::max()), "message too large");
  std::array<std::uint8_t, crypto::kKeyBytes> key{};
  std::array<std::uint8_t, crypto::kNonceBytes> nonce{};
  std::array<std::uint8_t, 41> aad{};  // SHA-256(header) || index || last flag, as in the format
  ctx.random_bytes(key);
  ctx.random_bytes(nonce);
  std::vector<std::uint8_t> in(message_bytes);
  std::vector<std::uint8_t> out(message_bytes + crypto::kTagBytes);
  const Stopwatch watch;
  std::uint64_t bytes = 0;
  std::uint64_t counter = 0;
  do {
    ++counter;
    std::memcpy(nonce.data() + 4, &counter, sizeof counter);
    CipherCtx c(EVP_CIPHER_CTX_new());
    int len = 0;
    int final_len = 0;
    require(c && EVP_EncryptInit_ex2(c.get(), ctx.aes_256_gcm(), key.data(), nonce.data(), nullptr) == 1 &&
                EVP_EncryptUpdate(c.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
                EVP_EncryptUpdate(c.get(), out.data(), &len, in.data(), static_cast<int>(message_bytes)) == 1 &&
                EVP_EncryptFinal_ex(c.get(), out.data() + len, &final_len) == 1 &&
                EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(crypto::kTagBytes),
                                    out.data() + message_bytes) == 1,
            "raw AES-256-GCM: sealing a message failed");
    bytes += message_bytes;
  } while (watch.wall_elapsed() < seconds);
  return watch.stop(bytes);
}

}  // namespace furoshiki::bench
