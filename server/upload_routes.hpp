// Resumable uploads: tus 1.0.0 at /api/v1/uploads (api.md "Files and uploads", docs/upload.md)
// — core, creation, creation-with-upload, termination, expiration — feeding the same pipeline
// as the simple PUT (admin::FileUpload: hash, seal into staging, scan, commit).
//
// Durability: an upload's offset counts only sealed and fdatasynced plaintext. Every whole
// 64 KiB chunk is sealed as soon as it is complete (the total is known); at the end of each
// PATCH — answered, cut off or timed out — FileUpload::checkpoint() syncs the staged object and
// drops the unsealed tail, so the offset is chunk-aligned until the upload is complete and the
// client resends from there.
//
// State: the live part of an upload (its FileUpload, who is writing it) is in memory; every
// change of offset or state is also written to the uploads table (admin::UploadRecords), which
// answers for an upload that is no longer in memory — the state endpoint, 410 for one that ended
// (terminated, expired, failed, rejected) — and counts the unfinished ones for the limits. An
// upload that was receiving when the server stopped cannot be resumed: start-up empties staging
// and start_up() marks it failed ("server_restarted"), so its id answers 410. One PATCH at a
// time per upload: a PATCH or HEAD arriving while an older PATCH still reads waits (bounded,
// TusOptions::lock_wait) for its checkpoint, else answers 423 Locked.
#pragma once

#include "admin/file_upload.hpp"
#include "admin/upload_records.hpp"
#include "server/file_routes.hpp"
#include "server/router.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace furoshiki::server {

// The decoded Upload-Metadata header: "key base64,key base64,key" (values optional). nullopt
// when malformed (bad key, bad base64, duplicate key).
std::optional<std::map<std::string, std::string, std::less<>>> parse_upload_metadata(std::string_view header);

// The [uploads] configuration keys (docs/configuration.md).
struct TusOptions {
  std::size_t max_unfinished_per_user = 20;
  std::size_t max_unfinished_total = 1000;
  // An unfinished upload expires this long after its creation or last PATCH.
  std::chrono::seconds expiry{std::chrono::hours(24)};
  // How often the sweeper removes expired uploads; 0: no sweeper thread (sweep() by hand).
  std::chrono::milliseconds sweep_interval{std::chrono::minutes(1)};
  // How long a PATCH, HEAD or DELETE waits for an older PATCH of the same upload before 423.
  std::chrono::milliseconds lock_wait{std::chrono::seconds(3)};
  // How long the row of an ended upload (its state, the 410) is kept before the sweeper purges it.
  std::chrono::seconds ended_retention{std::chrono::hours(24 * 7)};
};

struct TusEntry;

// The uploads in progress (and recently finished, for their state), shared by the routes.
class TusRegistry {
 public:
  // `records` must outlive the registry.
  TusRegistry(FileRouteServices& services, admin::UploadRecords& records, TusOptions options);
  ~TusRegistry();
  TusRegistry(const TusRegistry&) = delete;
  TusRegistry& operator=(const TusRegistry&) = delete;

  // Start-up, before the routes serve and after staging was emptied: marks every upload the
  // previous process left receiving or scanning failed ("server_restarted") and records
  // upload.interrupted for each. An error means the database cannot be trusted (start-up fails).
  [[nodiscard]] boost::system::error_code start_up();

  // Removes expired uploads (staged objects with them), marks their rows expired, records
  // upload.expired, and purges the rows of uploads ended longer than ended_retention ago.
  // Returns how many unfinished uploads it removed.
  std::size_t sweep();

  FileRouteServices& services;
  admin::UploadRecords& records;
  const TusOptions options;

 private:
  friend class TusAccess;
  std::mutex mutex_;
  std::condition_variable idle_;  // an entry stopped being busy
  std::map<std::string, std::shared_ptr<TusEntry>, std::less<>> entries_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

void add_upload_routes(Router& router, TusRegistry& registry);

}  // namespace furoshiki::server
