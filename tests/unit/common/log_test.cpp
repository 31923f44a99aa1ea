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

TEST(LogLevelTest, ParsesNames) {
  Level l = Level::kInfo;
  EXPECT_TRUE(parse_level("error", l));
  EXPECT_EQ(l, Level::kError);
  EXPECT_FALSE(parse_level("verbose", l));
  EXPECT_EQ(level_name(Level::kWarn), "warn");
}

}  // namespace
}  // namespace furoshiki::log
