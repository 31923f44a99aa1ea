// One client connection (the shape of Beast's async-ssl server example): the session owns its
// stream, buffer and parser; each async step is a member named for what it does. Deadlines are
// set before every operation:
//   handshake        limits.handshake_timeout
//   waiting for the first byte of a request          limits.idle_timeout
//   from that byte to the end of the header          limits.header_timeout      → 408
//   body: at least body_min_bytes_per_interval per body_progress_interval        → 408
//   each write       limits.write_timeout
// The header is read with an empty-body parser first; the route then chooses the body limit
// (413 before a body byte is read when Content-Length is over it).
#pragma once

#include "server/server_state.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace furoshiki::server {

// Starts serving HTTPS on an accepted socket. `refuse`: the connection is over a limit; it is
// answered 503 once and closed (`admitted` tells whether a tracker slot must be released).
void start_https_session(ServerState& state, boost::asio::ip::tcp::socket socket, bool admitted, bool refuse);

// Starts a plain-HTTP session that answers every request with a redirect to server.public_url.
void start_redirect_session(ServerState& state, boost::asio::ip::tcp::socket socket);

}  // namespace furoshiki::server
