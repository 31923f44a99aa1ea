// Slowing down password guessing (OWASP ASVS V2.2.1): failed sign-ins are counted per account and
// per client address in `login_throttle` (schema/0005_sessions.sql), with exponential back-off
// and then a temporary lock (docs/security.md "Sessions and sign-in throttling").
//
// Every attempt has two keys, and the stricter one decides:
//   - the account: organization code and login as typed (normalized), whether or not either
//     exists, so that the answer — and the time it takes — never tells an attacker which
//     organizations and logins are real;
//   - the client address: an IPv4 address exactly, an IPv6 address by its /64 (one subscriber
//     usually holds a whole /64 and can pick any address in it).
// The counters live in the database, not in memory, so they hold across worker threads, server
// processes and restarts.
//
// Use at sign-in: check() before verifying anything (a refusal answers 429 too_many_attempts
// with Retry-After); after the verdict, record_failure() for any failure (unknown organization,
// unknown login, wrong password, wrong TOTP code) or record_success() for a success.
#pragma once

#include "db/database.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace furoshiki::admin {

// Returns the current time; injected by tests. Must be callable from any thread.
using ThrottleClock = std::function<std::chrono::system_clock::time_point()>;

struct ThrottleSettings {
  // Failures of a key that cost nothing: the first free_failures attempts are never delayed.
  int free_failures = 5;
  // After free_failures failures, the next attempt must wait base_delay after the last failure;
  // each further failure doubles the wait, up to max_delay.
  std::chrono::milliseconds base_delay{std::chrono::seconds(1)};
  std::chrono::milliseconds max_delay{std::chrono::minutes(15)};
  // The lock_after-th failure, and every failure after it until the key is cleared or forgotten,
  // locks the key for lock_duration.
  int lock_after = 10;
  std::chrono::milliseconds lock_duration{std::chrono::minutes(15)};
  // A key without failures for this long starts again from zero; its row is pruned.
  std::chrono::milliseconds forget_after{std::chrono::hours(24)};
};

// The two keys of one sign-in attempt; see throttle_keys().
struct ThrottleKeys {
  std::string account;
  std::string address;
};

// "account:<org code>:<login>": both trimmed and lower-cased (logins compare case-insensitively,
// as normalize_login() stores them), cut to 64 and 254 bytes so a client cannot grow the key.
std::string account_throttle_key(std::string_view org_code, std::string_view login);
// "address:192.0.2.7" or "address:2001:db8:1:2::/64". An IPv4-mapped IPv6 address counts as its
// IPv4 address; an IPv6 zone ("%eth0") is ignored. Text that is no address (a bug of the caller:
// it passes the socket peer or a trusted proxy's X-Forwarded-For) is kept as printable text.
std::string address_throttle_key(std::string_view client_address);
ThrottleKeys throttle_keys(std::string_view org_code, std::string_view login, std::string_view client_address);

struct ThrottleDecision {
  bool allowed = true;
  // How long until an attempt is allowed again (0 when allowed).
  std::chrono::milliseconds retry_after{0};
  // A lock, not only back-off, is in force on one of the keys.
  bool locked = false;
  // Set by record_failure() only: this failure started a lock (the sign-in writes an
  // auth.lockout audit event).
  bool lock_started = false;

  // Retry-After (RFC 9110 section 10.2.3) in whole seconds, rounded up; 0 when allowed.
  std::int64_t retry_after_seconds() const;
};

// Thread-safe; concurrent record_failure() calls, also from other processes on the same
// database, each count (every update is a read and write inside one write transaction).
class LoginThrottle {
 public:
  // Throws std::invalid_argument for settings that make no sense (negative counts or delays,
  // max_delay below base_delay): a configuration error found at start-up.
  LoginThrottle(db::Database& db, ThrottleSettings settings = {}, ThrottleClock clock = {});

  // Whether an attempt with these keys may proceed now. Reads only: checking does not extend a
  // lock or a delay. Errors are database failures (the caller refuses the attempt).
  [[nodiscard]] boost::system::result<ThrottleDecision> check(const ThrottleKeys& keys);

  // Counts a failed attempt against both keys and returns what the next attempt will be told.
  // Also prunes rows with no failure within forget_after.
  [[nodiscard]] boost::system::result<ThrottleDecision> record_failure(const ThrottleKeys& keys);

  // A successful sign-in clears the account key. The address key stays: one correct password
  // from an address must not reset the count of guesses against other accounts from it.
  [[nodiscard]] boost::system::error_code record_success(const std::string& account_key);

  const ThrottleSettings& settings() const { return settings_; }

 private:
  struct KeyState {
    std::int64_t failures = 0;
    std::int64_t locked_until = 0;  // ms; 0 when never locked
    std::int64_t last_failure_at = 0;
  };
  // The decision for one key's stored state at now_ms.
  ThrottleDecision decide(const KeyState& state, std::int64_t now_ms) const;
  std::int64_t now_ms() const;

  db::Database& db_;
  ThrottleSettings settings_;
  ThrottleClock clock_;
};

}  // namespace furoshiki::admin
