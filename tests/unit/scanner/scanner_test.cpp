// The Scanner service: engine swaps while scanning, failed reloads, fail-closed availability and
// libclamav's temporary directory.
#include "scanner/scanner.hpp"

#include "scanner_fixture.hpp"

#include <atomic>
#include <thread>

namespace furoshiki::scanner::testing {
namespace {

class ScannerTest : public ScannerTestBase {
 protected:
  // A database with one body signature named `name` matching `marker`, written atomically.
  void add_signature(const std::string& file, const std::string& name, const std::string& marker) {
    std::string hex;
    for (unsigned char c : marker) {
      static constexpr char digits[] = "0123456789abcdef";
      hex += digits[c >> 4];
      hex += digits[c & 15];
    }
    write_file(work() / file, name + ":0:*:" + hex + "\n");
    fs::rename(work() / file, signatures() / file);
  }
  ScanVerdict scan_text(Scanner& scanner, std::string_view text) {
    test_support::MemoryObject object(tenant_, text);
    return scanner.scan(object.opener());
  }
};

TEST_F(ScannerTest, StartsWithTheDefinitionsInTheDirectory) {
  Scanner scanner(scanner_options());
  EXPECT_EQ(scanner.start(), "");
  const auto status = scanner.status();
  EXPECT_TRUE(status.ready);
  ASSERT_TRUE(status.definitions);
  EXPECT_EQ(status.definitions->signatures, 1u);
  EXPECT_EQ(status.engine_generation, 1u);
  EXPECT_EQ(scan_text(scanner, eicar_test_file()).signature, "Eicar-Test-Signature");
}

TEST_F(ScannerTest, WithoutDefinitionsEveryScanIsRefused) {
  fs::remove(signatures() / kTestSignatureFile);
  Scanner scanner(scanner_options());
  EXPECT_NE(scanner.start(), "");
  const auto v = scan_text(scanner, "harmless");
  EXPECT_EQ(v.kind, ScanVerdict::Kind::kError);
  EXPECT_EQ(v.reason, "no_engine");
  EXPECT_FALSE(scanner.status().ready);
  EXPECT_EQ(scanner.status().unavailable_reason, "no_engine");
}

TEST_F(ScannerTest, CorruptDefinitionsAtStartRefuseEveryScan) {
  write_file(signatures() / "broken.ndb", "not a signature\n");
  Scanner scanner(scanner_options());
  EXPECT_NE(scanner.start().find("cannot load"), std::string::npos);
  EXPECT_EQ(scan_text(scanner, "harmless").reason, "no_engine");
}

TEST_F(ScannerTest, NewDefinitionsAreInForceAfterReload) {
  Scanner scanner(scanner_options());
  ASSERT_EQ(scanner.start(), "");
  const std::string marker = "furoshiki-marker-" + tenant_.random_id();
  EXPECT_TRUE(scan_text(scanner, "text with " + marker + " inside").is_clean());
  add_signature("custom.ndb", "Furoshiki.Test.Marker", marker);
  EXPECT_TRUE(scanner.reload());
  EXPECT_EQ(scan_text(scanner, "text with " + marker + " inside").signature, "Furoshiki.Test.Marker");
  EXPECT_EQ(scanner.status().engine_generation, 2u);
  EXPECT_FALSE(scanner.reload()) << "nothing changed: no new engine";
}

TEST_F(ScannerTest, FailedReloadKeepsTheOldEngineAndReportsTheError) {
  Scanner scanner(scanner_options());
  ASSERT_EQ(scanner.start(), "");
  write_file(signatures() / "broken.ndb", "garbage line\n");
  EXPECT_FALSE(scanner.reload());
  const auto status = scanner.status();
  EXPECT_TRUE(status.ready);
  EXPECT_EQ(status.engine_generation, 1u);
  EXPECT_NE(status.last_reload_error.find("cannot load"), std::string::npos);
  EXPECT_EQ(status.reload_failures, 1u);
  EXPECT_EQ(scan_text(scanner, eicar_test_file()).signature, "Eicar-Test-Signature");
  // Fixing the directory clears the error.
  fs::remove(signatures() / "broken.ndb");
  EXPECT_TRUE(scanner.reload());
  EXPECT_EQ(scanner.status().last_reload_error, "");
}

TEST_F(ScannerTest, DefinitionsOlderThanPolicyRefuseEveryScan) {
  std::atomic<std::int64_t> now{
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count()};
  ScannerOptions o = scanner_options();
  o.max_definition_age = std::chrono::hours(24);
  o.clock = [&] { return now.load(); };
  Scanner scanner(o);
  ASSERT_EQ(scanner.start(), "");
  EXPECT_TRUE(scan_text(scanner, "fine").is_clean());
  now += 25 * 3600;
  const auto v = scan_text(scanner, "fine");
  EXPECT_EQ(v.kind, ScanVerdict::Kind::kError);
  EXPECT_EQ(v.reason, "definitions_too_old");
  EXPECT_EQ(scanner.status().unavailable_reason, "definitions_too_old");
  EXPECT_FALSE(scanner.status().ready);
}

TEST_F(ScannerTest, TemporaryDirectoryIsEmptiedAtStartAndAfterScans) {
  write_file(tmp() / "leftover-from-a-crash", "plaintext that must not stay");
  fs::create_directories(tmp() / "clamav-dir");
  Scanner scanner(scanner_options());
  ASSERT_EQ(scanner.start(), "");
  EXPECT_TRUE(fs::is_empty(tmp()));
  // A tar.gz makes libclamav write temporary files for its members.
  write_file(work() / "a.txt", random_bytes(200000, 1));
  ASSERT_EQ(std::system(("cd '" + work().string() + "' && tar czf a.tgz a.txt").c_str()), 0);
  EXPECT_TRUE(scan_text(scanner, read_file(work() / "a.tgz")).is_clean());
  EXPECT_TRUE(fs::is_empty(tmp()));
  EXPECT_EQ(fs::status(tmp()).permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST_F(ScannerTest, WatcherPicksUpChangedDefinitions) {
  Scanner scanner(scanner_options());
  ASSERT_EQ(scanner.start(), "");
  std::mutex m;
  std::condition_variable cv;
  std::uint64_t generation = 1;
  scanner.on_change([&](const ScannerStatus& s) {
    std::lock_guard lock(m);
    generation = s.engine_generation;
    cv.notify_all();
  });
  scanner.watch(std::chrono::milliseconds(20));
  add_signature("watched.ndb", "Furoshiki.Test.Watched", "watched-marker");
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return generation >= 2; }));
  lock.unlock();
  EXPECT_EQ(scan_text(scanner, "a watched-marker here").signature, "Furoshiki.Test.Watched");
}

// Four threads scan continuously while the definitions change ten times: no scan errors, no wrong
// verdicts, and after each swap the newest signature is in force.
TEST_F(ScannerTest, ReloadsUnderConcurrentScansNeverGiveWrongVerdicts) {
  Scanner scanner(scanner_options());
  ASSERT_EQ(scanner.start(), "");
  const std::string eicar = eicar_test_file();
  const std::string clean = random_bytes(200000, 77);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> scans{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      test_support::MemoryObject infected(tenant_, eicar);
      test_support::MemoryObject harmless(tenant_, clean);
      for (std::uint64_t i = 0; !stop.load(); ++i) {
        const bool bad = (i + static_cast<std::uint64_t>(t)) % 2 == 0;
        const auto v = scanner.scan(bad ? infected.opener() : harmless.opener());
        const bool right = bad ? v.signature == "Eicar-Test-Signature" : v.is_clean();
        if (!right) {
          ++wrong;
          ADD_FAILURE() << (bad ? "infected" : "clean") << " object got " << v.to_string();
        }
        ++scans;
      }
    });
  }
  for (int round = 1; round <= 10; ++round) {
    const std::string marker = "round-" + std::to_string(round) + "-" + tenant_.random_id();
    add_signature("round" + std::to_string(round) + ".ndb", "Furoshiki.Test.Round" + std::to_string(round), marker);
    ASSERT_TRUE(scanner.reload()) << scanner.status().last_reload_error;
    EXPECT_EQ(scan_text(scanner, "x " + marker + " y").signature, "Furoshiki.Test.Round" + std::to_string(round));
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_GT(scans.load(), 40u);
  EXPECT_EQ(scanner.status().engine_generation, 11u);
  EXPECT_EQ(scanner.status().scans_error, 0u);
}

}  // namespace
}  // namespace furoshiki::scanner::testing
