// Data directory layout preparation and inspection.
#include "storage/data_directory.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

namespace furoshiki::storage {
namespace {

namespace fs = std::filesystem;

TEST(DataDirectoryTest, PreparesPrivateSubdirectoriesAndReportsFreeSpace) {
  char tmpl[] = "/tmp/furoshiki-data-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path root(tmpl);
  EXPECT_FALSE(inspect_data_directory(root).ok);
  ASSERT_FALSE(prepare_data_directory(root));
  ASSERT_FALSE(prepare_data_directory(root));  // idempotent
  struct stat st {};
  ASSERT_EQ(::stat((root / "staging").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const auto status = inspect_data_directory(root);
  EXPECT_TRUE(status.ok) << status.problem;
  EXPECT_GT(status.available_bytes, 0u);
  fs::remove_all(root);
}

TEST(DataDirectoryTest, MissingRootIsAnError) {
  EXPECT_TRUE(prepare_data_directory("/nonexistent-furoshiki-root"));
  const auto status = inspect_data_directory("/nonexistent-furoshiki-root");
  EXPECT_FALSE(status.ok);
  EXPECT_NE(status.problem.find("missing"), std::string::npos);
}

}  // namespace
}  // namespace furoshiki::storage
