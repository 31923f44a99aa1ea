// The POSIX FileSystem: what the object store relies on (exclusive creation, private modes,
// pread at any offset, errno in every error, links never followed).
#include "storage/file_system.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace furoshiki::storage {
namespace {

namespace fs = std::filesystem;

class PosixFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/furoshiki-fs-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  static std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

  PosixFileSystem fs_;
  fs::path root_;
};

TEST_F(PosixFileSystemTest, WritesAndReadsBackAtAnyOffset) {
  std::unique_ptr<WritableFile> out;
  ASSERT_FALSE(fs_.new_writable_file(root_ / "f", out));
  ASSERT_FALSE(out->append(bytes("hello, ")));
  ASSERT_FALSE(out->append(bytes("world")));
  EXPECT_EQ(out->size(), 12u);
  ASSERT_FALSE(out->sync());
  ASSERT_FALSE(out->close());

  std::unique_ptr<RandomAccessFile> in;
  ASSERT_FALSE(fs_.new_random_access_file(root_ / "f", in));
  EXPECT_EQ(in->size(), 12u);
  std::vector<std::uint8_t> got(5);
  ASSERT_FALSE(in->read_at(7, got));
  EXPECT_EQ(got, bytes("world"));
  ASSERT_FALSE(in->read_at(0, std::span(got).first(2)));
  EXPECT_EQ(got[0], 'h');
}

TEST_F(PosixFileSystemTest, ReadPastTheEndIsUnexpectedEnd) {
  std::unique_ptr<WritableFile> out;
  ASSERT_FALSE(fs_.new_writable_file(root_ / "f", out));
  ASSERT_FALSE(out->append(bytes("abc")));
  ASSERT_FALSE(out->close());
  std::unique_ptr<RandomAccessFile> in;
  ASSERT_FALSE(fs_.new_random_access_file(root_ / "f", in));
  std::vector<std::uint8_t> got(4);
  EXPECT_EQ(in->read_at(0, got), StorageErrc::kUnexpectedEnd);
  EXPECT_EQ(in->read_at(3, std::span(got).first(1)), StorageErrc::kUnexpectedEnd);
}

TEST_F(PosixFileSystemTest, NewFilesAndDirectoriesArePrivate) {
  std::unique_ptr<WritableFile> out;
  ASSERT_FALSE(fs_.new_writable_file(root_ / "f", out));
  ASSERT_FALSE(fs_.create_directory(root_ / "d"));
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((root_ / "d").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(PosixFileSystemTest, NeverWritesThroughAnExistingNameOrLink) {
  std::unique_ptr<WritableFile> out;
  ASSERT_FALSE(fs_.new_writable_file(root_ / "f", out));
  std::unique_ptr<WritableFile> second;
  EXPECT_EQ(fs_.new_writable_file(root_ / "f", second), boost::system::errc::file_exists);
  ASSERT_EQ(::symlink((root_ / "target").c_str(), (root_ / "link").c_str()), 0);
  EXPECT_EQ(fs_.new_writable_file(root_ / "link", second), boost::system::errc::file_exists);
  EXPECT_FALSE(fs::exists(root_ / "target"));
  EXPECT_EQ(fs_.create_directory(root_ / "f"), boost::system::errc::file_exists);
}

TEST_F(PosixFileSystemTest, ErrorsCarryTheErrno) {
  std::unique_ptr<RandomAccessFile> in;
  EXPECT_EQ(fs_.new_random_access_file(root_ / "missing", in), boost::system::errc::no_such_file_or_directory);
  EXPECT_EQ(fs_.rename(root_ / "missing", root_ / "other"), boost::system::errc::no_such_file_or_directory);
  EXPECT_EQ(fs_.remove(root_ / "missing"), boost::system::errc::no_such_file_or_directory);
  EXPECT_EQ(fs_.sync_directory(root_ / "missing"), boost::system::errc::no_such_file_or_directory);
  std::vector<DirectoryEntry> entries;
  EXPECT_EQ(fs_.list_directory(root_ / "missing", entries), boost::system::errc::no_such_file_or_directory);
  std::unique_ptr<WritableFile> out;
  EXPECT_EQ(fs_.new_writable_file(root_ / "missing" / "f", out), boost::system::errc::no_such_file_or_directory);
  ASSERT_FALSE(fs_.create_directory(root_ / "d"));
  EXPECT_EQ(fs_.new_random_access_file(root_ / "d", in), boost::system::errc::is_a_directory);
}

TEST_F(PosixFileSystemTest, ClosedFileRefusesEverything) {
  std::unique_ptr<WritableFile> out;
  ASSERT_FALSE(fs_.new_writable_file(root_ / "f", out));
  ASSERT_FALSE(out->close());
  EXPECT_EQ(out->append(bytes("x")), StorageErrc::kClosed);
  EXPECT_EQ(out->sync(), StorageErrc::kClosed);
  EXPECT_EQ(out->close(), StorageErrc::kClosed);
}

TEST_F(PosixFileSystemTest, ListsEntriesWithTheirTypesAndLinksAsLinks) {
  std::unique_ptr<WritableFile> out;
  ASSERT_FALSE(fs_.new_writable_file(root_ / "file", out));
  ASSERT_FALSE(fs_.create_directory(root_ / "dir"));
  ASSERT_EQ(::symlink((root_ / "dir").c_str(), (root_ / "link").c_str()), 0);
  std::vector<DirectoryEntry> entries;
  ASSERT_FALSE(fs_.list_directory(root_, entries));
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "dir");
  EXPECT_EQ(entries[0].type, DirectoryEntry::Type::kDirectory);
  EXPECT_EQ(entries[1].name, "file");
  EXPECT_EQ(entries[1].type, DirectoryEntry::Type::kFile);
  EXPECT_EQ(entries[2].name, "link");
  EXPECT_EQ(entries[2].type, DirectoryEntry::Type::kOther);
}

TEST_F(PosixFileSystemTest, RemovesLinksNotWhatTheyPointTo) {
  std::ofstream(root_ / "kept") << "precious";
  ASSERT_EQ(::symlink((root_ / "kept").c_str(), (root_ / "link").c_str()), 0);
  ASSERT_FALSE(fs_.remove(root_ / "link"));
  EXPECT_TRUE(fs::exists(root_ / "kept"));
  EXPECT_FALSE(fs::is_symlink(root_ / "link"));
}

TEST_F(PosixFileSystemTest, RenamesReplacingTheTargetAndRemovesEmptyDirectories) {
  std::ofstream(root_ / "a") << "new";
  std::ofstream(root_ / "b") << "old";
  ASSERT_FALSE(fs_.rename(root_ / "a", root_ / "b"));
  ASSERT_FALSE(fs_.sync_directory(root_));
  EXPECT_FALSE(fs::exists(root_ / "a"));
  EXPECT_EQ(fs::file_size(root_ / "b"), 3u);
  ASSERT_FALSE(fs_.create_directory(root_ / "d"));
  std::ofstream(root_ / "d" / "x") << "x";
  EXPECT_EQ(fs_.remove_directory(root_ / "d"), boost::system::errc::directory_not_empty);
  ASSERT_FALSE(fs_.remove(root_ / "d" / "x"));
  EXPECT_FALSE(fs_.remove_directory(root_ / "d"));
}

TEST_F(PosixFileSystemTest, ReportsFreeBytes) {
  std::uint64_t free = 0;
  ASSERT_FALSE(fs_.free_bytes(root_, free));
  EXPECT_GT(free, 0u);
}

}  // namespace
}  // namespace furoshiki::storage
