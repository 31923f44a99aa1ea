// Route table: matching, parameters, 405 detection, HEAD, and deny by default.
#include "server/router.hpp"

#include "server/authorizer.hpp"

#include <gtest/gtest.h>

namespace furoshiki::server {
namespace {

using boost::beast::http::verb;

Response ok(const Request&) { return json_response(boost::beast::http::status::ok, "{}"); }

TEST(RouterTest, MatchesLiteralAndParameterSegments) {
  Router router;
  router.add({verb::get, "/api/v1/files", AuthPolicy::kPublic, 0, ok});
  router.add({verb::get, "/api/v1/files/{id}", AuthPolicy::kPublic, 0, ok});
  router.add({verb::get, "/api/v1/files/{id}/content", AuthPolicy::kPublic, 0, ok});

  auto m = router.match(verb::get, "/api/v1/files/abc123/content");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/v1/files/{id}/content");
  EXPECT_EQ(m.params.at("id"), "abc123");

  m = router.match(verb::get, "/api/v1/files");
  ASSERT_NE(m.route, nullptr);
  EXPECT_TRUE(m.params.empty());
}

TEST(RouterTest, UnknownPathMatchesNothing) {
  Router router;
  router.add({verb::get, "/healthz", AuthPolicy::kPublic, 0, ok});
  for (const char* path : {"/healthz/", "/health", "/", "", "healthz", "/healthz/x"}) {
    const auto m = router.match(verb::get, path);
    EXPECT_EQ(m.route, nullptr) << path;
    EXPECT_FALSE(m.path_exists) << path;
  }
}

TEST(RouterTest, EmptyParameterDoesNotMatch) {
  Router router;
  router.add({verb::get, "/files/{id}", AuthPolicy::kPublic, 0, ok});
  EXPECT_EQ(router.match(verb::get, "/files/").route, nullptr);
}

TEST(RouterTest, OtherMethodOnKnownPathIsReportedFor405) {
  Router router;
  router.add({verb::get, "/files/{id}", AuthPolicy::kPublic, 0, ok});
  router.add({verb::delete_, "/files/{id}", AuthPolicy::kPublic, 0, ok});
  const auto m = router.match(verb::post, "/files/1");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.path_exists);
  EXPECT_EQ(router.allowed_methods("/files/1"), "GET, HEAD, DELETE");
}

TEST(RouterTest, HeadIsServedByTheGetRoute) {
  Router router;
  router.add({verb::get, "/healthz", AuthPolicy::kPublic, 0, ok});
  const auto m = router.match(verb::head, "/healthz");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->method, verb::get);
}

TEST(RouterTest, RejectsMalformedAndDuplicatePatterns) {
  Router router;
  EXPECT_THROW(router.add({verb::get, "nope", AuthPolicy::kPublic, 0, ok}), std::invalid_argument);
  EXPECT_THROW(router.add({verb::get, "/a/{b", AuthPolicy::kPublic, 0, ok}), std::invalid_argument);
  router.add({verb::get, "/a", AuthPolicy::kPublic, 0, ok});
  EXPECT_THROW(router.add({verb::get, "/a", AuthPolicy::kPublic, 0, ok}), std::invalid_argument);
}

TEST(RouterTest, RouteWithoutPolicyDefaultsToUnspecified) {
  Route r;
  EXPECT_EQ(r.policy, AuthPolicy::kUnspecified);
}

TEST(AuthorizerTest, UnspecifiedPolicyIsDeniedForEveryone) {
  Authorizer authorizer("");
  Request loopback;
  loopback.client = boost::asio::ip::make_address("127.0.0.1");
  EXPECT_EQ(authorizer.authorize(AuthPolicy::kUnspecified, loopback), Errc::kForbidden);
}

TEST(AuthorizerTest, PublicIsAllowed) {
  Authorizer authorizer("");
  Request r;
  r.client = boost::asio::ip::make_address("203.0.113.9");
  EXPECT_EQ(authorizer.authorize(AuthPolicy::kPublic, r), Errc::kOk);
}

TEST(AuthorizerTest, MetricsWithoutTokenOnlyForLoopback) {
  Authorizer authorizer("");
  Request r;
  r.client = boost::asio::ip::make_address("::1");
  EXPECT_EQ(authorizer.authorize(AuthPolicy::kMetricsReader, r), Errc::kOk);
  r.client = boost::asio::ip::make_address("192.0.2.1");
  EXPECT_EQ(authorizer.authorize(AuthPolicy::kMetricsReader, r), Errc::kForbidden);
}

TEST(AuthorizerTest, MetricsWithTokenRequiresTheExactBearerToken) {
  Authorizer authorizer("s3cret-token-0123456789");
  boost::beast::http::fields headers;
  Request r;
  r.headers = &headers;
  r.client = boost::asio::ip::make_address("127.0.0.1");
  EXPECT_EQ(authorizer.authorize(AuthPolicy::kMetricsReader, r), Errc::kUnauthenticated);
  headers.set(boost::beast::http::field::authorization, "Bearer s3cret-token-012345678");
  EXPECT_EQ(authorizer.authorize(AuthPolicy::kMetricsReader, r), Errc::kUnauthenticated);
  headers.set(boost::beast::http::field::authorization, "Basic s3cret-token-0123456789");
  EXPECT_EQ(authorizer.authorize(AuthPolicy::kMetricsReader, r), Errc::kUnauthenticated);
  headers.set(boost::beast::http::field::authorization, "bearer s3cret-token-0123456789");
  EXPECT_EQ(authorizer.authorize(AuthPolicy::kMetricsReader, r), Errc::kOk);
}

}  // namespace
}  // namespace furoshiki::server
