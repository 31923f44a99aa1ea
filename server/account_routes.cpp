// Account routes; see account_routes.hpp.
#include "server/account_routes.hpp"

#include "admin/authenticator.hpp"
#include "server/authorizer.hpp"
#include "server/http_error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <ctime>

namespace furoshiki::server {

namespace http = boost::beast::http;

namespace {

constexpr std::size_t kSmallJsonBody = 16 * 1024;

Response error(Errc e, std::string_view message = {}) {
  return json_response(to_http(e).status, error_body(e, message));
}

Response error(const boost::system::error_code& ec) {
  if (ec.category() == furoshiki_category()) return error(static_cast<Errc>(ec.value()));
  return error(Errc::kInternal);
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

// RFC 3339 UTC, seconds: 2026-11-22T05:00:00Z.
std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

boost::json::value optional_time(const std::optional<std::chrono::system_clock::time_point>& t) {
  if (!t) return nullptr;
  return boost::json::string(rfc3339(*t));
}

boost::json::object token_json(const admin::ApiTokenInfo& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"created_at", rfc3339(t.created_at)},
          {"expires_at", rfc3339(t.expires_at)},
          {"last_used_at", optional_time(t.last_used_at)},
          {"revoked_at", optional_time(t.revoked_at)}};
}

admin::SecondFactorActor actor_of(const Request& request) {
  return {request.client.to_string(), std::string(request.header(http::field::user_agent))};
}

admin::AuditEvent token_event(const Request& request, std::string action, std::string target) {
  const auto& identity = *request.identity;
  admin::AuditEvent e{.chain = admin::AuditChain::organization(identity.scope.org_id())};
  e.actor_type = admin::ActorType::kUser;
  e.actor_id = identity.user.id;
  e.actor_login = identity.user.login;
  e.client = request.client.to_string();
  e.user_agent = std::string(request.header(http::field::user_agent));
  e.action = std::move(action);
  e.target = std::move(target);
  return e;
}

}  // namespace

void add_account_routes(Router& router, AccountRouteServices& services) {
  // A browser tab that has the session cookie but not the CSRF token (a new tab, a reload, or
  // another tab renewed it) gets a new one; the previous token stops working. A GET, since the
  // tab cannot send a token it does not have: the cookie is SameSite=Strict, so another site
  // cannot make the browser send it here, and the same-origin policy keeps the answer from any
  // other site's script.
  router.add({http::verb::get, "/api/v1/auth/csrf", AuthPolicy::kSignedIn, 0,
              [&services](const Request& request) -> Response {
                const auto& identity = *request.identity;
                if (identity.principal.kind != admin::CredentialKind::kSession) {
                  return error(Errc::kBadRequest, "API tokens need no CSRF token.");
                }
                admin::SessionInfo session;
                static_cast<admin::Principal&>(session) = identity.principal;
                auto token = services.sessions.renew_csrf(session);
                if (!token) return error(token.error());
                Response res = json_response(http::status::ok,
                                             boost::json::serialize(boost::json::object{{"csrf_token", *token}}));
                res.set(http::field::cache_control, "no-store");
                return res;
              },
              true, true, true});

  router.add({http::verb::post, "/api/v1/me/totp", AuthPolicy::kSignedIn, 0,
              [&services](const Request& request) -> Response {
                const auto& identity = *request.identity;
                auto enrolment =
                    services.second_factor.begin_enrolment(identity.scope, identity.user.id, actor_of(request));
                if (!enrolment) return error(enrolment.error());
                boost::json::object out{{"otpauth_uri", enrolment->otpauth_uri},
                                        {"qr_svg", admin::qr_svg(enrolment->otpauth_uri)},
                                        {"secret", enrolment->secret_base32}};
                Response res = json_response(http::status::ok, boost::json::serialize(out));
                res.set(http::field::cache_control, "no-store");  // the answer holds the secret
                return res;
              },
              true, false, true});

  router.add({http::verb::post, "/api/v1/me/totp/confirm", AuthPolicy::kSignedIn, kSmallJsonBody,
              [&services](const Request& request) -> Response {
                std::string problem;
                auto body = json_object(request, problem);
                if (!body) return error(Errc::kBadRequest, problem);
                const auto* code = body->if_contains("code");
                if (!code || !code->is_string()) return error(Errc::kBadRequest, "code must be a string");
                const auto& identity = *request.identity;
                auto codes = services.second_factor.confirm_enrolment(identity.scope, identity.user.id,
                                                                      code->as_string(), actor_of(request));
                if (codes.has_error() && codes.error() == Errc::kConflict) {
                  return error(Errc::kConflict, "Start the enrolment first (POST /api/v1/me/totp).");
                }
                if (!codes) return error(codes.error());
                boost::json::array list;
                for (const auto& c : *codes) list.emplace_back(c);
                Response res = json_response(http::status::ok,
                                             boost::json::serialize(boost::json::object{{"recovery_codes", list}}));
                res.set(http::field::cache_control, "no-store");
                return res;
              },
              true, false, true});

  router.add({http::verb::post, "/api/v1/me/tokens", AuthPolicy::kSignedIn, kSmallJsonBody,
              [&services](const Request& request) -> Response {
                std::string problem;
                auto body = json_object(request, problem);
                if (!body) return error(Errc::kBadRequest, problem);
                const auto* name = body->if_contains("name");
                const auto* days = body->if_contains("expires_in_days");
                if (!name || !name->is_string()) return error(Errc::kBadRequest, "name must be a string");
                if (!days || !days->is_int64()) return error(Errc::kBadRequest, "expires_in_days must be an integer");
                const std::int64_t d = days->as_int64();
                if (d < admin::ApiTokenStore::kMinExpiresInDays || d > admin::ApiTokenStore::kMaxExpiresInDays) {
                  return error(Errc::kBadRequest, "expires_in_days must be between " +
                                                      std::to_string(admin::ApiTokenStore::kMinExpiresInDays) +
                                                      " and " +
                                                      std::to_string(admin::ApiTokenStore::kMaxExpiresInDays));
                }
                const auto& identity = *request.identity;
                std::optional<admin::NewApiToken> made;
                auto ec = services.db.transaction([&](db::Database& tx) -> boost::system::error_code {
                  auto t = services.tokens.create(tx, identity.scope, identity.user.id,
                                                  std::string_view(name->as_string()), static_cast<int>(d));
                  if (!t) return t.error();
                  made = std::move(*t);
                  auto e = token_event(request, "token.create", made->info.id);
                  e.details = {{"name", made->info.name}, {"expires_at", rfc3339(made->info.expires_at)}};
                  return services.audit.append(tx, e);
                });
                if (ec == Errc::kBadRequest) return error(Errc::kBadRequest, "name must be 1-200 characters");
                if (ec == Errc::kConflict) return error(Errc::kConflict, "Too many live tokens; revoke one first.");
                if (ec || !made) return error(ec ? ec : make_error_code(Errc::kInternal));
                boost::json::object out{{"token", token_json(made->info)}, {"value", made->token}};
                Response res = json_response(http::status::created, boost::json::serialize(out));
                res.set(http::field::cache_control, "no-store");  // the only time the value is shown
                return res;
              },
              true});

  router.add({http::verb::get, "/api/v1/me/tokens", AuthPolicy::kSignedIn, 0,
              [&services](const Request& request) -> Response {
                const auto& identity = *request.identity;
                auto tokens = services.tokens.list(identity.scope, identity.user.id);
                if (!tokens) return error(tokens.error());
                boost::json::array list;
                for (const auto& t : *tokens) list.emplace_back(token_json(t));
                return json_response(http::status::ok,
                                     boost::json::serialize(boost::json::object{{"tokens", std::move(list)}}));
              },
              true});

  router.add({http::verb::delete_, "/api/v1/me/tokens/{id}", AuthPolicy::kSignedIn, 0,
              [&services](const Request& request) -> Response {
                const auto& identity = *request.identity;
                const std::string& id = request.params.at("id");
                auto ec = services.db.transaction([&](db::Database& tx) -> boost::system::error_code {
                  if (auto e = services.tokens.revoke(tx, identity.scope, identity.user.id, id)) return e;
                  return services.audit.append(tx, token_event(request, "token.revoke", id));
                });
                if (ec) return error(ec);
                return Response{http::status::no_content, 11};
              },
              true});
}

}  // namespace furoshiki::server
