// Who is signed in: browser sessions (SessionStore) and API tokens for scripts (ApiTokenStore),
// stored in `sessions` and `api_tokens` (schema/0005_sessions.sql; docs/security.md "Sessions
// and sign-in throttling").
//
// Neither store keeps a usable secret. A session token and its CSRF token are 256 random bits
// from the crypto context's DRBG (crypto::generate_token); the database holds their SHA-256 only,
// and a presented token is found by hashing it. Both stores answer every presented credential by
// joining the user and the organization, so a disabled user or a suspended organization is
// refused on its next request, without waiting for any timeout.
//
// These are the domain rules only: cookies, headers and the mapping to HTTP answers belong to
// server/. Both classes are thread-safe (no state besides what they were built with).
#pragma once

#include "admin/tenant_scope.hpp"
#include "crypto/context.hpp"
#include "crypto/token.hpp"
#include "db/database.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace furoshiki::admin {

// Returns the current time; injected by tests. Must be callable from any thread.
using SessionClock = std::function<std::chrono::system_clock::time_point()>;

enum class CredentialKind { kSession, kApiToken };

// The authenticated principal a request acts as. Sign-in code turns it into a TenantScope for
// org_id; nothing here is taken from the request besides the credential itself.
struct Principal {
  CredentialKind kind = CredentialKind::kSession;
  std::string org_id;
  std::string user_id;
  // The session id (hex SHA-256 of the session token: not a credential) or the API token's id.
  std::string credential_id;
};

struct SessionInfo : Principal {
  crypto::TokenHash csrf_token_hash{};
  std::chrono::system_clock::time_point created_at{};
  std::chrono::system_clock::time_point last_seen_at{};
  std::chrono::system_clock::time_point expires_at{};  // absolute end (effective: see authenticate())
  std::chrono::seconds idle_timeout{};                 // effective: see authenticate()
};

// Timeouts of a new session, from the organization's policy (SessionPolicy in
// organization_policy.hpp; these defaults are that policy's defaults).
struct SessionLimits {
  std::chrono::seconds idle_timeout{std::chrono::minutes(30)};    // ends after this long without a request
  std::chrono::seconds absolute_timeout{std::chrono::hours(12)};  // ends this long after sign-in, whatever happens
};

// Where a session was made; stored for the user's session list. Both are cut to kMaxClientBytes
// and kMaxUserAgentBytes and control characters are dropped: a client decides what they say.
struct SessionOrigin {
  std::string client{};      // client address (the socket peer, or a trusted proxy's X-Forwarded-For)
  std::string user_agent{};  // User-Agent header
};

// Handed to the browser once, at sign-in; neither token is stored.
struct NewSession {
  std::string token;       // the session cookie's value
  std::string csrf_token;  // sent back in X-CSRF-Token on state-changing requests
  std::string session_id;  // hex SHA-256 of token, for audit details
  std::chrono::system_clock::time_point expires_at{};
};

class SessionStore {
 public:
  // last_seen_at is written at most this often: a page load makes several requests, and a write
  // for each would contend with uploads for the database lock. Idle expiry can therefore come up
  // to this much earlier than the idle timeout measured from the very last request. (Sessions with
  // an idle timeout under twice this are touched every half idle timeout instead.)
  static constexpr std::chrono::seconds kTouchInterval{30};
  // A user's live sessions beyond this are ended oldest first (by last use) when a new one is
  // made, so a script signing in in a loop cannot grow the table without bound.
  static constexpr std::size_t kMaxSessionsPerUser = 50;
  static constexpr std::size_t kMaxClientBytes = 64;
  static constexpr std::size_t kMaxUserAgentBytes = 512;

  // `clock` defaults to the system clock.
  SessionStore(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db, SessionClock clock = {});

  // Starts a session for user_id of the scope's organization, through `via` (the Database& of a
  // transaction() body, so that the session and the sign-in's audit event commit together, or
  // the database itself). Both tokens are new from the DRBG; only their hashes are stored.
  // Also removes the user's expired sessions and those beyond kMaxSessionsPerUser.
  // Errc::kNotFound when the user is not in the organization, is disabled, or the organization is
  // not active (sign-in has checked this already; this makes the check and the insert one
  // statement). Errc::kInternal for non-positive timeouts or an idle timeout above the absolute
  // one (a bug of the caller: policy validation rejects them).
  [[nodiscard]] boost::system::result<NewSession> create(db::Database& via, const TenantScope& scope,
                                                         const std::string& user_id, const SessionLimits& limits,
                                                         const SessionOrigin& origin);
  [[nodiscard]] boost::system::result<NewSession> create(const TenantScope& scope, const std::string& user_id,
                                                         const SessionLimits& limits, const SessionOrigin& origin) {
    return create(db_, scope, user_id, limits, origin);
  }

  // Sign-in: ends the session of `previous_token` (the cookie the browser came with, if any;
  // "" when none) and creates a new one, through `via` as for create(). A session token present
  // before sign-in is never carried over into the signed-in state, so an attacker who planted a
  // cookie in the victim's browser (session fixation, OWASP ASVS V3.2.1) gains nothing.
  [[nodiscard]] boost::system::result<NewSession> rotate(db::Database& via, std::string_view previous_token,
                                                         const TenantScope& scope, const std::string& user_id,
                                                         const SessionLimits& limits, const SessionOrigin& origin);

  // The organization's current session timeouts, asked for by authenticate() once it knows the
  // session's organization (Authenticator reads the organization's policy here, once per request).
  using CurrentLimits = std::function<boost::system::result<SessionLimits>(const std::string& org_id)>;

  // The session of a presented cookie value. Errc::kUnauthenticated, with no reason (every
  // refusal answers the same), when: the token is malformed or unknown; the session is idle
  // (now >= last_seen_at + idle timeout) or past its absolute end (now >= expires_at); the user
  // is disabled or gone; the organization is not active. Expired sessions and those of a
  // disabled user or inactive organization are deleted on the way: ended, not paused, so
  // resuming an organization or re-enabling a user does not revive them. Touches last_seen_at at
  // most every kTouchInterval. Other errors are database failures, or the error of `current`.
  //
  // The timeouts stored with the session at create() apply, shortened by `current` when given:
  // the idle timeout is min(stored, current), the absolute end min(expires_at, created_at +
  // current absolute timeout). A policy made stricter thus ends existing sessions at once; a
  // policy made laxer never lengthens a session started under the stricter one. The returned
  // SessionInfo holds these effective values. `current` is called only for a live session.
  [[nodiscard]] boost::system::result<SessionInfo> authenticate(std::string_view token,
                                                                const CurrentLimits& current = {});

  // Whether `presented` is the CSRF token of `session`: false for an empty or malformed value;
  // the hashes are compared in constant time (crypto::token_matches). The token is bound to one
  // session (a synchronizer token), not a double-submit cookie.
  [[nodiscard]] bool check_csrf(const SessionInfo& session, std::string_view presented) const;

  // A new CSRF token for a live session (the old one stops working), for a browser tab that lost
  // it (a reload): the server can only hand out a new one, it keeps none. Errc::kUnauthenticated
  // when the session has ended.
  [[nodiscard]] boost::system::result<std::string> renew_csrf(const SessionInfo& session);

  // Logout: deletes the session of `token` server-side. Ending an unknown or already ended
  // session is not an error (logging out twice is fine).
  [[nodiscard]] boost::system::error_code end(std::string_view token);
  [[nodiscard]] boost::system::error_code end(db::Database& via, std::string_view token);

  // Ends every session of user_id in the scope's organization (admin "end sessions", disabling
  // the user, a password change or reset); `ended` gets how many. Through `via` so that the
  // change that causes it commits together with it.
  [[nodiscard]] boost::system::error_code end_all_for_user(db::Database& via, const TenantScope& scope,
                                                           const std::string& user_id, std::int64_t& ended);
  [[nodiscard]] boost::system::error_code end_all_for_user(const TenantScope& scope, const std::string& user_id,
                                                           std::int64_t& ended) {
    return end_all_for_user(db_, scope, user_id, ended);
  }

  // Deletes every expired session (of any organization), for a periodic job. Sessions are also
  // removed when presented after expiry and when their user makes a new one.
  [[nodiscard]] boost::system::error_code remove_expired(std::int64_t& removed);

 private:
  std::chrono::system_clock::time_point now() const;

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  db::Database& db_;
  SessionClock clock_;
};

// An API token as lists show it: never the token itself.
struct ApiTokenInfo {
  std::string id;
  std::string name;
  std::chrono::system_clock::time_point created_at{};
  std::chrono::system_clock::time_point expires_at{};
  std::optional<std::chrono::system_clock::time_point> last_used_at{};
  std::optional<std::chrono::system_clock::time_point> revoked_at{};
};

// The answer to POST /me/tokens: the token is shown here once and never again.
struct NewApiToken {
  ApiTokenInfo info;
  std::string token;  // kApiTokenPrefix + crypto::generate_token()
};

class ApiTokenStore {
 public:
  // Every token starts with this, so that a token pasted into a repository, a log or a ticket is
  // found by a secret scanner or a plain grep.
  static constexpr std::string_view kApiTokenPrefix = "fsk_";
  static constexpr int kMinExpiresInDays = 1;
  static constexpr int kMaxExpiresInDays = 365;
  // Live (neither expired nor revoked) tokens per user; create() refuses more.
  static constexpr std::size_t kMaxTokensPerUser = 50;
  // last_used_at is written at most this often, to bound writes from busy scripts.
  static constexpr std::chrono::seconds kTouchInterval{60};
  // Revoked and expired tokens stay listed this long (the user sees what ended), then are removed.
  static constexpr std::chrono::hours kKeepEndedFor{24 * 30};

  ApiTokenStore(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db, SessionClock clock = {});

  // A new token for user_id in the scope's organization, through `via` (so that the audit
  // event of its creation commits with it) or the database. Errc::kBadRequest when the name is
  // not 1-200 characters without control characters (after trimming) or expires_in_days is
  // outside kMinExpiresInDays..kMaxExpiresInDays; Errc::kNotFound when the user is not an active
  // user of an active organization; Errc::kConflict at kMaxTokensPerUser live tokens.
  [[nodiscard]] boost::system::result<NewApiToken> create(db::Database& via, const TenantScope& scope,
                                                          const std::string& user_id, std::string_view name,
                                                          int expires_in_days);
  [[nodiscard]] boost::system::result<NewApiToken> create(const TenantScope& scope, const std::string& user_id,
                                                          std::string_view name, int expires_in_days) {
    return create(db_, scope, user_id, name, expires_in_days);
  }

  // The user's tokens, newest first, including revoked and expired ones for kKeepEndedFor.
  [[nodiscard]] boost::system::result<std::vector<ApiTokenInfo>> list(const TenantScope& scope,
                                                                      const std::string& user_id);

  // Revokes token_id of user_id in the scope's organization. Errc::kNotFound when no such token
  // belongs to that user there — another organization's or user's token is indistinguishable
  // from one that does not exist. Revoking a revoked token again succeeds and keeps the first
  // revocation time.
  [[nodiscard]] boost::system::error_code revoke(db::Database& via, const TenantScope& scope,
                                                 const std::string& user_id, const std::string& token_id);
  [[nodiscard]] boost::system::error_code revoke(const TenantScope& scope, const std::string& user_id,
                                                 const std::string& token_id) {
    return revoke(db_, scope, user_id, token_id);
  }

  // The principal of a presented bearer token (kind kApiToken, credential_id the token's id).
  // Errc::kUnauthenticated, with no reason, when the token is malformed, unknown, expired or
  // revoked, the user is disabled or gone, or the organization is not active. Touches
  // last_used_at at most every kTouchInterval. Other errors are database failures.
  [[nodiscard]] boost::system::result<Principal> authenticate(std::string_view token);

 private:
  std::chrono::system_clock::time_point now() const;

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  db::Database& db_;
  SessionClock clock_;
};

}  // namespace furoshiki::admin
