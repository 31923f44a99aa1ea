// The browser UI's files: loading web.root and the routes that serve it (server/web_ui.hpp).
#include "server/web_ui.hpp"

#include "common/error.hpp"
#include "server/http_error.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include <array>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <system_error>

namespace furoshiki::server {

namespace fs = std::filesystem;
namespace http = boost::beast::http;

const std::vector<std::string_view> kWebUiPages = {
    "/", "/login", "/password", "/account", "/account/2fa", "/files", "/admin/users", "/admin/policy", "/admin/log",
};

namespace {

std::string_view content_type_of(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".json", "application/json"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  const std::string ext = file.extension().string();
  for (const auto& [suffix, type] : kTypes) {
    if (ext == suffix) return type;
  }
  return "application/octet-stream";
}

// A stable fingerprint for the ETag (64-bit FNV-1a). Not a security property: it only lets a
// browser skip downloading a file it already has.
std::string etag_of(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "\"";
  for (int shift = 60; shift >= 0; shift -= 4) out += kDigits[(h >> shift) & 0xf];
  out += '"';
  return out;
}

bool read_file(const fs::path& path, std::size_t& total, WebFile& out, std::string& problem) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec || size > WebUi::kMaxTotalBytes - total) {
    problem = ec ? path.string() + ": " + ec.message()
                 : "the files are larger than " + std::to_string(WebUi::kMaxTotalBytes >> 20) + " MiB";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  out.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    problem = path.string() + ": cannot be read";
    return false;
  }
  total += out.body.size();
  out.content_type = content_type_of(path);
  out.etag = etag_of(out.body);
  return true;
}

// `If-None-Match` lists the ETag (or is "*"): the browser's copy is current.
bool not_modified(const Request& request, const WebFile& file) {
  const std::string_view header = request.header(http::field::if_none_match);
  if (header.empty()) return false;
  if (header == "*") return true;
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view tag = header.substr(pos, end - pos);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == file.etag) return true;
    pos = end + 1;
  }
  return false;
}

Response file_response(const Request& request, const WebFile& file, std::string_view cache_control) {
  Response res{not_modified(request, file) ? http::status::not_modified : http::status::ok, 11};
  res.set(http::field::etag, file.etag);
  res.set(http::field::cache_control, cache_control);
  if (res.result() == http::status::ok) {
    res.set(http::field::content_type, file.content_type);
    res.body() = file.body;
  }
  res.prepare_payload();
  return res;
}

}  // namespace

boost::system::result<WebUi> WebUi::load(const fs::path& root, std::string& problem) {
  WebUi ui;
  std::size_t total = 0;
  std::error_code ec;
  if (!fs::is_regular_file(root / "index.html", ec)) {
    problem = (root / "index.html").string() + " does not exist (build the UI with `scripts/dev build`)";
    return make_error_code(Errc::kNotFound);
  }
  if (!read_file(root / "index.html", total, ui.index_, problem)) return make_error_code(Errc::kInternal);
  const fs::path assets = root / "assets";
  if (fs::is_directory(assets, ec)) {
    fs::recursive_directory_iterator it(assets, fs::directory_options::none, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
      if (ui.assets_.size() >= kMaxFiles) {
        problem = "more than " + std::to_string(kMaxFiles) + " files under " + assets.string();
        return make_error_code(Errc::kInternal);
      }
      WebFile file;
      if (!read_file(it->path(), total, file, problem)) return make_error_code(Errc::kInternal);
      ui.assets_.emplace(it->path().lexically_relative(assets).generic_string(), std::move(file));
    }
    if (ec) {
      problem = assets.string() + ": " + ec.message();
      return make_error_code(Errc::kInternal);
    }
  }
  return ui;
}

const WebFile* WebUi::asset(std::string_view name) const {
  const auto it = assets_.find(name);
  return it == assets_.end() ? nullptr : &it->second;
}

void add_web_ui_routes(Router& router, const WebUi& ui) {
  router.add({http::verb::get, "/assets/{name}", AuthPolicy::kPublic, 0, [&ui](const Request& request) -> Response {
                const auto it = request.params.find("name");
                const WebFile* file = it == request.params.end() ? nullptr : ui.asset(it->second);
                if (!file) return error_response(Errc::kNotFound);
                // The name changes with the content: a browser never needs to ask again.
                return file_response(request, *file, "public, max-age=31536000, immutable");
              }});
  for (const std::string_view page : kWebUiPages) {
    router.add({http::verb::get, std::string(page), AuthPolicy::kPublic, 0,
                [&ui](const Request& request) { return file_response(request, ui.index(), "no-cache"); }});
  }
}

}  // namespace furoshiki::server
