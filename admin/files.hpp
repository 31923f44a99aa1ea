// FileDirectory: the rows of stored files (schema/0009_files.sql), always reached through a
// TenantScope and, for a user's own files, the owner's id: another organization's file (or
// another user's) is "not found", never "forbidden", so ids cannot be probed across tenants.
//
// A row names a committed object (docs/upload.md): create() runs only after ObjectStore::commit
// succeeded, and records the file and its audit event in one transaction. remove() deletes the
// row and records the deletion; the caller removes the object afterwards (an object left by a
// crash in between is unreferenced and harmless: its row, the only way to it, is gone; start-up
// reconciliation removes it, admin/object_reconciliation.hpp).
//
// Retention: a file whose expires_at has passed (by the injected clock) is gone for its owner at
// once — get(), list() and remove() no longer see it — and remove_expired() (the retention
// sweeper, admin/retention_sweeper.hpp) deletes its row later.
//
// Usage: create() and every deletion count the file's bytes in usage_days (admin/usage.hpp) in
// the same transaction as the row, so the counters never drift from the files table.
#pragma once

#include "admin/audit_log.hpp"
#include "admin/tenant_scope.hpp"
#include "db/database.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace furoshiki::admin {

struct StoredFile {
  std::string id;  // 32 hex digits
  std::string org_id;
  std::string owner_id;
  std::string name;  // normalize_file_name()
  std::string content_type;
  std::uint64_t size = 0;
  std::string sha256;     // hex, of the plaintext
  std::string object_id;  // in the object store
  std::chrono::system_clock::time_point created_at{};
  std::optional<std::chrono::system_clock::time_point> expires_at{};
  std::string scan_verdict = "clean";
  std::string scan_detail{};
};

// One page of a list, newest first; next_cursor is "" on the last page.
struct FilePage {
  std::vector<StoredFile> files;
  std::string next_cursor;  // an opaque key, for the next call's `after`
};

// Returns the current time; injected by tests. Must be callable from any thread.
using FileClock = std::function<std::chrono::system_clock::time_point()>;

class FileDirectory {
 public:
  static constexpr std::size_t kMaxPageSize = 500;

  // `clock` defaults to the system clock.
  FileDirectory(db::Database& db, AuditLog& audit, FileClock clock = {});

  // Inserts `file` (its org_id must be the scope's) and `event` in one transaction.
  // Errc::kInternal when file.org_id is not the scope's (a bug of the caller).
  [[nodiscard]] boost::system::error_code create(const TenantScope& scope, const StoredFile& file,
                                                 const AuditEvent& event);

  // The owner's file; Errc::kNotFound when there is none in the scope for that owner.
  [[nodiscard]] boost::system::result<StoredFile> get(const TenantScope& scope, const std::string& owner_id,
                                                      const std::string& id);

  // The owner's files, newest first, `limit` (1..kMaxPageSize) at a time, starting after the
  // cursor `after` ("" for the first page). Errc::kBadRequest for a cursor list() did not give.
  [[nodiscard]] boost::system::result<FilePage> list(const TenantScope& scope, const std::string& owner_id,
                                                     const std::string& after, std::size_t limit);

  // The bytes (plaintext sizes) of the stored files of the scope's organization, or of one owner's
  // files there when `owner_id` is not empty: what quotas count.
  [[nodiscard]] boost::system::result<std::uint64_t> stored_bytes(const TenantScope& scope,
                                                                  const std::string& owner_id = "");

  // Deletes the owner's file row and records `event` in one transaction; returns the row so that
  // the caller can remove its object. Errc::kNotFound as get().
  [[nodiscard]] boost::system::result<StoredFile> remove(const TenantScope& scope, const std::string& owner_id,
                                                         const std::string& id, const AuditEvent& event);

  // For the retention sweeper only (service-wide, no scope: it acts for every organization).
  // Deletes up to `limit` files whose expires_at is at or before now, oldest expiry first, each in
  // a transaction of its own with its audit event "file.expired" (system actor, in the file's
  // organization's chain; target the file id; details name and size) and its usage deletion.
  // `removed` gets the deleted rows (whose objects the caller removes), also when a later file
  // fails; the error is the first failure.
  [[nodiscard]] boost::system::error_code remove_expired(std::size_t limit, std::vector<StoredFile>& removed);

  std::chrono::system_clock::time_point now() const { return clock_(); }

 private:
  db::Database& db_;
  AuditLog& audit_;
  FileClock clock_;
};

}  // namespace furoshiki::admin
