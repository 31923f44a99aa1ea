// Sessions and API tokens; see sessions.hpp.
#include "admin/sessions.hpp"

#include "admin/credential_tokens.hpp"
#include "admin/identity_rules.hpp"
#include "common/error.hpp"
#include "crypto/hex.hpp"

#include <algorithm>
#include <array>

namespace furoshiki::admin {
namespace {

using std::chrono::system_clock;

boost::system::error_code unauthenticated() { return make_error_code(Errc::kUnauthenticated); }

std::string new_id(const crypto::CryptoContext& ctx) {
  std::array<std::uint8_t, 16> raw{};
  ctx.random_bytes(raw);
  return crypto::hex_encode(raw);
}

// The users/organizations part of every credential check: the row's user must still be in the
// row's organization, enabled, and the organization active (checked by live_user()).
std::string live_user_join(const std::string& table) {
  return " LEFT JOIN users u ON u.id = " + table + ".user_id AND u.org_id = " + table + ".org_id" +
         " LEFT JOIN organizations o ON o.id = " + table + ".org_id";
}

bool live_user(const db::Row& r, std::size_t disabled_column, std::size_t status_column) {
  return !r.is_null(disabled_column) && r.integer(disabled_column) == 0 && r.text(status_column) == "active";
}

}  // namespace

// --- SessionStore ---------------------------------------------------------------------------

SessionStore::SessionStore(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db, SessionClock clock)
    : ctx_(std::move(ctx)), db_(db), clock_(std::move(clock)) {}

system_clock::time_point SessionStore::now() const { return clock_ ? clock_() : system_clock::now(); }

boost::system::result<NewSession> SessionStore::create(db::Database& via, const TenantScope& scope,
                                                       const std::string& user_id, const SessionLimits& limits,
                                                       const SessionOrigin& origin) {
  if (limits.idle_timeout.count() <= 0 || limits.absolute_timeout.count() <= 0 ||
      limits.idle_timeout > limits.absolute_timeout) {
    return make_error_code(Errc::kInternal);
  }
  const auto at = now();
  const std::int64_t now_ms = to_ms(at);
  NewSession made;
  made.token = crypto::generate_token(*ctx_);
  made.csrf_token = crypto::generate_token(*ctx_);
  made.session_id = token_hash_hex(*ctx_, made.token);
  made.expires_at = at + limits.absolute_timeout;

  if (auto ec = via.execute("DELETE FROM sessions WHERE org_id = ?1 AND user_id = ?2"
                            " AND (expires_at <= ?3 OR last_seen_at + idle_timeout_seconds * 1000 <= ?3)",
                            {scope.org_id(), user_id, now_ms})) {
    return ec;
  }
  // The user and organization checks and the insert are one statement: nothing can disable the
  // user between them.
  bool inserted = false;
  if (auto ec = via.execute(
          "INSERT INTO sessions (id, org_id, user_id, csrf_token_hash, created_at, last_seen_at, expires_at,"
          " idle_timeout_seconds, client, user_agent)"
          " SELECT ?1, u.org_id, u.id, ?4, ?5, ?5, ?6, ?7, ?8, ?9"
          " FROM users u JOIN organizations o ON o.id = u.org_id"
          " WHERE u.id = ?3 AND u.org_id = ?2 AND u.disabled = 0 AND o.status = 'active'"
          " RETURNING id",
          {made.session_id, scope.org_id(), user_id, token_hash_hex(*ctx_, made.csrf_token), now_ms,
           to_ms(made.expires_at), static_cast<std::int64_t>(limits.idle_timeout.count()),
           printable_or_null(origin.client, kMaxClientBytes), printable_or_null(origin.user_agent, kMaxUserAgentBytes)},
          [&](const db::Row&) { inserted = true; })) {
    return ec;
  }
  if (!inserted) return make_error_code(Errc::kNotFound);
  // The new session sorts first whatever the clock says, so it is never the one cut.
  if (auto ec =
          via.execute("DELETE FROM sessions WHERE org_id = ?1 AND user_id = ?2 AND id NOT IN ("
                      " SELECT id FROM sessions WHERE org_id = ?1 AND user_id = ?2"
                      " ORDER BY id = ?3 DESC, last_seen_at DESC, created_at DESC LIMIT ?4)",
                      {scope.org_id(), user_id, made.session_id, static_cast<std::int64_t>(kMaxSessionsPerUser)})) {
    return ec;
  }
  return made;
}

boost::system::result<NewSession> SessionStore::rotate(db::Database& via, std::string_view previous_token,
                                                       const TenantScope& scope, const std::string& user_id,
                                                       const SessionLimits& limits, const SessionOrigin& origin) {
  if (auto ec = end(via, previous_token)) return ec;
  return create(via, scope, user_id, limits, origin);
}

boost::system::result<SessionInfo> SessionStore::authenticate(std::string_view token, const CurrentLimits& current) {
  if (!well_formed_token(token)) return unauthenticated();
  const std::string id = token_hash_hex(*ctx_, token);
  std::optional<SessionInfo> found;
  bool live = false;
  std::string csrf_hex;
  if (auto ec = db_.execute("SELECT s.org_id, s.user_id, s.csrf_token_hash, s.created_at, s.last_seen_at, s.expires_at,"
                            " s.idle_timeout_seconds, u.disabled, o.status FROM sessions s" +
                                live_user_join("s") + " WHERE s.id = ?1",
                            {id}, [&](const db::Row& r) {
                              SessionInfo info;
                              info.kind = CredentialKind::kSession;
                              info.org_id = r.text(0);
                              info.user_id = r.text(1);
                              info.credential_id = id;
                              csrf_hex = r.text(2);
                              info.created_at = from_ms(r.integer(3));
                              info.last_seen_at = from_ms(r.integer(4));
                              info.expires_at = from_ms(r.integer(5));
                              info.idle_timeout = std::chrono::seconds(r.integer(6));
                              live = live_user(r, 7, 8);
                              found = std::move(info);
                            })) {
    return ec;
  }
  if (!found) return unauthenticated();

  const auto end_session = [&]() -> boost::system::result<SessionInfo> {
    // Ended, not paused: re-enabling the user or resuming the organization must not bring the
    // session back.
    if (auto ec = db_.execute("DELETE FROM sessions WHERE id = ?1", {id})) return ec;
    return unauthenticated();
  };
  if (!live || !crypto::hex_decode(csrf_hex, found->csrf_token_hash)) return end_session();
  if (current) {
    // Only ever shortened: the stored values are what the session was promised at its start.
    auto limits = current(found->org_id);
    if (!limits) return limits.error();
    found->idle_timeout = std::min<std::chrono::seconds>(found->idle_timeout, limits->idle_timeout);
    found->expires_at = std::min(found->expires_at, found->created_at + limits->absolute_timeout);
  }
  const auto at = now();
  if (at >= found->expires_at || at >= found->last_seen_at + found->idle_timeout) return end_session();
  if (touch_due(at, found->last_seen_at, found->idle_timeout, kTouchInterval)) {
    if (auto ec =
            db_.execute("UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1 AND last_seen_at < ?2", {id, to_ms(at)})) {
      return ec;
    }
    found->last_seen_at = at;
  }
  return std::move(*found);
}

bool SessionStore::check_csrf(const SessionInfo& session, std::string_view presented) const {
  return presented_token_matches(*ctx_, presented, session.csrf_token_hash);
}

boost::system::result<std::string> SessionStore::renew_csrf(const SessionInfo& session) {
  std::string token = crypto::generate_token(*ctx_);
  bool updated = false;
  if (auto ec = db_.execute(
          "UPDATE sessions SET csrf_token_hash = ?3 WHERE id = ?1 AND org_id = ?2 AND user_id = ?4 RETURNING id",
          {session.credential_id, session.org_id, token_hash_hex(*ctx_, token), session.user_id},
          [&](const db::Row&) { updated = true; })) {
    return ec;
  }
  if (!updated) return unauthenticated();
  return token;
}

boost::system::error_code SessionStore::end(std::string_view token) { return end(db_, token); }

boost::system::error_code SessionStore::end(db::Database& via, std::string_view token) {
  if (!well_formed_token(token)) return {};  // no session could have this token
  return via.execute("DELETE FROM sessions WHERE id = ?1", {token_hash_hex(*ctx_, token)});
}

boost::system::error_code SessionStore::end_all_for_user(db::Database& via, const TenantScope& scope,
                                                         const std::string& user_id, std::int64_t& ended) {
  ended = 0;
  return via.execute("DELETE FROM sessions WHERE org_id = ?1 AND user_id = ?2 RETURNING id", {scope.org_id(), user_id},
                     [&](const db::Row&) { ++ended; });
}

boost::system::error_code SessionStore::remove_expired(std::int64_t& removed) {
  removed = 0;
  return db_.execute(
      "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at + idle_timeout_seconds * 1000 <= ?1 RETURNING id",
      {to_ms(now())}, [&](const db::Row&) { ++removed; });
}

// --- ApiTokenStore --------------------------------------------------------------------------

ApiTokenStore::ApiTokenStore(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db, SessionClock clock)
    : ctx_(std::move(ctx)), db_(db), clock_(std::move(clock)) {}

system_clock::time_point ApiTokenStore::now() const { return clock_ ? clock_() : system_clock::now(); }

namespace {

// When a token stopped working: its revocation or its expiry, whichever came first.
constexpr std::string_view kEndedAt = "min(coalesce(revoked_at, expires_at), expires_at)";

ApiTokenInfo to_info(const db::Row& r) {
  ApiTokenInfo info;
  info.id = r.text(0);
  info.name = r.text(1);
  info.created_at = from_ms(r.integer(2));
  info.expires_at = from_ms(r.integer(3));
  if (!r.is_null(4)) info.last_used_at = from_ms(r.integer(4));
  if (!r.is_null(5)) info.revoked_at = from_ms(r.integer(5));
  return info;
}

bool well_formed_id(std::string_view id) {
  return id.size() == 32 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

boost::system::result<NewApiToken> ApiTokenStore::create(db::Database& via, const TenantScope& scope,
                                                         const std::string& user_id, std::string_view name,
                                                         int expires_in_days) {
  const auto clean_name = normalize_name(name);
  if (!clean_name || expires_in_days < kMinExpiresInDays || expires_in_days > kMaxExpiresInDays) {
    return make_error_code(Errc::kBadRequest);
  }
  const auto at = now();
  const std::int64_t now_ms = to_ms(at);
  NewApiToken made;
  made.token = std::string(kApiTokenPrefix) + crypto::generate_token(*ctx_);
  made.info.id = new_id(*ctx_);
  made.info.name = *clean_name;
  made.info.created_at = from_ms(now_ms);
  made.info.expires_at = made.info.created_at + std::chrono::hours(24) * expires_in_days;

  if (auto ec = via.execute(
          "DELETE FROM api_tokens WHERE org_id = ?1 AND user_id = ?2 AND " + std::string(kEndedAt) + " < ?3",
          {scope.org_id(), user_id, to_ms(at - kKeepEndedFor)})) {
    return ec;
  }
  // One statement checks the user, the organization and the per-user limit and inserts, so two
  // concurrent requests cannot both slip under the limit.
  bool inserted = false;
  if (auto ec = via.execute("INSERT INTO api_tokens (id, org_id, user_id, name, token_hash, created_at, expires_at)"
                            " SELECT ?1, u.org_id, u.id, ?4, ?5, ?6, ?7"
                            " FROM users u JOIN organizations o ON o.id = u.org_id"
                            " WHERE u.id = ?3 AND u.org_id = ?2 AND u.disabled = 0 AND o.status = 'active'"
                            " AND (SELECT count(*) FROM api_tokens t WHERE t.org_id = ?2 AND t.user_id = ?3"
                            "      AND t.revoked_at IS NULL AND t.expires_at > ?6) < ?8"
                            " RETURNING id",
                            {made.info.id, scope.org_id(), user_id, made.info.name, token_hash_hex(*ctx_, made.token),
                             now_ms, to_ms(made.info.expires_at), static_cast<std::int64_t>(kMaxTokensPerUser)},
                            [&](const db::Row&) { inserted = true; })) {
    return ec;
  }
  if (inserted) return made;
  bool user_live = false;
  if (auto ec = via.execute("SELECT 1 FROM users u JOIN organizations o ON o.id = u.org_id"
                            " WHERE u.id = ?2 AND u.org_id = ?1 AND u.disabled = 0 AND o.status = 'active'",
                            {scope.org_id(), user_id}, [&](const db::Row&) { user_live = true; })) {
    return ec;
  }
  return make_error_code(user_live ? Errc::kConflict : Errc::kNotFound);
}

boost::system::result<std::vector<ApiTokenInfo>> ApiTokenStore::list(const TenantScope& scope,
                                                                     const std::string& user_id) {
  std::vector<ApiTokenInfo> out;
  if (auto ec = db_.execute("SELECT id, name, created_at, expires_at, last_used_at, revoked_at FROM api_tokens"
                            " WHERE org_id = ?1 AND user_id = ?2 AND " +
                                std::string(kEndedAt) + " >= ?3 ORDER BY created_at DESC, id",
                            {scope.org_id(), user_id, to_ms(now() - kKeepEndedFor)},
                            [&](const db::Row& r) { out.push_back(to_info(r)); })) {
    return ec;
  }
  return out;
}

boost::system::error_code ApiTokenStore::revoke(db::Database& via, const TenantScope& scope, const std::string& user_id,
                                                const std::string& token_id) {
  if (!well_formed_id(token_id)) return make_error_code(Errc::kNotFound);
  bool found = false;
  if (auto ec = via.execute("UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?4)"
                            " WHERE id = ?3 AND org_id = ?1 AND user_id = ?2 RETURNING id",
                            {scope.org_id(), user_id, token_id, to_ms(now())}, [&](const db::Row&) { found = true; })) {
    return ec;
  }
  return found ? boost::system::error_code{} : make_error_code(Errc::kNotFound);
}

boost::system::result<Principal> ApiTokenStore::authenticate(std::string_view token) {
  if (!token.starts_with(kApiTokenPrefix) || !well_formed_token(token.substr(kApiTokenPrefix.size()))) {
    return unauthenticated();
  }
  std::optional<Principal> found;
  bool usable = false;
  std::optional<std::int64_t> last_used_ms;
  const std::int64_t now_ms = to_ms(now());
  if (auto ec = db_.execute(
          "SELECT t.id, t.org_id, t.user_id, t.expires_at, t.revoked_at, t.last_used_at, u.disabled, o.status"
          " FROM api_tokens t" +
              live_user_join("t") + " WHERE t.token_hash = ?1",
          {token_hash_hex(*ctx_, token)}, [&](const db::Row& r) {
            found = Principal{CredentialKind::kApiToken, r.text(1), r.text(2), r.text(0)};
            usable = r.integer(3) > now_ms && r.is_null(4) && live_user(r, 6, 7);
            if (!r.is_null(5)) last_used_ms = r.integer(5);
          })) {
    return ec;
  }
  // Expired and revoked tokens stay (the owner's list shows them for a while); they are refused.
  if (!found || !usable) return unauthenticated();
  const std::int64_t touch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(kTouchInterval).count();
  if (!last_used_ms || now_ms - *last_used_ms >= touch_ms) {
    if (auto ec =
            db_.execute("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1", {found->credential_id, now_ms})) {
      return ec;
    }
  }
  return std::move(*found);
}

}  // namespace furoshiki::admin
