// An organization's IP allowlist (organizations.policy "ip_allowlist": CIDR strings, see
// common/network_range.hpp): sign-in and every request from outside it are refused. It is read
// with the rest of the policy (admin/organization_policy.hpp), once per request.
#pragma once

#include "common/network_range.hpp"

#include <boost/asio/ip/address.hpp>

#include <vector>

namespace furoshiki::admin {

struct Allowlist {
  std::vector<NetworkRange> ranges;  // empty: every address is allowed
  bool allows(const boost::asio::ip::address& address) const;
};

}  // namespace furoshiki::admin
