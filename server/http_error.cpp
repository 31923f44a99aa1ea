// Errc → HTTP mapping; see http_error.hpp.
#include "server/http_error.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace furoshiki::server {

namespace http = boost::beast::http;

HttpError to_http(Errc e) {
  switch (e) {
    case Errc::kOk: return {http::status::ok, "ok", "OK"};
    case Errc::kBadRequest: return {http::status::bad_request, "bad_request", "The request is malformed."};
    case Errc::kUnauthenticated: return {http::status::unauthorized, "unauthenticated", "Authentication is required."};
    case Errc::kForbidden: return {http::status::forbidden, "forbidden", "You are not allowed to do this."};
    case Errc::kNotFound: return {http::status::not_found, "not_found", "Not found."};
    case Errc::kMethodNotAllowed:
      return {http::status::method_not_allowed, "method_not_allowed", "This method is not allowed here."};
    case Errc::kRequestTimeout:
      return {http::status::request_timeout, "request_timeout", "The request was not received in time."};
    case Errc::kTooLarge: return {http::status::payload_too_large, "too_large", "The request body is too large."};
    case Errc::kHeadersTooLarge:
      return {http::status::request_header_fields_too_large, "headers_too_large", "The request headers are too large."};
    case Errc::kUnsupportedMediaType:
      return {http::status::unsupported_media_type, "unsupported_media_type", "This content type is not accepted."};
    case Errc::kTooManyConnections:
      return {http::status::service_unavailable, "too_many_connections", "Too many connections; try again shortly."};
    case Errc::kUnavailable:
      return {http::status::service_unavailable, "service_unavailable", "The service is not ready."};
    case Errc::kConflict: return {http::status::conflict, "conflict", "This conflicts with the current state."};
    case Errc::kScannerUnavailable:
      return {http::status::service_unavailable, "scanner_unavailable",
              "Files cannot be accepted now: the virus scanner is not ready."};
    case Errc::kScannerBusy:
      return {http::status::service_unavailable, "scanner_busy", "The virus scanner is busy; try again shortly."};
    case Errc::kInvalidCredentials:
      return {http::status::unauthorized, "invalid_credentials", "The organization, login or password is wrong."};
    case Errc::kTotpRequired:
      return {http::status::unauthorized, "totp_required", "Enter the code from your authenticator app."};
    case Errc::kTooManyAttempts:
      return {http::status::too_many_requests, "too_many_attempts", "Too many attempts; try again later."};
    case Errc::kAccountDisabled:
      return {http::status::forbidden, "account_disabled", "This account is disabled; ask your administrator."};
    case Errc::kPasswordChangeRequired:
      return {http::status::forbidden, "password_change_required", "Set a new password first."};
    case Errc::kTotpEnrolmentRequired:
      return {http::status::forbidden, "totp_enrolment_required",
              "Your organization requires two-step sign-in: set up an authenticator app first."};
    case Errc::kCsrfFailed:
      return {http::status::forbidden, "csrf_failed", "The request lacks the right X-CSRF-Token."};
    case Errc::kIpNotAllowed:
      return {http::status::forbidden, "ip_not_allowed", "Your organization does not allow access from this address."};
    case Errc::kPasswordPolicy:
      return {http::status::unprocessable_entity, "password_policy", "The new password does not meet the rules."};
    case Errc::kInvalidCode:
      return {http::status::unprocessable_entity, "invalid_code", "The code is wrong; enter the current one."};
    case Errc::kInvalidPolicy:
      return {http::status::unprocessable_entity, "invalid_policy", "A policy value is outside its allowed range."};
    case Errc::kWouldLockOut:
      return {http::status::unprocessable_entity, "would_lock_out",
              "The IP allowlist does not include your own address; confirm to save it anyway."};
    case Errc::kInfected:
      return {http::status::unprocessable_entity, "infected", "The file contains malware and was not stored."};
    case Errc::kScanRefused:
      return {http::status::unprocessable_entity, "scan_refused",
              "The virus scanner could not check this file (for example an encrypted archive); it was not stored."};
    case Errc::kInsufficientStorage:
      return {http::status::insufficient_storage, "insufficient_storage", "The server has no room for this file now."};
    case Errc::kQuotaExceeded:
      return {http::status::insufficient_storage, "quota_exceeded", "This file would pass your storage quota."};
    case Errc::kTooLargeToScan:
      return {http::status::payload_too_large, "too_large_to_scan",
              "The file is larger than the virus scanner can check; it was not accepted."};
    case Errc::kIntegrityError:
      return {http::status::conflict, "integrity_error",
              "The stored file failed its integrity check and is not served."};
    case Errc::kRangeNotSatisfiable:
      return {http::status::range_not_satisfiable, "range_not_satisfiable", "The requested range is outside the file."};
    case Errc::kInternal: return {http::status::internal_server_error, "internal_error", "An internal error occurred."};
  }
  return {http::status::internal_server_error, "internal_error", "An internal error occurred."};
}

std::string error_body(Errc e, std::string_view message) {
  const HttpError h = to_http(e);
  boost::json::object error;
  error["code"] = h.code;
  error["message"] = message.empty() ? h.default_message : message;
  boost::json::object body;
  body["error"] = std::move(error);
  return boost::json::serialize(body);
}

Response error_response(Errc e, std::string_view message) {
  return json_response(to_http(e).status, error_body(e, message));
}

}  // namespace furoshiki::server
