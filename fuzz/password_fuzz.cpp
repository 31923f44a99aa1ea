// Fuzz target for crypto::PasswordHasher::verify (crypto/password.hpp): the input is a stored
// hash string, read from the user table, verified against the fixed password kPassword.
//
// What must hold: no crash, exception or leak; a string verify() does no computation for never
// matches; a string it computes for is a PHC string of one of the two formats (at most 256
// bytes, "$argon2id$v=19$" or "$pbkdf2-sha256$i=", PHC characters only); a well-formed cheap
// string verifies without throwing, and a match never also matches another password.
//
// Computation is observed through the test hook (PasswordHasher::LowCostForTests), which throws
// SkipComputation unless the harness allows it, so that well-formed strings with costly
// parameters (up to 1 GiB and seconds of Argon2id: what verify() accepts) are recognised without
// being computed. libFuzzer's -timeout and -rss_limit_mb then catch any expensive work done
// before the hook, on malformed strings.
#include "crypto/password.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

namespace {

namespace crypto = furoshiki::crypto;

constexpr std::string_view kPassword = "correct horse battery staple";

// Thrown by the hook: verify() decided to compute, and the harness does not want it to.
struct SkipComputation {};

bool g_allow_computation = false;

crypto::PasswordHasher& hasher() {
  static const std::shared_ptr<const crypto::CryptoContext> ctx = crypto::CryptoContext::create({});
  static crypto::PasswordHasher instance = [] {
    // The policy only matters for needs_rehash: the cheapest parameters verify() accepts.
    crypto::PasswordPolicy policy;
    policy.argon2 = {8, 1, 1};
    policy.pbkdf2_iterations = 1000;
    crypto::PasswordHasher::LowCostForTests hooks;
    hooks.while_computing = [] {
      if (!g_allow_computation) throw SkipComputation{};
    };
    return crypto::PasswordHasher(ctx, policy, hooks);
  }();
  return instance;
}

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "password_fuzz: invariant violated: %s\n", what);
  std::abort();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = s.find(sep);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

// The number after "name=" in `field`; 0 when there is none (then the string is not cheap).
std::uint64_t number_after(std::string_view field, std::string_view name) {
  std::uint64_t value = 0;
  if (!field.starts_with(name)) return 0;
  field.remove_prefix(name.size());
  std::from_chars(field.data(), field.data() + field.size(), value);
  return value;
}

// Whether a string verify() accepted costs at most about a millisecond to compute: Argon2id with
// at most 1 MiB and 2 passes, or PBKDF2 with at most 2000 iterations. REQUIRES: well-formed.
bool cheap(std::string_view stored) {
  const auto parts = split(stored, '$');
  if (parts.size() == 6 && parts[1] == "argon2id") {
    const auto params = split(parts[3], ',');
    if (params.size() != 3) return false;
    const std::uint64_t m = number_after(params[0], "m="), t = number_after(params[1], "t=");
    return m > 0 && m <= 1024 && t > 0 && t <= 2;
  }
  if (parts.size() == 5 && parts[1] == "pbkdf2-sha256") {
    const std::uint64_t i = number_after(parts[2], "i=");
    return i > 0 && i <= 2000;
  }
  return false;
}

bool phc_characters_only(std::string_view s) {
  for (const char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '$' ||
                    c == '=' || c == ',' || c == '+' || c == '/' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// verify() with the computation allowed or not; false when the hook stopped it.
bool verify(std::string_view password, std::string_view stored, bool allow,
            crypto::PasswordHasher::VerifyResult& result) {
  g_allow_computation = allow;
  try {
    result = hasher().verify(password, stored);
  } catch (const SkipComputation&) {
    g_allow_computation = false;
    return false;
  }
  g_allow_computation = false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view stored(reinterpret_cast<const char*>(data), size);

  crypto::PasswordHasher::VerifyResult result;
  if (verify(kPassword, stored, false, result)) {
    require(!result.ok && !result.needs_rehash, "a string verify() computes nothing for never matches");
    return 0;
  }
  require(stored.size() <= 256, "a string verify() computes for is at most 256 bytes");
  require(stored.starts_with("$argon2id$v=19$") || stored.starts_with("$pbkdf2-sha256$i="),
          "a string verify() computes for names Argon2id v=19 or PBKDF2-SHA-256");
  require(phc_characters_only(stored), "a string verify() computes for has PHC characters only");
  if (!cheap(stored)) return 0;

  require(verify(kPassword, stored, true, result), "the computation runs when allowed");
  require(result.ok || !result.needs_rehash, "needs_rehash only with ok");
  if (result.ok) {
    crypto::PasswordHasher::VerifyResult other;
    require(verify("Correct horse battery staple", stored, true, other) && !other.ok,
            "a stored hash matches one password, not another");
  }
  return 0;
}
