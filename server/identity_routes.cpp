// Sign-in routes; see identity_routes.hpp.
#include "server/identity_routes.hpp"

#include "server/authorizer.hpp"
#include "server/http_error.hpp"
#include "server/route_support.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>

namespace furoshiki::server {

namespace http = boost::beast::http;

namespace {

// The cookie of a new session: kept by the browser until the session's absolute end.
std::string session_cookie_header(const admin::NewSession& session) {
  return server::session_cookie_header(
      kSessionCookie, session.token,
      std::chrono::duration_cast<std::chrono::seconds>(session.expires_at - std::chrono::system_clock::now()));
}

std::string client_of(const Request& request) { return request.client.to_string(); }

}  // namespace

boost::json::object user_json(const admin::Identity& identity) {
  boost::json::object out = user_json(identity.user, identity.org_code);
  out["totp_enrolment_required"] = identity.totp_enrolment_required;
  return out;
}

boost::json::object user_json(const admin::User& u, std::string_view org_code) {
  return {{"id", u.id},
          {"org", org_code},
          {"login", u.login},
          {"display_name", u.display_name},
          {"role", u.role},
          {"rights", u.rights.to_json()},
          {"disabled", u.disabled},
          {"password_change_required", u.password_change_required},
          {"totp_enabled", u.totp_enabled}};
}

boost::json::object usage_json(const admin::UserUsage& u, std::uint64_t quota_bytes) {
  boost::json::object out{{"stored_bytes", u.stored_bytes},
                          {"files", u.files},
                          {"quota_bytes", nullptr},
                          {"since", u.since_day},
                          {"uploaded_bytes", u.uploaded_bytes},
                          {"uploads", u.uploads},
                          {"downloaded_bytes", u.downloaded_bytes},
                          {"downloads", u.downloads}};
  if (quota_bytes > 0) out["quota_bytes"] = quota_bytes;
  return out;
}

void add_identity_routes(Router& router, admin::Authenticator& authenticator, admin::UsageCounters& usage) {
  router.add({http::verb::post, "/api/v1/auth/login", AuthPolicy::kPublic, kSmallJsonBody,
              [&authenticator](const Request& request) -> Response {
                std::string problem;
                auto body = json_object(request, problem);
                admin::SignInRequest sign_in;
                if (!body || !string_field(*body, "org", sign_in.org_code, true, problem) ||
                    !string_field(*body, "login", sign_in.login, true, problem) ||
                    !string_field(*body, "password", sign_in.password, true, problem) ||
                    !string_field(*body, "totp", sign_in.totp, false, problem)) {
                  return error_response(Errc::kBadRequest, problem);
                }
                sign_in.client = client_of(request);
                sign_in.client_address = request.client;
                sign_in.user_agent = std::string(request.header(http::field::user_agent));
                sign_in.previous_session_token = std::string(session_cookie(request));
                auto result = authenticator.sign_in(sign_in);
                if (!result) return error_response(Errc::kInternal);
                switch (result->outcome) {
                  case admin::SignInOutcome::kSignedIn: break;
                  case admin::SignInOutcome::kInvalidCredentials: return error_response(Errc::kInvalidCredentials);
                  case admin::SignInOutcome::kTotpRequired: return error_response(Errc::kTotpRequired);
                  case admin::SignInOutcome::kAccountDisabled: return error_response(Errc::kAccountDisabled);
                  case admin::SignInOutcome::kIpNotAllowed: return error_response(Errc::kIpNotAllowed);
                  case admin::SignInOutcome::kTooManyAttempts: {
                    Response res = error_response(Errc::kTooManyAttempts);
                    res.set(http::field::retry_after,
                            std::to_string(std::max<std::int64_t>(1, result->retry_after.count())));
                    return res;
                  }
                }
                boost::json::object out;
                out["user"] = user_json(*result->identity);
                out["csrf_token"] = result->session->csrf_token;
                out["password_change_required"] = result->identity->user.password_change_required;
                out["totp_enrolment_required"] = result->identity->totp_enrolment_required;
                Response res = json_response(http::status::ok, boost::json::serialize(out));
                res.set(http::field::set_cookie, session_cookie_header(*result->session));
                return res;
              },
              true});

  router.add({http::verb::post, "/api/v1/auth/logout", AuthPolicy::kSignedIn, 0,
              [&authenticator](const Request& request) -> Response {
                if (authenticator.sign_out(*request.identity, session_cookie(request), client_of(request))) {
                  return error_response(Errc::kInternal);
                }
                Response res{http::status::no_content, 11};
                res.set(http::field::set_cookie, session_cookie_header(kSessionCookie, "", std::chrono::seconds(0)));
                return res;
              },
              true, true, true});

  router.add({http::verb::get, "/api/v1/me", AuthPolicy::kSignedIn, 0,
              [&usage](const Request& request) -> Response {
                const auto& identity = *request.identity;
                auto figures =
                    usage.user_usage(identity.scope, identity.user.id, kMeUsageDays, std::chrono::system_clock::now());
                if (!figures) return internal_error(request, "me_usage", figures.error());
                boost::json::object out = user_json(identity);
                out["usage"] = usage_json(*figures, identity.user.rights.quota_bytes);
                return json_response(http::status::ok, boost::json::serialize(out));
              },
              true, true, true});

  router.add({http::verb::post, "/api/v1/me/password", AuthPolicy::kSignedIn, kSmallJsonBody,
              [&authenticator](const Request& request) -> Response {
                std::string problem, current, replacement;
                auto body = json_object(request, problem);
                if (!body || !string_field(*body, "current", current, true, problem) ||
                    !string_field(*body, "new", replacement, true, problem)) {
                  return error_response(Errc::kBadRequest, problem);
                }
                std::vector<admin::RuleFailure> failed;
                std::optional<admin::NewSession> session;
                const auto ec = authenticator.change_password(
                    *request.identity, current, replacement,
                    {client_of(request), std::string(request.header(http::field::user_agent))}, failed, session);
                if (ec == Errc::kForbidden) return error_response(Errc::kForbidden, "The current password is wrong.");
                if (ec == Errc::kBadRequest) return password_policy_error(failed);
                if (ec || !session) return error_response(Errc::kInternal);
                // Every session ended with the change; this client continues in a new one, whose
                // CSRF token travels in a header (the contract's answer has no body).
                Response res{http::status::no_content, 11};
                res.set(http::field::set_cookie, session_cookie_header(*session));
                res.set("X-CSRF-Token", session->csrf_token);
                return res;
              },
              true, true, true});
}

}  // namespace furoshiki::server
