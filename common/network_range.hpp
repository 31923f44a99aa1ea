// Network ranges in CIDR notation, IPv4 and IPv6 ("192.0.2.0/24", "2001:db8::/32"; a bare
// address is a /32 or /128): organizations' IP allowlists and the server's trusted proxies. An
// IPv4-mapped IPv6 address (::ffff:192.0.2.7, what dual-stack sockets report) matches as IPv4.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string_view>

namespace furoshiki {

struct NetworkRange {
  boost::asio::ip::address network;
  unsigned prefix = 0;
  bool contains(const boost::asio::ip::address& address) const;
};

// nullopt for anything but a literal address with an optional /prefix in range; host bits set
// are refused ("192.0.2.1/24" is a typo more often than a meaning).
std::optional<NetworkRange> parse_network_range(std::string_view text);

// The address with an IPv4-mapped IPv6 address turned into its IPv4 address.
boost::asio::ip::address canonical_address(const boost::asio::ip::address& address);

}  // namespace furoshiki
