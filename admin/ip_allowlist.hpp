// An organization's IP allowlist (organizations.policy "ip_allowlist": CIDR strings, see
// common/network_range.hpp): sign-in and every request from outside it are refused.
#pragma once

#include "common/network_range.hpp"
#include "db/database.hpp"

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace furoshiki::admin {

struct Allowlist {
  std::vector<NetworkRange> ranges;  // empty: every address is allowed
  bool allows(const boost::asio::ip::address& address) const;
};

// The allowlist of the organization with `org_id`, from its policy. Errc::kInternal (logged) when
// the stored policy cannot be read: the caller then refuses (fail closed).
[[nodiscard]] boost::system::error_code load_allowlist(db::Database& db, std::string_view org_id, Allowlist& out);
// The same by organization code; an unknown code gives an empty (allow-all) list, so that the
// sign-in answer for an unknown organization stays the usual invalid_credentials.
[[nodiscard]] boost::system::error_code load_allowlist_by_code(db::Database& db, std::string_view code, Allowlist& out);

}  // namespace furoshiki::admin
