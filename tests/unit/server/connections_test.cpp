// Connection limits and drain bookkeeping.
#include "server/connections.hpp"

#include <gtest/gtest.h>

namespace furoshiki::server {
namespace {

using boost::asio::ip::make_address;
using Admission = ConnectionTracker::Admission;

TEST(ConnectionTrackerTest, EnforcesPerClientLimit) {
  ConnectionTracker t(100, 2);
  const auto a = make_address("192.0.2.1");
  const auto b = make_address("192.0.2.2");
  EXPECT_EQ(t.admit(a), Admission::kAdmitted);
  EXPECT_EQ(t.admit(a), Admission::kAdmitted);
  EXPECT_EQ(t.admit(a), Admission::kClientLimit);
  EXPECT_EQ(t.admit(b), Admission::kAdmitted);
  t.release(a);
  EXPECT_EQ(t.admit(a), Admission::kAdmitted);
  EXPECT_EQ(t.open(), 3u);
}

TEST(ConnectionTrackerTest, EnforcesTotalLimit) {
  ConnectionTracker t(2, 10);
  EXPECT_EQ(t.admit(make_address("::1")), Admission::kAdmitted);
  EXPECT_EQ(t.admit(make_address("::2")), Admission::kAdmitted);
  EXPECT_EQ(t.admit(make_address("::3")), Admission::kTotalLimit);
}

TEST(ConnectionTrackerTest, CallsOnEmptyWhenLastConnectionCloses) {
  ConnectionTracker t(10, 10);
  int calls = 0;
  t.on_empty([&] { ++calls; });
  const auto a = make_address("127.0.0.1");
  ASSERT_EQ(t.admit(a), Admission::kAdmitted);
  ASSERT_EQ(t.admit(a), Admission::kAdmitted);
  t.release(a);
  EXPECT_EQ(calls, 0);
  t.release(a);
  EXPECT_EQ(calls, 1);
}

struct FakeConnection : Connection {
  int drains = 0, aborts = 0;
  void drain() override { ++drains; }
  void abort() override { ++aborts; }
};

TEST(ConnectionTrackerTest, DrainsAndAbortsLiveConnectionsOnly) {
  ConnectionTracker t(10, 10);
  auto live = std::make_shared<FakeConnection>();
  auto gone = std::make_shared<FakeConnection>();
  t.track(live);
  const auto handle = t.track(gone);
  t.forget(handle);
  {
    auto expired = std::make_shared<FakeConnection>();
    t.track(expired);
  }
  t.drain_all();
  t.abort_all();
  EXPECT_EQ(live->drains, 1);
  EXPECT_EQ(live->aborts, 1);
  EXPECT_EQ(gone->drains, 0);
}

}  // namespace
}  // namespace furoshiki::server
