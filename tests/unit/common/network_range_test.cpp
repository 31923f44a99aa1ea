// CIDR ranges for allowlists and trusted proxies.
#include "common/network_range.hpp"

#include <gtest/gtest.h>

namespace furoshiki {
namespace {

boost::asio::ip::address addr(const char* text) { return boost::asio::ip::make_address(text); }

TEST(NetworkRangeTest, ParsesIpv4AndIpv6Cidr) {
  auto v4 = parse_network_range("192.0.2.0/24");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->contains(addr("192.0.2.200")));
  EXPECT_FALSE(v4->contains(addr("192.0.3.1")));
  auto v6 = parse_network_range("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(addr("2001:db8:ffff::1")));
  EXPECT_FALSE(v6->contains(addr("2001:db9::1")));
  EXPECT_FALSE(v6->contains(addr("192.0.2.1")));
}

TEST(NetworkRangeTest, BareAddressIsOneHost) {
  auto one = parse_network_range("198.51.100.7");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->prefix, 32u);
  EXPECT_TRUE(one->contains(addr("198.51.100.7")));
  EXPECT_FALSE(one->contains(addr("198.51.100.8")));
  auto zero = parse_network_range("0.0.0.0/0");
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->contains(addr("203.0.113.1")));
}

TEST(NetworkRangeTest, Ipv4MappedIpv6MatchesAsIpv4) {
  auto v4 = parse_network_range("192.0.2.0/24");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->contains(addr("::ffff:192.0.2.9")));
}

TEST(NetworkRangeTest, RefusesMalformedRanges) {
  for (const char* bad : {"", "192.0.2.0/", "192.0.2.0/33", "2001:db8::/129", "192.0.2.1/24", "example.com",
                          "192.0.2.0/24/1", "192.0.2.0/-1", "192.0.2.0/ 24", "::1/x"}) {
    EXPECT_FALSE(parse_network_range(bad)) << bad;
  }
}

}  // namespace
}  // namespace furoshiki
