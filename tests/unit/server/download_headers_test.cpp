// Download header logic: byte ranges, If-Range, If-None-Match, HTTP dates, Content-Disposition
// and the media types a download may be sent as.
#include "server/download_headers.hpp"

#include <gtest/gtest.h>

namespace furoshiki::server {
namespace {

using Kind = RangeRequest::Kind;

TEST(ParseRange, ServesOneRangeOfEachForm) {
  EXPECT_EQ(parse_range("bytes=0-9", 100).range, (ByteRange{0, 9}));
  EXPECT_EQ(parse_range("bytes=0-9", 100).kind, Kind::kPartial);
  EXPECT_EQ(parse_range("bytes=90-", 100).range, (ByteRange{90, 99}));
  EXPECT_EQ(parse_range("bytes=-10", 100).range, (ByteRange{90, 99}));
  EXPECT_EQ(parse_range("bytes=99-99", 100).range, (ByteRange{99, 99}));
  EXPECT_EQ(parse_range("BYTES = 5-200", 100).range, (ByteRange{5, 99}));  // clipped
  EXPECT_EQ(parse_range("bytes=-500", 100).range, (ByteRange{0, 99}));
}

TEST(ParseRange, UnsatisfiableRanges) {
  EXPECT_EQ(parse_range("bytes=100-", 100).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=100-200", 100).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 100).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-", 0).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=99999999999999999999999-", 100).kind, Kind::kUnsatisfiable);
}

TEST(ParseRange, IgnoresMalformedAndMultipleRanges) {
  for (const char* v : {"", "bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=5-1", "items=0-1", "bytes=0-1,5-6",
                        "bytes=1--2", "bytes= 0 - 1x"}) {
    EXPECT_EQ(parse_range(v, 100).kind, Kind::kWhole) << v;
  }
}

TEST(IfRange, StrongEntityTagOrExactDate) {
  const std::string etag = entity_tag("abc");
  const auto t = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_TRUE(if_range_matches("\"abc\"", etag, t));
  EXPECT_FALSE(if_range_matches("\"abd\"", etag, t));
  EXPECT_FALSE(if_range_matches("W/\"abc\"", etag, t));
  EXPECT_TRUE(if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", etag, t));
  EXPECT_FALSE(if_range_matches("Sun, 06 Nov 1994 08:49:38 GMT", etag, t));
  EXPECT_FALSE(if_range_matches("yesterday", etag, t));
}

TEST(IfNoneMatch, WeakComparisonOverAList) {
  const std::string etag = entity_tag("abc");
  EXPECT_TRUE(if_none_match_matches("*", etag));
  EXPECT_TRUE(if_none_match_matches("\"x\", W/\"abc\"", etag));
  EXPECT_TRUE(if_none_match_matches("\"abc\"", etag));
  EXPECT_FALSE(if_none_match_matches("\"abcd\"", etag));
  EXPECT_FALSE(if_none_match_matches("abc", etag));
}

TEST(HttpDate, RoundTrips) {
  const auto t = std::chrono::system_clock::from_time_t(784111777);
  EXPECT_EQ(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parse_http_date(http_date(t)), t);
  EXPECT_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"));
}

TEST(ContentDisposition, EncodesEveryUnsafeByte) {
  EXPECT_EQ(content_disposition("report.pdf"), "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
  EXPECT_EQ(content_disposition("報告書.pdf"),
            "attachment; filename=\"___.pdf\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8.pdf");
  const std::string hostile = content_disposition(std::string("a\r\nSet-Cookie: x=\"y\";\\\0z", 24));
  EXPECT_EQ(hostile.find_first_of(std::string("\r\n\0", 3)), std::string::npos);
  EXPECT_EQ(hostile,
            "attachment; filename=\"a__Set-Cookie: x=_y____z\"; "
            "filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x%3D%22y%22%3B%5C%00z");
  EXPECT_EQ(content_disposition("a\xe2\x80\xae"
                                "b"),
            "attachment; filename=\"a_b\"; filename*=UTF-8''a%E2%80%AEb");
  EXPECT_EQ(content_disposition("100%.txt"), "attachment; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt");
}

TEST(DownloadContentType, ActiveContentIsSentOpaque) {
  for (const char* t :
       {"text/html", "TEXT/HTML; charset=utf-8", "application/xhtml+xml", "image/svg+xml", "text/xml",
        "application/xml", "application/javascript", "text/ecmascript", "multipart/mixed", "", "nonsense"}) {
    EXPECT_EQ(download_content_type(t), "application/octet-stream") << t;
  }
  EXPECT_EQ(download_content_type("application/pdf"), "application/pdf");
  EXPECT_EQ(download_content_type("text/plain; charset=utf-8"), "text/plain; charset=utf-8");
}

}  // namespace
}  // namespace furoshiki::server
