// FileDirectory: the rows of stored files (schema/0009_files.sql), always reached through a
// TenantScope and, for a user's own files, the owner's id: another organization's file (or
// another user's) is "not found", never "forbidden", so ids cannot be probed across tenants.
//
// A row names a committed object (docs/upload.md): create() runs only after ObjectStore::commit
// succeeded, and records the file and its audit event in one transaction. remove() deletes the
// row and records the deletion; the caller removes the object afterwards (an object left by a
// crash in between is unreferenced and harmless: its row, the only way to it, is gone).
#pragma once

#include "admin/audit_log.hpp"
#include "admin/tenant_scope.hpp"
#include "db/database.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
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

class FileDirectory {
 public:
  static constexpr std::size_t kMaxPageSize = 500;

  FileDirectory(db::Database& db, AuditLog& audit) : db_(db), audit_(audit) {}

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

 private:
  db::Database& db_;
  AuditLog& audit_;
};

}  // namespace furoshiki::admin
