// Authenticator: sign-in, the identity behind a session cookie or an API token, sign-out and the
// password change — protocol-neutral (server/ maps it to /auth/login, cookies, 401/429…).
//
// Sign-in answers the same way, after the same expensive work, whether the organization, the
// login or the password was wrong: an unknown account is checked against a dummy hash. Throttling
// (login_throttle.hpp) applies per account and per client address before any password work. Every
// attempt is an audit event: in the organization's chain when the organization exists, otherwise
// in the service chain (the login typed is recorded, never the password).
#pragma once

#include "admin/audit_log.hpp"
#include "admin/login_throttle.hpp"
#include "admin/organization_policy.hpp"
#include "admin/password_rules.hpp"
#include "admin/sessions.hpp"
#include "admin/tenant_keys.hpp"
#include "admin/tenant_scope.hpp"
#include "admin/users.hpp"
#include "crypto/password.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace furoshiki::admin {

struct SignInRequest {
  std::string org_code;
  std::string login;
  std::string password;
  std::string totp;  // 6 digits, or a recovery code; empty when not given
  std::string client;
  std::string user_agent;
  std::string previous_session_token;  // a session cookie the browser already had: ended (fixation)
  // The address checked against the organization's IP allowlist (the same client as `client`).
  boost::asio::ip::address client_address{};
};

enum class SignInOutcome {
  kSignedIn,
  kInvalidCredentials,  // unknown organization or login, wrong password, suspended organization
  kTotpRequired,        // password right; the second factor is missing or wrong
  kTooManyAttempts,     // throttled: retry_after says when
  kAccountDisabled,     // password right, account disabled
  kIpNotAllowed,        // the organization's IP allowlist does not hold client_address (checked first)
};

// The throttle's check before any password work of a sign-in (user or operator): true when the
// attempt is refused, with `outcome` set to kTooManyAttempts and `retry_after` to the whole
// seconds the client is told to wait (Retry-After). Errors are database failures.
[[nodiscard]] boost::system::result<bool> refuse_if_throttled(LoginThrottle& throttle, const ThrottleKeys& keys,
                                                              SignInOutcome& outcome,
                                                              std::chrono::seconds& retry_after);

// Who a request acts as, once its credentials were checked.
struct Identity {
  TenantScope scope;
  Principal principal;
  std::optional<crypto::TokenHash> csrf_token_hash;  // sessions only; API tokens need no CSRF token
  std::string org_code;
  User user;  // password_change_required is also set when the organization's password expiry has passed
  // The organization requires a second factor (policy require_2fa "all", or "admins" for an
  // org_admin) and the user has none yet: only enrolment and the account pages answer.
  bool totp_enrolment_required = false;
  // The organization's policy as read for this request: every later decision of the request
  // (IP allowlist, password rules, the admin policy routes) uses this value, not a new read.
  OrganizationPolicy policy{};
};

struct SignInResult {
  SignInOutcome outcome = SignInOutcome::kInvalidCredentials;
  std::chrono::seconds retry_after{0};
  std::optional<NewSession> session;  // kSignedIn
  std::optional<Identity> identity;   // kSignedIn
};

class Authenticator {
 public:
  Authenticator(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db, crypto::PasswordHasher& hasher,
                TenantKeyring& keys, AuditLog& audit, SessionStore& sessions, ApiTokenStore& tokens,
                LoginThrottle& throttle);

  // Blocking (password hashing): call it off the network threads. Errors are database or crypto
  // failures only (and a stored policy that does not parse); every refusal is an outcome. The
  // organization's policy is read once: for the IP allowlist (before throttling and any password
  // work), the session's timeouts and the identity returned.
  [[nodiscard]] boost::system::result<SignInResult> sign_in(const SignInRequest& request);

  // Errc::kUnauthenticated for anything that is not a live credential of an active user. The
  // session's timeouts are checked against the organization's current policy as well as against
  // what was stored at sign-in (SessionStore::authenticate): a shortened policy ends older
  // sessions at once. Errc::kInternal when the organization's policy does not parse.
  [[nodiscard]] boost::system::result<Identity> from_session(std::string_view token);
  [[nodiscard]] boost::system::result<Identity> from_api_token(std::string_view token);

  // The X-CSRF-Token check for state-changing requests made with a session cookie.
  bool csrf_ok(const Identity& identity, std::string_view presented) const;

  [[nodiscard]] boost::system::error_code sign_out(const Identity& identity, std::string_view session_token,
                                                   const std::string& client);

  // Changes the signed-in user's own password: the current one must be right (else
  // Errc::kForbidden), the new one must pass the organization's rules (identity.policy; else
  // Errc::kBadRequest with `failed` filled). Every session of the user ends, and the caller gets
  // a new one in `new_session` (a new cookie and CSRF token) with the policy's timeouts. Blocking.
  [[nodiscard]] boost::system::error_code change_password(const Identity& identity, std::string_view current,
                                                          std::string_view replacement, const SessionOrigin& origin,
                                                          std::vector<RuleFailure>& failed,
                                                          std::optional<NewSession>& new_session);

 private:
  // `policy`: the organization's policy when this request has read it already; read here otherwise.
  boost::system::result<Identity> identity_for(const Principal& principal,
                                               std::optional<crypto::TokenHash> csrf_token_hash,
                                               std::optional<OrganizationPolicy> policy);
  // The TOTP code or, by its shape, a recovery code of request.totp; each is accepted once.
  bool second_factor_ok(const std::string& org_id, const std::string& user_id, const SignInRequest& request);
  void audit_attempt(const std::string& org_id, const SignInRequest& request, const std::string& user_id,
                     AuditOutcome outcome, const std::string& reason);

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  db::Database& db_;
  crypto::PasswordHasher& hasher_;
  TenantKeyring& keys_;
  AuditLog& audit_;
  SessionStore& sessions_;
  ApiTokenStore& tokens_;
  LoginThrottle& throttle_;
  // Verified for unknown accounts, so that they cost the same time; made on first use (hashing is
  // slow, and most server starts never see a sign-in soon).
  const std::string& dummy_hash();
  std::once_flag dummy_once_;
  std::string dummy_hash_;
};

}  // namespace furoshiki::admin
