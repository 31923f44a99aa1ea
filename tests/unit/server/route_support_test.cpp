// The route handlers' shared helpers: query strings (percent-encoding, repeats, unknown
// parameters), page sizes, cursors, strict JSON bodies, RFC 3339 times, the session cookie, and
// the answers to directory errors and refused passwords.
#include "server/route_support.hpp"

#include "server/http_error.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace furoshiki::server {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

boost::json::object object_of(std::string_view text) { return boost::json::parse(text).as_object(); }

QueryParams query_of(std::string_view text) {
  QueryParams params;
  std::string problem;
  EXPECT_TRUE(parse_query(text, params, problem)) << problem;
  return params;
}

std::string query_problem(std::string_view text) {
  QueryParams params;
  std::string problem;
  EXPECT_FALSE(parse_query(text, params, problem));
  return problem;
}

// --- query strings ---

TEST(RouteSupportTest, ParsesAndPercentDecodesTheQuery) {
  const QueryParams params = query_of("user=a%40b.test&&from=2026-11-22T14:00:00+09:00&flag&empty=");
  ASSERT_EQ(params.size(), 4u);
  EXPECT_EQ(params.at("user"), "a@b.test");
  EXPECT_EQ(params.at("from"), "2026-11-22T14:00:00+09:00") << "'+' stays '+'";
  EXPECT_EQ(params.at("flag"), "");
  EXPECT_EQ(params.at("empty"), "");
  EXPECT_EQ(*param(params, "user"), "a@b.test");
  EXPECT_EQ(param(params, "missing"), nullptr);
  EXPECT_TRUE(query_of("").empty());
}

TEST(RouteSupportTest, DecodesPercentEncodingOfBothCases) {
  EXPECT_EQ(percent_decode("%2f%2F%41"), "//A");
  EXPECT_EQ(percent_decode("plain"), "plain");
}

TEST(RouteSupportTest, RefusesBadPercentEncoding) {
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%4"));
  EXPECT_FALSE(percent_decode("a%zz"));
  EXPECT_FALSE(percent_decode("%g0"));
  EXPECT_EQ(query_problem("user=%zz"), "the query string is not valid percent-encoding");
  EXPECT_EQ(query_problem("%=1"), "the query string is not valid percent-encoding");
}

TEST(RouteSupportTest, RefusesARepeatedParameter) {
  EXPECT_EQ(query_problem("limit=1&limit=2"), "a query parameter is repeated");
  EXPECT_EQ(query_problem("limit=1&%6cimit=2"), "a query parameter is repeated") << "the same after decoding";
}

TEST(RouteSupportTest, NamesAnUnknownParameter) {
  std::string problem;
  EXPECT_TRUE(only_known_params(query_of("limit=1&cursor=x"), {"limit", "cursor"}, problem));
  EXPECT_FALSE(only_known_params(query_of("limit=1&colour=red"), {"limit", "cursor"}, problem));
  EXPECT_EQ(problem, "unknown query parameter: colour");
}

// --- page sizes ---

TEST(RouteSupportTest, PageSizeDefaultsWhenAbsent) {
  std::size_t size = 0;
  std::string problem;
  ASSERT_TRUE(page_size(query_of(""), size, problem));
  EXPECT_EQ(size, kDefaultPageSize);
}

TEST(RouteSupportTest, PageSizeAcceptsOneToTheMaximum) {
  std::size_t size = 0;
  std::string problem;
  ASSERT_TRUE(page_size(query_of("limit=1"), size, problem));
  EXPECT_EQ(size, 1u);
  ASSERT_TRUE(page_size(query_of("limit=" + std::to_string(kMaxPageSize)), size, problem));
  EXPECT_EQ(size, kMaxPageSize);
}

TEST(RouteSupportTest, PageSizeRefusesAnythingElse) {
  const std::string expected = "limit must be a whole number from 1 to " + std::to_string(kMaxPageSize);
  for (const std::string text : {"0", "-1", "501", "1.5", "ten", "", " 5", "5 ", "99999999999999999999999"}) {
    std::size_t size = 0;
    std::string problem;
    EXPECT_FALSE(page_size(query_of("limit=" + text), size, problem)) << text;
    EXPECT_EQ(problem, expected) << text;
  }
}

// --- cursors ---

TEST(RouteSupportTest, CursorsRoundTrip) {
  for (const std::string& key :
       std::vector<std::string>{"a", "ab", "abc", "abcd", "user@example.test", std::string("\0\xff\x10", 3)}) {
    const std::string cursor = encode_cursor(key);
    EXPECT_EQ(cursor.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos)
        << cursor;
    EXPECT_EQ(decode_cursor(cursor), key);
  }
  EXPECT_EQ(encode_cursor("acme"), "YWNtZQ") << "base64url without padding (RFC 4648 section 5)";
}

TEST(RouteSupportTest, RefusesCursorsNoEncodingProduces) {
  EXPECT_FALSE(decode_cursor("*"));
  EXPECT_FALSE(decode_cursor("YWNtZQ=="));
  EXPECT_FALSE(decode_cursor("a")) << "a single character is six bits: no byte";
  EXPECT_FALSE(decode_cursor("YWNtZ+"));
}

TEST(RouteSupportTest, PageCursorIsEmptyWhenAbsentAndTheKeyOtherwise) {
  std::string after, problem;
  ASSERT_TRUE(page_cursor(query_of(""), after, problem));
  EXPECT_EQ(after, "");
  ASSERT_TRUE(page_cursor(query_of("cursor="), after, problem));
  EXPECT_EQ(after, "");
  ASSERT_TRUE(page_cursor(query_of("cursor=" + encode_cursor("bob@example.test")), after, problem));
  EXPECT_EQ(after, "bob@example.test");
}

TEST(RouteSupportTest, PageCursorRefusesGarbage) {
  for (const std::string cursor : {"*", "zz%21", "a"}) {
    std::string after, problem;
    EXPECT_FALSE(page_cursor(query_of("cursor=" + cursor), after, problem)) << cursor;
    EXPECT_EQ(problem, "cursor is not one this API gave");
    EXPECT_EQ(after, "");
  }
}

// --- JSON bodies ---

TEST(RouteSupportTest, JsonObjectRefusesAnythingButAnObject) {
  for (const std::string body : {"", "[]", "\"text\"", "{", "null"}) {
    Request request;
    request.body = body;
    std::string problem;
    EXPECT_FALSE(json_object(request, problem)) << body;
    EXPECT_EQ(problem, "the body must be a JSON object");
  }
  Request request;
  request.body = R"({"a":1})";
  std::string problem;
  const auto o = json_object(request, problem);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->at("a").as_int64(), 1);
}

TEST(RouteSupportTest, StrictBodiesNameTheUnknownKey) {
  std::string problem;
  EXPECT_TRUE(only_known_keys(object_of(R"({"name":"x"})"), {"name", "status"}, problem));
  EXPECT_TRUE(only_known_keys(object_of("{}"), {"name"}, problem));
  EXPECT_FALSE(only_known_keys(object_of(R"({"name":"x","nmae":"y"})"), {"name", "status"}, problem));
  EXPECT_EQ(problem, "unknown key: nmae");
}

TEST(RouteSupportTest, StringFieldTreatsNullAsAbsent) {
  const auto o = object_of(R"({"login":"ops","none":null,"number":5})");
  std::string problem;
  std::optional<std::string> login, none, missing;
  EXPECT_TRUE(string_field(o, "login", login, true, problem));
  EXPECT_EQ(login, "ops");
  EXPECT_TRUE(string_field(o, "none", none, false, problem));
  EXPECT_TRUE(string_field(o, "missing", missing, false, problem));
  EXPECT_FALSE(none);
  EXPECT_FALSE(missing);
  EXPECT_FALSE(string_field(o, "none", none, true, problem));
  EXPECT_EQ(problem, "none is required");
  EXPECT_FALSE(string_field(o, "missing", missing, true, problem));
  EXPECT_EQ(problem, "missing is required");
  EXPECT_FALSE(string_field(o, "number", missing, false, problem));
  EXPECT_EQ(problem, "number must be a string");
}

TEST(RouteSupportTest, PlainStringFieldKeepsItsValueWhenAbsent) {
  const auto o = object_of(R"({"org":"acme","totp":7})");
  std::string problem, org, totp = "kept";
  EXPECT_TRUE(string_field(o, "org", org, true, problem));
  EXPECT_EQ(org, "acme");
  EXPECT_TRUE(string_field(o, "absent", totp, false, problem));
  EXPECT_EQ(totp, "kept");
  EXPECT_FALSE(string_field(o, "absent", totp, true, problem));
  EXPECT_EQ(problem, "absent is required");
  EXPECT_FALSE(string_field(o, "totp", totp, false, problem));
  EXPECT_EQ(problem, "totp must be a string");
}

TEST(RouteSupportTest, OptionalStringRefusesNull) {
  const auto o = object_of(R"({"role":"member","name":null})");
  std::string problem;
  std::optional<std::string> role, name, missing;
  EXPECT_TRUE(optional_string(o, "role", role, problem));
  EXPECT_EQ(role, "member");
  EXPECT_TRUE(optional_string(o, "missing", missing, problem));
  EXPECT_FALSE(missing);
  EXPECT_FALSE(optional_string(o, "name", name, problem));
  EXPECT_EQ(problem, "name must be a string");
}

TEST(RouteSupportTest, OptionalBoolTakesOnlyTrueOrFalse) {
  const auto o = object_of(R"({"on":true,"off":false,"text":"true","none":null})");
  std::string problem;
  std::optional<bool> on, off, missing, text, none;
  EXPECT_TRUE(optional_bool(o, "on", on, problem));
  EXPECT_TRUE(optional_bool(o, "off", off, problem));
  EXPECT_TRUE(optional_bool(o, "missing", missing, problem));
  EXPECT_EQ(on, true);
  EXPECT_EQ(off, false);
  EXPECT_FALSE(missing);
  EXPECT_FALSE(optional_bool(o, "text", text, problem));
  EXPECT_EQ(problem, "text must be true or false");
  EXPECT_FALSE(optional_bool(o, "none", none, problem));
  EXPECT_EQ(problem, "none must be true or false");
}

// --- times ---

TEST(RouteSupportTest, FormatsRfc3339InUtcWholeSeconds) {
  const auto t = system_clock::time_point(std::chrono::seconds(1'795'323'600)) + 750ms;
  EXPECT_EQ(rfc3339(t), "2026-11-22T05:00:00Z");
  EXPECT_EQ(rfc3339_or_null(1'795'323'600).as_string(), "2026-11-22T05:00:00Z");
  EXPECT_TRUE(rfc3339_or_null(0).is_null()) << "0 is never";
  EXPECT_TRUE(rfc3339_or_null(-5).is_null());
}

TEST(RouteSupportTest, Rfc3339RoundTrips) {
  const auto t = system_clock::time_point(std::chrono::seconds(1'795'323'600));
  EXPECT_EQ(parse_rfc3339(rfc3339(t)), t);
  EXPECT_EQ(parse_rfc3339("2026-11-22T14:00:00+09:00"), t);
  EXPECT_EQ(parse_rfc3339("2026-11-21T23:30:00-05:30"), t);
  EXPECT_EQ(parse_rfc3339("2026-11-22t05:00:00z"), t);
  EXPECT_EQ(parse_rfc3339("2026-11-22T05:00:00.5Z"), t + 500ms);
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60Z"), parse_rfc3339("2016-12-31T23:59:59Z")) << "leap second";
}

TEST(RouteSupportTest, RefusesMalformedRfc3339) {
  for (const std::string text :
       {"", "2026-11-22", "2026-11-22T05:00:00", "2026-11-22 05:00:00Z", "2026-02-30T05:00:00Z", "2026-11-22T24:00:00Z",
        "2026-11-22T05:00:00.Z", "2026-11-22T05:00:00+9:00", "2026-11-22T05:00:00+24:00", "2026-11-22T05:00:00Zjunk",
        "1899-12-31T23:59:59Z", "2201-01-01T00:00:00Z"}) {
    EXPECT_FALSE(parse_rfc3339(text)) << text;
  }
}

// --- cookies ---

TEST(RouteSupportTest, SessionCookieHasTheHostPrefixAttributes) {
  EXPECT_EQ(session_cookie_header("furoshiki_session", "tok", 3600s),
            "furoshiki_session=tok; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=3600");
  EXPECT_EQ(session_cookie_header("furoshiki_operator_session", "", 0s),
            "furoshiki_operator_session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
  EXPECT_EQ(session_cookie_header("c", "t", -5s), "c=t; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
      << "a past end deletes the cookie";
}

// --- errors ---

TEST(RouteSupportTest, DirectoryErrorsKeepTheirMessageButNotFoundDoesNot) {
  Request request;
  const Response conflict = directory_error(request, {make_error_code(Errc::kConflict), "code taken"});
  EXPECT_EQ(conflict.result(), boost::beast::http::status::conflict);
  EXPECT_EQ(conflict.body(), error_body(Errc::kConflict, "code taken"));
  const Response missing = directory_error(request, {make_error_code(Errc::kNotFound), "user 42 of org 7"});
  EXPECT_EQ(missing.body(), error_body(Errc::kNotFound));
}

TEST(RouteSupportTest, PasswordPolicyErrorListsTheFailedRules) {
  const Response res =
      password_policy_error({{"too_short", "At least 12 characters.", 12}, {"common_password", "Too common.", 0}});
  EXPECT_EQ(res.result(), boost::beast::http::status::unprocessable_entity);
  const auto error = boost::json::parse(res.body()).at("error");
  EXPECT_EQ(error.at("code").as_string(), "password_policy");
  EXPECT_EQ(error.at("message").as_string(), to_http(Errc::kPasswordPolicy).default_message);
  // The limit travels when the rule has one, so that the UI can word it in the user's language.
  EXPECT_EQ(error.at("rules"),
            boost::json::parse(R"([{"code":"too_short","message":"At least 12 characters.","limit":12},
                                                       {"code":"common_password","message":"Too common."}])"));
}

TEST(RouteSupportTest, ErrorCodesOfOtherCategoriesAreInternal) {
  EXPECT_EQ(errc_of({}), Errc::kOk);
  EXPECT_EQ(errc_of(make_error_code(Errc::kConflict)), Errc::kConflict);
  EXPECT_EQ(errc_of(boost::system::errc::make_error_code(boost::system::errc::io_error)), Errc::kInternal);
  EXPECT_EQ(error_response(make_error_code(Errc::kNotFound)).body(), error_body(Errc::kNotFound));
  EXPECT_EQ(error_response(boost::system::errc::make_error_code(boost::system::errc::io_error)).result(),
            boost::beast::http::status::internal_server_error);
}

}  // namespace
}  // namespace furoshiki::server
