// Download header logic; see download_headers.hpp.
#include "server/download_headers.hpp"

#include <array>
#include <cctype>
#include <ctime>
#include <limits>

namespace furoshiki::server {

namespace {

constexpr std::string_view kWhitespace = " \t";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kWhitespace) - first + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// A non-empty run of decimal digits; a value beyond 64 bits saturates (it is past any end).
std::optional<std::uint64_t> digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    v = v > (std::numeric_limits<std::uint64_t>::max() - d) / 10 ? std::numeric_limits<std::uint64_t>::max()
                                                                 : v * 10 + d;
  }
  return v;
}

// An entity tag at the start of `s` (W/"…" or "…"); its length in `consumed`, weak in `weak`.
std::optional<std::string_view> entity_tag_at(std::string_view s, std::size_t& consumed, bool& weak) {
  weak = s.starts_with("W/");
  const std::size_t open = weak ? 2 : 0;
  if (s.size() <= open || s[open] != '"') return std::nullopt;
  const auto close = s.find('"', open + 1);
  if (close == std::string_view::npos) return std::nullopt;
  consumed = close + 1;
  return s.substr(open, close - open + 1);  // with its quotes
}

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool attr_char(unsigned char c) {
  if (std::isalnum(c) != 0 && c < 0x80) return true;
  constexpr std::string_view kMarks = "!#$&+-.^_`|~";
  return kMarks.find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

RangeRequest parse_range(std::string_view value, std::uint64_t size) {
  RangeRequest whole;
  value = trim(value);
  const auto eq = value.find('=');
  if (eq == std::string_view::npos || !iequals(trim(value.substr(0, eq)), "bytes")) return whole;
  const std::string_view spec = trim(value.substr(eq + 1));
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges: not served
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view first_text = spec.substr(0, dash);
  const std::string_view last_text = spec.substr(dash + 1);
  RangeRequest unsatisfiable{.kind = RangeRequest::Kind::kUnsatisfiable, .range = {}};

  if (first_text.empty()) {  // suffix: the last n bytes
    const auto n = digits(last_text);
    if (!n) return whole;
    if (*n == 0 || size == 0) return unsatisfiable;
    const std::uint64_t length = std::min(*n, size);
    return {.kind = RangeRequest::Kind::kPartial, .range = {.first = size - length, .last = size - 1}};
  }
  const auto first = digits(first_text);
  if (!first) return whole;
  std::uint64_t last = std::numeric_limits<std::uint64_t>::max();
  if (!last_text.empty()) {
    const auto parsed = digits(last_text);
    if (!parsed || *parsed < *first) return whole;  // invalid: ignored (section 14.1.1)
    last = *parsed;
  }
  if (*first >= size) return unsatisfiable;
  return {.kind = RangeRequest::Kind::kPartial, .range = {.first = *first, .last = std::min(last, size - 1)}};
}

std::string entity_tag(std::string_view sha256_hex) { return "\"" + std::string(sha256_hex) + "\""; }

bool if_none_match_matches(std::string_view value, std::string_view etag) {
  value = trim(value);
  if (value == "*") return true;
  const std::string_view wanted = etag.starts_with("W/") ? etag.substr(2) : etag;
  while (!value.empty()) {
    std::size_t consumed = 0;
    bool weak = false;
    const auto tag = entity_tag_at(value, consumed, weak);
    if (!tag) return false;  // malformed: no match, so the full answer goes out
    if (*tag == wanted) return true;
    value = trim(value.substr(consumed));
    if (value.empty()) break;
    if (value.front() != ',') return false;
    value = trim(value.substr(1));
  }
  return false;
}

bool if_range_matches(std::string_view value, std::string_view etag,
                      std::chrono::system_clock::time_point last_modified) {
  value = trim(value);
  if (value.starts_with("W/")) return false;  // a weak tag never matches strongly
  if (value.starts_with('"')) return value == etag && !etag.starts_with("W/");
  const auto date = parse_http_date(value);
  return date && *date == std::chrono::floor<std::chrono::seconds>(last_modified);
}

std::string http_date(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char out[40];
  const auto n = std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                               std::string(kDays[static_cast<std::size_t>(tm.tm_wday) % 7]).c_str(), tm.tm_mday,
                               std::string(kMonths[static_cast<std::size_t>(tm.tm_mon) % 12]).c_str(),
                               tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return std::string(out, n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view v) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  if (v.size() != 29 || v.substr(3, 2) != ", " || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' || v[19] != ':' ||
      v[22] != ':' || v.substr(25) != " GMT") {
    return std::nullopt;
  }
  auto number = [&](std::size_t at, std::size_t n) { return digits(v.substr(at, n)); };
  std::size_t month = 0;
  while (month < kMonths.size() && kMonths[month] != v.substr(8, 3)) ++month;
  const auto day = number(5, 2), year = number(12, 4), hour = number(17, 2), minute = number(20, 2),
             second = number(23, 2);
  if (month == kMonths.size() || !day || !year || !hour || !minute || !second || *day < 1 || *day > 31 ||
      *year < 1900 || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = static_cast<int>(*year) - 1900;
  tm.tm_mon = static_cast<int>(month);
  tm.tm_mday = static_cast<int>(*day);
  tm.tm_hour = static_cast<int>(*hour);
  tm.tm_min = static_cast<int>(*minute);
  tm.tm_sec = static_cast<int>(std::min<std::uint64_t>(*second, 59));
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

std::string content_disposition(std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string fallback, extended;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c >= 0x80) {
      if ((c & 0xC0) != 0x80) fallback.push_back('_');  // one '_' per UTF-8 sequence
    } else if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == ';' || c == '%') {
      fallback.push_back('_');
    } else {
      fallback.push_back(static_cast<char>(c));
    }
    if (attr_char(c)) {
      extended.push_back(static_cast<char>(c));
    } else {
      extended.push_back('%');
      extended.push_back(kHex[c >> 4]);
      extended.push_back(kHex[c & 0xf]);
    }
  }
  if (fallback.empty()) fallback = "download";
  return "attachment; filename=\"" + fallback + "\"; filename*=UTF-8''" + extended;
}

std::string download_content_type(std::string_view stored) {
  constexpr std::string_view kOpaque = "application/octet-stream";
  if (stored.empty() || stored.size() > 255) return std::string(kOpaque);
  std::string lower;
  for (char c : stored) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return std::string(kOpaque);
    lower.push_back(static_cast<char>(std::tolower(u)));
  }
  const std::string_view type = trim(std::string_view(lower).substr(0, lower.find(';')));
  const auto slash = type.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == type.size()) return std::string(kOpaque);
  const bool active = type == "text/html" || type.starts_with("multipart/") ||
                      type.find("xml") != std::string_view::npos ||  // XHTML, SVG, XML, XSLT, RSS…
                      type.find("javascript") != std::string_view::npos ||
                      type.find("ecmascript") != std::string_view::npos || type == "text/jscript";
  return active ? std::string(kOpaque) : std::string(stored);
}

}  // namespace furoshiki::server
