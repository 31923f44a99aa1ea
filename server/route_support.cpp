// What the JSON route handlers share; see route_support.hpp.
#include "server/route_support.hpp"

#include "admin/authenticator.hpp"
#include "common/log.hpp"
#include "server/http_error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <ctime>

namespace furoshiki::server {

Errc errc_of(const boost::system::error_code& ec) {
  if (!ec) return Errc::kOk;
  if (ec.category() == furoshiki_category()) return static_cast<Errc>(ec.value());
  return Errc::kInternal;
}

Response error_response(const boost::system::error_code& ec) {
  if (ec.category() == furoshiki_category()) return error_response(static_cast<Errc>(ec.value()));
  return error_response(Errc::kInternal);
}

Response internal_error(const Request& request, std::string_view what, const boost::system::error_code& ec) {
  log::error("route_failed",
             {{"request_id", request.request_id}, {"what", what}, {"reason", ec ? ec.message() : "unexpected"}});
  return error_response(Errc::kInternal);
}

Response directory_error(const Request& request, const admin::DirectoryError& e) {
  switch (errc_of(e.code)) {
    case Errc::kBadRequest: return error_response(Errc::kBadRequest, e.message);
    case Errc::kConflict: return error_response(Errc::kConflict, e.message);
    case Errc::kNotFound: return error_response(Errc::kNotFound);
    default: return internal_error(request, e.message.empty() ? "directory" : e.message, e.code);
  }
}

Response password_policy_error(const std::vector<admin::RuleFailure>& failed) {
  boost::json::array rules;
  for (const auto& f : failed) {
    boost::json::object rule{{"code", f.code}, {"message", f.message}};
    if (f.limit > 0) rule["limit"] = f.limit;
    rules.push_back(std::move(rule));
  }
  const HttpError h = to_http(Errc::kPasswordPolicy);
  boost::json::object err{{"code", h.code}, {"message", h.default_message}, {"rules", std::move(rules)}};
  return json_response(h.status, boost::json::serialize(boost::json::object{{"error", std::move(err)}}));
}

// --- audit ---------------------------------------------------------------------------------------

admin::AuditEvent user_audit_event(const Request& request, std::string action, std::string target) {
  const auto& identity = *request.identity;
  admin::AuditEvent e{.chain = admin::AuditChain::organization(identity.scope.org_id())};
  e.actor_type = admin::ActorType::kUser;
  e.actor_id = identity.user.id;
  e.actor_login = identity.user.login;
  e.client = request.client.to_string();
  e.user_agent = std::string(request.header(boost::beast::http::field::user_agent));
  e.action = std::move(action);
  e.target = std::move(target);
  return e;
}

// --- JSON bodies ---------------------------------------------------------------------------------

std::optional<boost::json::object> json_object(const Request& request, std::string& problem) {
  boost::system::error_code ec;
  auto value = boost::json::parse(request.body, ec);
  if (ec || !value.is_object()) {
    problem = "the body must be a JSON object";
    return std::nullopt;
  }
  return std::move(value.as_object());
}

bool only_known_keys(const boost::json::object& o, std::initializer_list<std::string_view> known,
                     std::string& problem) {
  for (const auto& kv : o) {
    if (std::find(known.begin(), known.end(), std::string_view(kv.key())) == known.end()) {
      problem = "unknown key: " + std::string(kv.key());
      return false;
    }
  }
  return true;
}

bool string_field(const boost::json::object& o, std::string_view key, std::optional<std::string>& out, bool required,
                  std::string& problem) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) {
    if (required) problem = std::string(key) + " is required";
    return !required;
  }
  if (!v->is_string()) {
    problem = std::string(key) + " must be a string";
    return false;
  }
  out = std::string(v->as_string());
  return true;
}

bool string_field(const boost::json::object& o, std::string_view key, std::string& out, bool required,
                  std::string& problem) {
  std::optional<std::string> value;
  if (!string_field(o, key, value, required, problem)) return false;
  if (value) out = std::move(*value);
  return true;
}

bool optional_string(const boost::json::object& o, std::string_view key, std::optional<std::string>& out,
                     std::string& problem) {
  const auto* v = o.if_contains(key);
  if (!v) return true;
  if (!v->is_string()) {
    problem = std::string(key) + " must be a string";
    return false;
  }
  out = std::string(v->as_string());
  return true;
}

bool optional_bool(const boost::json::object& o, std::string_view key, std::optional<bool>& out, std::string& problem) {
  const auto* v = o.if_contains(key);
  if (!v) return true;
  if (!v->is_bool()) {
    problem = std::string(key) + " must be true or false";
    return false;
  }
  out = v->as_bool();
  return true;
}

// --- query strings -------------------------------------------------------------------------------

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool parse_query(std::string_view query, QueryParams& out, std::string& problem) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq));
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!key || !value) {
      problem = "the query string is not valid percent-encoding";
      return false;
    }
    if (!out.emplace(std::move(*key), std::move(*value)).second) {
      problem = "a query parameter is repeated";
      return false;
    }
  }
  return true;
}

const std::string* param(const QueryParams& params, std::string_view key) {
  const auto it = params.find(key);
  return it == params.end() ? nullptr : &it->second;
}

bool only_known_params(const QueryParams& params, std::initializer_list<std::string_view> known, std::string& problem) {
  for (const auto& [key, value] : params) {
    if (std::find(known.begin(), known.end(), std::string_view(key)) == known.end()) {
      problem = "unknown query parameter: " + key;
      return false;
    }
  }
  return true;
}

bool page_size(const QueryParams& params, std::size_t& out, std::string& problem) {
  out = kDefaultPageSize;
  const std::string* text = param(params, "limit");
  if (!text) return true;
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n == 0 || n > kMaxPageSize) {
    problem = "limit must be a whole number from 1 to " + std::to_string(kMaxPageSize);
    return false;
  }
  out = n;
  return true;
}

// --- list cursors --------------------------------------------------------------------------------

namespace {

constexpr std::string_view kBase64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::string encode_cursor(std::string_view key) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const unsigned char c : key) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64Url[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kBase64Url[(acc << (6 - bits)) & 0x3f]);
  return out;
}

std::optional<std::string> decode_cursor(std::string_view cursor) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : cursor) {
    const auto at = kBase64Url.find(c);
    if (at == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(at);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 6) return std::nullopt;  // a length no encoding produces
  return out;
}

bool page_cursor(const QueryParams& params, std::string& after, std::string& problem) {
  const std::string* cursor = param(params, "cursor");
  if (!cursor || cursor->empty()) return true;
  auto key = decode_cursor(*cursor);
  if (!key || key->empty()) {
    problem = "cursor is not one this API gave";
    return false;
  }
  after = std::move(*key);
  return true;
}

// --- times ---------------------------------------------------------------------------------------

namespace {

std::optional<std::string> utc_text(std::time_t seconds) {
  std::tm utc{};
  if (!::gmtime_r(&seconds, &utc)) return std::nullopt;
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  if (n == 0) return std::nullopt;
  return std::string(text, n);
}

}  // namespace

std::string rfc3339(std::chrono::system_clock::time_point t) {
  // Every time_point of the clock (±292 years) has a text.
  return utc_text(std::chrono::system_clock::to_time_t(t)).value_or("");
}

boost::json::value rfc3339_or_null(std::int64_t unix_seconds) {
  if (unix_seconds <= 0) return nullptr;
  auto text = utc_text(static_cast<std::time_t>(unix_seconds));
  return text ? boost::json::value(*text) : boost::json::value(nullptr);
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  const auto digits = [&s](std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' || !digits(8, 2, d) ||
      (s[10] != 'T' && s[10] != 't') || !digits(11, 2, h) || s[13] != ':' || !digits(14, 2, mi) || s[16] != ':' ||
      !digits(17, 2, sec)) {
    return std::nullopt;
  }
  std::size_t i = 19;
  std::int64_t nanos = 0;
  if (s[i] == '.') {
    const std::size_t start = ++i;
    int count = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (count < 9) {
        nanos = nanos * 10 + (s[i] - '0');
        ++count;
      }
      ++i;
    }
    if (i == start) return std::nullopt;
    for (; count < 9; ++count) nanos *= 10;
  }
  if (i >= s.size()) return std::nullopt;
  minutes offset{0};
  if (s[i] == 'Z' || s[i] == 'z') {
    if (i + 1 != s.size()) return std::nullopt;
  } else if (s[i] == '+' || s[i] == '-') {
    int oh = 0, om = 0;
    if (s.size() != i + 6 || !digits(i + 1, 2, oh) || s[i + 3] != ':' || !digits(i + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = hours(oh) + minutes(om);
    if (s[i] == '-') offset = -offset;
  } else {
    return std::nullopt;
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  // system_clock counts nanoseconds in 64 bits (until 2262): later years would overflow.
  if (!date.ok() || y < 1900 || y > 2200 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  if (sec == 60) sec = 59;  // a leap second: the clock has no such instant
  return time_point_cast<system_clock::duration>(sys_days(date) + hours(h) + minutes(mi) + seconds(sec) +
                                                 duration_cast<system_clock::duration>(nanoseconds(nanos)) - offset);
}

// --- cookies -------------------------------------------------------------------------------------

std::string session_cookie_header(std::string_view cookie_name, std::string_view token, std::chrono::seconds max_age) {
  max_age = std::max(max_age, std::chrono::seconds(0));
  return std::string(cookie_name) + "=" + std::string(token) + "; Path=/; Secure; HttpOnly; SameSite=Strict" +
         "; Max-Age=" + std::to_string(max_age.count());
}

}  // namespace furoshiki::server
