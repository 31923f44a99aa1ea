// Password hashing; see password.hpp.
#include "crypto/password.hpp"

#include <argon2.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <charconv>
#include <stdexcept>
#include <utility>
#include <vector>

namespace furoshiki::crypto {
namespace {

constexpr std::string_view kArgon2idId = "argon2id";
constexpr std::string_view kPbkdf2Sha256Id = "pbkdf2-sha256";
constexpr std::uint32_t kArgon2Version = ARGON2_VERSION_13;  // "v=19"

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

// Production minimums (OWASP Password Storage Cheat Sheet).
constexpr std::uint32_t kMinArgon2MemoryKib = 19456;
constexpr std::uint32_t kMinArgon2Passes = 2;
constexpr std::uint32_t kMinPbkdf2Iterations = 600000;

// What verify() accepts from a stored string. The upper bounds keep a stored string from costing
// more than about a second or 1 GiB; the lower bounds are the algorithms' own (libargon2's
// minimum salt and memory, the FIPS provider's PBKDF2 salt and iteration minimums, so that a hash
// verifies the same in both modes).
constexpr std::size_t kMaxStoredLength = 256;
constexpr std::uint32_t kMaxArgon2MemoryKib = 1u << 20;  // 1 GiB
constexpr std::uint32_t kMaxArgon2Passes = 10;
constexpr std::uint32_t kMaxArgon2Lanes = 16;
constexpr std::size_t kMinArgon2SaltBytes = 8;
constexpr std::uint64_t kMinAcceptedPbkdf2Iterations = 1000;
constexpr std::uint64_t kMaxPbkdf2Iterations = 10'000'000;
constexpr std::size_t kMinPbkdf2SaltBytes = 16;
constexpr std::size_t kMaxSaltBytes = 64;
constexpr std::size_t kMinHashBytes = 16;
constexpr std::size_t kMaxHashBytes = 64;

bool argon2_parameters_accepted(const Argon2Parameters& p) {
  return p.lanes >= 1 && p.lanes <= kMaxArgon2Lanes && p.passes >= 1 && p.passes <= kMaxArgon2Passes &&
         p.memory_kib >= 8 * p.lanes && p.memory_kib <= kMaxArgon2MemoryKib;
}

bool pbkdf2_iterations_accepted(std::uint64_t i) {
  return i >= kMinAcceptedPbkdf2Iterations && i <= kMaxPbkdf2Iterations;
}

// The PHC string format's B64: RFC 4648 section 4 alphabet, no padding.
constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::span<const std::uint8_t> in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    out.push_back(kBase64Alphabet[(v >> 18) & 63]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(kBase64Alphabet[(v >> 6) & 63]);
    out.push_back(kBase64Alphabet[v & 63]);
  }
  if (in.size() - i == 1) {
    const std::uint32_t v = std::uint32_t{in[i]} << 16;
    out.push_back(kBase64Alphabet[(v >> 18) & 63]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
  } else if (in.size() - i == 2) {
    const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
    out.push_back(kBase64Alphabet[(v >> 18) & 63]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(kBase64Alphabet[(v >> 6) & 63]);
  }
  return out;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// A decimal without sign or leading zeros, as the PHC string format writes numbers.
std::optional<std::uint64_t> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "name=<decimal>" → the decimal.
std::optional<std::uint64_t> parse_field(std::string_view field, std::string_view name) {
  if (field.size() <= name.size() || field.substr(0, name.size()) != name || field[name.size()] != '=') {
    return std::nullopt;
  }
  return parse_decimal(field.substr(name.size() + 1));
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

struct StoredHash {
  PasswordAlgorithm algorithm = PasswordAlgorithm::kArgon2id;
  Argon2Parameters argon2;
  std::uint64_t iterations = 0;
  std::vector<std::uint8_t> salt;
  std::vector<std::uint8_t> hash;
};

// Parses and range-checks a stored PHC string. Everything verify() will compute is bounded once
// this returns a value.
std::optional<StoredHash> parse_stored(std::string_view stored) {
  if (stored.size() > kMaxStoredLength) return std::nullopt;
  const auto parts = split(stored, '$');
  StoredHash out;
  std::string_view salt;
  std::string_view hash;
  if (parts.size() == 6 && parts[0].empty() && parts[1] == kArgon2idId) {
    const auto version = parse_field(parts[2], "v");
    const auto params = split(parts[3], ',');
    if (!version || *version != kArgon2Version || params.size() != 3) return std::nullopt;
    const auto m = parse_field(params[0], "m");
    const auto t = parse_field(params[1], "t");
    const auto p = parse_field(params[2], "p");
    if (!m || !t || !p || *m > kMaxArgon2MemoryKib || *t > kMaxArgon2Passes || *p > kMaxArgon2Lanes) {
      return std::nullopt;
    }
    out.algorithm = PasswordAlgorithm::kArgon2id;
    out.argon2 = {static_cast<std::uint32_t>(*m), static_cast<std::uint32_t>(*t), static_cast<std::uint32_t>(*p)};
    if (!argon2_parameters_accepted(out.argon2)) return std::nullopt;
    salt = parts[4];
    hash = parts[5];
  } else if (parts.size() == 5 && parts[0].empty() && parts[1] == kPbkdf2Sha256Id) {
    const auto i = parse_field(parts[2], "i");
    if (!i || !pbkdf2_iterations_accepted(*i)) return std::nullopt;
    out.algorithm = PasswordAlgorithm::kPbkdf2Sha256;
    out.iterations = *i;
    salt = parts[3];
    hash = parts[4];
  } else {
    return std::nullopt;
  }
  auto salt_bytes = base64_decode(salt);
  auto hash_bytes = base64_decode(hash);
  const std::size_t min_salt =
      out.algorithm == PasswordAlgorithm::kArgon2id ? kMinArgon2SaltBytes : kMinPbkdf2SaltBytes;
  if (!salt_bytes || !hash_bytes || salt_bytes->size() < min_salt || salt_bytes->size() > kMaxSaltBytes ||
      hash_bytes->size() < kMinHashBytes || hash_bytes->size() > kMaxHashBytes) {
    return std::nullopt;
  }
  out.salt = std::move(*salt_bytes);
  out.hash = std::move(*hash_bytes);
  return out;
}

PasswordAlgorithm choose_algorithm(const CryptoContext& ctx, const PasswordPolicy& policy) {
  const bool fips = ctx.mode() == FipsMode::kRequired;
  const PasswordAlgorithm algorithm =
      policy.algorithm.value_or(fips ? PasswordAlgorithm::kPbkdf2Sha256 : PasswordAlgorithm::kArgon2id);
  if (fips && algorithm == PasswordAlgorithm::kArgon2id) {
    throw std::invalid_argument(
        "Argon2id is not FIPS-approved: password hashing must use PBKDF2 when FIPS is required");
  }
  return algorithm;
}

void check_policy(const PasswordPolicy& policy, bool enforce_minimums) {
  if (policy.max_concurrent == 0) throw std::invalid_argument("password hashing needs max_concurrent >= 1");
  if (!argon2_parameters_accepted(policy.argon2)) {
    throw std::invalid_argument("Argon2id parameters out of range (m <= 1 GiB, 1 <= t <= 10, 1 <= p <= 16, m >= 8p)");
  }
  if (!pbkdf2_iterations_accepted(policy.pbkdf2_iterations)) {
    throw std::invalid_argument("PBKDF2 iterations out of range (at most 10,000,000)");
  }
  if (!enforce_minimums) return;
  if (policy.argon2.memory_kib < kMinArgon2MemoryKib || policy.argon2.passes < kMinArgon2Passes) {
    throw std::invalid_argument("Argon2id parameters below the minimum m = 19456 KiB, t = 2");
  }
  if (policy.pbkdf2_iterations < kMinPbkdf2Iterations) {
    throw std::invalid_argument("PBKDF2 iterations below the minimum 600,000");
  }
}

}  // namespace

// Strict decoding: no padding, no whitespace, and the unused low bits of the last character
// must be zero, so that each byte string has exactly one encoding.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = base64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return std::nullopt;
  return out;
}

namespace internal {

bool pbkdf2_hmac_sha256(const CryptoContext& ctx, std::string_view password, std::span<const std::uint8_t> salt,
                        std::uint64_t iterations, std::span<std::uint8_t> out) {
  EVP_KDF* kdf = EVP_KDF_fetch(ctx.libctx(), "PBKDF2", ctx.properties());
  EVP_KDF_CTX* kctx = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
  EVP_KDF_free(kdf);  // kctx holds its own reference
  if (!kctx) return false;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()), password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iterations),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_PROPERTIES, const_cast<char*>(ctx.properties()), 0),
      OSSL_PARAM_construct_end()};
  const bool ok = EVP_KDF_derive(kctx, out.data(), out.size(), params) == 1;
  EVP_KDF_CTX_free(kctx);  // cleanses its copy of the password
  return ok;
}

bool argon2id(std::string_view password, std::span<const std::uint8_t> salt, const Argon2Parameters& params,
              std::span<std::uint8_t> out) {
  if (password.size() > ARGON2_MAX_PWD_LENGTH || salt.size() > ARGON2_MAX_SALT_LENGTH ||
      out.size() > ARGON2_MAX_OUTLEN) {
    return false;
  }
  argon2_context c{};
  c.out = out.data();
  c.outlen = static_cast<std::uint32_t>(out.size());
  // libargon2 writes to pwd only with ARGON2_FLAG_CLEAR_PASSWORD, which is not set.
  c.pwd = reinterpret_cast<std::uint8_t*>(const_cast<char*>(password.data()));
  c.pwdlen = static_cast<std::uint32_t>(password.size());
  c.salt = const_cast<std::uint8_t*>(salt.data());
  c.saltlen = static_cast<std::uint32_t>(salt.size());
  c.t_cost = params.passes;
  c.m_cost = params.memory_kib;
  c.lanes = params.lanes;
  c.threads = 1;  // one core per computation; the lanes' result does not depend on threads
  c.version = kArgon2Version;
  c.flags = ARGON2_DEFAULT_FLAGS;  // libargon2 wipes its working memory before freeing it
  return argon2_ctx(&c, Argon2_id) == ARGON2_OK;
}

}  // namespace internal

// Holds one of the hasher's computation slots for its lifetime.
class PasswordHasher::Slot {
 public:
  explicit Slot(PasswordHasher& hasher) : hasher_(hasher) {
    std::unique_lock lock(hasher_.mutex_);
    if (hasher_.running_ >= hasher_.policy_.max_concurrent) {
      ++hasher_.waiting_;
      hasher_.slot_freed_.wait(lock, [this] { return hasher_.running_ < hasher_.policy_.max_concurrent; });
      --hasher_.waiting_;
    }
    ++hasher_.running_;
  }
  ~Slot() {
    {
      std::lock_guard lock(hasher_.mutex_);
      --hasher_.running_;
    }
    hasher_.slot_freed_.notify_one();
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  PasswordHasher& hasher_;
};

PasswordHasher::PasswordHasher(std::shared_ptr<const CryptoContext> ctx, PasswordPolicy policy)
    : PasswordHasher(std::move(ctx), policy, true, {}) {}

PasswordHasher::PasswordHasher(std::shared_ptr<const CryptoContext> ctx, PasswordPolicy policy,
                               LowCostForTests test_options)
    : PasswordHasher(std::move(ctx), policy, false, std::move(test_options)) {}

PasswordHasher::PasswordHasher(std::shared_ptr<const CryptoContext> ctx, PasswordPolicy policy, bool enforce_minimums,
                               LowCostForTests test_options)
    : ctx_(std::move(ctx)), policy_(policy), while_computing_(std::move(test_options.while_computing)) {
  if (!ctx_) throw std::invalid_argument("PasswordHasher needs a CryptoContext");
  algorithm_ = choose_algorithm(*ctx_, policy_);
  check_policy(policy_, enforce_minimums);
}

std::string PasswordHasher::hash(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) throw std::invalid_argument("password longer than kMaxPasswordBytes");
  std::array<std::uint8_t, kSaltBytes> salt{};
  ctx_->random_bytes(salt);
  std::array<std::uint8_t, kHashBytes> derived{};
  bool ok = false;
  {
    Slot slot(*this);
    if (while_computing_) while_computing_();
    ok = algorithm_ == PasswordAlgorithm::kArgon2id
             ? internal::argon2id(password, salt, policy_.argon2, derived)
             : internal::pbkdf2_hmac_sha256(*ctx_, password, salt, policy_.pbkdf2_iterations, derived);
  }
  if (!ok) {
    OPENSSL_cleanse(derived.data(), derived.size());
    throw CryptoError("password hashing failed");
  }
  // Built with append(): GCC 12 at -O3 reports a false -Wrestrict on chained operator+ (PR 105651).
  std::string out = "$";
  if (algorithm_ == PasswordAlgorithm::kArgon2id) {
    out.append(kArgon2idId).append("$v=").append(std::to_string(kArgon2Version));
    out.append("$m=").append(std::to_string(policy_.argon2.memory_kib));
    out.append(",t=").append(std::to_string(policy_.argon2.passes));
    out.append(",p=").append(std::to_string(policy_.argon2.lanes));
  } else {
    out.append(kPbkdf2Sha256Id).append("$i=").append(std::to_string(policy_.pbkdf2_iterations));
  }
  out.append("$").append(base64_encode(salt)).append("$").append(base64_encode(derived));
  OPENSSL_cleanse(derived.data(), derived.size());
  return out;
}

PasswordHasher::VerifyResult PasswordHasher::verify(std::string_view password, std::string_view stored) {
  if (password.size() > kMaxPasswordBytes) return {};
  auto parsed = parse_stored(stored);
  if (!parsed) return {};
  std::vector<std::uint8_t> derived(parsed->hash.size());
  bool computed = false;
  {
    Slot slot(*this);
    if (while_computing_) while_computing_();
    computed = parsed->algorithm == PasswordAlgorithm::kArgon2id
                   ? internal::argon2id(password, parsed->salt, parsed->argon2, derived)
                   : internal::pbkdf2_hmac_sha256(*ctx_, password, parsed->salt, parsed->iterations, derived);
  }
  const bool ok = computed && CRYPTO_memcmp(derived.data(), parsed->hash.data(), derived.size()) == 0;
  OPENSSL_cleanse(derived.data(), derived.size());
  OPENSSL_cleanse(parsed->hash.data(), parsed->hash.size());
  if (!computed) throw CryptoError("password verification failed to compute");
  if (!ok) return {};
  const bool current = parsed->algorithm == algorithm_ && parsed->salt.size() == kSaltBytes &&
                       parsed->hash.size() == kHashBytes &&
                       (algorithm_ == PasswordAlgorithm::kArgon2id ? parsed->argon2 == policy_.argon2
                                                                   : parsed->iterations == policy_.pbkdf2_iterations);
  return {true, !current};
}

PasswordHasher::Load PasswordHasher::load() const {
  std::lock_guard lock(mutex_);
  return {running_, waiting_};
}

}  // namespace furoshiki::crypto
