// Sign-in throttling: free attempts, back-off that doubles up to its cap, the temporary lock,
// success clearing the account but not the address, the keys (IPv6 by /64), identical behaviour
// for logins that do not exist, and exact counts under concurrent writers and across restarts.
#include "admin/login_throttle.hpp"

#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

namespace furoshiki::admin {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

std::unique_ptr<db::Database> open_migrated(const std::string& path) {
  boost::system::error_code ec;
  auto db = db::open_sqlite({path}, ec);
  EXPECT_TRUE(db) << ec.message();
  if (!db) return db;
  auto migrations = db::parse_migrations(db::embedded_migrations(), ec);
  db::MigrationReport report;
  EXPECT_FALSE(db::migrate(*db, migrations, report));
  return db;
}

class LoginThrottleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open_migrated(":memory:");
    ASSERT_TRUE(db_);
  }

  ThrottleClock clock() {
    return [this] {
      std::lock_guard lock(mutex_);
      return now_;
    };
  }
  void advance(system_clock::duration d) {
    std::lock_guard lock(mutex_);
    now_ += d;
  }

  LoginThrottle make(ThrottleSettings settings = {}) { return LoginThrottle(*db_, settings, clock()); }

  ThrottleDecision check(LoginThrottle& t, const ThrottleKeys& keys) {
    auto d = t.check(keys);
    EXPECT_TRUE(d.has_value());
    return d.has_value() ? *d : ThrottleDecision{};
  }
  ThrottleDecision fail(LoginThrottle& t, const ThrottleKeys& keys) {
    auto d = t.record_failure(keys);
    EXPECT_TRUE(d.has_value());
    return d.has_value() ? *d : ThrottleDecision{};
  }
  // A failure, then the clock moved past whatever wait it caused.
  void fail_and_wait(LoginThrottle& t, const ThrottleKeys& keys) { advance(fail(t, keys).retry_after); }

  std::int64_t failures(const std::string& key) {
    std::int64_t n = 0;
    EXPECT_FALSE(db_->execute("SELECT failures FROM login_throttle WHERE key = ?1", {key},
                              [&](const db::Row& r) { n = r.integer(0); }));
    return n;
  }
  std::int64_t rows() {
    std::int64_t n = -1;
    EXPECT_FALSE(db_->execute("SELECT count(*) FROM login_throttle", {}, [&](const db::Row& r) { n = r.integer(0); }));
    return n;
  }

  std::unique_ptr<db::Database> db_;
  std::mutex mutex_;
  system_clock::time_point now_ = system_clock::time_point(std::chrono::seconds(1'900'000'000));
  const ThrottleKeys alice_ = throttle_keys("acme", "alice@acme.test", "192.0.2.10");
};

TEST_F(LoginThrottleTest, FreeAttemptsAreNotDelayed) {
  LoginThrottle t = make();
  for (int i = 0; i < 4; ++i) {
    const ThrottleDecision d = fail(t, alice_);
    EXPECT_TRUE(d.allowed) << "failure " << i + 1;
    EXPECT_EQ(d.retry_after, 0ms);
  }
  EXPECT_TRUE(check(t, alice_).allowed);
}

TEST_F(LoginThrottleTest, BackOffDoublesPerFailureUpToItsCap) {
  // No lock in this test, to see the cap.
  LoginThrottle t = make({.free_failures = 5, .base_delay = 1s, .max_delay = 15min, .lock_after = 100});
  for (int i = 0; i < 4; ++i) fail(t, alice_);
  std::vector<std::chrono::milliseconds> waits;
  for (int i = 0; i < 14; ++i) {
    const ThrottleDecision d = fail(t, alice_);
    EXPECT_FALSE(d.locked);
    waits.push_back(d.retry_after);
    const ThrottleDecision checked = check(t, alice_);
    EXPECT_FALSE(checked.allowed);
    EXPECT_EQ(checked.retry_after, d.retry_after);
    advance(d.retry_after);
  }
  const std::vector<std::chrono::milliseconds> expected{1s,   2s,   4s,   8s,    16s,   32s,   64s,
                                                        128s, 256s, 512s, 15min, 15min, 15min, 15min};
  EXPECT_EQ(waits, expected);
}

TEST_F(LoginThrottleTest, AllowsTheNextAttemptOnlyOnceTheWaitHasPassed) {
  LoginThrottle t = make();
  for (int i = 0; i < 5; ++i) fail(t, alice_);
  const ThrottleDecision d = check(t, alice_);
  ASSERT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 1s);
  EXPECT_EQ(d.retry_after_seconds(), 1);
  advance(999ms);
  EXPECT_FALSE(check(t, alice_).allowed);
  EXPECT_EQ(check(t, alice_).retry_after_seconds(), 1) << "Retry-After rounds up";
  advance(1ms);
  EXPECT_TRUE(check(t, alice_).allowed);
}

TEST_F(LoginThrottleTest, LocksAfterTenFailuresAndUnlocksAfterTheLockDuration) {
  LoginThrottle t = make();
  for (int i = 0; i < 9; ++i) fail_and_wait(t, alice_);
  const ThrottleDecision tenth = fail(t, alice_);
  EXPECT_TRUE(tenth.lock_started);
  EXPECT_TRUE(tenth.locked);
  EXPECT_EQ(tenth.retry_after, 15min);

  advance(10min);
  const ThrottleDecision during = check(t, alice_);
  EXPECT_FALSE(during.allowed);
  EXPECT_TRUE(during.locked);
  EXPECT_EQ(during.retry_after, 5min) << "checking does not extend the lock";
  EXPECT_EQ(during.retry_after_seconds(), 300);

  advance(5min);
  EXPECT_TRUE(check(t, alice_).allowed);
  // Until cleared or forgotten, the next failure locks again at once.
  const ThrottleDecision eleventh = fail(t, alice_);
  EXPECT_TRUE(eleventh.locked);
  EXPECT_TRUE(eleventh.lock_started);
}

TEST_F(LoginThrottleTest, SuccessClearsTheAccountButNotTheAddress) {
  LoginThrottle t = make();
  for (int i = 0; i < 7; ++i) fail_and_wait(t, alice_);
  ASSERT_TRUE(check(t, alice_).allowed);
  ASSERT_FALSE(t.record_success(alice_.account));
  EXPECT_EQ(failures(alice_.account), 0);
  EXPECT_EQ(failures(alice_.address), 7);
  // Another account from the same address is still slowed down by the address's count.
  const ThrottleKeys bob = throttle_keys("acme", "bob@acme.test", "192.0.2.10");
  const ThrottleDecision d = fail(t, bob);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 8s);
  EXPECT_EQ(failures(bob.account), 1);
}

TEST_F(LoginThrottleTest, GuessesSpreadOverAccountsAreCaughtByTheAddress) {
  LoginThrottle t = make();
  for (int i = 0; i < 10; ++i) {
    const ThrottleKeys keys = throttle_keys("acme", "user" + std::to_string(i) + "@acme.test", "192.0.2.99");
    ASSERT_TRUE(check(t, keys).allowed);
    if (i < 9) {
      fail_and_wait(t, keys);
    } else {
      EXPECT_TRUE(fail(t, keys).lock_started);
    }
  }
  const ThrottleDecision d = check(t, throttle_keys("acme", "fresh@acme.test", "192.0.2.99"));
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(d.locked);
  EXPECT_TRUE(check(t, throttle_keys("acme", "fresh@acme.test", "192.0.2.100")).allowed);
}

TEST_F(LoginThrottleTest, GuessesAgainstOneAccountFromManyAddressesAreCaughtByTheAccount) {
  LoginThrottle t = make();
  for (int i = 0; i < 9; ++i) {
    fail_and_wait(t, throttle_keys("acme", "alice@acme.test", "198.51.100." + std::to_string(i)));
  }
  EXPECT_TRUE(fail(t, throttle_keys("acme", "alice@acme.test", "198.51.100.9")).lock_started);
  const ThrottleDecision d = check(t, throttle_keys("acme", "alice@acme.test", "203.0.113.1"));
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(d.locked);
}

TEST_F(LoginThrottleTest, AddressKeysGroupIpv6ByItsSlash64) {
  EXPECT_EQ(address_throttle_key("192.0.2.7"), "address:192.0.2.7");
  EXPECT_NE(address_throttle_key("192.0.2.7"), address_throttle_key("192.0.2.8"));
  EXPECT_EQ(address_throttle_key("2001:db8:1:2::1"), "address:2001:db8:1:2::/64");
  EXPECT_EQ(address_throttle_key("2001:db8:1:2:ffff:eeee:dddd:cccc"), address_throttle_key("2001:db8:1:2::1"));
  EXPECT_EQ(address_throttle_key("2001:DB8:1:2::abcd"), address_throttle_key("2001:db8:1:2::1"));
  EXPECT_NE(address_throttle_key("2001:db8:1:3::1"), address_throttle_key("2001:db8:1:2::1"));
  EXPECT_EQ(address_throttle_key("[2001:db8:1:2::9]"), address_throttle_key("2001:db8:1:2::1"));
  EXPECT_EQ(address_throttle_key("fe80::1%eth0"), "address:fe80::/64");
  EXPECT_EQ(address_throttle_key("::ffff:192.0.2.7"), "address:192.0.2.7");
  EXPECT_EQ(address_throttle_key("not\nan address"), "address:not?an address");
  EXPECT_LE(address_throttle_key(std::string(10'000, 'x')).size(), 80u);
}

TEST_F(LoginThrottleTest, Ipv6AddressesOfOneSlash64ShareTheirCount) {
  LoginThrottle t = make();
  std::mt19937_64 random(42);
  for (int i = 0; i < 10; ++i) {
    std::array<char, 40> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%x:%x:%x:%x", static_cast<unsigned>(random() & 0xffff),
                  static_cast<unsigned>(random() & 0xffff), static_cast<unsigned>(random() & 0xffff),
                  static_cast<unsigned>(random() & 0xffff));
    const std::string suffix = buffer.data();
    const ThrottleKeys keys = throttle_keys("acme", "u" + std::to_string(i) + "@acme.test", "2001:db8:7:7:" + suffix);
    if (i < 9) fail_and_wait(t, keys);
    if (i == 9) fail(t, keys);
  }
  EXPECT_FALSE(check(t, throttle_keys("acme", "other@acme.test", "2001:db8:7:7::1")).allowed);
  EXPECT_TRUE(check(t, throttle_keys("acme", "other@acme.test", "2001:db8:7:8::1")).allowed);
}

TEST_F(LoginThrottleTest, AccountKeysFoldCaseAndSpaces) {
  EXPECT_EQ(account_throttle_key("acme", "alice@acme.test"), "account:acme:alice@acme.test");
  EXPECT_EQ(account_throttle_key(" ACME ", "  Alice@ACME.test\t"), account_throttle_key("acme", "alice@acme.test"));
  EXPECT_NE(account_throttle_key("acme", "alice@acme.test"), account_throttle_key("globex", "alice@acme.test"));
  EXPECT_LE(account_throttle_key(std::string(1000, 'o'), std::string(5000, 'l')).size(), 400u);
}

TEST_F(LoginThrottleTest, UnknownOrganizationsAndLoginsAreThrottledTheSameWay) {
  // Nothing here looks at users or organizations: whatever was typed gets the same decisions.
  // (This database has no organization at all.)
  LoginThrottle t = make();
  const auto run = [&](const ThrottleKeys& keys) {
    std::vector<std::pair<bool, std::chrono::milliseconds>> seen;
    for (int i = 0; i < 12; ++i) {
      const ThrottleDecision d = fail(t, keys);
      seen.emplace_back(d.allowed, d.retry_after);
      advance(d.retry_after);
    }
    return seen;
  };
  const auto known = run(throttle_keys("acme", "alice@acme.test", "192.0.2.1"));
  const auto unknown_login = run(throttle_keys("acme", "nobody@acme.test", "192.0.2.2"));
  const auto unknown_org = run(throttle_keys("no-such-org", "alice@acme.test", "192.0.2.3"));
  const auto not_an_email = run(throttle_keys("acme", "x", "192.0.2.4"));
  EXPECT_EQ(known, unknown_login);
  EXPECT_EQ(known, unknown_org);
  EXPECT_EQ(known, not_an_email);
}

TEST_F(LoginThrottleTest, ForgetsFailuresAfterADayAndPrunesTheirRows) {
  LoginThrottle t = make();
  for (int i = 0; i < 3; ++i) fail(t, alice_);
  ASSERT_EQ(rows(), 2);
  advance(24h);
  EXPECT_TRUE(check(t, alice_).allowed);
  fail(t, throttle_keys("acme", "bob@acme.test", "192.0.2.11"));
  EXPECT_EQ(rows(), 2) << "alice's two rows pruned, bob's two written";
  EXPECT_EQ(failures(alice_.account), 0);
  fail(t, alice_);
  EXPECT_EQ(failures(alice_.account), 1) << "counting starts again";
}

TEST_F(LoginThrottleTest, ConcurrentFailuresAreEachCounted) {
  LoginThrottle t = make({.free_failures = 5, .base_delay = 1s, .max_delay = 15min, .lock_after = 1000});
  constexpr int kPerThread = 200;
  const auto worker = [&] {
    for (int i = 0; i < kPerThread; ++i) ASSERT_TRUE(t.record_failure(alice_).has_value());
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  EXPECT_EQ(failures(alice_.account), 2 * kPerThread);
  EXPECT_EQ(failures(alice_.address), 2 * kPerThread);
}

TEST_F(LoginThrottleTest, HoldsAcrossConnectionsAndRestarts) {
  // Two connections to one file stand for two server processes; a third opened after both are
  // closed for a restart.
  const auto path = std::filesystem::temp_directory_path() / ("furoshiki-throttle-" + std::to_string(::getpid()) + "-" +
                                                              std::to_string(std::random_device{}()) + ".db");
  {
    auto first = open_migrated(path.string());
    auto second = open_migrated(path.string());
    ASSERT_TRUE(first && second);
    const ThrottleSettings settings{.free_failures = 5, .base_delay = 1s, .max_delay = 15min, .lock_after = 1000};
    LoginThrottle one(*first, settings, clock());
    LoginThrottle two(*second, settings, clock());
    constexpr int kPerProcess = 50;
    std::thread a([&] {
      for (int i = 0; i < kPerProcess; ++i) ASSERT_TRUE(one.record_failure(alice_).has_value());
    });
    std::thread b([&] {
      for (int i = 0; i < kPerProcess; ++i) ASSERT_TRUE(two.record_failure(alice_).has_value());
    });
    a.join();
    b.join();
  }
  {
    auto reopened = open_migrated(path.string());
    ASSERT_TRUE(reopened);
    std::int64_t n = 0;
    ASSERT_FALSE(reopened->execute("SELECT failures FROM login_throttle WHERE key = ?1", {alice_.account},
                                   [&](const db::Row& r) { n = r.integer(0); }));
    EXPECT_EQ(n, 100);
    LoginThrottle after_restart(*reopened, {}, clock());
    const auto d = after_restart.check(alice_);
    ASSERT_TRUE(d.has_value());
    EXPECT_FALSE(d->allowed);
  }
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix, ec);
}

TEST_F(LoginThrottleTest, RefusesNonsensicalSettings) {
  EXPECT_THROW(make({.free_failures = -1}), std::invalid_argument);
  EXPECT_THROW(make({.base_delay = 10s, .max_delay = 1s}), std::invalid_argument);
  EXPECT_THROW(make({.lock_after = 0}), std::invalid_argument);
}

}  // namespace
}  // namespace furoshiki::admin
