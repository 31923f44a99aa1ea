// Error mapping: every Errc has a status and a contract code; bodies have the contract's shape.
#include "server/http_error.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace furoshiki::server {
namespace {

using boost::beast::http::status;

TEST(HttpErrorTest, MapsLimitErrorsToTheirStatuses) {
  EXPECT_EQ(to_http(Errc::kRequestTimeout).status, status::request_timeout);
  EXPECT_EQ(to_http(Errc::kTooLarge).status, status::payload_too_large);
  EXPECT_EQ(to_http(Errc::kHeadersTooLarge).status, status::request_header_fields_too_large);
  EXPECT_EQ(to_http(Errc::kTooManyConnections).status, status::service_unavailable);
  EXPECT_EQ(to_http(Errc::kNotFound).code, "not_found");
  EXPECT_EQ(to_http(Errc::kTooLarge).code, "too_large");
}

TEST(HttpErrorTest, BodyHasContractShape) {
  const auto v = boost::json::parse(error_body(Errc::kNotFound));
  EXPECT_EQ(v.at("error").at("code").as_string(), "not_found");
  EXPECT_FALSE(v.at("error").at("message").as_string().empty());
  const auto custom = boost::json::parse(error_body(Errc::kBadRequest, "Name \"x\" is invalid."));
  EXPECT_EQ(custom.at("error").at("message").as_string(), "Name \"x\" is invalid.");
}

TEST(HttpErrorTest, EveryCodeIsSnakeCaseAndEveryErrorIsAnErrorStatus) {
  for (int i = static_cast<int>(Errc::kBadRequest); i <= static_cast<int>(Errc::kInternal); ++i) {
    const auto h = to_http(static_cast<Errc>(i));
    EXPECT_GE(static_cast<int>(h.status), 400) << i;
    for (char c : h.code) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << h.code;
  }
}

}  // namespace
}  // namespace furoshiki::server
