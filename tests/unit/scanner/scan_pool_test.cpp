// The bounded scan pool: verdicts come back, a full queue answers scanner_busy after the wait,
// and a scanner without an engine answers scanner_unavailable without queueing.
#include "scanner/scan_pool.hpp"

#include "common/error.hpp"
#include "scanner_fixture.hpp"

#include <latch>

namespace furoshiki::scanner::testing {
namespace {

class ScanPoolTest : public ScannerTestBase {};

TEST_F(ScanPoolTest, RunsScansOnItsThreads) {
  Scanner scanner(scanner_options());
  ASSERT_EQ(scanner.start(), "");
  ScanPool pool(scanner, {.threads = 2, .queue_length = 8, .queue_wait = std::chrono::seconds(5)});
  const std::string eicar = eicar_test_file();
  std::vector<std::future<ScanVerdict>> futures;
  for (int i = 0; i < 6; ++i) {
    auto submitted = pool.submit([&, i](Scanner& s) {
      test_support::MemoryObject object(tenant_, i % 2 ? eicar : std::string("clean text"));
      return s.scan(object.opener());
    });
    ASSERT_TRUE(submitted);
    futures.push_back(std::move(*submitted));
  }
  for (int i = 0; i < 6; ++i) {
    const auto v = futures[static_cast<std::size_t>(i)].get();
    if (i % 2) {
      EXPECT_EQ(v.signature, "Eicar-Test-Signature");
    } else {
      EXPECT_TRUE(v.is_clean()) << v.to_string();
    }
  }
}

TEST_F(ScanPoolTest, FullQueueAnswersBusyAfterTheWait) {
  Scanner scanner(scanner_options());
  ASSERT_EQ(scanner.start(), "");
  ScanPool pool(scanner, {.threads = 1, .queue_length = 1, .queue_wait = std::chrono::milliseconds(100)});
  std::latch release(1);
  std::latch running(1);
  auto blocker = [&](Scanner&) {
    running.count_down();
    release.wait();
    return ScanVerdict::clean();
  };
  auto first = pool.submit(blocker);  // runs, holds the only thread
  ASSERT_TRUE(first);
  running.wait();
  auto second = pool.submit([](Scanner&) { return ScanVerdict::clean(); });  // fills the queue
  ASSERT_TRUE(second);
  auto third = pool.submit([](Scanner&) { return ScanVerdict::clean(); });
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error(), make_error_code(Errc::kScannerBusy));
  EXPECT_EQ(pool.busy_rejections(), 1u);
  release.count_down();
  EXPECT_TRUE(first->get().is_clean());
  EXPECT_TRUE(second->get().is_clean());
}

TEST_F(ScanPoolTest, NoEngineAnswersUnavailableAtOnce) {
  fs::remove(signatures() / kTestSignatureFile);
  Scanner scanner(scanner_options());
  EXPECT_NE(scanner.start(), "");
  ScanPool pool(scanner, {.threads = 1, .queue_length = 1, .queue_wait = std::chrono::seconds(30)});
  auto submitted = pool.submit([](Scanner&) { return ScanVerdict::clean(); });
  ASSERT_FALSE(submitted);
  EXPECT_EQ(submitted.error(), make_error_code(Errc::kScannerUnavailable));
}

TEST_F(ScanPoolTest, QueuedJobsAreRefusedWhenThePoolStops) {
  Scanner scanner(scanner_options());
  ASSERT_EQ(scanner.start(), "");
  std::latch release(1);
  std::latch running(1);
  std::future<ScanVerdict> first, queued;
  std::thread releaser;
  {
    ScanPool pool(scanner, {.threads = 1, .queue_length = 4, .queue_wait = std::chrono::seconds(1)});
    auto a = pool.submit([&](Scanner&) {
      running.count_down();
      release.wait();
      return ScanVerdict::clean();
    });
    ASSERT_TRUE(a);
    first = std::move(*a);
    running.wait();
    auto b = pool.submit([](Scanner&) { return ScanVerdict::clean(); });
    ASSERT_TRUE(b);
    queued = std::move(*b);
    // The queued job can only be answered by the pool's destructor (the one thread is blocked);
    // once it is, the running job may finish and the destructor's join returns.
    releaser = std::thread([&] {
      queued.wait();
      release.count_down();
    });
  }
  releaser.join();
  EXPECT_TRUE(first.get().is_clean());
  const auto v = queued.get();
  EXPECT_EQ(v.kind, ScanVerdict::Kind::kError);
  EXPECT_EQ(v.reason, "shutting_down");
}

}  // namespace
}  // namespace furoshiki::scanner::testing
