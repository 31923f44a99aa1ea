// Sign-in throttling; see login_throttle.hpp.
#include "admin/login_throttle.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <map>
#include <stdexcept>

namespace furoshiki::admin {
namespace {

constexpr std::size_t kMaxOrgCodeBytes = 64;
constexpr std::size_t kMaxLoginBytes = 254;
constexpr std::size_t kMaxRawAddressBytes = 64;

// Trimmed of spaces and tabs, ASCII lower-cased, cut to `max` bytes: the same spelling
// normalize_login() gives a valid login, and a bounded one for anything else typed.
std::string fold(std::string_view text, std::size_t max) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  std::string out(text.substr(0, max));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string account_throttle_key(std::string_view org_code, std::string_view login) {
  return "account:" + fold(org_code, kMaxOrgCodeBytes) + ":" + fold(login, kMaxLoginBytes);
}

std::string address_throttle_key(std::string_view client_address) {
  std::string text(client_address.substr(0, kMaxRawAddressBytes));
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (const auto zone = text.find('%'); zone != std::string::npos) text.resize(zone);

  std::array<std::uint8_t, 16> v6{};
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    inet_ntop(AF_INET, &v4, buffer.data(), buffer.size());
    return std::string("address:") + buffer.data();
  }
  if (inet_pton(AF_INET6, text.c_str(), v6.data()) == 1) {
    static constexpr std::array<std::uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), v6.begin())) {
      inet_ntop(AF_INET, v6.data() + 12, buffer.data(), buffer.size());
      return std::string("address:") + buffer.data();
    }
    std::fill(v6.begin() + 8, v6.end(), std::uint8_t{0});
    inet_ntop(AF_INET6, v6.data(), buffer.data(), buffer.size());
    return std::string("address:") + buffer.data() + "/64";
  }
  for (char& c : text) {
    if (c < 0x20 || c >= 0x7f) c = '?';
  }
  return "address:" + text;
}

ThrottleKeys throttle_keys(std::string_view org_code, std::string_view login, std::string_view client_address) {
  return {account_throttle_key(org_code, login), address_throttle_key(client_address)};
}

std::int64_t ThrottleDecision::retry_after_seconds() const {
  if (allowed) return 0;
  return std::max<std::int64_t>(1, (retry_after.count() + 999) / 1000);
}

LoginThrottle::LoginThrottle(db::Database& db, ThrottleSettings settings, ThrottleClock clock)
    : db_(db), settings_(settings), clock_(std::move(clock)) {
  if (settings_.free_failures < 0 || settings_.lock_after < 1 || settings_.base_delay.count() < 0 ||
      settings_.max_delay < settings_.base_delay || settings_.lock_duration.count() < 0 ||
      settings_.forget_after.count() <= 0) {
    throw std::invalid_argument("login throttle settings: counts and delays must be positive, max_delay >= base_delay");
  }
}

std::int64_t LoginThrottle::now_ms() const {
  const auto t = clock_ ? clock_() : std::chrono::system_clock::now();
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

ThrottleDecision LoginThrottle::decide(const KeyState& state, std::int64_t now) const {
  ThrottleDecision d;
  if (state.failures == 0 || state.last_failure_at <= now - settings_.forget_after.count()) return d;
  if (state.locked_until > now) {
    d.allowed = false;
    d.locked = true;
    d.retry_after = std::chrono::milliseconds(state.locked_until - now);
    return d;
  }
  if (state.failures < settings_.free_failures) return d;
  // base * 2^(failures - free), computed by doubling so it cannot overflow: it stops at the cap.
  std::int64_t delay = settings_.base_delay.count();
  for (std::int64_t i = settings_.free_failures; i < state.failures && delay < settings_.max_delay.count(); ++i) {
    delay *= 2;
  }
  delay = std::min(delay, settings_.max_delay.count());
  const std::int64_t next = state.last_failure_at + delay;
  if (next > now) {
    d.allowed = false;
    d.retry_after = std::chrono::milliseconds(next - now);
  }
  return d;
}

namespace {

// The stricter of two decisions.
ThrottleDecision stricter(const ThrottleDecision& a, const ThrottleDecision& b) {
  ThrottleDecision d;
  d.allowed = a.allowed && b.allowed;
  d.retry_after = std::max(a.retry_after, b.retry_after);
  d.locked = a.locked || b.locked;
  d.lock_started = a.lock_started || b.lock_started;
  return d;
}

}  // namespace

boost::system::result<ThrottleDecision> LoginThrottle::check(const ThrottleKeys& keys) {
  const std::int64_t now = now_ms();
  ThrottleDecision decision;
  if (auto ec = db_.execute(
          "SELECT failures, coalesce(locked_until, 0), last_failure_at FROM login_throttle WHERE key IN (?1, ?2)",
          {keys.account, keys.address}, [&](const db::Row& r) {
            decision = stricter(decision, decide({r.integer(0), r.integer(1), r.integer(2)}, now));
          })) {
    return ec;
  }
  return decision;
}

boost::system::result<ThrottleDecision> LoginThrottle::record_failure(const ThrottleKeys& keys) {
  const std::int64_t now = now_ms();
  const std::int64_t forget_before = now - settings_.forget_after.count();
  ThrottleDecision decision;
  // The read and the write of each key happen inside one write transaction (BEGIN IMMEDIATE
  // takes the database's write lock first), so concurrent failures, from this process or
  // another, are each counted.
  auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    decision = {};
    if (auto e =
            tx.execute("DELETE FROM login_throttle WHERE last_failure_at <= ?1 AND coalesce(locked_until, 0) <= ?2",
                       {forget_before, now})) {
      return e;
    }
    std::map<std::string, KeyState> states;  // ordered and deduplicated: one update per key
    for (const std::string* key : {&keys.account, &keys.address}) {
      if (!key->empty()) states.emplace(*key, KeyState{});
    }
    for (auto& [key, state] : states) {
      if (auto e = tx.execute(
              "SELECT failures, coalesce(locked_until, 0), last_failure_at FROM login_throttle WHERE key = ?1", {key},
              [&](const db::Row& r) {
                state = {r.integer(0), r.integer(1), r.integer(2)};
              })) {
        return e;
      }
      const bool was_locked = state.locked_until > now;
      if (state.last_failure_at <= forget_before) state.failures = 0;
      ++state.failures;
      state.last_failure_at = now;
      ThrottleDecision for_key;
      if (state.failures >= settings_.lock_after) {
        state.locked_until = std::max(state.locked_until, now + settings_.lock_duration.count());
        for_key.lock_started = !was_locked;
      }
      if (auto e = tx.execute(
              "INSERT INTO login_throttle (key, failures, locked_until, last_failure_at) VALUES (?1, ?2, ?3, ?4)"
              " ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until,"
              " last_failure_at = excluded.last_failure_at",
              {key, state.failures, state.locked_until > 0 ? db::Value(state.locked_until) : db::Value(nullptr),
               now})) {
        return e;
      }
      const bool started = for_key.lock_started;
      for_key = decide(state, now);
      for_key.lock_started = started;
      decision = stricter(decision, for_key);
    }
    return {};
  });
  if (ec) return ec;
  return decision;
}

boost::system::error_code LoginThrottle::record_success(const std::string& account_key) {
  const std::int64_t now = now_ms();
  return db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    if (auto e =
            tx.execute("DELETE FROM login_throttle WHERE last_failure_at <= ?1 AND coalesce(locked_until, 0) <= ?2",
                       {now - settings_.forget_after.count(), now})) {
      return e;
    }
    return tx.execute("DELETE FROM login_throttle WHERE key = ?1", {account_key});
  });
}

}  // namespace furoshiki::admin
