// What the credential stores share; see credential_tokens.hpp.
#include "admin/credential_tokens.hpp"

#include "crypto/hex.hpp"
#include "crypto/token.hpp"

#include <algorithm>

namespace furoshiki::admin {

using std::chrono::system_clock;

bool well_formed_token(std::string_view token) {
  return token.size() == crypto::kTokenLength && std::all_of(token.begin(), token.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
         });
}

std::string token_hash_hex(const crypto::CryptoContext& ctx, std::string_view token) {
  return crypto::hex_encode(crypto::token_hash(ctx, token));
}

bool presented_token_matches(const crypto::CryptoContext& ctx, std::string_view presented,
                             const crypto::TokenHash& stored) {
  return well_formed_token(presented) && crypto::token_matches(ctx, presented, stored);
}

bool touch_due(system_clock::time_point now, system_clock::time_point last_seen, std::chrono::seconds idle_timeout,
               std::chrono::seconds interval) {
  return now - last_seen >= std::min<std::chrono::seconds>(interval, idle_timeout / 2);
}

std::int64_t to_ms(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

system_clock::time_point from_ms(std::int64_t ms) {
  return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(std::chrono::milliseconds(ms)));
}

db::Value printable_or_null(std::string_view text, std::size_t max) {
  if (text.empty()) return nullptr;
  std::string out;
  out.reserve(std::min(text.size(), max));
  for (char c : text.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

}  // namespace furoshiki::admin
