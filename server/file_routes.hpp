// The file routes of api.md ("Files and uploads"), first part: the simple upload
// PUT /api/v1/files?name= (body streamed into admin::FileUpload, docs/upload.md), and
// GET /api/v1/files, GET /api/v1/files/{id}, DELETE /api/v1/files/{id} over
// admin::FileDirectory. A signed-in user sees their own files; anyone else's id is 404.
#pragma once

#include "admin/file_upload.hpp"
#include "admin/files.hpp"
#include "admin/usage.hpp"
#include "admin/users.hpp"
#include "server/router.hpp"
#include "storage/object_store.hpp"

#include <cstdint>

namespace furoshiki::server {

// What the routes use; every reference must outlive the router.
struct FileRouteServices {
  admin::UploadServices& uploads;
  admin::FileDirectory& files;
  storage::ObjectStore& store;
  // The largest body the upload route's parser takes (the instance's hard cap, [storage]
  // max_file_bytes, or the scanner's limit when larger); the admin layer applies every other
  // limit (admin::FileUpload, docs/upload.md "Limits").
  std::uint64_t max_upload_bytes = 0;
  // Counts downloaded bytes per user and day (null: not counted).
  admin::UsageCounters* usage = nullptr;
};

void add_file_routes(Router& router, FileRouteServices& services);

// The largest upload `rights` allow (simple PUT and tus alike): the service's limit, lowered by
// the user's rights.max_file_bytes when set.
std::uint64_t upload_limit_for(const FileRouteServices& services, const admin::Rights& rights);

// The answer to an upload that failed before or without a verdict (413, 503, 507, 500).
Response upload_error(const Request& request, const boost::system::error_code& ec);

// The error answer to a finished upload that stored no file: 422 infected (with "signature"),
// 422 scan_refused (with "reason"), or as upload_error(). REQUIRES: !outcome.stored().
Response upload_refusal(const Request& request, const admin::UploadOutcome& outcome);

// The JSON of a stored file, as every file route answers it.
boost::json::object file_json(const admin::StoredFile& file);

// The declared Content-Type when it is a plain media type ("type/subtype", optionally with
// parameters) of printable ASCII and at most 255 bytes; otherwise application/octet-stream.
std::string stored_content_type(std::string_view declared);

}  // namespace furoshiki::server
