// Browser sessions of operator accounts, in `operator_sessions` (schema/0008_operator_sessions.sql;
// docs/security.md "Operators").
//
// Deliberately a store of its own, not a kind of user session: operators act on the service and
// have no organization, so nothing here can be mistaken for a session of an organization's user
// (and the reverse): a token is looked up only in the table of the cookie it came in. The rules
// are those of user sessions — 256-bit tokens from the crypto context's DRBG
// (crypto::generate_token), only their SHA-256 stored, a CSRF synchronizer token per session,
// an idle and an absolute timeout, deletion when presented after expiry or when the operator is
// disabled or gone.
//
// Domain rules only: cookies and HTTP answers belong to server/. Thread-safe (no state besides
// what it was built with).
#pragma once

#include "crypto/context.hpp"
#include "crypto/token.hpp"
#include "db/database.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace furoshiki::admin {

// Returns the current time; injected by tests. Must be callable from any thread.
using OperatorClock = std::function<std::chrono::system_clock::time_point()>;

struct OperatorSessionLimits {
  std::chrono::seconds idle_timeout{std::chrono::minutes(30)};    // ends after this long without a request
  std::chrono::seconds absolute_timeout{std::chrono::hours(12)};  // ends this long after sign-in, whatever happens
};

// A live operator session as authenticate() found it.
struct OperatorSessionInfo {
  std::string operator_id;
  std::string session_id;  // hex SHA-256 of the session token (not a credential)
  crypto::TokenHash csrf_token_hash{};
  std::chrono::system_clock::time_point created_at{};
  std::chrono::system_clock::time_point last_seen_at{};
  std::chrono::system_clock::time_point expires_at{};
  std::chrono::seconds idle_timeout{};
};

// Handed to the browser once, at sign-in; neither token is stored.
struct NewOperatorSession {
  std::string token;       // the furoshiki_operator_session cookie's value
  std::string csrf_token;  // sent back in X-CSRF-Token on state-changing requests
  std::string session_id;  // hex SHA-256 of token, for audit details
  std::chrono::system_clock::time_point expires_at{};
};

class OperatorSessionStore {
 public:
  // last_seen_at is written at most this often (sessions with an idle timeout under twice this
  // are touched every half idle timeout instead).
  static constexpr std::chrono::seconds kTouchInterval{30};
  // An operator's live sessions beyond this are ended, least recently used first, by create().
  static constexpr std::size_t kMaxSessionsPerOperator = 20;
  static constexpr std::size_t kMaxClientBytes = 64;
  static constexpr std::size_t kMaxUserAgentBytes = 512;

  // `clock` defaults to the system clock.
  OperatorSessionStore(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db,
                       OperatorSessionLimits limits = {}, OperatorClock clock = {});

  // Starts a session for operator_id through `via` (the Database& of a transaction() body, so
  // that the session and the sign-in's audit event commit together). Ends the session of
  // `previous_token` first, if any (session fixation: a cookie the browser came with is never
  // carried into the signed-in state). Removes the operator's expired sessions and those beyond
  // kMaxSessionsPerOperator. Errc::kNotFound when the operator does not exist or is disabled.
  // client and user_agent are kept as printable ASCII, cut to kMaxClientBytes/kMaxUserAgentBytes.
  [[nodiscard]] boost::system::result<NewOperatorSession> create(db::Database& via, std::string_view previous_token,
                                                                 const std::string& operator_id,
                                                                 std::string_view client, std::string_view user_agent);

  // The session of a presented cookie value. Errc::kUnauthenticated, with no reason, when the
  // token is malformed or unknown, the session is idle or past its absolute end, or the operator
  // is disabled or gone; such sessions are deleted on the way. Touches last_seen_at at most every
  // kTouchInterval. Other errors are database failures.
  [[nodiscard]] boost::system::result<OperatorSessionInfo> authenticate(std::string_view token);

  // Whether `presented` is the CSRF token of `session` (constant-time comparison of the hashes).
  [[nodiscard]] bool check_csrf(const OperatorSessionInfo& session, std::string_view presented) const;

  // Logout: deletes the session of `token`. An unknown or ended session is not an error.
  [[nodiscard]] boost::system::error_code end(db::Database& via, std::string_view token);

  // Ends every session of the operator (a password change), through `via`; `ended` gets how many.
  [[nodiscard]] boost::system::error_code end_all(db::Database& via, const std::string& operator_id,
                                                  std::int64_t& ended);

  // Deletes every expired operator session, for a periodic job.
  [[nodiscard]] boost::system::error_code remove_expired(std::int64_t& removed);

  const OperatorSessionLimits& limits() const { return limits_; }

 private:
  std::chrono::system_clock::time_point now() const;

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  db::Database& db_;
  OperatorSessionLimits limits_;
  OperatorClock clock_;
};

}  // namespace furoshiki::admin
