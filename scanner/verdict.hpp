// ScanVerdict: the one answer the scan stage gives about a stored object.
//
// Fail closed: only kClean lets a file through. Every other kind keeps it out, and the caller
// never has to interpret libclamav return codes or signature names itself.
#pragma once

#include <string>
#include <string_view>

namespace furoshiki::scanner {

struct ScanVerdict {
  enum class Kind { kClean, kInfected, kRefused, kError };

  Kind kind = Kind::kError;
  // kInfected: the signature name, e.g. "Eicar-Test-Signature".
  std::string signature;
  // kRefused: "too_large", "limits_exceeded", "encrypted", "scan_timeout", "broken_input".
  // kError: "no_engine", "definitions_too_old", "read_failed", "integrity", "engine_error".
  std::string reason;
  // Human-readable detail for logs and admins (which limit, the libclamav message); never shown
  // to people outside the organization.
  std::string detail;

  static ScanVerdict clean() { return {Kind::kClean, {}, {}, {}}; }
  static ScanVerdict infected(std::string signature) { return {Kind::kInfected, std::move(signature), {}, {}}; }
  static ScanVerdict refused(std::string reason, std::string detail = {}) {
    return {Kind::kRefused, {}, std::move(reason), std::move(detail)};
  }
  static ScanVerdict error(std::string reason, std::string detail = {}) {
    return {Kind::kError, {}, std::move(reason), std::move(detail)};
  }

  bool is_clean() const { return kind == Kind::kClean; }
  // "clean", "infected", "refused", "error"
  std::string_view kind_name() const;
  // One line for logs: "infected: Eicar-Test-Signature", "refused: encrypted (Heuristics.Encrypted.Zip)".
  std::string to_string() const;
};

}  // namespace furoshiki::scanner
