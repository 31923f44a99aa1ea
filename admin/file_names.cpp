// File display names; see file_names.hpp.
#include "admin/file_names.hpp"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>

#include <vector>

namespace furoshiki::admin {

namespace {

// Characters never kept in a name: they could end a header line or a log line, name another
// directory, or reorder what a person reads.
bool replaced(UChar32 c) {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '/' || c == '\\' || c == 0x200e || c == 0x200f ||
         (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
}

}  // namespace

std::optional<std::string> normalize_file_name(std::string_view raw) {
  // Anything much longer than a name cannot become one; refusing early bounds the work.
  if (raw.empty() || raw.size() > 4 * kMaxFileNameBytes) return std::nullopt;
  // Strict decoding: an ill-formed sequence (overlong, surrogate, truncated) is an error, never
  // silently substituted.
  std::vector<UChar> utf16(raw.size() + 1);
  int32_t length = 0;
  UErrorCode status = U_ZERO_ERROR;
  u_strFromUTF8WithSub(utf16.data(), static_cast<int32_t>(utf16.size()), &length, raw.data(),
                       static_cast<int32_t>(raw.size()), U_SENTINEL, nullptr, &status);
  if (U_FAILURE(status)) return std::nullopt;
  const icu::UnicodeString decoded(utf16.data(), length);

  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return std::nullopt;
  const icu::UnicodeString normalized = nfc->normalize(decoded, status);
  if (U_FAILURE(status)) return std::nullopt;

  icu::UnicodeString cleaned;
  for (int32_t i = 0; i < normalized.length();) {
    const UChar32 c = normalized.char32At(i);
    cleaned.append(replaced(c) ? UChar32('_') : c);
    i += U16_LENGTH(c);
  }
  cleaned.trim();
  std::string out;
  cleaned.toUTF8String(out);
  if (out.empty() || out.size() > kMaxFileNameBytes) return std::nullopt;
  if (out == "." || out == "..") return std::string("_");
  return out;
}

}  // namespace furoshiki::admin
