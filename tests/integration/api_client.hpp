// The JSON API as the integration tests speak it: one request per fresh TLS connection with JSON
// content headers, user sign-in and the forced replacement of a one-time password, the session a
// sign-in opens (cookie and CSRF token), and organizations created through `furoshiki org create`.
//
// Helpers that set a test up (sign_in, change_password, create_org, require_status) throw
// std::runtime_error with the server's answer when a step fails: GoogleTest reports that as a
// failure of the test (a fatal one in SetUp), so a broken set-up never passes for a test step.
#pragma once

#include "harness.hpp"
#include "https_client.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace furoshiki::integration {

// Extra request header lines, as {"Name", "value"}.
using Headers = std::vector<std::pair<std::string, std::string>>;

// A signed-in browser session: the session cookie ("name=value") and the CSRF token that goes
// with it. An empty cookie stands for a caller without credentials.
struct SignedIn {
  std::string cookie;
  std::string csrf;

  // Cookie and X-CSRF-Token, as a state-changing request needs them; none without a cookie.
  Headers headers() const;
  // The cookie alone: what a request that must fail the CSRF check sends.
  Headers cookie_only() const;
};

// What POST /api/v1/auth/login takes.
struct Credentials {
  std::string org;
  std::string login;
  std::string password;
  std::string totp = {};  // a TOTP or recovery code; sent only when not empty
};

// An organization just created: its id and its first administrator's one-time password.
struct CreatedOrganization {
  std::string id;  // "" if the command's output named none
  std::string admin_one_time_password;
};

// Requests to one running server's first HTTPS listener. Holds a reference: the client must not
// outlive `server`. Cheap to make; every request opens its own connection (Connection: close),
// so nothing carries over between requests but what the test sends.
class ApiClient {
 public:
  explicit ApiClient(const ServerProcess& server) : server_(server) {}

  // Sends `method target` with `headers`; a non-empty `body` goes with Content-Type
  // application/json and its Content-Length. nullopt if connecting, sending or reading failed.
  std::optional<HttpResponse> call(std::string_view method, std::string_view target, const std::string& body = "",
                                   Headers headers = {}) const;
  // As above with `who`'s session headers and `body` serialized (no body when it is empty).
  std::optional<HttpResponse> call(std::string_view method, std::string_view target, const SignedIn& who,
                                   const boost::json::object& body = {}) const;

  // POST /api/v1/auth/login with `credentials`, whatever the answer.
  std::optional<HttpResponse> login(const Credentials& credentials, Headers headers = {}) const;

  // Signs in and returns the session. REQUIRES: the answer is 200 (else throws). With a
  // one-time password the session still needs change_password before it can do anything.
  SignedIn sign_in(const Credentials& credentials) const;

  // POST /api/v1/me/password from `current` to `replacement`; returns the session it rotates to.
  // REQUIRES: the answer is 204 (else throws).
  SignedIn change_password(const SignedIn& who, const std::string& current, const std::string& replacement) const;

 private:
  const ServerProcess& server_;
};

// "name=value" of the response's Set-Cookie header (its attributes cut off); "" without one.
std::string cookie_of(const HttpResponse& response);

// The session a sign-in answer opens: its cookie and the "csrf_token" of its body.
SignedIn session_from_sign_in(const HttpResponse& response);

// The session a password change rotates to: the new cookie and the X-CSRF-Token header.
SignedIn session_from_rotation(const HttpResponse& response);

// The error body's "code" (see error_code in expectations.hpp); "(no response)" or "(no error)"
// when there is nothing to read one from, so that a comparison with a code fails and says why.
std::string error_code(const std::optional<HttpResponse>& response);

// Throws std::runtime_error("<what> failed: …", with the status and body) unless `response` has
// `status`.
void require_status(const std::optional<HttpResponse>& response, unsigned status, std::string_view what);

// The one-time password that `furoshiki org create` or `operator create` printed; "" if none.
std::string one_time_password_in(const std::string& cli_output);

// Runs `furoshiki org create` on `instance` (its configuration as last written) and returns the
// organization's id and its administrator's one-time password. Throws if the command fails or
// prints no one-time password.
CreatedOrganization create_org(const Instance& instance, const std::string& code, const std::string& name,
                               const std::string& admin_email);

}  // namespace furoshiki::integration
