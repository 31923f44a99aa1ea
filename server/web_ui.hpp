// The browser UI's files (web/, built by `scripts/dev build` into web/dist): read into memory once
// at start-up and served from there. Assets under assets/ carry a content hash in their name, so
// they are cached for a year as immutable; index.html is revalidated on every visit (ETag), so a
// new release is picked up at the next page load.
//
// Files are looked up by exact name in a table built from the directory listing: no request path
// ever reaches the file system, so traversal (`/assets/..%2f..`) has nothing to walk.
#pragma once

#include "server/router.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace furoshiki::server {

struct WebFile {
  std::string body;
  std::string content_type;
  std::string etag;  // strong, quoted: "\"<sha256 prefix>\""
};

class WebUi {
 public:
  // Bounds on what load() accepts: the UI is a few hundred kilobytes; a directory far larger is
  // a misconfigured web.root, not a UI.
  static constexpr std::size_t kMaxFiles = 500;
  static constexpr std::size_t kMaxTotalBytes = 32u << 20;

  // Reads index.html and every regular file under assets/ (recursively) of `root`. Fails with a
  // message naming the problem when root has no index.html, a file cannot be read, or the limits
  // above are passed. Symbolic links are not followed.
  static boost::system::result<WebUi> load(const std::filesystem::path& root, std::string& problem);

  const WebFile& index() const { return index_; }
  // `name` relative to assets/ ("index-DbHG1F9U.js"); null when there is no such file.
  const WebFile* asset(std::string_view name) const;
  std::size_t asset_count() const { return assets_.size(); }

 private:
  WebFile index_;
  std::map<std::string, WebFile, std::less<>> assets_;
};

// The paths of the UI's pages (the routes of web/src/app.tsx): each answers index.html.
extern const std::vector<std::string_view> kWebUiPages;

// GET /assets/{name} and every page path of kWebUiPages, all public (the pages ask the API who
// is signed in). `ui` must outlive the router.
void add_web_ui_routes(Router& router, const WebUi& ui);

}  // namespace furoshiki::server
