// ScanVerdict text forms; see verdict.hpp.
#include "scanner/verdict.hpp"

namespace furoshiki::scanner {

std::string_view ScanVerdict::kind_name() const {
  switch (kind) {
    case Kind::kClean: return "clean";
    case Kind::kInfected: return "infected";
    case Kind::kRefused: return "refused";
    case Kind::kError: return "error";
  }
  return "error";
}

std::string ScanVerdict::to_string() const {
  std::string out(kind_name());
  if (kind == Kind::kInfected) out += ": " + signature;
  if (!reason.empty()) out += ": " + reason;
  if (!detail.empty()) out += " (" + detail + ")";
  return out;
}

}  // namespace furoshiki::scanner
