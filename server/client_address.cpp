// The effective client address; see client_address.hpp.
#include "server/client_address.hpp"

#include <string>

namespace furoshiki::server {

namespace {

bool trusted(const boost::asio::ip::address& a, const std::vector<NetworkRange>& proxies) {
  for (const auto& range : proxies) {
    if (range.contains(a)) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

boost::asio::ip::address effective_client(const boost::asio::ip::address& peer, std::string_view forwarded_for,
                                          const std::vector<NetworkRange>& trusted_proxies) {
  boost::asio::ip::address client = canonical_address(peer);
  if (!trusted(client, trusted_proxies)) return client;
  // Right to left: each trusted proxy appended the address it received from; the first address
  // that is not a trusted proxy is the client. Anything unparsable stops the walk there.
  while (!forwarded_for.empty()) {
    const auto comma = forwarded_for.rfind(',');
    const std::string_view item =
        trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for = comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(std::string(item), ec);
    if (ec) break;
    client = canonical_address(address);
    if (!trusted(client, trusted_proxies)) break;
  }
  return client;
}

}  // namespace furoshiki::server
