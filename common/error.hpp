// The protocol-neutral error codes of furoshiki. Domain code returns these (as
// boost::system::error_code or result<T>); server/http_error.cpp maps them to HTTP statuses and
// the API's error codes in one place.
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace furoshiki {

enum class Errc {
  kOk = 0,
  kBadRequest,        // malformed input
  kUnauthenticated,   // no or invalid credentials
  kForbidden,         // authenticated but not allowed (or no route policy: deny by default)
  kNotFound,          // absent, or belongs to another organization
  kMethodNotAllowed,  // the path exists, the method does not
  kConflict,          // already exists (an organization code, a login) or the state does not allow it
  kRequestTimeout,    // the client was too slow sending its request
  kTooLarge,          // body over the route's limit
  kHeadersTooLarge,   // request header section over the limit
  kUnsupportedMediaType,
  kTooManyConnections,      // connection limits reached
  kUnavailable,             // a dependency (database, scanner) is not ready
  kScannerUnavailable,      // no scan engine, or definitions older than policy allows: nothing is accepted
  kScannerBusy,             // every scan thread busy and the queue full for longer than the wait allowed
  kInvalidCredentials,      // sign-in: unknown organization or login, or wrong password (one answer for all)
  kTotpRequired,            // sign-in: the password was right; the second factor is missing or wrong
  kTooManyAttempts,         // sign-in throttled (Retry-After)
  kAccountDisabled,         // sign-in: the password was right; the account is disabled
  kPasswordChangeRequired,  // a one-time password is in use: only the password change is allowed
  kTotpEnrolmentRequired,   // the organization requires a second factor the user has not enrolled
  kCsrfFailed,              // a state-changing request with the session cookie lacks the right X-CSRF-Token
  kPasswordPolicy,          // a new password breaks the organization's rules
  kIpNotAllowed,            // the client address is outside the organization's IP allowlist
  kInvalidCode,             // a one-time code (TOTP enrolment confirmation) is wrong
  kInvalidPolicy,           // an organization policy value is well-formed but out of its range
  kWouldLockOut,            // the change would lock the requesting administrator out (unconfirmed)
  kInfected,                // the scan found malware in an uploaded file (the signature goes with the answer)
  kScanRefused,             // the scan could not judge a file (encrypted archive, limits exceeded): not accepted
  kInsufficientStorage,     // the disk of the data directory is (nearly) full
  kQuotaExceeded,           // the upload would pass the user's or the organization's storage quota
  kTooLargeToScan,          // a file larger than the scanner can scan, and the policy does not let it through
  kIntegrityError,          // stored data failed authentication (tampered or corrupt): never served
  kRangeNotSatisfiable,     // a Range request wholly outside the representation (RFC 9110 section 15.5.17)
  kInternal,                // a bug or an unexpected failure; details only in the log
};

const boost::system::error_category& furoshiki_category() noexcept;

inline boost::system::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), furoshiki_category()};
}

}  // namespace furoshiki

template <>
struct boost::system::is_error_code_enum<furoshiki::Errc> : std::true_type {};
