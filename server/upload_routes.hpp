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
// State lives in memory: uploads do not survive a restart (start-up empties staging), and an id
// from before one answers 404. One PATCH at a time per upload: a PATCH or HEAD arriving while an
// older PATCH still reads waits (bounded) for its checkpoint, else answers 423 Locked.
#pragma once

#include "admin/file_upload.hpp"
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

struct TusOptions {
  std::size_t max_unfinished_per_user = 20;
  std::size_t max_unfinished_total = 1000;
  // An unfinished upload expires this long after its creation or last PATCH.
  std::chrono::seconds expiry{std::chrono::hours(24)};
  // How often the sweeper removes expired uploads; 0: no sweeper thread (sweep() by hand).
  std::chrono::milliseconds sweep_interval{std::chrono::minutes(1)};
};

struct TusEntry;

// The uploads in progress (and recently finished, for their state), shared by the routes.
class TusRegistry {
 public:
  TusRegistry(FileRouteServices& services, TusOptions options);
  ~TusRegistry();
  TusRegistry(const TusRegistry&) = delete;
  TusRegistry& operator=(const TusRegistry&) = delete;

  // Removes expired uploads (staged objects with them) and records upload.expired. Returns how
  // many unfinished uploads it removed.
  std::size_t sweep();

  FileRouteServices& services;
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
