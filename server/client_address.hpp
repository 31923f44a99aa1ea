// The client address a request is attributed to (throttling, allowlists, audit, logs): the
// socket peer — unless the peer is one of server.trusted_proxies, in which case it is the
// nearest address in X-Forwarded-For that is not itself a trusted proxy. A client can write
// anything into X-Forwarded-For, so from an untrusted peer the header is ignored entirely.
#pragma once

#include "common/network_range.hpp"

#include <boost/asio/ip/address.hpp>

#include <string_view>
#include <vector>

namespace furoshiki::server {

// `forwarded_for`: the X-Forwarded-For values in order (several headers joined with ',').
boost::asio::ip::address effective_client(const boost::asio::ip::address& peer, std::string_view forwarded_for,
                                          const std::vector<NetworkRange>& trusted_proxies);

}  // namespace furoshiki::server
