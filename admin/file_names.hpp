// Display names of stored files. A name comes from a client (?name=, later tus metadata) and is
// shown in lists, logs and, later, Content-Disposition: it is kept for display only and never
// becomes part of a file-system path (objects are named by random ids, docs/storage.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace furoshiki::admin {

// The longest stored name, in UTF-8 bytes (the common file-system limit for one name).
inline constexpr std::size_t kMaxFileNameBytes = 255;

// The name as stored: Unicode NFC; every control character (C0, DEL, C1), path separator ('/',
// '\\') and bidirectional formatting character (U+200E/F, U+202A-202E, U+2066-2069, which can
// make "exe.txt" read as "txt.exe") replaced by '_'; leading and trailing spaces trimmed; "." and
// ".." replaced by "_". nullopt when `raw` is not valid UTF-8, is empty after trimming, or is
// longer than kMaxFileNameBytes after normalization (refused rather than cut: the sender should
// know the name will not be the one they gave).
std::optional<std::string> normalize_file_name(std::string_view raw);

}  // namespace furoshiki::admin
