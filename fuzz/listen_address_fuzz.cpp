// Fuzz target for furoshiki::parse_listen_address. Whatever it accepts must be a literal IP
// address and a port that survive a round trip through ListenAddress::to_string().
#include "common/config.hpp"

#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "listen_address_fuzz: invariant violated: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto address = furoshiki::parse_listen_address(text);
  if (!address) return 0;

  // The host is exactly one literal address: no embedded NUL that inet_pton would stop at.
  require(address->host.find('\0') == std::string::npos, "host has no NUL byte");
  const bool v6 = address->host.find(':') != std::string::npos;
  unsigned char buffer[sizeof(in6_addr)];
  require(inet_pton(v6 ? AF_INET6 : AF_INET, address->host.c_str(), buffer) == 1, "host is a literal address");

  const std::string printed = address->to_string();
  require(!printed.empty(), "to_string is not empty");
  const auto again = furoshiki::parse_listen_address(printed);
  require(again.has_value(), "to_string output parses again");
  require(again->host == address->host && again->port == address->port, "round trip keeps host and port");
  return 0;
}
