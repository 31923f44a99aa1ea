// Password hashing for stored user credentials: Argon2id (libargon2) when FIPS is off,
// PBKDF2-HMAC-SHA-256 (EVP_KDF from the CryptoContext) when FIPS is required, because Argon2 is
// not a FIPS-approved algorithm. Stored hashes are self-describing PHC strings:
//   $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>     (RFC 9106; OWASP parameters)
//   $pbkdf2-sha256$i=600000$<salt>$<hash>            (RFC 8018 section 5.2; OWASP iterations)
// where <salt> and <hash> are standard base64 without padding (the PHC string format's B64).
// Either format verifies in either mode: a hash made under the other mode or older parameters
// verifies and asks for a rehash, so users move to the current scheme at their next login.
#pragma once

#include "crypto/context.hpp"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace furoshiki::crypto {

enum class PasswordAlgorithm { kArgon2id, kPbkdf2Sha256 };

struct Argon2Parameters {
  std::uint32_t memory_kib = 19456;  // m
  std::uint32_t passes = 2;          // t
  std::uint32_t lanes = 1;           // p; computed on one thread, see PasswordHasher
  friend bool operator==(const Argon2Parameters&, const Argon2Parameters&) = default;
};

// What hash() produces and how much hashing may run at once.
struct PasswordPolicy {
  // Unset: PBKDF2-HMAC-SHA-256 when the context requires FIPS, Argon2id otherwise.
  std::optional<PasswordAlgorithm> algorithm;
  Argon2Parameters argon2;                   // at least OWASP's m = 19456 KiB, t = 2
  std::uint32_t pbkdf2_iterations = 600000;  // at least OWASP's 600,000
  // Computations (hash or verify) allowed at once; further callers wait. Each Argon2 computation
  // holds its m KiB: argon2.memory_kib for hashes made now, at most 1 GiB (the largest accepted)
  // for a stored hash made with other parameters.
  std::size_t max_concurrent = 2;
};

// Hashes and verifies passwords. Thread-safe. Each computation takes one of the policy's
// max_concurrent slots for its whole duration and runs on the calling thread (Argon2 lanes are
// computed sequentially), so that a flood of logins costs at most max_concurrent cores and
// max_concurrent hashes' memory; callers beyond that block until a slot frees. Call it from a
// bounded worker pool, never from a network thread.
class PasswordHasher {
 public:
  struct VerifyResult {
    bool ok = false;            // the password matches the stored hash
    bool needs_rehash = false;  // ok, but the stored hash is not what hash() makes now
  };

  // Load, for metrics and tests.
  struct Load {
    std::size_t running = 0;  // computations holding a slot
    std::size_t waiting = 0;  // callers blocked for a slot
  };

  // Test-only construction (see the constructor below): what a test may observe.
  struct LowCostForTests {
    // Called on the computing thread while it holds a slot, before the computation.
    std::function<void()> while_computing;
  };

  // Throws std::invalid_argument (a configuration error, for start-up) when the policy asks for
  // Argon2id while the context requires FIPS, for less than the minimum cost above, for more
  // than verify() accepts, or for max_concurrent == 0.
  explicit PasswordHasher(std::shared_ptr<const CryptoContext> ctx, PasswordPolicy policy = {});

  // For tests only: accepts any cost that verify() accepts (so tests can run in milliseconds),
  // and installs the test hooks. Configuration must never reach this constructor.
  PasswordHasher(std::shared_ptr<const CryptoContext> ctx, PasswordPolicy policy, LowCostForTests test_options);

  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // A fresh PHC string for `password` under the current policy, with a 16-byte salt from the
  // context's DRBG. REQUIRES: password.size() <= kMaxPasswordBytes (the caller's password rules
  // check that first; std::invalid_argument otherwise). Throws CryptoError if the DRBG or the
  // computation fails (out of memory, say).
  [[nodiscard]] std::string hash(std::string_view password);

  // Whether `password` matches `stored` (either format). Malformed strings, unknown algorithms,
  // parameters out of the accepted range and over-long passwords give ok = false without any
  // expensive work, so no stored string can make this throw, and none can cost more than the
  // accepted maximum (Argon2id: 1 GiB, 10 passes, 16 lanes; PBKDF2: 10,000,000 iterations).
  // The derived bytes are compared in constant time. Throws CryptoError only when a well-formed
  // computation itself fails (out of memory, provider failure).
  [[nodiscard]] VerifyResult verify(std::string_view password, std::string_view stored);

  PasswordAlgorithm algorithm() const { return algorithm_; }
  Load load() const;

  // Longest password hash() and verify() take.
  static constexpr std::size_t kMaxPasswordBytes = 4096;

 private:
  class Slot;
  PasswordHasher(std::shared_ptr<const CryptoContext> ctx, PasswordPolicy policy, bool enforce_minimums,
                 LowCostForTests test_options);

  std::shared_ptr<const CryptoContext> ctx_;
  PasswordAlgorithm algorithm_ = PasswordAlgorithm::kArgon2id;  // set by the constructor
  PasswordPolicy policy_;
  std::function<void()> while_computing_;
  mutable std::mutex mutex_;
  std::condition_variable slot_freed_;
  std::size_t running_ = 0;  // GUARDED_BY(mutex_)
  std::size_t waiting_ = 0;  // GUARDED_BY(mutex_)
};

// The raw primitives behind PasswordHasher, exposed for known-answer tests. Not for other callers.
// Standard base64 (RFC 4648 section 4) without padding, strictly: no whitespace, and the unused
// low bits of the last character must be zero, so each byte string has one encoding. nullopt
// for anything else. (The PHC strings' B64; also what tus Upload-Metadata values are once their
// padding is removed.)
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view in);

namespace internal {

// PBKDF2-HMAC-SHA-256 (RFC 8018 section 5.2) through EVP_KDF "PBKDF2" from ctx's library
// context. False when the provider refuses the inputs (the FIPS provider requires a salt of at
// least 16 bytes, at least 1000 iterations and at least 14 output bytes).
[[nodiscard]] bool pbkdf2_hmac_sha256(const CryptoContext& ctx, std::string_view password,
                                      std::span<const std::uint8_t> salt, std::uint64_t iterations,
                                      std::span<std::uint8_t> out);

// Argon2id version 0x13 (RFC 9106) without secret or associated data, all lanes on the calling
// thread. False when libargon2 rejects the parameters or cannot allocate the memory.
[[nodiscard]] bool argon2id(std::string_view password, std::span<const std::uint8_t> salt,
                            const Argon2Parameters& params, std::span<std::uint8_t> out);

}  // namespace internal
}  // namespace furoshiki::crypto
