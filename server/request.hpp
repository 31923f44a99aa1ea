// What a route handler sees and returns. Handlers are plain functions of a Request; they know
// nothing of connections, TLS or timeouts.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace furoshiki::admin {
struct Identity;
struct OperatorIdentity;
}  // namespace furoshiki::admin

namespace furoshiki::server {

using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct Request {
  boost::beast::http::verb method = boost::beast::http::verb::unknown;
  std::string_view path;   // the path as sent (not percent-decoded), without the query
  std::string_view query;  // raw query, without '?'
  const boost::beast::http::fields* headers = nullptr;
  std::string body;                                        // at most the route's body limit
  std::map<std::string, std::string, std::less<>> params;  // {name} segments of the route pattern
  boost::asio::ip::address client;
  std::string_view request_id;
  // Who the request acts as (routes with an identity policy; null otherwise).
  std::shared_ptr<const admin::Identity> identity;
  // The operator a kOperator route acts as (null otherwise). Never set together with identity.
  std::shared_ptr<const admin::OperatorIdentity> operator_identity;

  std::string_view header(boost::beast::http::field f) const;
  std::string_view header(std::string_view name) const;
};

// A JSON response with the given status and body text.
Response json_response(boost::beast::http::status status, std::string body);

}  // namespace furoshiki::server
