// The integration tests' JSON API client and set-up helpers; see api_client.hpp.
#include "api_client.hpp"

#include "expectations.hpp"

#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace furoshiki::integration {

namespace {

// How `furoshiki org create` and `furoshiki operator create` introduce the password, and its length.
constexpr std::string_view kOneTimePasswordLabel = "one-time password:";
constexpr std::size_t kOneTimePasswordLength = 24;

}  // namespace

Headers SignedIn::headers() const {
  if (cookie.empty()) return {};
  return {{"Cookie", cookie}, {"X-CSRF-Token", csrf}};
}

Headers SignedIn::cookie_only() const { return {{"Cookie", cookie}}; }

std::optional<HttpResponse> ApiClient::call(std::string_view method, std::string_view target, const std::string& body,
                                            Headers headers) const {
  TlsClient client;
  auto connection = client.connect(server_.https());
  if (!connection) return std::nullopt;
  if (!body.empty()) {
    headers.emplace_back("Content-Type", "application/json");
    headers.emplace_back("Content-Length", std::to_string(body.size()));
  }
  return connection->request(http_request(method, target, headers, false) + body);
}

std::optional<HttpResponse> ApiClient::call(std::string_view method, std::string_view target, const SignedIn& who,
                                            const boost::json::object& body) const {
  return call(method, target, body.empty() ? std::string() : boost::json::serialize(body), who.headers());
}

std::optional<HttpResponse> ApiClient::login(const Credentials& credentials, Headers headers) const {
  boost::json::object body{{"org", credentials.org}, {"login", credentials.login}, {"password", credentials.password}};
  if (!credentials.totp.empty()) body["totp"] = credentials.totp;
  return call("POST", "/api/v1/auth/login", boost::json::serialize(body), std::move(headers));
}

SignedIn ApiClient::sign_in(const Credentials& credentials) const {
  const auto r = login(credentials);
  require_status(r, 200u, "sign-in");
  return session_from_sign_in(*r);
}

SignedIn ApiClient::change_password(const SignedIn& who, const std::string& current,
                                    const std::string& replacement) const {
  const auto r = call("POST", "/api/v1/me/password", who, {{"current", current}, {"new", replacement}});
  require_status(r, 204u, "password change");
  return session_from_rotation(*r);
}

std::string cookie_of(const HttpResponse& response) {
  const std::string set = response.header("Set-Cookie");
  return set.substr(0, set.find(';'));
}

SignedIn session_from_sign_in(const HttpResponse& response) {
  return {cookie_of(response), std::string(response.json().at("csrf_token").as_string())};
}

SignedIn session_from_rotation(const HttpResponse& response) {
  return {cookie_of(response), response.header("X-CSRF-Token")};
}

std::string error_code(const std::optional<HttpResponse>& response) {
  if (!response) return "(no response)";
  std::string code = error_code(*response);
  return code.empty() ? "(no error)" : code;
}

void require_status(const std::optional<HttpResponse>& response, unsigned status, std::string_view what) {
  if (status_of(response) == status) return;
  throw std::runtime_error(std::string(what) + " failed: " +
                           (response ? std::to_string(response->status) + " " + response->body : "(no response)"));
}

std::string one_time_password_in(const std::string& cli_output) {
  const auto at = cli_output.find(kOneTimePasswordLabel);
  if (at == std::string::npos) return {};
  const auto start = cli_output.find_first_not_of(' ', at + kOneTimePasswordLabel.size());
  if (start == std::string::npos) return {};
  return cli_output.substr(start, kOneTimePasswordLength);
}

CreatedOrganization create_org(const Instance& instance, const std::string& code, const std::string& name,
                               const std::string& admin_email) {
  const auto r = run_furoshiki({"org", "create", "--config", instance.config_file().string(), "--code", code, "--name",
                                name, "--admin-email", admin_email},
                               60s);
  if (r.exit_code != 0) throw std::runtime_error("org create: " + r.err);
  CreatedOrganization org;
  org.admin_one_time_password = one_time_password_in(r.out);
  if (org.admin_one_time_password.empty())
    throw std::runtime_error("org create printed no one-time password: " + r.out);
  // "created organization CODE (NAME), id ID"
  const auto id_at = r.out.find(", id ");
  if (id_at != std::string::npos) org.id = r.out.substr(id_at + 5, r.out.find('\n', id_at) - id_at - 5);
  return org;
}

}  // namespace furoshiki::integration
