// Which address a request is attributed to: X-Forwarded-For only from trusted proxies.
#include "server/client_address.hpp"

#include <gtest/gtest.h>

namespace furoshiki::server {
namespace {

boost::asio::ip::address addr(const char* text) { return boost::asio::ip::make_address(text); }

std::vector<NetworkRange> proxies(std::initializer_list<const char*> ranges) {
  std::vector<NetworkRange> out;
  for (const char* r : ranges) out.push_back(*parse_network_range(r));
  return out;
}

TEST(ClientAddressTest, UntrustedPeerIsTheClientWhateverItClaims) {
  EXPECT_EQ(effective_client(addr("203.0.113.5"), "192.0.2.1", {}), addr("203.0.113.5"));
  EXPECT_EQ(effective_client(addr("203.0.113.5"), "192.0.2.1", proxies({"10.0.0.0/8"})), addr("203.0.113.5"));
}

TEST(ClientAddressTest, TrustedProxyForwardsTheNearestUntrustedAddress) {
  const auto trusted = proxies({"10.0.0.0/8", "127.0.0.1"});
  // The client forged the first entry; the proxies appended the real ones.
  EXPECT_EQ(effective_client(addr("127.0.0.1"), "1.2.3.4, 198.51.100.9, 10.1.2.3", trusted), addr("198.51.100.9"));
  EXPECT_EQ(effective_client(addr("10.0.0.1"), "198.51.100.9", trusted), addr("198.51.100.9"));
}

TEST(ClientAddressTest, TrustedProxyWithoutHeaderOrWithGarbageStaysAttributable) {
  const auto trusted = proxies({"127.0.0.1"});
  EXPECT_EQ(effective_client(addr("127.0.0.1"), "", trusted), addr("127.0.0.1"));
  EXPECT_EQ(effective_client(addr("127.0.0.1"), "not-an-address", trusted), addr("127.0.0.1"));
  EXPECT_EQ(effective_client(addr("127.0.0.1"), "198.51.100.9, junk", trusted), addr("127.0.0.1"));
}

TEST(ClientAddressTest, MappedAddressesAreCanonical) {
  EXPECT_EQ(effective_client(addr("::ffff:203.0.113.5"), "", {}), addr("203.0.113.5"));
}

}  // namespace
}  // namespace furoshiki::server
