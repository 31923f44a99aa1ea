// The download of a stored file: GET (and HEAD) /api/v1/files/{id}/content, docs/download.md.
// The plaintext is decrypted and authenticated chunk by chunk (crypto::ObjectOpener) as the
// response body is sent: one piece in memory per connection, whatever the file's size. Single
// byte ranges, If-Range, If-None-Match; the name only ever reaches a header encoded
// (download_headers.hpp); every download is an audit event "file.download" recorded when its
// body ended.
#pragma once

#include "server/file_routes.hpp"
#include "server/router.hpp"

namespace furoshiki::server {

// Adds GET /api/v1/files/{id}/content (kSignedIn, own files only; HEAD is served by it).
void add_download_routes(Router& router, FileRouteServices& services);

}  // namespace furoshiki::server
