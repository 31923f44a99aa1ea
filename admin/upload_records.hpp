// UploadRecords: the `uploads` table (schema/0011_uploads.sql) — the durable state of resumable
// uploads (docs/upload.md, "Resumable uploads"). The server keeps the live part of an upload (its
// FileUpload, who is writing it) in memory; this table is what survives a restart: the state
// endpoint, the 410 for an upload that ended, and the unfinished-upload limits read it.
//
// Tenant data: every query of a request takes a TenantScope and filters by its org_id. Only
// start-up (interrupt_unfinished) and the sweeper (purge_ended) work across organizations.
#pragma once

#include "admin/tenant_scope.hpp"
#include "db/database.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace furoshiki::admin {

// One upload as stored. `state`: receiving, scanning, clean, rejected, failed, terminated, expired.
struct UploadRecord {
  std::string id, org_id, owner_id;
  std::uint64_t length = 0;
  std::uint64_t offset = 0;  // durable plaintext bytes
  std::string name, content_type;
  std::string state = "receiving";
  std::string reason, signature, file_id;  // empty: none
  std::string object_id;                   // the staged object while receiving or scanning
  std::chrono::system_clock::time_point created_at, updated_at, expires_at;

  // Ended: no more bytes are taken and no scan is running.
  bool ended() const { return state != "receiving" && state != "scanning"; }
};

struct UnfinishedLimits {
  std::size_t per_user = 20;
  std::size_t total = 1000;
};

class UploadRecords {
 public:
  explicit UploadRecords(db::Database& db) : db_(db) {}

  // Inserts `record` (state receiving; its org_id must be the scope's) unless the owner already
  // has limits.per_user receiving uploads or the instance limits.total: Errc::kTooManyAttempts
  // then, nothing inserted. Count and insert are one transaction, so concurrent creations cannot
  // pass a limit together. Errc::kInternal when record.org_id is not the scope's.
  [[nodiscard]] boost::system::error_code create(const TenantScope& scope, const UploadRecord& record,
                                                 const UnfinishedLimits& limits);

  // The owner's upload; Errc::kNotFound when there is none in the scope for that owner.
  [[nodiscard]] boost::system::result<UploadRecord> get(const TenantScope& scope, const std::string& owner_id,
                                                        const std::string& id);

  // Writes the mutable part of `record` (offset, state, reason, signature, file_id, updated_at,
  // expires_at, and object_id unless empty: a checksum rollback re-seals into a new staged
  // object) for the row of record.id in the scope. Errc::kNotFound when there is no such row.
  [[nodiscard]] boost::system::error_code update(const TenantScope& scope, const UploadRecord& record);

  // Receiving uploads: the owner's in the scope, and in all.
  [[nodiscard]] boost::system::error_code count_receiving(const TenantScope& scope, const std::string& owner_id,
                                                          std::size_t& mine, std::size_t& total);

  // Start-up, before the server listens: every upload still receiving or scanning lost its staged
  // object and its FileUpload with the previous process; each is marked failed with reason
  // "server_restarted" and kept (ended) until `keep_until`. Returns those rows (as they are now).
  // A scanning upload whose object a files row of its organization names was committed before
  // the process died: it is marked clean with that file instead (and not returned).
  [[nodiscard]] boost::system::error_code interrupt_unfinished(std::chrono::system_clock::time_point now,
                                                               std::chrono::system_clock::time_point keep_until,
                                                               std::vector<UploadRecord>& interrupted);

  // Deletes ended rows whose expires_at (kept-until) has passed; returns how many.
  [[nodiscard]] boost::system::result<std::size_t> purge_ended(std::chrono::system_clock::time_point now);

 private:
  db::Database& db_;
};

}  // namespace furoshiki::admin
