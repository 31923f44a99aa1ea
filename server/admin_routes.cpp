// Org admin routes; see admin_routes.hpp.
#include "server/admin_routes.hpp"

#include "admin/authenticator.hpp"
#include "admin/organization_policy.hpp"
#include "common/log.hpp"
#include "common/network_range.hpp"
#include "server/http_error.hpp"
#include "server/identity_routes.hpp"
#include "server/route_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace furoshiki::server {

namespace http = boost::beast::http;

namespace {

admin::Actor actor_of(const Request& request) {
  const auto& u = request.identity->user;
  return admin::Actor{"user", u.id, u.login, request.client.to_string()};
}

// --- policy ----------------------------------------------------------------------------------

// A refused policy change: malformed input is 400 bad_request, a value out of its range 422
// invalid_policy; the message names the key either way.
Response policy_error(const admin::PolicyError& e) {
  return error_response(e.kind == admin::PolicyError::Kind::kOutOfRange ? Errc::kInvalidPolicy : Errc::kBadRequest,
                        e.message);
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
  std::string after;
  if (!parse_query(request.query, params, problem) || !page_size(params, limit, problem) ||
      !page_cursor(params, after, problem)) {
    return error_response(Errc::kBadRequest, problem);
  }
  std::vector<admin::User> users;
  // One more than the page: whether another page follows, without a second query.
  if (auto e = s.users.list(request.identity->scope, limit + 1, after, users)) return directory_error(request, e);
  boost::json::value next_cursor = nullptr;
  if (users.size() > limit) {
    users.resize(limit);
    next_cursor = encode_cursor(users.back().login);
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
    return error_response(Errc::kBadRequest, problem);
  }
  if (!email) return error_response(Errc::kBadRequest, "email is required");
  made.email = *email;
  if (display_name) made.display_name = *display_name;
  if (role) made.role = *role;
  if (const auto* rights = body->if_contains("rights")) {
    if (!rights->is_object()) return error_response(Errc::kBadRequest, "rights must be an object");
    if (!admin::Rights::update_from_json(rights->as_object(), made.rights, problem)) {
      return error_response(Errc::kBadRequest, problem);
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
    return error_response(Errc::kBadRequest, problem);
  }
  if (const auto* rights = body->if_contains("rights")) {
    if (!rights->is_object()) return error_response(Errc::kBadRequest, "rights must be an object");
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
  if (!body) return error_response(Errc::kBadRequest, problem);
  bool confirm_lockout = false;
  if (const auto* v = body->if_contains("confirm_lockout")) {
    if (!v->is_bool()) return error_response(Errc::kBadRequest, "confirm_lockout must be true or false");
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
    return error_response(Errc::kWouldLockOut,
                          "The new ip_allowlist does not include your own address (" +
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
    admin::AuditEvent event = user_audit_event(request, "policy.update", identity.org_code);
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
    return errc_of(ec) == Errc::kBadRequest ? error_response(Errc::kBadRequest, "cursor is not one this API gave")
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
    return error_response(Errc::kBadRequest, problem);
  }
  const auto chain = admin::AuditChain::organization(request.identity->scope.org_id());
  if (const std::string* format = param(params, "format"); format && *format == "csv") {
    return csv_export(s, request, chain, query);
  }
  std::vector<admin::AuditRow> rows;
  std::string next_cursor;
  if (auto ec = s.audit.query(chain, query, rows, next_cursor)) {
    return errc_of(ec) == Errc::kBadRequest ? error_response(Errc::kBadRequest, "cursor is not one this API gave")
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
