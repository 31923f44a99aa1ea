// Structured log lines: valid JSON, required fields, level filtering, escaping.
#include "common/log.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <string>
#include <vector>

namespace furoshiki::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_sink([this](std::string_view line) { lines_.emplace_back(line); });
    set_level(Level::kInfo);
  }
  void TearDown() override {
    set_sink(nullptr);
    set_level(Level::kInfo);
  }
  std::vector<std::string> lines_;
};

TEST_F(LogTest, WritesOneJsonObjectWithTimestampLevelAndEvent) {
  info("listening", {{"address", "127.0.0.1:1"}});
  ASSERT_EQ(lines_.size(), 1u);
  const auto v = boost::json::parse(lines_[0]).as_object();
  EXPECT_EQ(v.at("level").as_string(), "info");
  EXPECT_EQ(v.at("event").as_string(), "listening");
  EXPECT_EQ(v.at("address").as_string(), "127.0.0.1:1");
  const std::string ts(v.at("ts").as_string());
  EXPECT_EQ(ts.size(), 24u) << ts;
  EXPECT_EQ(ts.back(), 'Z');
}

TEST_F(LogTest, DropsLinesBelowTheLevel) {
  debug("noise");
  set_level(Level::kWarn);
  info("still noise");
  warn("kept");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("kept"), std::string::npos);
}

TEST_F(LogTest, EscapesControlCharactersAndQuotes) {
  info("x", {{"reason", "a\"b\nc"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].find('\n'), std::string::npos);
  EXPECT_EQ(boost::json::parse(lines_[0]).at("reason").as_string(), "a\"b\nc");
}

TEST(AsyncLogTest, WritesEveryLineInOrderAndDrainsOnStop) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  start_async_writer(out, 100000);
  for (int i = 0; i < 2000; ++i) info("line", {{"n", i}});
  stop_async_writer();
  std::rewind(out);
  char buffer[512];
  int n = 0;
  while (std::fgets(buffer, sizeof buffer, out)) {
    EXPECT_EQ(boost::json::parse(buffer).at("n").as_int64(), n) << buffer;
    ++n;
  }
  EXPECT_EQ(n, 2000);
  std::fclose(out);
}

TEST(AsyncLogTest, DropsAndCountsLinesWhenTheQueueIsFull) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  start_async_writer(out, 1);
  for (int i = 0; i < 5000; ++i) info("flood", {{"n", i}});
  stop_async_writer();
  std::rewind(out);
  char buffer[512];
  std::int64_t written = 0, reported = 0;
  while (std::fgets(buffer, sizeof buffer, out)) {
    const auto line = boost::json::parse(buffer).as_object();
    if (line.at("event").as_string() == "log_lines_dropped") {
      reported += line.at("count").as_int64();
    } else {
      ++written;
    }
  }
  EXPECT_EQ(written + reported, 5000);  // every line is either written or counted as dropped
  std::fclose(out);
}

TEST(LogLevelTest, ParsesNames) {
  Level l = Level::kInfo;
  EXPECT_TRUE(parse_level("error", l));
  EXPECT_EQ(l, Level::kError);
  EXPECT_FALSE(parse_level("verbose", l));
  EXPECT_EQ(level_name(Level::kWarn), "warn");
}

}  // namespace
}  // namespace furoshiki::log
