// The one place where protocol-neutral errors (common/error.hpp) become HTTP: status, the
// contract's snake_case code, and the {"error":{"code","message"}} body.
#pragma once

#include "common/error.hpp"
#include "server/request.hpp"

#include <boost/beast/http/status.hpp>

#include <string>
#include <string_view>

namespace furoshiki::server {

struct HttpError {
  boost::beast::http::status status;
  std::string_view code;             // contract code, e.g. "not_found"
  std::string_view default_message;  // safe, human text
};

HttpError to_http(Errc e);

// {"error":{"code":…,"message":…}}; message defaults to the code's default text.
std::string error_body(Errc e, std::string_view message = {});

// A complete error answer: the status and body of `e`.
Response error_response(Errc e, std::string_view message = {});

}  // namespace furoshiki::server
