// The command line around serving: init, check-config, serve's refusal of a bad configuration,
// db migrate and version — run as real processes, with bounded waits.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <sstream>

namespace furoshiki::integration {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.flush()) << path;
}

// A configuration with an unknown key on line 5 and an out-of-range value on line 8. Written
// inside an instance so that everything else in it is valid.
constexpr std::string_view kBadConfig =
    "# line 1\n"
    "[server]\n"
    "listen = [\"127.0.0.1:0\"]\n"
    "io_threads = 1\n"
    "colour = \"blue\"\n"
    "\n"
    "[limits]\n"
    "header_timeout_seconds = 0\n";

TEST(CheckConfig, AcceptsTheGeneratedInstance) {
  const Instance instance;
  instance.write_config();
  const auto result = run_furoshiki({"check-config", "--config", instance.config_file().string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("configuration ok"), std::string::npos) << result.out;
}

TEST(CheckConfig, NamesUnknownKeyAndBadValueWithLines) {
  const Instance instance;
  const fs::path config = instance.dir() / "bad.toml";
  write_file(config, kBadConfig);
  const auto result = run_furoshiki({"check-config", "--config", config.string()});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("bad.toml:5: server.colour: unknown key"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("bad.toml:8: limits.header_timeout_seconds: must be between 1 and 600"), std::string::npos)
      << result.err;
}

TEST(Serve, RefusesToStartWithConfigErrors) {
  const Instance instance;
  const fs::path config = instance.dir() / "bad.toml";
  write_file(config, kBadConfig);
  const auto result = run_furoshiki({"serve", "--config", config.string()}, 20s);
  ASSERT_FALSE(result.timed_out) << "serve kept running with an invalid configuration";
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("server.colour"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("limits.header_timeout_seconds"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("\"event\":\"listening\""), std::string::npos) << result.err;
}

TEST(CheckConfig, RejectsPrivateKeyReadableByOthers) {
  Instance instance;
  instance.write_config();
  ASSERT_EQ(::chmod(instance.private_key_file().c_str(), 0644), 0);
  const auto result = run_furoshiki({"check-config", "--config", instance.config_file().string()});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("tls.private_key"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("0644"), std::string::npos) << result.err;
}

TEST(Serve, RefusesToStartWithPrivateKeyReadableByOthers) {
  Instance instance;
  instance.write_config();
  ASSERT_EQ(::chmod(instance.private_key_file().c_str(), 0644), 0);
  const auto result = run_furoshiki({"serve", "--config", instance.config_file().string()}, 20s);
  ASSERT_FALSE(result.timed_out);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("tls.private_key"), std::string::npos) << result.err;
}

TEST(CheckConfig, RejectsMetricsTokenFileReadableByOthers) {
  Instance instance;
  const auto token = instance.write_secret_file("metrics.token", "0123456789abcdef0123456789abcdef\n");
  ASSERT_EQ(::chmod(token.c_str(), 0644), 0);
  instance.set("metrics", "token_file", toml_string("metrics.token"));
  instance.write_config();
  const auto result = run_furoshiki({"check-config", "--config", instance.config_file().string()});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("metrics.token_file"), std::string::npos) << result.err;
}

// Path → (mode, content) of every regular file under `dir`.
std::map<fs::path, std::pair<fs::perms, std::string>> snapshot(const fs::path& dir) {
  std::map<fs::path, std::pair<fs::perms, std::string>> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    out[fs::relative(entry.path(), dir)] = {entry.status().permissions(), content.str()};
  }
  return out;
}

TEST(Init, RefusesToOverwriteAnExistingInstance) {
  const Instance instance;
  const auto before = snapshot(instance.dir());
  ASSERT_TRUE(before.contains("tls/key.pem"));
  const auto result = run_furoshiki({"init", "--dir", instance.dir().string()});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("refusing to overwrite"), std::string::npos) << result.err;
  EXPECT_TRUE(snapshot(instance.dir()) == before) << "init modified an existing instance";
}

TEST(Init, RefusesNonEmptyDirectoryAndLeavesItAlone) {
  const TempDir dir;
  write_file(dir.path() / "notes.txt", "precious");
  const auto result = run_furoshiki({"init", "--dir", dir.path().string()});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("refusing to overwrite"), std::string::npos) << result.err;
  const auto after = snapshot(dir.path());
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after.begin()->second.second, "precious");
}

TEST(Init, CreatesSecretFilesReadableByOwnerOnly) {
  const Instance instance;
  for (const char* secret : {"tls/key.pem", "keys/master.key"}) {
    struct stat st {};
    ASSERT_EQ(::stat((instance.dir() / secret).c_str(), &st), 0) << secret;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << secret;
  }
}

TEST(DbMigrate, SucceedsOnAFreshInstance) {
  Instance instance;
  instance.write_config();
  const auto result = run_furoshiki({"db", "migrate", "--config", instance.config_file().string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST(Version, PrintsVersionAndLibraries) {
  const auto result = run_furoshiki({"version"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.out.starts_with("furoshiki ")) << result.out;
  EXPECT_NE(result.out.find("OpenSSL"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace furoshiki::integration
