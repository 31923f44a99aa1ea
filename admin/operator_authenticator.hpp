// OperatorAuthenticator: sign-in of operator accounts (table `operators`, made by `furoshiki
// operator create`), the operator behind a session cookie, sign-out and the password change —
// protocol-neutral (server/ maps it to /api/v1/system/login, the operator cookie, 401/429…).
//
// The same defences as the users' sign-in (authenticator.hpp): throttling per account
// ("operator:<login>") and per client address before any password work (login_throttle.hpp);
// one answer, after the same expensive work, for an unknown login and a wrong password (an
// unknown account is checked against a dummy hash); a one-time password must be replaced before
// anything else. Every attempt, the logout and the password change are audit events in the
// service chain: operators act on the service, never inside an organization.
#pragma once

#include "admin/audit_log.hpp"
#include "admin/authenticator.hpp"
#include "admin/login_throttle.hpp"
#include "admin/operator_sessions.hpp"
#include "admin/password_rules.hpp"
#include "crypto/password.hpp"

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace furoshiki::admin {

struct OperatorAccount {
  std::string id;
  std::string login;
  std::string display_name;
  bool password_change_required = false;
};

// Who an operator request acts as, once its session was checked. Carries no organization.
struct OperatorIdentity {
  OperatorAccount account;
  OperatorSessionInfo session;
};

struct OperatorSignInRequest {
  std::string login;
  std::string password;
  std::string client;
  std::string user_agent;
  std::string previous_session_token;  // an operator cookie the browser already had: ended (fixation)
};

// outcome is one of kSignedIn, kInvalidCredentials (unknown login or wrong password),
// kTooManyAttempts (retry_after says when) and kAccountDisabled (password right, account disabled).
struct OperatorSignInResult {
  SignInOutcome outcome = SignInOutcome::kInvalidCredentials;
  std::chrono::seconds retry_after{0};
  std::optional<NewOperatorSession> session;  // kSignedIn
  std::optional<OperatorIdentity> identity;   // kSignedIn
};

// The throttle account key of an operator login: "operator:" and the login trimmed and
// lower-cased, cut to 254 bytes. Never equal to a user account key ("account:…").
std::string operator_throttle_key(std::string_view login);

class OperatorAuthenticator {
 public:
  OperatorAuthenticator(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db,
                        crypto::PasswordHasher& hasher, AuditLog& audit, OperatorSessionStore& sessions,
                        LoginThrottle& throttle);

  // Blocking (password hashing): call it off the network threads. Errors are database or crypto
  // failures only; every refusal is an outcome.
  [[nodiscard]] boost::system::result<OperatorSignInResult> sign_in(const OperatorSignInRequest& request);

  // Errc::kUnauthenticated for anything that is not a live session of an enabled operator.
  [[nodiscard]] boost::system::result<OperatorIdentity> from_session(std::string_view token);

  // The X-CSRF-Token check for state-changing requests.
  bool csrf_ok(const OperatorIdentity& identity, std::string_view presented) const;

  // Ends the session of `session_token` (operator.logout in the service chain).
  [[nodiscard]] boost::system::error_code sign_out(const OperatorIdentity& identity, std::string_view session_token,
                                                   const std::string& client);

  // Changes the signed-in operator's own password: the current one must be right (else
  // Errc::kForbidden, recorded as a failure), the new one must pass the default password rules
  // (docs/security.md "Passwords") and differ from the current one (else Errc::kBadRequest with
  // `failed` filled). Every session of the operator ends and the caller continues in
  // `new_session`. Blocking.
  [[nodiscard]] boost::system::error_code change_password(const OperatorIdentity& identity, std::string_view current,
                                                          std::string_view replacement, std::string_view client,
                                                          std::string_view user_agent, std::vector<RuleFailure>& failed,
                                                          std::optional<NewOperatorSession>& new_session);

 private:
  [[nodiscard]] boost::system::result<OperatorAccount> account(const std::string& operator_id);
  void audit_attempt(const OperatorSignInRequest& request, const std::string& operator_id, AuditOutcome outcome,
                     const std::string& reason);
  // Verified for unknown logins so that they cost the same time; made on first use.
  const std::string& dummy_hash();

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  db::Database& db_;
  crypto::PasswordHasher& hasher_;
  AuditLog& audit_;
  OperatorSessionStore& sessions_;
  LoginThrottle& throttle_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;
};

}  // namespace furoshiki::admin
