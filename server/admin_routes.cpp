// Org admin routes; see admin_routes.hpp.
#include "server/admin_routes.hpp"

#include "admin/authenticator.hpp"
#include "admin/organization_policy.hpp"
#include "common/log.hpp"
#include "common/network_range.hpp"
#include "server/http_error.hpp"
#include "server/identity_routes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <map>

namespace furoshiki::server {

namespace http = boost::beast::http;

namespace {

constexpr std::size_t kSmallJsonBody = 16 * 1024;
constexpr std::size_t kDefaultPageSize = 50;
constexpr std::size_t kMaxPageSize = 500;

Response error(Errc e, std::string_view message = {}) {
  return json_response(to_http(e).status, error_body(e, message));
}

Errc errc_of(const boost::system::error_code& ec) {
  if (!ec) return Errc::kOk;
  if (ec.category() == furoshiki_category()) return static_cast<Errc>(ec.value());
  return Errc::kInternal;
}

// A failure that is not the client's: logged with the request id, answered without details.
Response internal_error(const Request& request, std::string_view what, const boost::system::error_code& ec) {
  log::error("admin_route_failed",
             {{"request_id", request.request_id}, {"what", what}, {"reason", ec ? ec.message() : "unexpected"}});
  return error(Errc::kInternal);
}

// kNotFound answers with the default message only: a user of another organization and a missing
// one must give the same bytes.
Response directory_error(const Request& request, const admin::DirectoryError& e) {
  switch (errc_of(e.code)) {
    case Errc::kBadRequest: return error(Errc::kBadRequest, e.message);
    case Errc::kConflict: return error(Errc::kConflict, e.message);
    case Errc::kNotFound: return error(Errc::kNotFound);
    default: return internal_error(request, "user_directory", e.code);
  }
}

admin::Actor actor_of(const Request& request) {
  const auto& u = request.identity->user;
  return admin::Actor{"user", u.id, u.login, request.client.to_string()};
}

std::optional<boost::json::object> json_object(const Request& request, std::string& problem) {
  boost::system::error_code ec;
  auto value = boost::json::parse(request.body, ec);
  if (ec || !value.is_object()) {
    problem = "the body must be a JSON object";
    return std::nullopt;
  }
  return std::move(value.as_object());
}

// Strict bodies: a key the route does not know is an error naming it (a typo must not be
// silently ignored on an administrative change).
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

// --- query strings ---------------------------------------------------------------------------

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding. '+' stays '+' (not a space): it appears in RFC 3339 offsets and in
// e-mail addresses, and no filter value needs a space.
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

using QueryParams = std::map<std::string, std::string, std::less<>>;

// The parameters of a query string; a repeated or undecodable parameter is an error.
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

// RFC 3339 section 5.6 date-time: 2026-11-22T05:00:00Z, 2026-11-22T14:00:00.5+09:00.
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

// --- cursors of the user list: base64url (RFC 4648 section 5, no padding) of the last login ---

constexpr std::string_view kBase64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const unsigned char c : in) {
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

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
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

// --- policy ----------------------------------------------------------------------------------

// A refused policy change: malformed input is 400 bad_request, a value out of its range 422
// invalid_policy; the message names the key either way.
Response policy_error(const admin::PolicyError& e) {
  return error(e.kind == admin::PolicyError::Kind::kOutOfRange ? Errc::kInvalidPolicy : Errc::kBadRequest, e.message);
}

// The stored policy, typed and as the raw document (whose keys tell what a PUT changed), from one read.
Errc read_policy(db::Database& db, const std::string& org_id, admin::OrganizationPolicy& typed,
                 boost::json::object& raw) {
  bool found = false;
  std::string text;
  if (db.execute("SELECT policy FROM organizations WHERE id = ?1", {org_id}, [&](const db::Row& row) {
        found = true;
        text = row.text(0);
      })) {
    return Errc::kInternal;
  }
  if (!found) return Errc::kNotFound;
  if (const auto e = admin::parse_organization_policy(text, typed)) {
    log::error("organization_policy_unreadable", {{"org_id", org_id}, {"key", e.key}, {"reason", e.message}});
    return Errc::kInternal;
  }
  // parse_organization_policy() accepted it: blank or a JSON object.
  raw = {};
  boost::system::error_code ec;
  if (auto value = boost::json::parse(text, ec); !ec && value.is_object()) raw = std::move(value.as_object());
  return Errc::kOk;
}

// --- audit log -------------------------------------------------------------------------------

boost::json::object event_json(const admin::AuditRow& row) {
  const auto text = [](const std::string& s) -> boost::json::value {
    return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
  };
  return {{"id", row.id},
          {"seq", row.seq},
          {"at", row.at},
          {"actor_type", admin::to_string(row.actor_type)},
          {"actor_id", text(row.actor_id)},
          {"actor_login", text(row.actor_login)},
          {"client", text(row.client)},
          {"user_agent", text(row.user_agent)},
          {"action", row.action},
          {"target", text(row.target)},
          {"outcome", admin::to_string(row.outcome)},
          {"details", row.details},
          {"prev_hash", row.prev_hash},
          {"hash", row.hash}};
}

// The filters of GET /admin/logs. `user` matches the actor's login when it holds an '@', its id
// otherwise.
bool parse_log_query(const QueryParams& params, admin::AuditQuery& query, std::string& problem) {
  for (const auto& [key, value] : params) {
    if (key == "from" || key == "to") {
      const auto at = parse_rfc3339(value);
      if (!at) {
        problem = key + " must be an RFC 3339 date-time, like 2026-11-22T05:00:00Z";
        return false;
      }
      (key == "from" ? query.from : query.to) = *at;
    } else if (key == "user") {
      (value.find('@') != std::string::npos ? query.actor_login : query.actor_id) = value;
    } else if (key == "action") {
      query.action = value;
    } else if (key == "outcome") {
      admin::AuditOutcome outcome{};
      if (!admin::parse_outcome(value, outcome)) {
        problem = "outcome must be success, failure or denied";
        return false;
      }
      query.outcome = outcome;
    } else if (key == "cursor") {
      query.cursor = value;
    } else if (key == "format") {
      if (value != "json" && value != "csv") {
        problem = "format must be json or csv";
        return false;
      }
    } else if (key != "limit") {
      problem = "unknown query parameter: " + key;
      return false;
    }
  }
  return page_size(params, query.limit, problem);
}

// --- handlers --------------------------------------------------------------------------------

Response list_users(AdminRouteServices& s, const Request& request) {
  std::string problem;
  QueryParams params;
  std::size_t limit = 0;
  if (!parse_query(request.query, params, problem) || !page_size(params, limit, problem)) {
    return error(Errc::kBadRequest, problem);
  }
  std::string after;
  if (const std::string* cursor = param(params, "cursor"); cursor && !cursor->empty()) {
    auto login = base64url_decode(*cursor);
    if (!login || login->empty()) return error(Errc::kBadRequest, "cursor is not one this API gave");
    after = std::move(*login);
  }
  std::vector<admin::User> users;
  // One more than the page: whether another page follows, without a second query.
  if (auto e = s.users.list(request.identity->scope, limit + 1, after, users)) return directory_error(request, e);
  boost::json::value next_cursor = nullptr;
  if (users.size() > limit) {
    users.resize(limit);
    next_cursor = base64url_encode(users.back().login);
  }
  boost::json::array out;
  for (const auto& u : users) out.push_back(user_json(u, request.identity->org_code));
  return json_response(http::status::ok, boost::json::serialize(boost::json::object{{"users", std::move(out)},
                                                                                    {"next_cursor", next_cursor}}));
}

Response create_user(AdminRouteServices& s, const Request& request) {
  std::string problem;
  auto body = json_object(request, problem);
  admin::NewUser made;
  std::optional<std::string> email, display_name, role;
  if (!body || !only_known_keys(*body, {"email", "display_name", "role", "rights"}, problem) ||
      !optional_string(*body, "email", email, problem) ||
      !optional_string(*body, "display_name", display_name, problem) ||
      !optional_string(*body, "role", role, problem)) {
    return error(Errc::kBadRequest, problem);
  }
  if (!email) return error(Errc::kBadRequest, "email is required");
  made.email = *email;
  if (display_name) made.display_name = *display_name;
  if (role) made.role = *role;
  if (const auto* rights = body->if_contains("rights")) {
    if (!rights->is_object()) return error(Errc::kBadRequest, "rights must be an object");
    if (!admin::Rights::update_from_json(rights->as_object(), made.rights, problem)) {
      return error(Errc::kBadRequest, problem);
    }
  }
  admin::User user;
  std::string one_time_password;
  if (auto e = s.users.create(request.identity->scope, made, actor_of(request), user, one_time_password)) {
    return directory_error(request, e);
  }
  boost::json::object out{{"user", user_json(user, request.identity->org_code)},
                          {"one_time_password", one_time_password}};
  return json_response(http::status::created, boost::json::serialize(out));
}

Response get_user(AdminRouteServices& s, const Request& request) {
  admin::User user;
  if (auto e = s.users.get(request.identity->scope, request.params.at("id"), user)) return directory_error(request, e);
  return json_response(
      http::status::ok,
      boost::json::serialize(boost::json::object{{"user", user_json(user, request.identity->org_code)}}));
}

// PATCH applies every part of the body — profile changes (display name, role, rights, disabled),
// password reset, 2FA reset, ending sessions — in one transaction (UserDirectory::apply): when one
// part is refused, such as the last-administrator guard, nothing of the request remains.
Response patch_user(AdminRouteServices& s, const Request& request) {
  const std::string& id = request.params.at("id");
  std::string problem;
  auto body = json_object(request, problem);
  admin::UserPatch patch;
  std::optional<bool> reset_password, reset_totp, end_all;
  if (!body ||
      !only_known_keys(*body,
                       {"display_name", "role", "rights", "disabled", "reset_password", "reset_totp", "end_sessions"},
                       problem) ||
      !optional_string(*body, "display_name", patch.display_name, problem) ||
      !optional_string(*body, "role", patch.role, problem) ||
      !optional_bool(*body, "disabled", patch.disabled, problem) ||
      !optional_bool(*body, "reset_password", reset_password, problem) ||
      !optional_bool(*body, "reset_totp", reset_totp, problem) ||
      !optional_bool(*body, "end_sessions", end_all, problem)) {
    return error(Errc::kBadRequest, problem);
  }
  if (const auto* rights = body->if_contains("rights")) {
    if (!rights->is_object()) return error(Errc::kBadRequest, "rights must be an object");
    patch.rights = rights->as_object();
  }
  patch.reset_password = reset_password.value_or(false);
  patch.reset_totp = reset_totp.value_or(false);
  patch.end_sessions = end_all.value_or(false);
  admin::User user;
  std::string one_time_password;
  if (auto e = s.users.apply(request.identity->scope, id, patch, actor_of(request), user, one_time_password)) {
    return directory_error(request, e);
  }
  boost::json::object out;
  if (patch.reset_password) out["one_time_password"] = one_time_password;
  out["user"] = user_json(user, request.identity->org_code);
  return json_response(http::status::ok, boost::json::serialize(out));
}

Response delete_user(AdminRouteServices& s, const Request& request) {
  if (auto e = s.users.remove(request.identity->scope, request.params.at("id"), actor_of(request))) {
    return directory_error(request, e);
  }
  return Response{http::status::no_content, 11};
}

// GET: the policy this request was authorized under (read once, by the authenticator).
Response get_policy(AdminRouteServices&, const Request& request) {
  return json_response(http::status::ok, admin::serialize(request.identity->policy));
}

// PUT replaces the keys the body names and keeps every other stored key. "confirm_lockout": true
// is not stored: it lets an administrator save an ip_allowlist that excludes their own address.
Response put_policy(AdminRouteServices& s, const Request& request) {
  std::string problem;
  auto body = json_object(request, problem);
  if (!body) return error(Errc::kBadRequest, problem);
  bool confirm_lockout = false;
  if (const auto* v = body->if_contains("confirm_lockout")) {
    if (!v->is_bool()) return error(Errc::kBadRequest, "confirm_lockout must be true or false");
    confirm_lockout = v->get_bool();
    body->erase("confirm_lockout");
  }
  const auto& identity = *request.identity;
  // Checked against the policy of this request first, so that a refused body costs no write.
  admin::OrganizationPolicy checked = identity.policy;
  if (const auto e = admin::apply_policy_changes(*body, checked)) return policy_error(e);
  // Self-lockout: an allowlist without the requesting address would refuse this administrator's
  // next request, and only an operator could undo it.
  const bool locks_out = body->contains("ip_allowlist") && !checked.ip_allowlist.allows(request.client);
  if (locks_out && !confirm_lockout) {
    return error(Errc::kWouldLockOut, "The new ip_allowlist does not include your own address (" +
                                          canonical_address(request.client).to_string() +
                                          "): saving it would lock you out. Add your address, or send the same "
                                          "body with \"confirm_lockout\": true to save it anyway.");
  }
  admin::OrganizationPolicy saved;
  admin::PolicyError refused;
  const auto ec = s.db.transaction([&](db::Database& tx) -> boost::system::error_code {
    // Read again inside the write: another administrator's change since this request's read is
    // kept, not overwritten with older values.
    admin::OrganizationPolicy current;
    boost::json::object stored;
    if (const Errc read = read_policy(tx, identity.scope.org_id(), current, stored); read != Errc::kOk) {
      return make_error_code(read);
    }
    admin::OrganizationPolicy next = current;
    if ((refused = admin::apply_policy_changes(*body, next))) return make_error_code(Errc::kBadRequest);
    const boost::json::object next_json = admin::to_json(next);
    boost::json::array changed;
    for (const auto& kv : *body) {
      const auto* before = stored.if_contains(kv.key());
      if (!before || *before != next_json.at(kv.key())) changed.emplace_back(kv.key());
    }
    saved = next;
    if (changed.empty()) return {};
    if (auto e = tx.execute("UPDATE organizations SET policy = ?1 WHERE id = ?2",
                            {boost::json::serialize(next_json), identity.scope.org_id()})) {
      return e;
    }
    admin::AuditEvent event{.chain = admin::AuditChain::organization(identity.scope.org_id())};
    event.actor_type = admin::ActorType::kUser;
    event.actor_id = identity.user.id;
    event.actor_login = identity.user.login;
    event.client = request.client.to_string();
    event.user_agent = std::string(request.header(http::field::user_agent));
    event.action = "policy.update";
    event.target = identity.org_code;
    event.details = {{"changed", std::move(changed)}};
    if (locks_out) event.details["lockout_confirmed"] = true;
    return s.audit.append(tx, event);
  });
  if (refused) return policy_error(refused);
  if (ec) return internal_error(request, "write_policy", ec);
  return json_response(http::status::ok, admin::serialize(saved));
}

Response csv_export(AdminRouteServices& s, const Request& request, const admin::AuditChain& chain,
                    const admin::AuditQuery& query) {
  std::string csv;
  admin::write_csv_header(csv);
  std::size_t rows = 0;
  bool truncated = false;
  const auto ec = s.audit.for_each(chain, query, [&](const admin::AuditRow& row) {
    if (rows == kMaxCsvRows) {
      truncated = true;
      return false;
    }
    admin::format_csv_row(row, csv);
    ++rows;
    return true;
  });
  if (ec) {
    return errc_of(ec) == Errc::kBadRequest ? error(Errc::kBadRequest, "cursor is not one this API gave")
                                            : internal_error(request, "audit_export", ec);
  }
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/csv; charset=utf-8");
  res.set(http::field::content_disposition, "attachment; filename=\"audit-log.csv\"");
  if (truncated) res.set("X-Furoshiki-Truncated", std::to_string(kMaxCsvRows));
  res.body() = std::move(csv);
  res.prepare_payload();
  return res;
}

Response get_logs(AdminRouteServices& s, const Request& request) {
  std::string problem;
  QueryParams params;
  admin::AuditQuery query;
  if (!parse_query(request.query, params, problem) || !parse_log_query(params, query, problem)) {
    return error(Errc::kBadRequest, problem);
  }
  const auto chain = admin::AuditChain::organization(request.identity->scope.org_id());
  if (const std::string* format = param(params, "format"); format && *format == "csv") {
    return csv_export(s, request, chain, query);
  }
  std::vector<admin::AuditRow> rows;
  std::string next_cursor;
  if (auto ec = s.audit.query(chain, query, rows, next_cursor)) {
    return errc_of(ec) == Errc::kBadRequest ? error(Errc::kBadRequest, "cursor is not one this API gave")
                                            : internal_error(request, "audit_query", ec);
  }
  boost::json::array events;
  for (const auto& row : rows) events.push_back(event_json(row));
  boost::json::object out{{"events", std::move(events)}};
  out["next_cursor"] = next_cursor.empty() ? boost::json::value(nullptr) : boost::json::value(next_cursor);
  return json_response(http::status::ok, boost::json::serialize(out));
}

Response verify_logs(AdminRouteServices& s, const Request& request) {
  admin::VerifyResult result;
  if (auto ec = s.audit.verify(admin::AuditChain::organization(request.identity->scope.org_id()), result)) {
    return internal_error(request, "audit_verify", ec);
  }
  boost::json::object out{{"ok", result.ok}, {"events", result.events}};
  if (result.broken) {
    out["broken"] = {{"kind", admin::to_string(result.broken->kind)},
                     {"seq", result.broken->seq},
                     {"id", result.broken->id},
                     {"detail", result.broken->detail}};
  }
  return json_response(http::status::ok, boost::json::serialize(out));
}

}  // namespace

void add_admin_routes(Router& router, AdminRouteServices& services) {
  struct Entry {
    http::verb method;
    const char* pattern;
    std::size_t body_limit;
    Response (*handler)(AdminRouteServices&, const Request&);
  };
  const Entry entries[] = {
      {http::verb::get, "/api/v1/admin/users", 0, list_users},
      {http::verb::post, "/api/v1/admin/users", kSmallJsonBody, create_user},
      {http::verb::get, "/api/v1/admin/users/{id}", 0, get_user},
      {http::verb::patch, "/api/v1/admin/users/{id}", kSmallJsonBody, patch_user},
      {http::verb::delete_, "/api/v1/admin/users/{id}", 0, delete_user},
      {http::verb::get, "/api/v1/admin/policy", 0, get_policy},
      {http::verb::put, "/api/v1/admin/policy", kSmallJsonBody, put_policy},
      {http::verb::get, "/api/v1/admin/logs", 0, get_logs},
      {http::verb::get, "/api/v1/admin/logs/verify", 0, verify_logs},
  };
  for (const auto& e : entries) {
    router.add({e.method, e.pattern, AuthPolicy::kOrgAdmin, e.body_limit,
                [&services, handler = e.handler](const Request& request) { return handler(services, request); }, true});
  }
}

}  // namespace furoshiki::server
