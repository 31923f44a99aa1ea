// One upload from body to stored file; see file_upload.hpp and docs/upload.md.
#include "admin/file_upload.hpp"

#include "common/error.hpp"
#include "common/log.hpp"
#include "crypto/random.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <future>

namespace furoshiki::admin {

namespace {

std::string hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const auto b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

}  // namespace

// SHA-256 of the plaintext as it streams through (the file's checksum in the API).
struct FileUpload::Digest {
  explicit Digest(const crypto::CryptoContext& ctx) : md(EVP_MD_CTX_new()) {
    if (!md || EVP_DigestInit_ex(md, ctx.sha256(), nullptr) != 1) throw std::runtime_error("SHA-256 unavailable");
  }
  ~Digest() { EVP_MD_CTX_free(md); }
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  bool update(std::span<const std::uint8_t> bytes) const {
    return EVP_DigestUpdate(md, bytes.data(), bytes.size()) == 1;
  }
  std::optional<std::string> final() const {
    std::array<std::uint8_t, 32> out{};
    unsigned n = 0;
    if (EVP_DigestFinal_ex(md, out.data(), &n) != 1 || n != out.size()) return std::nullopt;
    return hex(out);
  }
  EVP_MD_CTX* md;
};

FileUpload::FileUpload(UploadServices& services, const TenantScope& scope, UploadInfo info)
    : services_(services), scope_(scope), info_(std::move(info)) {}

boost::system::result<std::shared_ptr<FileUpload>> FileUpload::begin(UploadServices& services, const TenantScope& scope,
                                                                     UploadInfo info) {
  // Fail closed and early: a file that cannot be scanned is refused before its bytes arrive.
  if (services.scanner.unavailable()) return make_error_code(Errc::kScannerUnavailable);
  if (info.content_type.empty()) info.content_type = "application/octet-stream";
  if (info.declared_bytes && *info.declared_bytes > info.max_bytes) return make_error_code(Errc::kTooLarge);
  std::shared_ptr<FileUpload> upload(new FileUpload(services, scope, std::move(info)));
  upload->file_id_ = crypto::random_hex(16);
  upload->object_id_ = crypto::random_hex(16);
  crypto::TenantKeyRef ref;
  crypto::SecretKey key;
  if (auto ec = services.keys.current(scope.org_id(), ref, key)) return ec;
  if (auto ec = services.store.create_staging(upload->object_id_, upload->sink_)) return ec;
  upload->sealer_ = std::make_unique<crypto::ObjectSealer>(services.ctx, key, ref, upload->object_id_, *upload->sink_);
  if (auto ec = upload->sealer_->status()) return ec;
  if (upload->info_.declared_bytes) {
    if (auto ec = upload->sealer_->expect_total(*upload->info_.declared_bytes)) return ec;
  }
  upload->digest_ = std::make_unique<Digest>(*services.ctx);
  return upload;
}

FileUpload::~FileUpload() { discard(); }

void FileUpload::discard() {
  if (committed_ || !sink_) return;
  sealer_.reset();
  sink_.reset();  // closes the file first
  if (auto ec = services_.store.remove_staging(object_id_)) {
    // Start-up cleanup removes it in any case.
    log::warn("staging_remove_failed", {{"object_id", object_id_}, {"reason", ec.message()}});
  }
}

boost::system::error_code FileUpload::append(std::span<const std::uint8_t> bytes) {
  if (error_) return error_;
  if (finished_) return error_ = make_error_code(Errc::kInternal);
  if (bytes.size() > info_.max_bytes - std::min(received_, info_.max_bytes)) {
    return error_ = make_error_code(Errc::kTooLarge);
  }
  if (info_.declared_bytes) return append_declared(bytes);
  received_ += bytes.size();
  if (!digest_->update(bytes)) return error_ = make_error_code(Errc::kInternal);
  if (auto ec = sealer_->append(bytes)) return error_ = ec;
  return {};
}

boost::system::error_code FileUpload::seal(std::span<const std::uint8_t> bytes) {
  if (!digest_->update(bytes)) return error_ = make_error_code(Errc::kInternal);
  if (auto ec = sealer_->append(bytes)) return error_ = ec;
  return {};
}

boost::system::error_code FileUpload::append_declared(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > *info_.declared_bytes - received_) return error_ = make_error_code(Errc::kTooLarge);
  received_ += bytes.size();
  const std::size_t chunk = crypto::kDefaultChunkBytes;
  // Only whole chunks reach the digest and the sealer, so that what they have seen is exactly
  // what checkpoint() can make durable; the partial tail waits here.
  while (!bytes.empty()) {
    if (tail_.empty() && bytes.size() >= chunk) {
      if (auto ec = seal(bytes.first(chunk))) return ec;
      bytes = bytes.subspan(chunk);
      continue;
    }
    if (tail_.capacity() < chunk) tail_.reserve(chunk);
    const std::size_t take = std::min(chunk - tail_.size(), bytes.size());
    tail_.insert(tail_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
    bytes = bytes.subspan(take);
    if (tail_.size() == chunk) {
      if (auto ec = seal(tail_)) return ec;
      tail_.clear();
    }
  }
  if (complete() && !tail_.empty()) {
    if (auto ec = seal(tail_)) return ec;
    tail_.clear();
  }
  return {};
}

boost::system::result<std::uint64_t> FileUpload::checkpoint() {
  if (error_) return error_;
  if (!info_.declared_bytes || finished_) return error_ = make_error_code(Errc::kInternal);
  received_ -= tail_.size();
  OPENSSL_cleanse(tail_.data(), tail_.size());
  tail_.clear();
  if (sealer_->sealed_plaintext_bytes() != received_ || sealer_->buffered_bytes() != 0) {
    return error_ = make_error_code(Errc::kInternal);
  }
  if (auto ec = sink_->sync()) return error_ = ec;
  return received_;
}

scanner::ScanVerdict FileUpload::scan_with(scanner::Scanner& scanner) {
  std::unique_ptr<storage::ObjectFileSource> source;
  if (auto ec = services_.store.open_staging(object_id_, source)) {
    return scanner::ScanVerdict::error("read_failed", ec.message());
  }
  std::unique_ptr<crypto::ObjectOpener> opener;
  if (auto ec = crypto::ObjectOpener::open(services_.ctx, *source, scope_.org_id(), object_id_,
                                           services_.keys.lookup_for(scope_.org_id()), opener)) {
    return scanner::ScanVerdict::error("integrity", ec.message());
  }
  return scanner.scan(*opener);
}

std::optional<UploadOutcome> FileUpload::prepare() {
  UploadOutcome out;
  if (finished_) {
    out.error = make_error_code(Errc::kInternal);
    return out;
  }
  finished_ = true;
  if (error_) {
    out.error = error_;
    return out;
  }
  sha256_ = digest_->final().value_or("");
  if (sha256_.empty()) {
    out.error = make_error_code(Errc::kInternal);
    return out;
  }
  // The last chunk, then every byte in the file (not yet durable: the commit syncs) so that the
  // scan reads the whole object.
  if (auto ec = sealer_->finish()) {
    out.error = ec;
    record_failure(ec, "seal");
    return out;
  }
  if (auto ec = sink_->flush()) {
    out.error = ec;
    record_failure(ec, "write");
    return out;
  }
  return std::nullopt;
}

// A finish waiting for its scan. Whatever happens to the scan job — run, or dropped unrun when
// the pool shuts down — `done` is called exactly once: by the job, or else by this destructor.
struct FileUpload::PendingFinish {
  std::shared_ptr<FileUpload> upload;
  std::function<void(UploadOutcome)> done;

  PendingFinish(std::shared_ptr<FileUpload> u, std::function<void(UploadOutcome)> d)
      : upload(std::move(u)), done(std::move(d)) {}
  PendingFinish(const PendingFinish&) = delete;
  PendingFinish& operator=(const PendingFinish&) = delete;
  ~PendingFinish() {
    if (done) answer(upload->fail(make_error_code(Errc::kScannerUnavailable), "scan"));
  }
  void answer(UploadOutcome out) {
    auto d = std::move(done);
    done = nullptr;
    d(std::move(out));
  }
};

UploadOutcome FileUpload::fail(const boost::system::error_code& ec, std::string_view stage) {
  UploadOutcome out;
  out.error = ec;
  record_failure(ec, stage);
  discard();
  return out;
}

void FileUpload::finish_async(std::shared_ptr<FileUpload> upload, std::function<void(UploadOutcome)> done) {
  if (auto early = upload->prepare()) {
    upload->discard();
    return done(std::move(*early));
  }
  auto pending = std::make_shared<PendingFinish>(std::move(upload), std::move(done));
  auto submitted = pending->upload->services_.scans.submit([pending](scanner::Scanner& scanner) {
    scanner::ScanVerdict verdict = pending->upload->scan_with(scanner);
    pending->answer(pending->upload->after_scan(verdict));
    return verdict;
  });
  // Not queued (busy for too long, or no engine): the job was dropped without running.
  if (!submitted) pending->answer(pending->upload->fail(submitted.error(), "scan"));
}

UploadOutcome FileUpload::finish() {
  std::promise<UploadOutcome> result;
  auto future = result.get_future();
  finish_async(shared_from_this(), [&result](UploadOutcome out) { result.set_value(std::move(out)); });
  return future.get();
}

UploadOutcome FileUpload::after_scan(const scanner::ScanVerdict& verdict) {
  UploadOutcome out = commit_if_clean(verdict);
  // A file not stored leaves nothing behind by the time the caller hears why.
  if (!out.stored()) discard();
  return out;
}

UploadOutcome FileUpload::commit_if_clean(const scanner::ScanVerdict& verdict) {
  UploadOutcome out;
  out.verdict = verdict;
  if (!verdict.is_clean()) {
    record_refusal(verdict);
    if (verdict.kind == scanner::ScanVerdict::Kind::kError) {
      out.error = make_error_code(verdict.reason == "no_engine" || verdict.reason == "definitions_too_old"
                                      ? Errc::kScannerUnavailable
                                      : Errc::kInternal);
    }
    return out;
  }

  if (auto ec = services_.store.commit(object_id_, *sink_)) {
    out.error = ec;
    record_failure(ec, "commit");
    return out;
  }
  const auto now = services_.clock ? services_.clock() : std::chrono::system_clock::now();
  StoredFile file{.id = file_id_,
                  .org_id = scope_.org_id(),
                  .owner_id = info_.owner_id,
                  .name = info_.name,
                  .content_type = info_.content_type,
                  .size = received_,
                  .sha256 = sha256_,
                  .object_id = object_id_,
                  .created_at = std::chrono::time_point_cast<std::chrono::milliseconds>(now)};
  if (info_.retention_days > 0) file.expires_at = file.created_at + std::chrono::days(info_.retention_days);
  AuditEvent event = info_.actor;
  event.chain = AuditChain::organization(scope_.org_id());
  event.action = "file.upload";
  event.target = file.id;
  event.outcome = AuditOutcome::kSuccess;
  event.details = {{"name", file.name}, {"size", file.size}, {"sha256", file.sha256}, {"verdict", "clean"}};
  if (auto ec = services_.files.create(scope_, file, event)) {
    // The object is committed but no row names it: take it out again, so that nothing unrecorded
    // stays in the store (a crash here leaves an unreachable object, never a visible one).
    if (auto removed = services_.store.remove(object_id_)) {
      log::error("object_remove_failed", {{"object_id", object_id_}, {"reason", removed.message()}});
    }
    committed_ = true;  // no staging file left to remove
    out.error = ec;
    return out;
  }
  committed_ = true;
  out.file = std::move(file);
  return out;
}

void FileUpload::record_refusal(const scanner::ScanVerdict& verdict) {
  AuditEvent event = info_.actor;
  event.chain = AuditChain::organization(scope_.org_id());
  event.action = "file.upload";
  event.target = file_id_;
  event.outcome = verdict.kind == scanner::ScanVerdict::Kind::kError ? AuditOutcome::kFailure : AuditOutcome::kDenied;
  event.details = {{"name", info_.name}, {"size", received_}, {"verdict", verdict.kind_name()}};
  if (!verdict.signature.empty()) event.details["signature"] = verdict.signature;
  if (!verdict.reason.empty()) event.details["reason"] = verdict.reason;
  if (auto ec = services_.audit.append(event)) {
    log::error("audit_append_failed", {{"action", event.action}, {"reason", ec.message()}});
  }
  log::warn("upload_refused", {{"org_id", scope_.org_id()}, {"file_id", file_id_}, {"verdict", verdict.to_string()}});
}

void FileUpload::record_failure(const boost::system::error_code& ec, std::string_view stage) {
  AuditEvent event = info_.actor;
  event.chain = AuditChain::organization(scope_.org_id());
  event.action = "file.upload";
  event.target = file_id_;
  event.outcome = AuditOutcome::kFailure;
  event.details = {{"name", info_.name}, {"size", received_}, {"stage", stage}};
  if (auto e = services_.audit.append(event)) {
    log::error("audit_append_failed", {{"action", event.action}, {"reason", e.message()}});
  }
  log::warn("upload_failed",
            {{"org_id", scope_.org_id()}, {"file_id", file_id_}, {"stage", stage}, {"reason", ec.message()}});
}

}  // namespace furoshiki::admin
