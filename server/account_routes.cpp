// Account routes; see account_routes.hpp.
#include "server/account_routes.hpp"

#include "admin/authenticator.hpp"
#include "server/authorizer.hpp"
#include "server/http_error.hpp"
#include "server/route_support.hpp"

#include <boost/json/serialize.hpp>

namespace furoshiki::server {

namespace http = boost::beast::http;

namespace {

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
                  return error_response(Errc::kBadRequest, "API tokens need no CSRF token.");
                }
                admin::SessionInfo session;
                static_cast<admin::Principal&>(session) = identity.principal;
                auto token = services.sessions.renew_csrf(session);
                if (!token) return error_response(token.error());
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
                if (!enrolment) return error_response(enrolment.error());
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
                if (!body) return error_response(Errc::kBadRequest, problem);
                const auto* code = body->if_contains("code");
                if (!code || !code->is_string()) return error_response(Errc::kBadRequest, "code must be a string");
                const auto& identity = *request.identity;
                auto codes = services.second_factor.confirm_enrolment(identity.scope, identity.user.id,
                                                                      code->as_string(), actor_of(request));
                if (codes.has_error() && codes.error() == Errc::kConflict) {
                  return error_response(Errc::kConflict, "Start the enrolment first (POST /api/v1/me/totp).");
                }
                if (!codes) return error_response(codes.error());
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
                if (!body) return error_response(Errc::kBadRequest, problem);
                const auto* name = body->if_contains("name");
                const auto* days = body->if_contains("expires_in_days");
                if (!name || !name->is_string()) return error_response(Errc::kBadRequest, "name must be a string");
                if (!days || !days->is_int64())
                  return error_response(Errc::kBadRequest, "expires_in_days must be an integer");
                const std::int64_t d = days->as_int64();
                if (d < admin::ApiTokenStore::kMinExpiresInDays || d > admin::ApiTokenStore::kMaxExpiresInDays) {
                  return error_response(Errc::kBadRequest, "expires_in_days must be between " +
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
                  auto e = user_audit_event(request, "token.create", made->info.id);
                  e.details = {{"name", made->info.name}, {"expires_at", rfc3339(made->info.expires_at)}};
                  return services.audit.append(tx, e);
                });
                if (ec == Errc::kBadRequest) return error_response(Errc::kBadRequest, "name must be 1-200 characters");
                if (ec == Errc::kConflict)
                  return error_response(Errc::kConflict, "Too many live tokens; revoke one first.");
                if (ec || !made) return error_response(ec ? ec : make_error_code(Errc::kInternal));
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
                if (!tokens) return error_response(tokens.error());
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
                  return services.audit.append(tx, user_audit_event(request, "token.revoke", id));
                });
                if (ec) return error_response(ec);
                return Response{http::status::no_content, 11};
              },
              true});
}

}  // namespace furoshiki::server
