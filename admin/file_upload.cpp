// One upload from body to stored file; see file_upload.hpp and docs/upload.md.
#include "admin/file_upload.hpp"

#include "common/error.hpp"
#include "common/log.hpp"
#include "crypto/random.hpp"
#include "storage/errors.hpp"

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
  ~Digest() {
    EVP_MD_CTX_free(md);
    EVP_MD_CTX_free(marked);
  }
  // Snapshot of the state (mark()), and back to it (rollback()).
  bool save() {
    if (!marked && !(marked = EVP_MD_CTX_new())) return false;
    return EVP_MD_CTX_copy_ex(marked, md) == 1;
  }
  bool restore() const { return marked && EVP_MD_CTX_copy_ex(md, marked) == 1; }
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
  EVP_MD_CTX* marked = nullptr;
};

FileUpload::FileUpload(UploadServices& services, const TenantScope& scope, UploadInfo info)
    : services_(services), scope_(scope), info_(std::move(info)) {}

boost::system::result<std::shared_ptr<FileUpload>> FileUpload::begin(UploadServices& services, const TenantScope& scope,
                                                                     UploadInfo info) {
  if (info.content_type.empty()) info.content_type = "application/octet-stream";
  std::shared_ptr<FileUpload> upload(new FileUpload(services, scope, std::move(info)));
  upload->began_ = std::chrono::steady_clock::now();
  upload->file_id_ = crypto::random_hex(16);
  upload->object_id_ = crypto::random_hex(16);
  const auto& in = upload->info_;
  upload->max_file_bytes_ = effective_max_file_bytes(in.max_bytes, in.policy);
  upload->info_.retention_days = effective_retention_days(in.retention_days, in.policy);
  auto& files = services.files;
  const std::string owner = in.owner_id;
  upload->accounts_ = {
      QuotaAccount{.key = scope.org_id() + "/" + owner,
                   .quota_bytes = in.quota_bytes,
                   .stored = [&files, scope, owner] { return files.stored_bytes(scope, owner); }},
      QuotaAccount{.key = scope.org_id(),
                   .quota_bytes = in.policy.quota_bytes,
                   .stored = [&files, scope] { return files.stored_bytes(scope); }},
  };
  // Everything the declared length decides is refused before a body byte is read.
  if (in.declared_bytes) {
    if (auto ec = upload->check_size(*in.declared_bytes)) return ec;
  }
  // Fail closed and early: a file that cannot be scanned is refused before its bytes arrive.
  if (services.scanner.unavailable()) return make_error_code(Errc::kScannerUnavailable);
  if (in.declared_bytes) {
    if (auto ec = upload->reserve_quota(*in.declared_bytes)) return ec;
    if (auto ec = upload->check_space(*in.declared_bytes)) return ec;
  }
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

std::uint64_t FileUpload::body_limit() const {
  const auto& limits = services_.limits;
  const std::uint64_t cap = std::max(limits.hard_max_bytes, limits.scan_max_bytes);
  return min_nonzero(max_file_bytes_, cap);
}

boost::system::error_code FileUpload::check_size(std::uint64_t bytes) {
  const auto& limits = services_.limits;
  switch (decide_size(bytes, max_file_bytes_, info_.policy.allow_unscanned_too_large, limits)) {
    case SizeDecision::kScan:
    case SizeDecision::kUnscanned: return {};
    case SizeDecision::kTooLarge: {
      const std::uint64_t limit =
          min_nonzero(max_file_bytes_, info_.policy.allow_unscanned_too_large ? limits.hard_max_bytes : 0);
      record_denied("too_large", {{"bytes", bytes}, {"max_file_bytes", limit}});
      return make_error_code(Errc::kTooLarge);
    }
    case SizeDecision::kTooLargeToScan:
      record_denied("too_large_to_scan", {{"bytes", bytes}, {"scan_max_bytes", limits.scan_max_bytes}});
      return make_error_code(Errc::kTooLargeToScan);
  }
  return make_error_code(Errc::kInternal);
}

boost::system::error_code FileUpload::reserve_quota(std::uint64_t total) {
  if (total <= reserved_) return {};
  QuotaShortfall shortfall;
  const std::uint64_t more = total - reserved_;
  if (auto ec = services_.reservations->reserve(accounts_, more, shortfall)) {
    if (ec == Errc::kQuotaExceeded) {
      const bool user = shortfall.key != scope_.org_id();
      record_denied(user ? "user_quota_exceeded" : "organization_quota_exceeded",
                    {{"bytes", total},
                     {"quota_bytes", shortfall.quota_bytes},
                     {"stored_bytes", shortfall.stored_bytes},
                     {"reserved_bytes", shortfall.reserved_bytes}});
    }
    return ec;
  }
  reserved_ = total;
  return {};
}

void FileUpload::release_quota() {
  if (reserved_ == 0) return;
  services_.reservations->release(accounts_, reserved_);
  reserved_ = 0;
}

boost::system::error_code FileUpload::check_space(std::uint64_t more_plaintext) {
  const std::uint64_t sealed = storage::sealed_object_bytes(more_plaintext);
  if (auto ec = services_.store.check_space(sealed, services_.limits.reserve_bytes)) {
    if (ec == storage::StorageErrc::kBelowReserve) {
      record_denied("insufficient_storage", {{"bytes", more_plaintext},
                                             {"sealed_bytes", sealed},
                                             {"reserve_bytes", services_.limits.reserve_bytes},
                                             {"received_bytes", received_}});
    }
    return ec;
  }
  return {};
}

FileUpload::~FileUpload() {
  discard();
  release_quota();
}

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
  const std::uint64_t total = received_ + bytes.size();
  if (!info_.declared_bytes || total > *info_.declared_bytes) {
    if (auto ec = check_size(total)) return error_ = ec;
    // Without a declared length the reservation grows with the body, a step ahead where the
    // quota leaves room; the body stops as soon as it passes the quota.
    const std::uint64_t ahead = total + services_.limits.space_check_bytes;
    QuotaShortfall ignored;
    if (total > reserved_) {
      bool any_quota = false;
      for (const auto& a : accounts_) any_quota = any_quota || a.quota_bytes > 0;
      if (any_quota) {
        // Try a step ahead quietly first, then exactly what is needed (recorded when refused).
        auto probe = services_.reservations->reserve(accounts_, ahead - reserved_, ignored);
        if (!probe) {
          reserved_ = ahead;
        } else if (auto ec = reserve_quota(total)) {
          return error_ = ec;
        }
      }
    }
  }
  // The free space, every few MiB: the rest of the declared length, or the next step.
  if (total - space_checked_at_ >= services_.limits.space_check_bytes) {
    space_checked_at_ = total;
    const std::uint64_t rest = info_.declared_bytes && *info_.declared_bytes > total
                                   ? *info_.declared_bytes - total
                                   : services_.limits.space_check_bytes;
    if (auto ec = check_space(rest)) return error_ = ec;
  }
  if (info_.declared_bytes) return append_declared(bytes);
  received_ = total;
  return seal(bytes);
}

boost::system::error_code FileUpload::seal(std::span<const std::uint8_t> bytes) {
  const auto started = std::chrono::steady_clock::now();
  if (!digest_->update(bytes)) return error_ = make_error_code(Errc::kInternal);
  if (auto ec = sealer_->append(bytes)) {
    if (ec == boost::system::errc::no_space_on_device) {
      record_denied("disk_full", {{"received_bytes", received_}});
    }
    return error_ = ec;
  }
  append_time_ += std::chrono::steady_clock::now() - started;
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

boost::system::error_code FileUpload::mark() {
  if (error_) return error_;
  if (!info_.declared_bytes || finished_ || !tail_.empty() || sealer_->buffered_bytes() != 0 ||
      sealer_->sealed_plaintext_bytes() != received_ || !digest_->save()) {
    return error_ = make_error_code(Errc::kInternal);
  }
  mark_ = received_;
  return {};
}

boost::system::result<std::uint64_t> FileUpload::rollback() {
  if (error_) return error_;
  if (!mark_ || finished_ || *mark_ > received_) return error_ = make_error_code(Errc::kInternal);
  const std::uint64_t keep = *mark_;
  const std::size_t chunk = crypto::kDefaultChunkBytes;
  OPENSSL_cleanse(tail_.data(), tail_.size());
  tail_.clear();
  if (keep % chunk != 0 || !digest_->restore()) return error_ = make_error_code(Errc::kInternal);
  if (sealer_->sealed_plaintext_bytes() == keep && sealer_->buffered_bytes() == 0) {
    // Nothing was sealed since the mark: the tail was all, the object stays as it is.
    received_ = keep;
    mark_.reset();
    if (auto ec = sink_->sync()) return error_ = ec;
    return keep;
  }
  // The new object needs room for the prefix while the old one still exists.
  if (auto ec = check_space(keep)) return error_ = ec;
  crypto::TenantKeyRef ref;
  crypto::SecretKey key;
  if (auto ec = services_.keys.current(scope_.org_id(), ref, key)) return error_ = ec;
  std::string object_id = crypto::random_hex(16);
  std::unique_ptr<storage::ObjectFileSink> sink;
  if (auto ec = services_.store.create_staging(object_id, sink)) return error_ = ec;
  auto given_up = [&](boost::system::error_code ec) {
    sink.reset();
    (void)services_.store.remove_staging(object_id);
    return error_ = ec;
  };
  auto sealer = std::make_unique<crypto::ObjectSealer>(services_.ctx, key, ref, object_id, *sink);
  if (auto ec = sealer->status()) return given_up(ec);
  if (auto ec = sealer->expect_total(*info_.declared_bytes)) return given_up(ec);
  {
    // The old object's sealed bytes must be on disk for its reader.
    if (auto ec = sink_->sync()) return given_up(ec);
    std::unique_ptr<storage::ObjectFileSource> source;
    if (auto ec = services_.store.open_staging(object_id_, source)) return given_up(ec);
    std::unique_ptr<crypto::ObjectOpener> opener;
    if (auto ec = crypto::ObjectOpener::open_prefix(services_.ctx, *source, scope_.org_id(), object_id_,
                                                    services_.keys.lookup_for(scope_.org_id()), keep / chunk, opener)) {
      return given_up(ec);
    }
    std::vector<std::uint8_t> plain(chunk);
    for (std::uint64_t at = 0; at < keep; at += chunk) {
      if (auto ec = opener->read(at, plain)) return given_up(ec);
      if (auto ec = sealer->append(plain)) return given_up(ec);
    }
    OPENSSL_cleanse(plain.data(), plain.size());
  }
  if (sealer->sealed_plaintext_bytes() != keep || sealer->buffered_bytes() != 0) {
    return given_up(make_error_code(Errc::kInternal));
  }
  if (auto ec = sink->sync()) return given_up(ec);
  // Swap: the old object (and with it its data key's only ciphertexts) goes.
  sealer_.reset();
  sink_.reset();
  if (auto ec = services_.store.remove_staging(object_id_)) {
    log::warn("staging_remove_failed", {{"object_id", object_id_}, {"reason", ec.message()}});
  }
  log::info("upload_rolled_back", {{"file_id", file_id_},
                                   {"discarded_bytes", received_ - keep},
                                   {"kept_bytes", keep},
                                   {"old_object_id", object_id_},
                                   {"object_id", object_id}});
  object_id_ = std::move(object_id);
  sink_ = std::move(sink);
  sealer_ = std::move(sealer);
  received_ = keep;
  space_checked_at_ = std::min(space_checked_at_, keep);
  mark_.reset();
  return keep;
}

scanner::ScanVerdict FileUpload::scan_with(scanner::Scanner& scanner) {
  scan_started_ = std::chrono::steady_clock::now();
  crash_if_armed(services_.crash_point, UploadCrashPoint::kScanStarted);
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
  prepared_ = std::chrono::steady_clock::now();
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
  crash_if_armed(upload->services_.crash_point, UploadCrashPoint::kUploadAfterSeal);
  if (upload->received_ > upload->services_.limits.scan_max_bytes) {
    // Only reachable when the policy allows files too large to scan (check_size).
    UploadOutcome out = upload->commit_unscanned();
    if (!out.stored()) upload->discard();
    upload->release_quota();
    return done(std::move(out));
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
  // A stored file counts as stored now: its reservation is no longer needed.
  release_quota();
  return out;
}

UploadOutcome FileUpload::commit_unscanned() {
  scan_started_ = scanned_ = std::chrono::steady_clock::now();  // no scan: zero in the timings
  UploadOutcome out;
  out.unscanned = true;
  return commit_file(std::move(out), "not_scanned_too_large");
}

UploadOutcome FileUpload::commit_if_clean(const scanner::ScanVerdict& verdict) {
  scanned_ = std::chrono::steady_clock::now();
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
  return commit_file(std::move(out), "clean");
}

UploadOutcome FileUpload::commit_file(UploadOutcome out, std::string scan_verdict) {
  crash_if_armed(services_.crash_point, UploadCrashPoint::kCommitBeforeRename);
  if (auto ec = services_.store.commit(object_id_, *sink_)) {
    out.error = ec;
    record_failure(ec, "commit");
    return out;
  }
  crash_if_armed(services_.crash_point, UploadCrashPoint::kAfterCommitBeforeRow);
  const auto now = services_.clock ? services_.clock() : std::chrono::system_clock::now();
  StoredFile file{.id = file_id_,
                  .org_id = scope_.org_id(),
                  .owner_id = info_.owner_id,
                  .name = info_.name,
                  .content_type = info_.content_type,
                  .size = received_,
                  .sha256 = sha256_,
                  .object_id = object_id_,
                  .created_at = std::chrono::time_point_cast<std::chrono::milliseconds>(now),
                  .expires_at = std::nullopt,
                  .scan_verdict = std::move(scan_verdict),
                  .scan_detail = {}};
  if (info_.retention_days > 0) file.expires_at = file.created_at + std::chrono::days(info_.retention_days);
  AuditEvent event = info_.actor;
  event.chain = AuditChain::organization(scope_.org_id());
  event.action = "file.upload";
  event.target = file.id;
  event.outcome = AuditOutcome::kSuccess;
  event.details = {{"name", file.name}, {"size", file.size}, {"sha256", file.sha256}, {"verdict", file.scan_verdict}};
  if (out.unscanned) {
    event.details["scan"] = "not scanned: too large";
    event.details["scan_max_bytes"] = services_.limits.scan_max_bytes;
  }
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
  const auto ms = [](std::chrono::steady_clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
  };
  log::info("upload_stored", {{"org_id", scope_.org_id()},
                              {"file_id", file_id_},
                              {"bytes", received_},
                              {"receive_ms", ms(prepared_ - began_)},
                              {"append_ms", ms(append_time_)},
                              {"scan_wait_ms", ms(scan_started_ - prepared_)},
                              {"scan_ms", ms(scanned_ - scan_started_)},
                              {"commit_ms", ms(std::chrono::steady_clock::now() - scanned_)}});
  crash_if_armed(services_.crash_point, UploadCrashPoint::kAfterRow);
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

void FileUpload::record_denied(std::string_view reason, boost::json::object numbers) {
  AuditEvent event = info_.actor;
  event.chain = AuditChain::organization(scope_.org_id());
  event.action = "file.upload";
  event.target = file_id_;
  event.outcome = AuditOutcome::kDenied;
  event.details = std::move(numbers);
  event.details["name"] = info_.name;
  event.details["reason"] = reason;
  if (info_.declared_bytes) event.details["declared_bytes"] = *info_.declared_bytes;
  if (auto ec = services_.audit.append(event)) {
    log::error("audit_append_failed", {{"action", event.action}, {"reason", ec.message()}});
  }
  log::warn("upload_denied", {{"org_id", scope_.org_id()}, {"file_id", file_id_}, {"reason", std::string(reason)}});
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
