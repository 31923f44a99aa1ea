// The header logic of a file download (GET /api/v1/files/{id}/content, docs/download.md), as
// plain functions with their own unit tests: byte ranges and If-Range (RFC 9110 sections 14 and
// 13.1.5), entity tags for If-None-Match (section 13.1.2), HTTP dates (section 5.6.7), the
// Content-Disposition of a stored name (RFC 6266 with RFC 5987/8187 encoding) and the media type
// a download may be sent as.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace furoshiki::server {

// Bytes [first, last] of a representation (inclusive, as in Content-Range).
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::uint64_t length() const { return last - first + 1; }
  bool operator==(const ByteRange&) const = default;
};

struct RangeRequest {
  enum class Kind {
    kWhole,          // no Range, or one this server ignores (malformed, several ranges, not bytes)
    kPartial,        // one satisfiable range: 206
    kUnsatisfiable,  // one well-formed range that selects nothing of `size` bytes: 416
  };
  Kind kind = Kind::kWhole;
  ByteRange range{};  // kPartial: clipped to the representation
};

// The Range header `value` against a representation of `size` bytes. Only a single range of the
// "bytes" unit is served: "a-b", "a-" and "-n" (a suffix). Several ranges or anything malformed
// are ignored (RFC 9110 section 14.2 allows a server to ignore Range), so the whole is sent.
// A last position past the end is clipped; a first position at or past the end, or a suffix of
// 0 bytes, is unsatisfiable (so is any range of an empty representation).
RangeRequest parse_range(std::string_view value, std::uint64_t size);

// The strong entity tag of a stored file: its plaintext's SHA-256 in hex, quoted.
std::string entity_tag(std::string_view sha256_hex);

// Whether an If-None-Match value ("*" or a list of entity tags) matches `etag`, with the weak
// comparison that section 13.1.2 prescribes for it (W/ prefixes are ignored).
bool if_none_match_matches(std::string_view value, std::string_view etag);

// Whether an If-Range value lets the Range apply (section 13.1.5): an entity tag that equals
// `etag` by strong comparison (a weak tag never does), or an HTTP date equal to `last_modified`
// (to the second). Anything else, including a malformed value, means "send the whole".
bool if_range_matches(std::string_view value, std::string_view etag,
                      std::chrono::system_clock::time_point last_modified);

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::chrono::system_clock::time_point t);
// An IMF-fixdate (the only form this server sends); nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value);

// `attachment; filename="<fallback>"; filename*=UTF-8''<name percent-encoded>`. The fallback
// keeps printable ASCII and replaces everything else — non-ASCII bytes, controls, '"', '\\', ';'
// and '%' — with '_'; the extended value percent-encodes every byte outside RFC 5987's
// attr-char. No byte of `name` reaches the header unencoded, whatever it holds (CR, LF, NUL).
std::string content_disposition(std::string_view name);

// The Content-Type a download is sent with: the stored type, unless a browser could run it as
// active content (HTML, XHTML, SVG, XML, JavaScript/ECMAScript, multipart) or it is not a plain
// printable type: then application/octet-stream.
std::string download_content_type(std::string_view stored);

}  // namespace furoshiki::server
