// Org admin routes; see admin_routes.hpp.
#include "server/admin_routes.hpp"

#include "admin/authenticator.hpp"
#include "admin/password_rules.hpp"
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

constexpr std::array<std::string_view, 3> kRequire2faValues = {"none", "admins", "all"};

Errc read_policy(db::Database& db, const std::string& org_id, boost::json::object& out) {
  bool found = false;
  std::string text;
  if (db.execute("SELECT policy FROM organizations WHERE id = ?1", {org_id}, [&](const db::Row& row) {
        found = true;
        text = row.text(0);
      })) {
    return Errc::kInternal;
  }
  if (!found) return Errc::kNotFound;
  if (text.empty()) {
    out = {};
    return Errc::kOk;
  }
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return Errc::kInternal;
  out = std::move(value.as_object());
  return Errc::kOk;
}

// GET /admin/policy: every stored key, with the three this API manages always present.
bool policy_view(const boost::json::object& stored, boost::json::object& out) {
  admin::PasswordRules rules;
  if (admin::rules_from_policy(boost::json::serialize(stored), rules)) return false;
  out = stored;
  out["password"] = admin::to_json(rules);
  if (!out.contains("require_2fa")) out["require_2fa"] = "none";
  if (!out.contains("ip_allowlist")) out["ip_allowlist"] = boost::json::array();
  return true;
}

// The validated replacement of each key the body names.
struct PolicyChange {
  std::optional<admin::PasswordRules> password;
  std::optional<std::string> require_2fa;
  std::optional<boost::json::array> ip_allowlist;
};

bool parse_policy_change(const boost::json::object& body, PolicyChange& change, std::string& problem) {
  if (!only_known_keys(body, {"password", "require_2fa", "ip_allowlist"}, problem)) return false;
  if (const auto* v = body.if_contains("password")) {
    admin::PasswordRules rules;
    if (const auto e = admin::password_rules_from_json(*v, rules)) {
      problem = "password" + (e.key.empty() ? std::string() : "." + e.key) + ": " + e.message;
      return false;
    }
    change.password = rules;
  }
  if (const auto* v = body.if_contains("require_2fa")) {
    if (!v->is_string() || std::find(kRequire2faValues.begin(), kRequire2faValues.end(),
                                     std::string_view(v->as_string())) == kRequire2faValues.end()) {
      problem = "require_2fa must be \"none\", \"admins\" or \"all\"";
      return false;
    }
    change.require_2fa = std::string(v->as_string());
  }
  if (const auto* v = body.if_contains("ip_allowlist")) {
    if (!v->is_array()) {
      problem = "ip_allowlist must be an array of CIDR ranges";
      return false;
    }
    boost::json::array ranges;
    for (std::size_t i = 0; i < v->as_array().size(); ++i) {
      const auto& item = v->as_array()[i];
      if (!item.is_string() || !parse_network_range(item.as_string())) {
        problem = "ip_allowlist[" + std::to_string(i) +
                  "] must be an IPv4 or IPv6 CIDR range without host bits, like 192.0.2.0/24";
        return false;
      }
      ranges.emplace_back(item.as_string());
    }
    change.ip_allowlist = std::move(ranges);
  }
  return true;
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

// Ends every session of the user and records user.end_sessions, in one transaction.
boost::system::error_code end_sessions(AdminRouteServices& s, const Request& request, const std::string& user_id) {
  return s.db.transaction([&](db::Database& tx) -> boost::system::error_code {
    std::int64_t ended = 0;
    if (auto ec = s.sessions.end_all_for_user(tx, request.identity->scope, user_id, ended)) return ec;
    admin::AuditEvent event{.chain = admin::AuditChain::organization(request.identity->scope.org_id())};
    event.actor_type = admin::ActorType::kUser;
    event.actor_id = request.identity->user.id;
    event.actor_login = request.identity->user.login;
    event.client = request.client.to_string();
    event.user_agent = std::string(request.header(http::field::user_agent));
    event.action = "user.end_sessions";
    event.target = user_id;
    event.details = {{"sessions", ended}};
    return s.audit.append(tx, event);
  });
}

// PATCH applies its parts in this order, each in its own transaction with its own audit event:
// profile changes (display name, role, rights, disabled), password reset, 2FA reset, ending
// sessions. The body is checked completely before the first one, so a malformed request changes
// nothing.
Response patch_user(AdminRouteServices& s, const Request& request) {
  const std::string& id = request.params.at("id");
  std::string problem;
  auto body = json_object(request, problem);
  admin::UserChanges changes;
  std::optional<bool> disabled, reset_password, reset_totp, end_all;
  if (!body ||
      !only_known_keys(*body,
                       {"display_name", "role", "rights", "disabled", "reset_password", "reset_totp", "end_sessions"},
                       problem) ||
      !optional_string(*body, "display_name", changes.display_name, problem) ||
      !optional_string(*body, "role", changes.role, problem) || !optional_bool(*body, "disabled", disabled, problem) ||
      !optional_bool(*body, "reset_password", reset_password, problem) ||
      !optional_bool(*body, "reset_totp", reset_totp, problem) ||
      !optional_bool(*body, "end_sessions", end_all, problem)) {
    return error(Errc::kBadRequest, problem);
  }
  changes.disabled = disabled;
  const auto& scope = request.identity->scope;
  admin::User user;
  if (auto e = s.users.get(scope, id, user)) return directory_error(request, e);
  if (const auto* rights = body->if_contains("rights")) {
    if (!rights->is_object()) return error(Errc::kBadRequest, "rights must be an object");
    admin::Rights updated = user.rights;  // partial: keys not given keep their values
    if (!admin::Rights::update_from_json(rights->as_object(), updated, problem)) {
      return error(Errc::kBadRequest, problem);
    }
    changes.rights = updated;
  }
  const admin::Actor actor = actor_of(request);
  if (changes.display_name || changes.role || changes.rights || changes.disabled) {
    if (auto e = s.users.update(scope, id, changes, actor, user)) return directory_error(request, e);
  }
  boost::json::object out;
  if (reset_password.value_or(false)) {
    std::string one_time_password;
    if (auto e = s.users.reset_password(scope, id, actor, one_time_password)) return directory_error(request, e);
    out["one_time_password"] = one_time_password;
  }
  if (reset_totp.value_or(false)) {
    if (auto e = s.users.reset_totp(scope, id, actor)) return directory_error(request, e);
  }
  if (end_all.value_or(false)) {
    if (auto ec = end_sessions(s, request, id)) {
      return errc_of(ec) == Errc::kNotFound ? error(Errc::kNotFound) : internal_error(request, "end_sessions", ec);
    }
  }
  if (auto e = s.users.get(scope, id, user)) return directory_error(request, e);
  out["user"] = user_json(user, request.identity->org_code);
  return json_response(http::status::ok, boost::json::serialize(out));
}

Response delete_user(AdminRouteServices& s, const Request& request) {
  if (auto e = s.users.remove(request.identity->scope, request.params.at("id"), actor_of(request))) {
    return directory_error(request, e);
  }
  return Response{http::status::no_content, 11};
}

Response get_policy(AdminRouteServices& s, const Request& request) {
  boost::json::object stored, view;
  const Errc read = read_policy(s.db, request.identity->scope.org_id(), stored);
  if (read != Errc::kOk || !policy_view(stored, view)) {
    return internal_error(request, "read_policy", make_error_code(read == Errc::kOk ? Errc::kInternal : read));
  }
  return json_response(http::status::ok, boost::json::serialize(view));
}

// PUT replaces the keys the body names and keeps every other stored key.
Response put_policy(AdminRouteServices& s, const Request& request) {
  std::string problem;
  auto body = json_object(request, problem);
  PolicyChange change;
  if (!body || !parse_policy_change(*body, change, problem)) return error(Errc::kBadRequest, problem);
  const auto& identity = *request.identity;
  boost::json::object saved;
  const auto ec = s.db.transaction([&](db::Database& tx) -> boost::system::error_code {
    boost::json::object current;
    if (const Errc read = read_policy(tx, identity.scope.org_id(), current); read != Errc::kOk) {
      return make_error_code(read);
    }
    boost::json::object next = current;
    if (change.password) {
      std::string text;
      if (admin::policy_with_rules(boost::json::serialize(next), *change.password, text)) {
        return make_error_code(Errc::kInternal);
      }
      next = boost::json::parse(text).as_object();
    }
    if (change.require_2fa) next["require_2fa"] = *change.require_2fa;
    if (change.ip_allowlist) next["ip_allowlist"] = *change.ip_allowlist;
    boost::json::array changed;
    for (const auto& kv : *body) {
      const auto* before = current.if_contains(kv.key());
      if (!before || *before != next.at(kv.key())) changed.emplace_back(kv.key());
    }
    saved = next;
    if (changed.empty()) return {};
    if (auto e = tx.execute("UPDATE organizations SET policy = ?1 WHERE id = ?2",
                            {boost::json::serialize(next), identity.scope.org_id()})) {
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
    return s.audit.append(tx, event);
  });
  boost::json::object view;
  if (ec || !policy_view(saved, view)) return internal_error(request, "write_policy", ec);
  return json_response(http::status::ok, boost::json::serialize(view));
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
