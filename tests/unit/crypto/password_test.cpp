// Password hashing: known answers for both primitives, PHC strings, rehash decisions, rejection
// of malformed and absurd stored strings, and the bound on concurrent computations.
//
// Sources of the expected values:
// - PBKDF2-HMAC-SHA-256: RFC 7914 section 11 (both vectors), and the widely published 4096-
//   iteration vector with a 36-byte salt (allowed by the FIPS provider); all three re-derived
//   with `openssl kdf -kdfopt digest:SHA256 ... PBKDF2`.
// - Argon2id: the reference implementation's src/test.c (password "password", salt "somesalt",
//   version 0x13), re-derived with the `argon2` CLI (Debian package argon2):
//   `echo -n password | argon2 somesalt -id -t 2 -m 8 -p 1 -l 32` (and -p 2). RFC 9106's
//   section 5.3 vector needs a secret and associated data, which this API does not take.
// - The strings at production parameters: `echo -n 'correct horse' | argon2 furoshiki-salt16 -id
//   -t 2 -k 19456 -p 1 -l 32 -e`, and `openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt
//   'pass:correct horse battery staple' -kdfopt salt:furoshiki-salt16 -kdfopt iter:600000
//   -binary PBKDF2 | base64` (padding removed); kPbkdf2At1000 likewise with iter:1000.
#include "crypto/password.hpp"

#include "crypto/context.hpp"
#include "test_support/crypto_context.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace furoshiki::crypto {
namespace {

using test_support::test_crypto_context;  // FIPS or not, as the test run is configured

// FIPS off, for what only exists there: Argon2id as the current algorithm, and the RFC 7914
// vectors, whose 4-byte salts the FIPS provider refuses.
std::shared_ptr<CryptoContext> fips_off_context() { return CryptoContext::create({}); }

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Cheap parameters, so that a test costs milliseconds; only the test constructor takes them.
PasswordPolicy low_cost_policy(PasswordAlgorithm algorithm) {
  PasswordPolicy policy;
  policy.algorithm = algorithm;
  policy.argon2 = {64, 1, 1};
  policy.pbkdf2_iterations = 1000;
  return policy;
}

// `prefix`, then a 16-byte salt and a 32-byte hash in unpadded standard base64, '$'-separated.
bool is_phc_string(std::string_view stored, std::string_view prefix) {
  const auto is_b64 = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    });
  };
  if (stored.substr(0, prefix.size()) != prefix) return false;
  stored.remove_prefix(prefix.size());
  return stored.size() == 22 + 1 + 43 && is_b64(stored.substr(0, 22)) && stored[22] == '$' && is_b64(stored.substr(23));
}

// Reference Argon2id string (see the top of this file): "password", m=256, t=2, p=1.
constexpr std::string_view kReferenceArgon2id =
    "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";
// "correct horse battery staple" at 1000 iterations, from `openssl kdf` (see above).
constexpr std::string_view kPbkdf2At1000 =
    "$pbkdf2-sha256$i=1000$ZnVyb3NoaWtpLXNhbHQxNg$b4YtbDSjXLPDj+q0US872C+BC8ei8xK9KeT1SAxcNdY";

TEST(Pbkdf2Test, MatchesRfc7914VectorWithOneIteration) {
  std::vector<std::uint8_t> out(64);
  ASSERT_TRUE(internal::pbkdf2_hmac_sha256(*fips_off_context(), "passwd", bytes("salt"), 1, out));
  EXPECT_EQ(out, from_hex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                          "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"));
}

TEST(Pbkdf2Test, MatchesRfc7914VectorWith80000Iterations) {
  std::vector<std::uint8_t> out(64);
  ASSERT_TRUE(internal::pbkdf2_hmac_sha256(*fips_off_context(), "Password", bytes("NaCl"), 80000, out));
  EXPECT_EQ(out, from_hex("4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
                          "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"));
}

TEST(Pbkdf2Test, MatchesLongSaltVectorInTheSuitesMode) {
  std::vector<std::uint8_t> out(40);
  ASSERT_TRUE(internal::pbkdf2_hmac_sha256(*test_crypto_context(), "passwordPASSWORDpassword",
                                           bytes("saltSALTsaltSALTsaltSALTsaltSALTsalt"), 4096, out));
  EXPECT_EQ(out, from_hex("348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9"));
}

TEST(Argon2idTest, MatchesReferenceImplementationVector) {
  std::vector<std::uint8_t> out(32);
  ASSERT_TRUE(internal::argon2id("password", bytes("somesalt"), {256, 2, 1}, out));
  EXPECT_EQ(out, from_hex("9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe"));
}

TEST(Argon2idTest, ComputesTwoLanesOnOneThreadAsTheReferenceDoes) {
  std::vector<std::uint8_t> out(32);
  ASSERT_TRUE(internal::argon2id("password", bytes("somesalt"), {256, 2, 2}, out));
  EXPECT_EQ(out, from_hex("6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037"));
}

TEST(PasswordHasherTest, DefaultAlgorithmFollowsFipsMode) {
  const auto ctx = test_crypto_context();
  const PasswordHasher hasher(ctx);
  EXPECT_EQ(hasher.algorithm(),
            ctx->mode() == FipsMode::kRequired ? PasswordAlgorithm::kPbkdf2Sha256 : PasswordAlgorithm::kArgon2id);
}

TEST(PasswordHasherTest, RefusesArgon2idPolicyExactlyWhenFipsIsRequired) {
  const auto ctx = test_crypto_context();
  PasswordPolicy policy;
  policy.algorithm = PasswordAlgorithm::kArgon2id;
  if (ctx->mode() == FipsMode::kRequired) {
    EXPECT_THROW(PasswordHasher(ctx, policy), std::invalid_argument);
  } else {
    EXPECT_NO_THROW(PasswordHasher(ctx, policy));
  }
}

TEST(PasswordHasherTest, RefusesPolicyBelowProductionMinimums) {
  const auto ctx = fips_off_context();
  PasswordPolicy few_iterations;
  few_iterations.pbkdf2_iterations = 599999;
  PasswordPolicy little_memory;
  little_memory.argon2.memory_kib = 19455;
  PasswordPolicy one_pass;
  one_pass.argon2.passes = 1;
  PasswordPolicy no_concurrency;
  no_concurrency.max_concurrent = 0;
  EXPECT_THROW(PasswordHasher(ctx, few_iterations), std::invalid_argument);
  EXPECT_THROW(PasswordHasher(ctx, little_memory), std::invalid_argument);
  EXPECT_THROW(PasswordHasher(ctx, one_pass), std::invalid_argument);
  EXPECT_THROW(PasswordHasher(ctx, no_concurrency), std::invalid_argument);
}

TEST(PasswordHasherTest, RefusesPolicyAboveWhatVerifyAccepts) {
  PasswordPolicy too_many_iterations;
  too_many_iterations.pbkdf2_iterations = 10'000'001;
  PasswordPolicy too_much_memory;
  too_much_memory.argon2.memory_kib = (1u << 20) + 1;
  EXPECT_THROW(PasswordHasher(fips_off_context(), too_many_iterations), std::invalid_argument);
  EXPECT_THROW(PasswordHasher(fips_off_context(), too_much_memory), std::invalid_argument);
}

TEST(PasswordHasherTest, Argon2idHashIsPhcStringThatVerifies) {
  PasswordHasher hasher(fips_off_context(), low_cost_policy(PasswordAlgorithm::kArgon2id), {});
  const std::string stored = hasher.hash("correct horse battery staple");
  EXPECT_TRUE(is_phc_string(stored, "$argon2id$v=19$m=64,t=1,p=1$")) << stored;
  const auto result = hasher.verify("correct horse battery staple", stored);
  EXPECT_TRUE(result.ok);
  EXPECT_FALSE(result.needs_rehash);
}

TEST(PasswordHasherTest, Pbkdf2HashIsPhcStringThatVerifies) {
  PasswordHasher hasher(test_crypto_context(), low_cost_policy(PasswordAlgorithm::kPbkdf2Sha256), {});
  const std::string stored = hasher.hash("correct horse battery staple");
  EXPECT_TRUE(is_phc_string(stored, "$pbkdf2-sha256$i=1000$")) << stored;
  const auto result = hasher.verify("correct horse battery staple", stored);
  EXPECT_TRUE(result.ok);
  EXPECT_FALSE(result.needs_rehash);
}

TEST(PasswordHasherTest, RejectsWrongPasswordForEitherAlgorithm) {
  PasswordHasher argon2(fips_off_context(), low_cost_policy(PasswordAlgorithm::kArgon2id), {});
  PasswordHasher pbkdf2(test_crypto_context(), low_cost_policy(PasswordAlgorithm::kPbkdf2Sha256), {});
  const auto a = argon2.verify("correct horse battery stapler", argon2.hash("correct horse battery staple"));
  const auto p = pbkdf2.verify("correct horse battery stapler", pbkdf2.hash("correct horse battery staple"));
  EXPECT_FALSE(a.ok);
  EXPECT_FALSE(a.needs_rehash);
  EXPECT_FALSE(p.ok);
  EXPECT_FALSE(p.needs_rehash);
}

TEST(PasswordHasherTest, SaltsEachHashAfresh) {
  PasswordHasher hasher(test_crypto_context(), low_cost_policy(PasswordAlgorithm::kPbkdf2Sha256), {});
  EXPECT_NE(hasher.hash("same password"), hasher.hash("same password"));
}

TEST(PasswordHasherTest, HashesAndVerifiesEmptyPassword) {
  PasswordHasher argon2(fips_off_context(), low_cost_policy(PasswordAlgorithm::kArgon2id), {});
  PasswordHasher pbkdf2(test_crypto_context(), low_cost_policy(PasswordAlgorithm::kPbkdf2Sha256), {});
  EXPECT_TRUE(argon2.verify("", argon2.hash("")).ok);
  EXPECT_TRUE(pbkdf2.verify("", pbkdf2.hash("")).ok);
  EXPECT_FALSE(pbkdf2.verify("x", pbkdf2.hash("")).ok);
}

TEST(PasswordHasherTest, VerifiesReferenceArgon2idStringInTheSuitesModeAndAsksForRehash) {
  // Argon2 does not touch OpenSSL, so a FIPS-mode server still verifies old Argon2id hashes and
  // replaces them with PBKDF2 at the next login.
  PasswordHasher hasher(test_crypto_context(), low_cost_policy(PasswordAlgorithm::kPbkdf2Sha256), {});
  const auto result = hasher.verify("password", kReferenceArgon2id);
  EXPECT_TRUE(result.ok);
  EXPECT_TRUE(result.needs_rehash);
  EXPECT_FALSE(hasher.verify("passwore", kReferenceArgon2id).ok);
}

TEST(PasswordHasherTest, Pbkdf2HashNeedsRehashWhenArgon2idIsCurrent) {
  PasswordHasher hasher(fips_off_context(), low_cost_policy(PasswordAlgorithm::kArgon2id), {});
  const auto result = hasher.verify("correct horse battery staple", kPbkdf2At1000);
  EXPECT_TRUE(result.ok);
  EXPECT_TRUE(result.needs_rehash);
}

TEST(PasswordHasherTest, Pbkdf2WithFewerIterationsThanCurrentNeedsRehash) {
  PasswordPolicy policy = low_cost_policy(PasswordAlgorithm::kPbkdf2Sha256);
  policy.pbkdf2_iterations = 2000;
  PasswordHasher hasher(test_crypto_context(), policy, {});
  const auto result = hasher.verify("correct horse battery staple", kPbkdf2At1000);
  EXPECT_TRUE(result.ok);
  EXPECT_TRUE(result.needs_rehash);
}

TEST(PasswordHasherTest, Argon2idWithOtherParametersThanCurrentNeedsRehash) {
  PasswordPolicy old_policy = low_cost_policy(PasswordAlgorithm::kArgon2id);
  PasswordPolicy new_policy = old_policy;
  new_policy.argon2.memory_kib = 128;
  PasswordHasher old_hasher(fips_off_context(), old_policy, {});
  PasswordHasher new_hasher(fips_off_context(), new_policy, {});
  const auto result = new_hasher.verify("hunter2", old_hasher.hash("hunter2"));
  EXPECT_TRUE(result.ok);
  EXPECT_TRUE(result.needs_rehash);
}

TEST(PasswordHasherTest, VerifiesArgon2idStringFromCliAtProductionParameters) {
  PasswordHasher hasher(fips_off_context());
  const auto result = hasher.verify(
      "correct horse",
      "$argon2id$v=19$m=19456,t=2,p=1$ZnVyb3NoaWtpLXNhbHQxNg$Z4XkQNa47ciNEY7Yn/QYMRp6dIcEraDJbbT1Hn904Ek");
  EXPECT_TRUE(result.ok);
  EXPECT_FALSE(result.needs_rehash);
}

// The one test at the real PBKDF2 cost (one computation: about 0.25 s, 1 s under ASan). That the
// OpenSSL-made hash needs no rehash shows the production hasher's current scheme is 600,000.
TEST(PasswordHasherTest, ProductionPbkdf2HasherVerifiesOpensslHashAt600000Iterations) {
  PasswordPolicy policy;
  policy.algorithm = PasswordAlgorithm::kPbkdf2Sha256;
  PasswordHasher hasher(test_crypto_context(), policy);
  const auto result =
      hasher.verify("correct horse battery staple",
                    "$pbkdf2-sha256$i=600000$ZnVyb3NoaWtpLXNhbHQxNg$Llk4OnsqsAl9c31eiH7ZuHbpqcuBfuan1SGq+ljeOaE");
  EXPECT_TRUE(result.ok);
  EXPECT_FALSE(result.needs_rehash);
}

// Counts the computations a hasher starts.
struct CountingHasher {
  std::atomic<int> computations{0};
  PasswordHasher hasher;
  explicit CountingHasher(std::shared_ptr<const CryptoContext> ctx)
      : hasher(std::move(ctx), low_cost_policy(PasswordAlgorithm::kPbkdf2Sha256),
               {.while_computing = [this] { ++computations; }}) {}
};

TEST(PasswordHasherTest, RejectsMalformedStoredStringsWithoutComputing) {
  CountingHasher counting(test_crypto_context());
  const std::string salt = "ZnVyb3NoaWtpLXNhbHQxNg";                       // 16 bytes
  const std::string hash = "b4YtbDSjXLPDj+q0US872C+BC8ei8xK9KeT1SAxcNdY";  // 32 bytes
  const std::vector<std::string> malformed = {
      "",
      "$",
      "$$$$",
      "correct horse battery staple",
      "$pbkdf2-sha256$",
      "$pbkdf2-sha256$i=1000$" + salt,
      "$pbkdf2-sha256$i=1000$" + salt + "$" + hash + "$",
      "pbkdf2-sha256$i=1000$" + salt + "$" + hash,
      "$pbkdf2-sha256$1000$" + salt + "$" + hash,     // passlib's layout, not ours
      "$pbkdf2-sha256$i=01000$" + salt + "$" + hash,  // leading zero
      "$pbkdf2-sha256$i=+1000$" + salt + "$" + hash,
      "$pbkdf2-sha256$i=1000 $" + salt + "$" + hash,
      "$pbkdf2-sha256$j=1000$" + salt + "$" + hash,
      "$pbkdf2-sha1$i=1000$" + salt + "$" + hash,
      "$PBKDF2-SHA256$i=1000$" + salt + "$" + hash,
      "$pbkdf2-sha256$i=1000$" + salt + "==$" + hash,  // padding
      "$pbkdf2-sha256$i=1000$" + salt + "$" + hash + "=",
      "$pbkdf2-sha256$i=1000$ZnVyb3NoaWtpLXNhbHQxNh$" + hash,               // non-zero unused bits
      "$pbkdf2-sha256$i=1000$ZnVyb3NoaWtp-XNhbHQxNg$" + hash,               // base64url character
      "$pbkdf2-sha256$i=1000$ZnVyb3NoaWtpLXNhbHQx$" + hash,                 // 15-byte salt
      "$pbkdf2-sha256$i=1000$" + salt + "$b4YtbDSjXLPDj+q0US87",            // 15-byte hash
      "$pbkdf2-sha256$i=1000$" + std::string(88, 'A') + "$" + hash,         // 66-byte salt
      "$pbkdf2-sha256$i=1000$" + salt + "$" + hash + std::string(48, 'A'),  // 68-byte hash
      std::string("$pbkdf2-sha256$i=1000\0$", 23) + salt + "$" + hash,
      "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ",
      "$argon2id$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",  // no version
      "$argon2id$v=16$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2id$v=19$t=2,m=256,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2id$v=19$m=256,t=2$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2id$v=19$m=256,t=2,p=1,data=AA$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2d$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2id$v=19$m=256,t=2,p=1$c29tZXNh$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",  // 6-byte salt
      "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4" + std::string(100000, 'A'),
  };
  for (const auto& stored : malformed) {
    EXPECT_FALSE(counting.hasher.verify("correct horse battery staple", stored).ok) << stored;
  }
  EXPECT_EQ(counting.computations.load(), 0);
}

TEST(PasswordHasherTest, RejectsAbsurdParametersWithoutComputing) {
  CountingHasher counting(test_crypto_context());
  const std::string argon2_tail = "$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";
  const std::string pbkdf2_tail = "$ZnVyb3NoaWtpLXNhbHQxNg$b4YtbDSjXLPDj+q0US872C+BC8ei8xK9KeT1SAxcNdY";
  const std::vector<std::string> absurd = {
      "$argon2id$v=19$m=1048577,t=2,p=1" + argon2_tail,  // over 1 GiB
      "$argon2id$v=19$m=4294967295,t=2,p=1" + argon2_tail,
      "$argon2id$v=19$m=99999999999999999999,t=2,p=1" + argon2_tail,  // overflows 64 bits
      "$argon2id$v=19$m=256,t=11,p=1" + argon2_tail,
      "$argon2id$v=19$m=256,t=0,p=1" + argon2_tail,
      "$argon2id$v=19$m=256,t=2,p=17" + argon2_tail,
      "$argon2id$v=19$m=256,t=2,p=0" + argon2_tail,
      "$argon2id$v=19$m=7,t=2,p=1" + argon2_tail,  // below 8 KiB per lane
      "$argon2id$v=19$m=64,t=2,p=16" + argon2_tail,
      "$pbkdf2-sha256$i=10000001" + pbkdf2_tail,
      "$pbkdf2-sha256$i=4294967295" + pbkdf2_tail,
      "$pbkdf2-sha256$i=18446744073709551616" + pbkdf2_tail,
      "$pbkdf2-sha256$i=999" + pbkdf2_tail,
      "$pbkdf2-sha256$i=0" + pbkdf2_tail,
  };
  for (const auto& stored : absurd) {
    EXPECT_FALSE(counting.hasher.verify("password", stored).ok) << stored;
  }
  EXPECT_EQ(counting.computations.load(), 0);
}

TEST(PasswordHasherTest, RejectsOverlongPasswordWithoutComputing) {
  CountingHasher counting(test_crypto_context());
  const std::string overlong(PasswordHasher::kMaxPasswordBytes + 1, 'a');
  EXPECT_FALSE(counting.hasher.verify(overlong, kPbkdf2At1000).ok);
  EXPECT_THROW((void)counting.hasher.hash(overlong), std::invalid_argument);
  EXPECT_EQ(counting.computations.load(), 0);
}

TEST(PasswordHasherTest, NeverRunsMoreThanMaxConcurrentComputations) {
  constexpr std::size_t kLimit = 2;
  constexpr std::size_t kCallers = 6;
  const auto ctx = test_crypto_context();
  const std::string stored = PasswordHasher(ctx, low_cost_policy(PasswordAlgorithm::kPbkdf2Sha256), {}).hash("pw");

  // Each computation enters the hook holding a slot and, until the gate opens, stays there.
  std::mutex gate_mutex;
  std::condition_variable gate;
  bool open = false;
  std::atomic<std::size_t> inside{0};
  std::atomic<std::size_t> peak{0};
  PasswordPolicy policy = low_cost_policy(PasswordAlgorithm::kPbkdf2Sha256);
  policy.max_concurrent = kLimit;
  PasswordHasher hasher(ctx, policy, {.while_computing = [&] {
                          const std::size_t now = ++inside;
                          std::size_t seen = peak.load();
                          while (seen < now && !peak.compare_exchange_weak(seen, now)) {
                          }
                          {
                            std::unique_lock lock(gate_mutex);
                            gate.wait(lock, [&] { return open; });
                          }
                          --inside;
                        }});

  std::atomic<std::size_t> verified{0};
  std::vector<std::thread> callers;
  for (std::size_t i = 0; i < kCallers; ++i) {
    callers.emplace_back([&] {
      if (hasher.verify("pw", stored).ok) ++verified;
    });
  }
  // Wait until every caller is accounted for, either held at the gate (computing) or waiting
  // for a slot. Neither group can leave while the gate is shut, so the split is then final.
  while (inside.load() + hasher.load().waiting != kCallers) std::this_thread::yield();
  EXPECT_EQ(inside.load(), kLimit);
  EXPECT_EQ(hasher.load().running, kLimit);
  EXPECT_EQ(hasher.load().waiting, kCallers - kLimit);

  {
    std::lock_guard lock(gate_mutex);
    open = true;
  }
  gate.notify_all();
  for (auto& t : callers) t.join();
  EXPECT_EQ(peak.load(), kLimit);
  EXPECT_EQ(verified.load(), kCallers);
  EXPECT_EQ(hasher.load().running, 0u);
  EXPECT_EQ(hasher.load().waiting, 0u);
}

}  // namespace
}  // namespace furoshiki::crypto
