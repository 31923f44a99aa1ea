// Operator routes; see system_routes.hpp.
#include "server/system_routes.hpp"

#include "admin/identity_rules.hpp"
#include "server/authorizer.hpp"
#include "server/http_error.hpp"
#include "server/route_support.hpp"
#include "storage/data_directory.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <optional>

namespace furoshiki::server {

namespace http = boost::beast::http;

namespace {

std::string client_of(const Request& request) { return request.client.to_string(); }

admin::Actor actor_of(const Request& request) {
  const auto& op = request.operator_identity->account;
  return admin::Actor{"operator", op.id, op.login, client_of(request)};
}

boost::json::object operator_json(const admin::OperatorAccount& op) {
  return {{"id", op.id}, {"login", op.login}, {"display_name", op.display_name}};
}

boost::json::object org_json(const admin::Organization& o) {
  return {{"id", o.id},      {"code", o.code}, {"name", o.name}, {"status", o.status}, {"created_at", o.created_at},
          {"users", o.users}};
}

// limit and cursor of GET /system/orgs; anything else is an error. The cursor is the last code
// of the previous page.
bool parse_list_query(std::string_view query, std::size_t& limit, std::string& after, std::string& problem) {
  QueryParams params;
  if (!parse_query(query, params, problem) || !only_known_params(params, {"limit", "cursor"}, problem) ||
      !page_size(params, limit, problem) || !page_cursor(params, after, problem)) {
    return false;
  }
  if (!after.empty() && !admin::valid_org_code(after)) {
    problem = "cursor is not one this API gave";
    return false;
  }
  return true;
}

// The organization named by the {id} of the path, or the response to send instead.
std::optional<admin::Organization> org_of_path(SystemRouteServices& s, const Request& request,
                                               std::optional<Response>& refusal) {
  std::optional<admin::Organization> org;
  const auto it = request.params.find("id");
  if (it == request.params.end()) {
    refusal = error_response(Errc::kNotFound);
    return std::nullopt;
  }
  if (auto e = s.orgs.find_by_id(it->second, org)) {
    refusal = directory_error(request, e);
    return std::nullopt;
  }
  if (!org) refusal = error_response(Errc::kNotFound);
  return org;
}

// --- handlers --------------------------------------------------------------------------------

Response sign_in(SystemRouteServices& s, const Request& request) {
  std::string problem;
  std::optional<std::string> login, password;
  auto body = json_object(request, problem);
  if (!body || !string_field(*body, "login", login, true, problem) ||
      !string_field(*body, "password", password, true, problem)) {
    return error_response(Errc::kBadRequest, problem);
  }
  admin::OperatorSignInRequest attempt{*login, *password, client_of(request),
                                       std::string(request.header(http::field::user_agent)),
                                       std::string(operator_session_cookie(request))};
  auto result = s.operators.sign_in(attempt);
  if (!result) return internal_error(request, "operator_sign_in", result.error());
  // Operator sign-in has no second factor and no organization: besides success, only these.
  if (result->outcome == admin::SignInOutcome::kTooManyAttempts) {
    Response res = error_response(Errc::kTooManyAttempts);
    res.set(http::field::retry_after, std::to_string(std::max<std::int64_t>(1, result->retry_after.count())));
    return res;
  }
  if (result->outcome == admin::SignInOutcome::kAccountDisabled) return error_response(Errc::kAccountDisabled);
  if (result->outcome != admin::SignInOutcome::kSignedIn || !result->identity || !result->session) {
    return error_response(Errc::kInvalidCredentials, "The login or password is wrong.");
  }
  const auto& op = result->identity->account;
  boost::json::object out{{"operator", operator_json(op)},
                          {"csrf_token", result->session->csrf_token},
                          {"password_change_required", op.password_change_required}};
  Response res = json_response(http::status::ok, boost::json::serialize(out));
  res.set(http::field::set_cookie,
          session_cookie_header(kOperatorSessionCookie, result->session->token, s.session_lifetime));
  res.set(http::field::cache_control, "no-store");
  return res;
}

Response sign_out(SystemRouteServices& s, const Request& request) {
  if (auto ec =
          s.operators.sign_out(*request.operator_identity, operator_session_cookie(request), client_of(request))) {
    return internal_error(request, "operator_sign_out", ec);
  }
  Response res{http::status::no_content, 11};
  res.set(http::field::set_cookie, session_cookie_header(kOperatorSessionCookie, "", std::chrono::seconds(0)));
  return res;
}

Response me(SystemRouteServices&, const Request& request) {
  const auto& op = request.operator_identity->account;
  boost::json::object out = operator_json(op);
  out["password_change_required"] = op.password_change_required;
  return json_response(http::status::ok, boost::json::serialize(out));
}

Response change_password(SystemRouteServices& s, const Request& request) {
  std::string problem;
  std::optional<std::string> current, replacement;
  auto body = json_object(request, problem);
  if (!body || !string_field(*body, "current", current, true, problem) ||
      !string_field(*body, "new", replacement, true, problem)) {
    return error_response(Errc::kBadRequest, problem);
  }
  std::vector<admin::RuleFailure> failed;
  std::optional<admin::NewOperatorSession> session;
  const auto ec = s.operators.change_password(*request.operator_identity, *current, *replacement, client_of(request),
                                              request.header(http::field::user_agent), failed, session);
  if (ec == Errc::kForbidden) return error_response(Errc::kForbidden, "The current password is wrong.");
  if (ec == Errc::kBadRequest) return password_policy_error(failed);
  if (ec == Errc::kUnauthenticated) return error_response(Errc::kUnauthenticated);
  if (ec || !session) return internal_error(request, "operator_change_password", ec);
  // Every session of the operator ended; this client continues in a new one, whose CSRF token
  // travels in a header (the answer has no body), as with /me/password.
  Response res{http::status::no_content, 11};
  res.set(http::field::set_cookie, session_cookie_header(kOperatorSessionCookie, session->token, s.session_lifetime));
  res.set("X-CSRF-Token", session->csrf_token);
  return res;
}

Response list_orgs(SystemRouteServices& s, const Request& request) {
  std::size_t limit = 0;
  std::string after, problem;
  if (!parse_list_query(request.query, limit, after, problem)) return error_response(Errc::kBadRequest, problem);
  std::vector<admin::Organization> orgs;  // ordered by code
  if (auto e = s.orgs.list(orgs)) return directory_error(request, e);
  boost::json::array out;
  boost::json::value next_cursor = nullptr;
  for (const auto& o : orgs) {
    if (!after.empty() && o.code <= after) continue;
    if (out.size() == limit) {
      next_cursor = encode_cursor(std::string_view(out.back().as_object().at("code").as_string()));
      break;
    }
    out.push_back(org_json(o));
  }
  return json_response(http::status::ok, boost::json::serialize(boost::json::object{{"orgs", std::move(out)},
                                                                                    {"next_cursor", next_cursor}}));
}

Response create_org(SystemRouteServices& s, const Request& request) {
  std::string problem;
  std::optional<std::string> code, name, admin_email, admin_name;
  auto body = json_object(request, problem);
  if (!body || !only_known_keys(*body, {"code", "name", "admin_email", "admin_name"}, problem) ||
      !string_field(*body, "code", code, true, problem) || !string_field(*body, "name", name, true, problem) ||
      !string_field(*body, "admin_email", admin_email, true, problem) ||
      !string_field(*body, "admin_name", admin_name, false, problem)) {
    return error_response(Errc::kBadRequest, problem);
  }
  // The code is what people type at sign-in: a well-formed request with a code outside the rules
  // is unprocessable (422), not malformed.
  if (!admin::valid_org_code(*code)) {
    return error_response(
        Errc::kInvalidCode,
        "The organization code is invalid: use 2-32 lower-case letters, digits and '-', starting with a "
        "letter or digit.");
  }
  admin::Organization org;
  admin::CreatedAccount admin_account;
  if (auto e =
          s.orgs.create({*code, *name, *admin_email, admin_name.value_or("")}, actor_of(request), org, admin_account)) {
    return directory_error(request, e);
  }
  boost::json::object out{{"org", org_json(org)},
                          {"admin",
                           {{"id", admin_account.id},
                            {"login", admin_account.login},
                            {"one_time_password", admin_account.one_time_password}}}};
  Response res = json_response(http::status::created, boost::json::serialize(out));
  res.set(http::field::cache_control, "no-store");  // the only time the one-time password is shown
  return res;
}

Response patch_org(SystemRouteServices& s, const Request& request) {
  std::string problem;
  std::optional<std::string> status, name;
  auto body = json_object(request, problem);
  if (!body || !only_known_keys(*body, {"status", "name"}, problem) ||
      !string_field(*body, "status", status, false, problem) || !string_field(*body, "name", name, false, problem)) {
    return error_response(Errc::kBadRequest, problem);
  }
  if (!status && !name) return error_response(Errc::kBadRequest, "nothing to change: give status and/or name");
  if (status && *status != "active" && *status != "suspended") {
    return error_response(Errc::kBadRequest, "status must be \"active\" or \"suspended\"");
  }
  std::optional<Response> refusal;
  auto org = org_of_path(s, request, refusal);
  if (!org) return std::move(*refusal);
  const admin::Actor actor = actor_of(request);
  if (name) {
    if (auto e = s.orgs.rename(org->code, *name, actor)) return directory_error(request, e);
  }
  if (status && *status != org->status) {
    if (auto e = s.orgs.set_suspended(org->code, *status == "suspended", actor)) return directory_error(request, e);
  }
  std::optional<admin::Organization> now;
  if (auto e = s.orgs.find_by_id(org->id, now)) return directory_error(request, e);
  if (!now) return error_response(Errc::kNotFound);
  return json_response(http::status::ok, boost::json::serialize(boost::json::object{{"org", org_json(*now)}}));
}

Response delete_org(SystemRouteServices& s, const Request& request) {
  std::optional<Response> refusal;
  auto org = org_of_path(s, request, refusal);
  if (!org) return std::move(*refusal);
  if (auto e = s.orgs.remove(org->code, actor_of(request))) return directory_error(request, e);
  return Response{http::status::no_content, 11};
}

Response health(SystemRouteServices& s, const Request&) {
  Response res = json_response(http::status::ok, boost::json::serialize(service_health(s.health)));
  res.set(http::field::cache_control, "no-store");
  return res;
}

}  // namespace

boost::json::object service_health(const ServiceHealthSources& sources) {
  const std::int64_t now =
      sources.clock
          ? sources.clock()
          : std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
  bool healthy = true;

  boost::json::object scanner_part;
  {
    const scanner::ScannerStatus st = sources.scanner ? sources.scanner() : scanner::ScannerStatus{};
    scanner_part["ready"] = st.ready;
    if (!st.ready)
      scanner_part["unavailable_reason"] = st.unavailable_reason.empty() ? "no_engine" : st.unavailable_reason;
    if (st.definitions) {
      const auto& d = *st.definitions;
      scanner_part["engine_version"] = d.engine_version;
      // The daily database's version is what ClamAV calls the signature version; 0: no daily.
      scanner_part["signature_version"] = d.daily_version ? boost::json::value(d.daily_version) : nullptr;
      scanner_part["signatures"] = d.signatures;
      scanner_part["definitions_built_at"] = rfc3339_or_null(d.newest_build_time);
      scanner_part["signature_age_seconds"] =
          d.newest_build_time > 0 ? boost::json::value(std::max<std::int64_t>(0, now - d.newest_build_time)) : nullptr;
    } else {
      scanner_part["engine_version"] = nullptr;
      scanner_part["signature_version"] = nullptr;
      scanner_part["signatures"] = 0;
      scanner_part["definitions_built_at"] = nullptr;
      scanner_part["signature_age_seconds"] = nullptr;
    }
    scanner_part["engine_loaded_at"] = rfc3339_or_null(st.engine_loaded_at);
    if (!st.last_reload_error.empty()) scanner_part["last_reload_error"] = st.last_reload_error;
    healthy = healthy && st.ready;
  }

  boost::json::object updates_part;
  {
    const scanner::UpdateStatus u = sources.updates ? sources.updates() : scanner::UpdateStatus{};
    updates_part["enabled"] = u.enabled;
    // "never": no attempt yet (or updates are off); otherwise the outcome of the last attempt.
    const char* last = u.last_attempt == 0 ? "never" : (u.last_error.empty() ? "ok" : "failed");
    updates_part["last_result"] = last;
    updates_part["last_attempt_at"] = rfc3339_or_null(u.last_attempt);
    updates_part["last_success_at"] = rfc3339_or_null(u.last_success);
    updates_part["last_error"] = u.last_error.empty() ? boost::json::value(nullptr) : boost::json::value(u.last_error);
    updates_part["attempts"] = u.attempts;
    updates_part["failures"] = u.failures;
    healthy = healthy && u.last_error.empty();
  }

  boost::json::object fips_part;
  if (sources.crypto) {
    const auto& c = *sources.crypto;
    const bool required = c.mode() == crypto::FipsMode::kRequired;
    fips_part["required"] = required;
    // A context in mode "required" exists only once the FIPS provider loaded and passed its
    // self-tests (CryptoContext::create throws otherwise).
    fips_part["loaded"] = required;
    fips_part["provider"] = c.provider_name();
    fips_part["provider_version"] = c.provider_version();
    const bool self_test = c.self_test();
    fips_part["self_test_passed"] = self_test;
    healthy = healthy && self_test;
  }

  boost::json::object storage_part;
  {
    const auto st = storage::inspect_data_directory(sources.data_dir);
    storage_part["ok"] = st.ok;
    storage_part["free_bytes"] = st.available_bytes;
    if (!st.ok) storage_part["problem"] = st.problem;
    healthy = healthy && st.ok;
  }

  boost::json::object database_part;
  if (sources.db) {
    const bool ok = sources.db->ping();
    database_part["ok"] = ok;
    database_part["backend"] = sources.db->backend();
    if (ok && sources.db->backend().starts_with("sqlite")) {
      std::int64_t pages = -1, page_size = -1;
      const auto a = sources.db->execute("PRAGMA page_count", {}, [&](const db::Row& r) { pages = r.integer(0); });
      const auto b = sources.db->execute("PRAGMA page_size", {}, [&](const db::Row& r) { page_size = r.integer(0); });
      if (!a && !b && pages >= 0 && page_size > 0) {
        database_part["page_count"] = pages;
        database_part["size_bytes"] = pages * page_size;
      }
    }
    healthy = healthy && ok;
  } else {
    database_part["ok"] = false;
    healthy = false;
  }

  return {{"status", healthy ? "ok" : "degraded"}, {"checked_at", rfc3339_or_null(now)},
          {"scanner", std::move(scanner_part)},    {"definition_updates", std::move(updates_part)},
          {"fips", std::move(fips_part)},          {"storage", std::move(storage_part)},
          {"database", std::move(database_part)}};
}

void add_system_routes(Router& router, SystemRouteServices& services) {
  struct Entry {
    http::verb method;
    const char* pattern;
    AuthPolicy policy;
    std::size_t body_limit;
    Response (*handler)(SystemRouteServices&, const Request&);
    bool before_password_change;
  };
  const Entry entries[] = {
      // Password hashing: blocking, like every route below (kOperator routes run on the blocking pool).
      {http::verb::post, "/api/v1/system/login", AuthPolicy::kPublic, kSmallJsonBody, sign_in, false},
      {http::verb::post, "/api/v1/system/logout", AuthPolicy::kOperator, 0, sign_out, true},
      {http::verb::get, "/api/v1/system/me", AuthPolicy::kOperator, 0, me, true},
      {http::verb::post, "/api/v1/system/password", AuthPolicy::kOperator, kSmallJsonBody, change_password, true},
      {http::verb::get, "/api/v1/system/orgs", AuthPolicy::kOperator, 0, list_orgs, false},
      {http::verb::post, "/api/v1/system/orgs", AuthPolicy::kOperator, kSmallJsonBody, create_org, false},
      {http::verb::patch, "/api/v1/system/orgs/{id}", AuthPolicy::kOperator, kSmallJsonBody, patch_org, false},
      {http::verb::delete_, "/api/v1/system/orgs/{id}", AuthPolicy::kOperator, 0, delete_org, false},
      {http::verb::get, "/api/v1/system/health", AuthPolicy::kOperator, 0, health, false},
  };
  for (const auto& e : entries) {
    Route route{e.method,
                e.pattern,
                e.policy,
                e.body_limit,
                [&services, handler = e.handler](const Request& request) { return handler(services, request); },
                true};
    route.before_password_change = e.before_password_change;
    router.add(std::move(route));
  }
}

}  // namespace furoshiki::server
