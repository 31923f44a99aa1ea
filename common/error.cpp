// The furoshiki error category; see error.hpp.
#include "common/error.hpp"

#include <string>

namespace furoshiki {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "furoshiki"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::kOk: return "ok";
      case Errc::kBadRequest: return "bad request";
      case Errc::kUnauthenticated: return "authentication required";
      case Errc::kForbidden: return "forbidden";
      case Errc::kNotFound: return "not found";
      case Errc::kMethodNotAllowed: return "method not allowed";
      case Errc::kRequestTimeout: return "request timeout";
      case Errc::kTooLarge: return "too large";
      case Errc::kHeadersTooLarge: return "request headers too large";
      case Errc::kUnsupportedMediaType: return "unsupported media type";
      case Errc::kTooManyConnections: return "too many connections";
      case Errc::kUnavailable: return "service unavailable";
      case Errc::kScannerUnavailable: return "scanner unavailable";
      case Errc::kConflict: return "conflict";
      case Errc::kInvalidCredentials: return "invalid credentials";
      case Errc::kTotpRequired: return "second factor required";
      case Errc::kTooManyAttempts: return "too many attempts";
      case Errc::kAccountDisabled: return "account disabled";
      case Errc::kPasswordChangeRequired: return "password change required";
      case Errc::kTotpEnrolmentRequired: return "second factor enrolment required";
      case Errc::kCsrfFailed: return "CSRF token missing or wrong";
      case Errc::kPasswordPolicy: return "password does not meet the policy";
      case Errc::kIpNotAllowed: return "address not allowed";
      case Errc::kInvalidCode: return "invalid code";
      case Errc::kInvalidPolicy: return "policy value out of range";
      case Errc::kWouldLockOut: return "the change would lock the administrator out";
      case Errc::kScannerBusy: return "scanner busy";
      case Errc::kInfected: return "infected";
      case Errc::kScanRefused: return "scan refused";
      case Errc::kInsufficientStorage: return "insufficient storage";
      case Errc::kQuotaExceeded: return "quota exceeded";
      case Errc::kTooLargeToScan: return "too large to scan";
      case Errc::kIntegrityError: return "integrity error";
      case Errc::kRangeNotSatisfiable: return "range not satisfiable";
      case Errc::kInternal: return "internal error";
    }
    return "unknown error";
  }
};

}  // namespace

const boost::system::error_category& furoshiki_category() noexcept {
  static const Category kCategory;
  return kCategory;
}

}  // namespace furoshiki
