// GoogleTest expectations shared by the integration tests: what every response must carry, the
// session cookie a sign-in sets, and the shape of every error body. Header-only.
#pragma once

#include "https_client.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace furoshiki::integration {

// Headers every response carries, whatever produced it (handler, router, or a limit).
inline void expect_standard_headers(const HttpResponse& response) {
  const std::string request_id = response.header("X-Request-Id");
  EXPECT_EQ(request_id.size(), 32u) << "X-Request-Id: " << request_id;
  EXPECT_EQ(request_id.find_first_not_of("0123456789abcdef"), std::string::npos) << "X-Request-Id: " << request_id;
  const std::string csp = response.header("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << "Content-Security-Policy: " << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << "Content-Security-Policy: " << csp;
  EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(response.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(response.header("X-Frame-Options"), "DENY");
  EXPECT_TRUE(response.header("Strict-Transport-Security").starts_with("max-age="))
      << "Strict-Transport-Security: " << response.header("Strict-Transport-Security");
}

// A sign-in's session cookie named `name`: Secure, HttpOnly, SameSite=Strict and Path=/, with no
// Domain so that it stays with this host.
inline void expect_hardened_session_cookie(const HttpResponse& response, std::string_view name) {
  const std::string set = response.header("Set-Cookie");
  EXPECT_TRUE(set.starts_with(std::string(name) + "=")) << set;
  for (const char* attribute : {"; Path=/", "; Secure", "; HttpOnly", "; SameSite=Strict"}) {
    EXPECT_NE(set.find(attribute), std::string::npos) << set;
  }
  EXPECT_EQ(set.find("Domain"), std::string::npos) << set;
}

// The "code" of an error body {"error":{"code":…,"message":…}}, or "" if the body has another shape.
inline std::string error_code(const HttpResponse& response) {
  const auto body = response.json();
  if (!body.is_object()) return {};
  const auto* error = body.as_object().if_contains("error");
  if (!error || !error->is_object()) return {};
  const auto* code = error->as_object().if_contains("code");
  return code && code->is_string() ? std::string(code->as_string()) : std::string();
}

// An error response: the status, a JSON body in the error shape with `code` and a non-empty
// message, and the standard headers.
inline void expect_error(const HttpResponse& response, unsigned status, std::string_view code) {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_EQ(response.header("Content-Type"), "application/json; charset=utf-8");
  const auto body = response.json();
  ASSERT_TRUE(body.is_object()) << response.body;
  const auto* error = body.as_object().if_contains("error");
  ASSERT_TRUE(error && error->is_object()) << response.body;
  const auto* message = error->as_object().if_contains("message");
  EXPECT_EQ(error_code(response), code) << response.body;
  ASSERT_TRUE(message && message->is_string()) << response.body;
  EXPECT_FALSE(message->as_string().empty()) << response.body;
  expect_standard_headers(response);
}

}  // namespace furoshiki::integration
