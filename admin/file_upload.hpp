// FileUpload: one file on its way in (docs/upload.md). Plaintext arrives in pieces of any size
// and is hashed and sealed straight into staging/<object id>; at the end the staged object is
// scanned through the opener (plaintext never touches the disk) and, only when the verdict is
// clean, committed to the object store and recorded — file row and audit event in one
// transaction. Anything else removes the staged object and records why.
//
// The crash rule: whatever the moment of a crash, there is afterwards either a complete, scanned,
// encrypted file (object committed and row written) or nothing visible: an object in staging is
// removed at start-up, and an object committed without a row is never reachable (no row names it).
//
// Memory is bounded whatever the size: the sealer's chunk (64 KiB) and the sink's buffer
// (256 KiB). Nothing here knows HTTP; the server maps the outcome to the API.
#pragma once

#include "admin/audit_log.hpp"
#include "admin/files.hpp"
#include "admin/tenant_keys.hpp"
#include "admin/tenant_scope.hpp"
#include "admin/upload_crash_point.hpp"
#include "admin/upload_limits.hpp"
#include "crypto/object_format.hpp"
#include "scanner/scan_pool.hpp"
#include "storage/object_store.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace furoshiki::admin {

// What every upload uses; each reference must outlive the uploads.
struct UploadServices {
  std::shared_ptr<const crypto::CryptoContext> ctx;
  TenantKeyring& keys;
  storage::ObjectStore& store;
  scanner::Scanner& scanner;
  scanner::ScanPool& scans;
  FileDirectory& files;
  AuditLog& audit;
  // Now; injectable for tests. Defaults to the system clock.
  std::function<std::chrono::system_clock::time_point()> clock{};
  // What the instance allows: scanner limit, hard cap, disk reserve (upload_limits.hpp).
  UploadLimits limits{};
  // Bytes reserved by uploads in progress, per quota (shared by every upload of the instance).
  std::shared_ptr<UploadReservations> reservations = std::make_shared<UploadReservations>();
  // Test-only: the stage at which the process kills itself (upload_crash_point.hpp); kNone in
  // production.
  UploadCrashPoint crash_point = UploadCrashPoint::kNone;
};

// What the uploader says about the file.
struct UploadInfo {
  std::string owner_id;
  std::string name;          // REQUIRES: normalize_file_name() output
  std::string content_type;  // as declared; "application/octet-stream" when empty
  // The length the client declared (Content-Length, Upload-Length); nullopt for a chunked body.
  // Checked before any body byte: size limits, quotas, the disk reserve. When set, append()
  // refuses bytes past it, finish() requires exactly this many, and every chunk is sealed as soon
  // as it is whole (checkpoint(), resumable uploads).
  std::optional<std::uint64_t> declared_bytes;
  // The uploader's own limits (rights.max_file_bytes, rights.quota_bytes); 0: none, the
  // organization's policy applies. More is refused with Errc::kTooLarge / kQuotaExceeded.
  std::uint64_t max_bytes = 0;
  std::uint64_t quota_bytes = 0;
  std::uint32_t retention_days = 0;  // rights.max_retention_days; 0: the policy's default (or kept)
  FilePolicy policy{};               // the organization's "files" policy
  // The actor part of the audit events (actor, client, user agent); chain, action, target,
  // outcome and details are filled in here.
  AuditEvent actor{AuditChain::service()};
};

// How an upload ended.
struct UploadOutcome {
  // Set when the upload failed for a reason other than the verdict: Errc::kTooLarge,
  // kTooLargeToScan, kQuotaExceeded, StorageErrc::kBelowReserve, kScannerUnavailable,
  // kScannerBusy, a storage error (ENOSPC: the disk is full) or kInternal.
  boost::system::error_code error;
  // The scan's verdict when there was a scan; a file is stored only when it is clean.
  std::optional<scanner::ScanVerdict> verdict;
  StoredFile file;  // the stored file when stored()
  // Stored without a scan: larger than the scanner can scan, and the policy allows it
  // (file.scan_verdict "not_scanned_too_large").
  bool unscanned = false;

  bool stored() const { return !error && (unscanned || (verdict && verdict->is_clean())); }
};

class FileUpload : public std::enable_shared_from_this<FileUpload> {
 public:
  // Before a body byte is read: checks the declared length against the size limits
  // (Errc::kTooLarge, kTooLargeToScan), that files can be scanned now (kScannerUnavailable), the
  // quotas (kQuotaExceeded; the declared length is reserved) and the disk reserve
  // (StorageErrc::kBelowReserve); each refusal is an audit event file.upload (denied). Then picks
  // the ids, finds the organization's current tenant key and creates the staged object.
  [[nodiscard]] static boost::system::result<std::shared_ptr<FileUpload>> begin(UploadServices& services,
                                                                                const TenantScope& scope,
                                                                                UploadInfo info);
  // Removes the staged object unless it was committed.
  ~FileUpload();
  FileUpload(const FileUpload&) = delete;
  FileUpload& operator=(const FileUpload&) = delete;

  // The next piece of the body. The first error sticks (the upload is then given up). Refuses
  // (and records) a body passing a size limit or a quota, and checks the free space every
  // UploadLimits::space_check_bytes.
  [[nodiscard]] boost::system::error_code append(std::span<const std::uint8_t> bytes);

  // The body is complete: seal the last chunk, scan on the scan pool, and commit and record a
  // clean file; record a refused one. `done` is called exactly once with the outcome: from the
  // scan pool's thread, or from this call when the scan cannot be queued (scanner busy or
  // unavailable) or the body already failed. No thread waits for the scan. The upload is kept
  // alive until `done` was called; when the file is not stored, its staged object is gone by
  // then. Call once (finish_async or finish). Submitting may wait for room in the scan queue
  // (ScanPoolOptions::queue_wait): call it off the network threads.
  static void finish_async(std::shared_ptr<FileUpload> upload, std::function<void(UploadOutcome)> done);

  // finish_async(), waiting for the outcome (tests and tools).
  UploadOutcome finish();

  // Resumable uploads (declared_bytes set): makes everything sealed so far durable — flush and
  // fdatasync of the staged object — and drops the unsealed tail (less than a chunk), which the
  // client sends again. Returns the plaintext bytes that are now durable, the offset the next
  // append() continues from: a multiple of the chunk size unless the whole body is in. Chunk
  // indices are never reused (the sealer's counter only grows), so the resent tail is sealed
  // under a nonce never used before. The first error sticks.
  [[nodiscard]] boost::system::result<std::uint64_t> checkpoint();

  // Resumable uploads, the tus checksum extension: remembers the current offset (REQUIRES: at a
  // checkpoint, nothing unsealed) as the point rollback() returns to — the start of a request
  // whose body is verified only at its end. Snapshots the whole file's SHA-256 state there.
  [[nodiscard]] boost::system::error_code mark();
  // Discards every byte since mark() — sealed chunks included — and makes the rest durable;
  // returns the offset (the mark's). Chunks sealed since the mark cannot simply be cut off: a
  // chunk's nonce is its position, so the next chunk would be sealed again at an index already
  // used for other plaintext under the same data key. So the accepted prefix is re-sealed,
  // chunk by chunk through the opener, under a fresh data key into a new staged object
  // (object_id() changes) and the old one is removed: no (key, nonce) ever seals two
  // plaintexts. Costs O(prefix) reads and writes; memory is one chunk. The first error sticks.
  [[nodiscard]] boost::system::result<std::uint64_t> rollback();

  // Bytes accepted so far (for a resumable upload including the unsealed tail).
  std::uint64_t received_bytes() const { return received_; }
  // The largest body this upload may take (for the HTTP parser's limit); the limits are checked
  // here in any case.
  std::uint64_t body_limit() const;
  // Whether the declared size was reached (always false without declared_bytes).
  bool complete() const { return info_.declared_bytes && received_ == *info_.declared_bytes; }
  const std::string& file_id() const { return file_id_; }
  // The staged object: staging/<object_id> until committed (objects/<xx>/<object_id> then).
  const std::string& object_id() const { return object_id_; }

 private:
  FileUpload(UploadServices& services, const TenantScope& scope, UploadInfo info);
  // Seals the last chunk and flushes; an outcome when the upload ends there (already failed).
  std::optional<UploadOutcome> prepare();
  // Runs on the scan pool's thread.
  scanner::ScanVerdict scan_with(scanner::Scanner& scanner);
  UploadOutcome after_scan(const scanner::ScanVerdict& verdict);
  UploadOutcome commit_if_clean(const scanner::ScanVerdict& verdict);
  // Records the failure, discards, and returns it as the outcome.
  UploadOutcome fail(const boost::system::error_code& ec, std::string_view stage);
  // Removes the staged object unless it was committed (idempotent).
  void discard();
  // A finish waiting for its scan (file_upload.cpp).
  struct PendingFinish;
  void record_refusal(const scanner::ScanVerdict& verdict);
  void record_failure(const boost::system::error_code& ec, std::string_view stage);
  // A limit refused the upload: audit event (denied, with the reason and the numbers), log line.
  void record_denied(std::string_view reason, boost::json::object numbers);
  // The checks of begin() and append() for `bytes` in all (the declared or the received length).
  boost::system::error_code check_size(std::uint64_t bytes);
  boost::system::error_code reserve_quota(std::uint64_t total);
  boost::system::error_code check_space(std::uint64_t more_plaintext);
  void release_quota();
  UploadOutcome commit_unscanned();
  // Commits the staged object and records the file (with `scan_verdict`) and its event.
  UploadOutcome commit_file(UploadOutcome out, std::string scan_verdict);

  UploadServices& services_;
  TenantScope scope_;
  UploadInfo info_;
  std::string file_id_;
  std::string object_id_;
  std::unique_ptr<storage::ObjectFileSink> sink_;
  std::unique_ptr<crypto::ObjectSealer> sealer_;
  struct Digest;
  std::unique_ptr<Digest> digest_;
  // Feeds whole chunks (or the final remainder) to the digest and the sealer.
  boost::system::error_code seal(std::span<const std::uint8_t> bytes);
  boost::system::error_code append_declared(std::span<const std::uint8_t> bytes);
  std::vector<std::uint8_t> tail_;  // resumable uploads: received plaintext not yet a whole chunk
  std::string sha256_;              // hex, once prepare() finished the digest
  std::uint64_t received_ = 0;
  // Stage timings for the "upload_stored" log line (bench/README.md, bench/transfer): from begin() to the end of
  // prepare() (the body received, sealed and flushed), the part of it spent in append() (SHA-256,
  // seal, write), then the scan's start and the commit.
  std::chrono::steady_clock::time_point began_, prepared_, scan_started_, scanned_;
  std::chrono::steady_clock::duration append_time_{};
  std::uint64_t max_file_bytes_ = 0;    // rights and policy combined; 0: none
  std::vector<QuotaAccount> accounts_;  // the user's and the organization's quota
  std::uint64_t reserved_ = 0;          // bytes reserved on accounts_
  std::uint64_t space_checked_at_ = 0;  // received_ at the last free-space check
  std::optional<std::uint64_t> mark_;   // mark(): where rollback() returns to
  bool committed_ = false;
  bool finished_ = false;
  boost::system::error_code error_;
};

}  // namespace furoshiki::admin
