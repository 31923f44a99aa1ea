// Instance creation: layout, permissions, a loadable configuration, refusal to overwrite.
#include "admin/instance.hpp"

#include "common/config.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

namespace furoshiki::admin {
namespace {

namespace fs = std::filesystem;

class InstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/furoshiki-instance-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  static unsigned mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  }

  fs::path root_;
};

TEST_F(InstanceTest, CreatesALoadableInstanceWithPrivatePermissions) {
  const fs::path dir = root_ / "inst";
  const auto result = create_instance({dir, "files.example.test", 9443});
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(mode(dir), 0700u);
  EXPECT_EQ(mode(dir / "tls/key.pem"), 0600u);
  EXPECT_EQ(mode(dir / "keys/master.key"), 0600u);
  EXPECT_EQ(mode(dir / "data/furoshiki.db"), 0600u);
  EXPECT_EQ(mode(dir / "data/objects"), 0700u);
  EXPECT_EQ(mode(dir / "data/staging"), 0700u);

  std::ifstream key(dir / "keys/master.key");
  std::string hex;
  key >> hex;
  EXPECT_EQ(hex.size(), 64u);

  const auto config = load_config(result.config_file);
  ASSERT_TRUE(config.config) << (config.errors.empty() ? "" : config.errors[0].to_string());
  EXPECT_EQ(config.config->server.public_url, "https://files.example.test:9443");
  EXPECT_EQ(config.config->server.listen.at(0).to_string(), "127.0.0.1:9443");
  EXPECT_EQ(config.config->server.listen.at(1).to_string(), "[::1]:9443");
}

TEST_F(InstanceTest, AcceptsAnExistingEmptyDirectory) { EXPECT_TRUE(create_instance({root_, "localhost", 8443}).ok); }

TEST_F(InstanceTest, RefusesToOverwriteAnExistingInstance) {
  const fs::path dir = root_ / "inst";
  ASSERT_TRUE(create_instance({dir, "localhost", 8443}).ok);
  std::ifstream before_file(dir / "keys/master.key");
  std::string before;
  before_file >> before;

  const auto again = create_instance({dir, "localhost", 8443});
  EXPECT_FALSE(again.ok);
  EXPECT_NE(again.error.find("refusing to overwrite"), std::string::npos);
  std::ifstream after_file(dir / "keys/master.key");
  std::string after;
  after_file >> after;
  EXPECT_EQ(before, after);
}

TEST_F(InstanceTest, RefusesANonEmptyDirectory) {
  std::ofstream(root_ / "notes.txt") << "mine";
  const auto result = create_instance({root_, "localhost", 8443});
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(fs::exists(root_ / "notes.txt"));
  EXPECT_FALSE(fs::exists(root_ / "furoshiki.toml"));
}

TEST_F(InstanceTest, RefusesAnInvalidHostName) {
  for (const char* bad : {"", "a b", "x\"]\nevil = 1", ".lead", "trail.", "a..b", "-x"}) {
    const auto result = create_instance({root_ / "inst", bad, 8443});
    EXPECT_FALSE(result.ok) << bad;
    EXPECT_FALSE(fs::exists(root_ / "inst")) << bad;
  }
}

TEST_F(InstanceTest, RefusesAFile) {
  std::ofstream(root_ / "file") << "x";
  EXPECT_FALSE(create_instance({root_ / "file", "localhost", 8443}).ok);
}

}  // namespace
}  // namespace furoshiki::admin
