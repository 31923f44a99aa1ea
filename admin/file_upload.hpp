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
};

// What the uploader says about the file.
struct UploadInfo {
  std::string owner_id;
  std::string name;                  // REQUIRES: normalize_file_name() output
  std::string content_type;          // as declared; "application/octet-stream" when empty
  std::uint64_t max_bytes = 0;       // plaintext limit; more is refused with Errc::kTooLarge
  std::uint32_t retention_days = 0;  // 0: kept until deleted
  // The plaintext size announced before the body (a resumable upload's Upload-Length). When set,
  // it must not exceed max_bytes (Errc::kTooLarge from begin()), append() refuses bytes past it
  // (kTooLarge), finish() requires exactly this many, and every chunk is sealed as soon as it is
  // whole (checkpoint()).
  std::optional<std::uint64_t> declared_bytes;
  // The actor part of the audit events (actor, client, user agent); chain, action, target,
  // outcome and details are filled in here.
  AuditEvent actor{AuditChain::service()};
};

// How an upload ended.
struct UploadOutcome {
  // Set when the upload failed for a reason other than the verdict: Errc::kTooLarge,
  // kScannerUnavailable, kScannerBusy, a storage error (ENOSPC: the disk is full) or kInternal.
  boost::system::error_code error;
  // The scan's verdict when there was a scan; a file is stored only when it is clean.
  std::optional<scanner::ScanVerdict> verdict;
  StoredFile file;  // the stored file when !error and verdict->is_clean()

  bool stored() const { return !error && verdict && verdict->is_clean(); }
};

class FileUpload : public std::enable_shared_from_this<FileUpload> {
 public:
  // Checks that files can be scanned now (Errc::kScannerUnavailable otherwise: refused before a
  // body byte is read), picks the ids, finds the organization's current tenant key and creates
  // the staged object.
  [[nodiscard]] static boost::system::result<std::shared_ptr<FileUpload>> begin(UploadServices& services,
                                                                                const TenantScope& scope,
                                                                                UploadInfo info);
  // Removes the staged object unless it was committed.
  ~FileUpload();
  FileUpload(const FileUpload&) = delete;
  FileUpload& operator=(const FileUpload&) = delete;

  // The next piece of the body. The first error sticks (the upload is then given up).
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

  // Bytes accepted so far (for a resumable upload including the unsealed tail).
  std::uint64_t received_bytes() const { return received_; }
  // Whether the declared size was reached (always false without declared_bytes).
  bool complete() const { return info_.declared_bytes && received_ == *info_.declared_bytes; }
  const std::string& file_id() const { return file_id_; }

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
  bool committed_ = false;
  bool finished_ = false;
  boost::system::error_code error_;
};

}  // namespace furoshiki::admin
