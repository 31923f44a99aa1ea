// Sign-in routes; see identity_routes.hpp.
#include "server/identity_routes.hpp"

#include "server/authorizer.hpp"
#include "server/http_error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>

namespace furoshiki::server {

namespace http = boost::beast::http;

namespace {

constexpr std::size_t kSmallJsonBody = 16 * 1024;

Response error(Errc e, std::string_view message = {}) {
  return json_response(to_http(e).status, error_body(e, message));
}

// The string fields of a JSON object body; nullopt (and `problem`) when the body is not one.
std::optional<boost::json::object> json_object(const Request& request, std::string& problem) {
  boost::system::error_code ec;
  auto value = boost::json::parse(request.body, ec);
  if (ec || !value.is_object()) {
    problem = "the body must be a JSON object";
    return std::nullopt;
  }
  return std::move(value.as_object());
}

bool string_field(const boost::json::object& o, std::string_view key, std::string& out, bool required,
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

std::string session_cookie_header(std::string_view token, std::chrono::seconds max_age) {
  max_age = std::max(max_age, std::chrono::seconds(0));
  // Secure, Path=/ and no Domain: what the __Host- prefix would demand (RFC 6265bis 4.1.3.2).
  return std::string(kSessionCookie) + "=" + std::string(token) + "; Path=/; Secure; HttpOnly; SameSite=Strict" +
         "; Max-Age=" + std::to_string(max_age.count());
}

// The cookie of a new session: kept by the browser until the session's absolute end.
std::string session_cookie_header(const admin::NewSession& session) {
  return session_cookie_header(session.token, std::chrono::duration_cast<std::chrono::seconds>(
                                                  session.expires_at - std::chrono::system_clock::now()));
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

void add_identity_routes(Router& router, admin::Authenticator& authenticator) {
  router.add({http::verb::post, "/api/v1/auth/login", AuthPolicy::kPublic, kSmallJsonBody,
              [&authenticator](const Request& request) -> Response {
                std::string problem;
                auto body = json_object(request, problem);
                admin::SignInRequest sign_in;
                if (!body || !string_field(*body, "org", sign_in.org_code, true, problem) ||
                    !string_field(*body, "login", sign_in.login, true, problem) ||
                    !string_field(*body, "password", sign_in.password, true, problem) ||
                    !string_field(*body, "totp", sign_in.totp, false, problem)) {
                  return error(Errc::kBadRequest, problem);
                }
                sign_in.client = client_of(request);
                sign_in.client_address = request.client;
                sign_in.user_agent = std::string(request.header(http::field::user_agent));
                sign_in.previous_session_token = std::string(session_cookie(request));
                auto result = authenticator.sign_in(sign_in);
                if (!result) return error(Errc::kInternal);
                switch (result->outcome) {
                  case admin::SignInOutcome::kSignedIn: break;
                  case admin::SignInOutcome::kInvalidCredentials: return error(Errc::kInvalidCredentials);
                  case admin::SignInOutcome::kTotpRequired: return error(Errc::kTotpRequired);
                  case admin::SignInOutcome::kAccountDisabled: return error(Errc::kAccountDisabled);
                  case admin::SignInOutcome::kIpNotAllowed: return error(Errc::kIpNotAllowed);
                  case admin::SignInOutcome::kTooManyAttempts: {
                    Response res = error(Errc::kTooManyAttempts);
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
                  return error(Errc::kInternal);
                }
                Response res{http::status::no_content, 11};
                res.set(http::field::set_cookie, session_cookie_header("", std::chrono::seconds(0)));
                return res;
              },
              true, true, true});

  router.add({http::verb::get, "/api/v1/me", AuthPolicy::kSignedIn, 0,
              [](const Request& request) -> Response {
                return json_response(http::status::ok, boost::json::serialize(user_json(*request.identity)));
              },
              true, true, true});

  router.add({http::verb::post, "/api/v1/me/password", AuthPolicy::kSignedIn, kSmallJsonBody,
              [&authenticator](const Request& request) -> Response {
                std::string problem, current, replacement;
                auto body = json_object(request, problem);
                if (!body || !string_field(*body, "current", current, true, problem) ||
                    !string_field(*body, "new", replacement, true, problem)) {
                  return error(Errc::kBadRequest, problem);
                }
                std::vector<admin::RuleFailure> failed;
                std::optional<admin::NewSession> session;
                const auto ec = authenticator.change_password(
                    *request.identity, current, replacement,
                    {client_of(request), std::string(request.header(http::field::user_agent))}, failed, session);
                if (ec == Errc::kForbidden) return error(Errc::kForbidden, "The current password is wrong.");
                if (ec == Errc::kBadRequest) {
                  boost::json::array rules;
                  for (const auto& f : failed) rules.push_back({{"code", f.code}, {"message", f.message}});
                  boost::json::object err{{"code", "password_policy"},
                                          {"message", to_http(Errc::kPasswordPolicy).default_message},
                                          {"rules", std::move(rules)}};
                  return json_response(http::status::unprocessable_entity,
                                       boost::json::serialize(boost::json::object{{"error", std::move(err)}}));
                }
                if (ec || !session) return error(Errc::kInternal);
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
