// CIDR network ranges; see network_range.hpp.
#include "common/network_range.hpp"

#include <array>
#include <charconv>
#include <string>

namespace furoshiki {

namespace ip = boost::asio::ip;

namespace {

// IPv4-mapped IPv6 addresses are the IPv4 address they carry (dual-stack sockets report them).
ip::address canonical(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

template <std::size_t N>
bool prefix_matches(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b, unsigned prefix) {
  for (std::size_t i = 0; i < N && prefix > 0; ++i) {
    const unsigned bits = prefix >= 8 ? 8 : prefix;
    const auto mask = static_cast<unsigned char>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    prefix -= bits;
  }
  return true;
}

}  // namespace

ip::address canonical_address(const ip::address& address) { return canonical(address); }

bool NetworkRange::contains(const ip::address& address) const {
  const ip::address a = canonical(address);
  if (a.is_v4() != network.is_v4()) return false;
  if (a.is_v4()) return prefix_matches(a.to_v4().to_bytes(), network.to_v4().to_bytes(), prefix);
  return prefix_matches(a.to_v6().to_bytes(), network.to_v6().to_bytes(), prefix);
}

std::optional<NetworkRange> parse_network_range(std::string_view text) {
  const auto slash = text.find('/');
  boost::system::error_code ec;
  const ip::address address = ip::make_address(std::string(text.substr(0, slash)), ec);
  if (ec) return std::nullopt;
  NetworkRange range{canonical(address), 0};
  const unsigned max = range.network.is_v4() ? 32 : 128;
  range.prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), range.prefix);
    if (err != std::errc{} || end != digits.data() + digits.size() || digits.empty() || range.prefix > max) {
      return std::nullopt;
    }
  }
  // Host bits must be zero: the network itself, not an address inside it.
  const NetworkRange exact{range.network, max};
  NetworkRange zeroed = range;
  if (range.network.is_v4()) {
    auto bytes = range.network.to_v4().to_bytes();
    for (unsigned bit = range.prefix; bit < 32; ++bit)
      bytes[bit / 8] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
    zeroed.network = ip::address_v4(bytes);
  } else {
    auto bytes = range.network.to_v6().to_bytes();
    for (unsigned bit = range.prefix; bit < 128; ++bit) {
      bytes[bit / 8] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
    }
    zeroed.network = ip::address_v6(bytes);
  }
  if (!exact.contains(zeroed.network)) return std::nullopt;
  return range;
}

}  // namespace furoshiki
