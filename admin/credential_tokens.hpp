// What the stores of presented credentials (SessionStore, ApiTokenStore, OperatorSessionStore)
// share: the form check before hashing, the hex hash a row is found by, the millisecond times of
// their rows, and the client-supplied text they keep. Plain functions; no state.
#pragma once

#include "crypto/context.hpp"
#include "crypto/token.hpp"
#include "db/database.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace furoshiki::admin {

// Whether `token` is what crypto::generate_token() produces: kTokenLength characters of the
// base64url alphabet. Anything else is refused before hashing, so a client cannot make us hash
// arbitrary input.
bool well_formed_token(std::string_view token);

// Lower-case hex of crypto::token_hash(): a session's id, or the stored hash of a token.
std::string token_hash_hex(const crypto::CryptoContext& ctx, std::string_view token);

// Whether `presented` is well formed and hashes to `stored` (a CSRF token against its session's
// hash; constant-time comparison of the hashes).
bool presented_token_matches(const crypto::CryptoContext& ctx, std::string_view presented,
                             const crypto::TokenHash& stored);

// Whether a session last seen at `last_seen` is due for a last_seen_at write at `now`: at most
// every `interval`, but every half idle timeout when that is shorter, or an active session could
// expire between two writes.
bool touch_due(std::chrono::system_clock::time_point now, std::chrono::system_clock::time_point last_seen,
               std::chrono::seconds idle_timeout, std::chrono::seconds interval);

// The stores' columns hold times as milliseconds since the Unix epoch.
std::int64_t to_ms(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point from_ms(std::int64_t ms);

// Client-supplied text (client address, User-Agent) to keep in a row: printable ASCII only
// (anything else becomes '?'), at most `max` bytes, so that it cannot carry terminal escapes or
// grow rows; NULL when empty.
db::Value printable_or_null(std::string_view text, std::size_t max);

}  // namespace furoshiki::admin
