// Operator sessions; see operator_sessions.hpp.
#include "admin/operator_sessions.hpp"

#include "admin/credential_tokens.hpp"
#include "common/error.hpp"
#include "crypto/hex.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace furoshiki::admin {
namespace {

using std::chrono::system_clock;

boost::system::error_code unauthenticated() { return make_error_code(Errc::kUnauthenticated); }

// A session ends at its absolute end or after its idle timeout without a request.
constexpr std::string_view kExpired = "(expires_at <= ?1 OR last_seen_at + idle_timeout_seconds * 1000 <= ?1)";

}  // namespace

OperatorSessionStore::OperatorSessionStore(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db,
                                           OperatorSessionLimits limits, OperatorClock clock)
    : ctx_(std::move(ctx)), db_(db), limits_(limits), clock_(std::move(clock)) {
  if (limits_.idle_timeout.count() <= 0 || limits_.absolute_timeout.count() <= 0 ||
      limits_.idle_timeout > limits_.absolute_timeout) {
    throw std::invalid_argument("operator session timeouts must be positive, the idle one not above the absolute one");
  }
}

system_clock::time_point OperatorSessionStore::now() const { return clock_ ? clock_() : system_clock::now(); }

boost::system::result<NewOperatorSession> OperatorSessionStore::create(db::Database& via,
                                                                       std::string_view previous_token,
                                                                       const std::string& operator_id,
                                                                       std::string_view client,
                                                                       std::string_view user_agent) {
  if (auto ec = end(via, previous_token)) return ec;
  const auto at = now();
  const std::int64_t now_ms = to_ms(at);
  NewOperatorSession made;
  made.token = crypto::generate_token(*ctx_);
  made.csrf_token = crypto::generate_token(*ctx_);
  made.session_id = token_hash_hex(*ctx_, made.token);
  made.expires_at = at + limits_.absolute_timeout;

  if (auto ec = via.execute("DELETE FROM operator_sessions WHERE operator_id = ?2 AND " + std::string(kExpired),
                            {now_ms, operator_id})) {
    return ec;
  }
  // The operator check and the insert are one statement: nothing can disable the operator between them.
  bool inserted = false;
  if (auto ec = via.execute(
          "INSERT INTO operator_sessions (id, operator_id, csrf_token_hash, created_at, last_seen_at, expires_at,"
          " idle_timeout_seconds, client, user_agent)"
          " SELECT ?1, p.id, ?3, ?4, ?4, ?5, ?6, ?7, ?8 FROM operators p WHERE p.id = ?2 AND p.disabled = 0"
          " RETURNING id",
          {made.session_id, operator_id, token_hash_hex(*ctx_, made.csrf_token), now_ms, to_ms(made.expires_at),
           static_cast<std::int64_t>(limits_.idle_timeout.count()), printable_or_null(client, kMaxClientBytes),
           printable_or_null(user_agent, kMaxUserAgentBytes)},
          [&](const db::Row&) { inserted = true; })) {
    return ec;
  }
  if (!inserted) return make_error_code(Errc::kNotFound);
  // The new session sorts first whatever the clock says, so it is never the one cut.
  if (auto ec = via.execute("DELETE FROM operator_sessions WHERE operator_id = ?1 AND id NOT IN ("
                            " SELECT id FROM operator_sessions WHERE operator_id = ?1"
                            " ORDER BY id = ?2 DESC, last_seen_at DESC, created_at DESC LIMIT ?3)",
                            {operator_id, made.session_id, static_cast<std::int64_t>(kMaxSessionsPerOperator)})) {
    return ec;
  }
  return made;
}

boost::system::result<OperatorSessionInfo> OperatorSessionStore::authenticate(std::string_view token) {
  if (!well_formed_token(token)) return unauthenticated();
  const std::string id = token_hash_hex(*ctx_, token);
  std::optional<OperatorSessionInfo> found;
  bool live = false;
  std::string csrf_hex;
  if (auto ec = db_.execute("SELECT s.operator_id, s.csrf_token_hash, s.created_at, s.last_seen_at, s.expires_at,"
                            " s.idle_timeout_seconds, p.disabled FROM operator_sessions s"
                            " LEFT JOIN operators p ON p.id = s.operator_id WHERE s.id = ?1",
                            {id}, [&](const db::Row& r) {
                              OperatorSessionInfo info;
                              info.operator_id = r.text(0);
                              info.session_id = id;
                              csrf_hex = r.text(1);
                              info.created_at = from_ms(r.integer(2));
                              info.last_seen_at = from_ms(r.integer(3));
                              info.expires_at = from_ms(r.integer(4));
                              info.idle_timeout = std::chrono::seconds(r.integer(5));
                              live = !r.is_null(6) && r.integer(6) == 0;
                              found = std::move(info);
                            })) {
    return ec;
  }
  if (!found) return unauthenticated();

  const auto at = now();
  const bool expired = at >= found->expires_at || at >= found->last_seen_at + found->idle_timeout;
  if (expired || !live || !crypto::hex_decode(csrf_hex, found->csrf_token_hash)) {
    // Ended, not paused: re-enabling the operator must not bring the session back.
    if (auto ec = db_.execute("DELETE FROM operator_sessions WHERE id = ?1", {id})) return ec;
    return unauthenticated();
  }
  if (touch_due(at, found->last_seen_at, found->idle_timeout, kTouchInterval)) {
    if (auto ec = db_.execute("UPDATE operator_sessions SET last_seen_at = ?2 WHERE id = ?1 AND last_seen_at < ?2",
                              {id, to_ms(at)})) {
      return ec;
    }
    found->last_seen_at = at;
  }
  return std::move(*found);
}

bool OperatorSessionStore::check_csrf(const OperatorSessionInfo& session, std::string_view presented) const {
  return presented_token_matches(*ctx_, presented, session.csrf_token_hash);
}

boost::system::error_code OperatorSessionStore::end(db::Database& via, std::string_view token) {
  if (!well_formed_token(token)) return {};  // no session could have this token
  return via.execute("DELETE FROM operator_sessions WHERE id = ?1", {token_hash_hex(*ctx_, token)});
}

boost::system::error_code OperatorSessionStore::end_all(db::Database& via, const std::string& operator_id,
                                                        std::int64_t& ended) {
  ended = 0;
  return via.execute("DELETE FROM operator_sessions WHERE operator_id = ?1 RETURNING id", {operator_id},
                     [&](const db::Row&) { ++ended; });
}

boost::system::error_code OperatorSessionStore::remove_expired(std::int64_t& removed) {
  removed = 0;
  return db_.execute("DELETE FROM operator_sessions WHERE " + std::string(kExpired) + " RETURNING id", {to_ms(now())},
                     [&](const db::Row&) { ++removed; });
}

}  // namespace furoshiki::admin
