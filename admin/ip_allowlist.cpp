// Organization allowlists; see ip_allowlist.hpp.
#include "admin/ip_allowlist.hpp"

namespace furoshiki::admin {

bool Allowlist::allows(const boost::asio::ip::address& address) const {
  if (ranges.empty()) return true;
  for (const auto& r : ranges) {
    if (r.contains(address)) return true;
  }
  return false;
}

}  // namespace furoshiki::admin
