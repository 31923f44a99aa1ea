// The POSIX FileSystem; see file_system.hpp.
#include "storage/file_system.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace furoshiki::storage {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "furoshiki.storage"; }
  std::string message(int ev) const override {
    switch (static_cast<StorageErrc>(ev)) {
      case StorageErrc::kOk: return "ok";
      case StorageErrc::kBadObjectId: return "malformed object id";
      case StorageErrc::kUnexpectedEnd: return "read past the end of the file";
      case StorageErrc::kBelowReserve: return "not enough free space above the disk reserve";
      case StorageErrc::kClosed: return "the file is closed";
    }
    return "unknown storage error";
  }
};

boost::system::error_code last_errno() { return errno_code(errno); }

// open(2), retried on EINTR (possible for FIFOs and some network file systems).
int open_retrying(const char* path, int flags, mode_t mode = 0) {
  int fd = -1;
  do {
    fd = ::open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// close(2) is not retried: on Linux the descriptor is released even when it reports EINTR.
boost::system::error_code close_descriptor(int fd) {
  if (::close(fd) != 0 && errno != EINTR) return last_errno();
  return {};
}

class PosixWritableFile final : public WritableFile {
 public:
  explicit PosixWritableFile(int fd) : fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  PosixWritableFile(const PosixWritableFile&) = delete;
  PosixWritableFile& operator=(const PosixWritableFile&) = delete;

  boost::system::error_code append(std::span<const std::uint8_t> bytes) override {
    if (fd_ < 0) return StorageErrc::kClosed;
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_errno();
      }
      if (n == 0) return errno_code(ENOSPC);  // a regular file that takes nothing is full
      bytes = bytes.subspan(static_cast<std::size_t>(n));
      size_ += static_cast<std::uint64_t>(n);
    }
    return {};
  }

  boost::system::error_code sync() override {
    if (fd_ < 0) return StorageErrc::kClosed;
    while (::fdatasync(fd_) != 0) {
      if (errno != EINTR) return last_errno();
    }
    return {};
  }

  boost::system::error_code close() override {
    if (fd_ < 0) return StorageErrc::kClosed;
    const int fd = fd_;
    fd_ = -1;
    return close_descriptor(fd);
  }

  std::uint64_t size() const override { return size_; }

 private:
  int fd_;
  std::uint64_t size_ = 0;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }
  PosixRandomAccessFile(const PosixRandomAccessFile&) = delete;
  PosixRandomAccessFile& operator=(const PosixRandomAccessFile&) = delete;

  boost::system::error_code read_at(std::uint64_t offset, std::span<std::uint8_t> out) const override {
    while (!out.empty()) {
      const ssize_t n = ::pread(fd_, out.data(), out.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_errno();
      }
      if (n == 0) return StorageErrc::kUnexpectedEnd;
      out = out.subspan(static_cast<std::size_t>(n));
      offset += static_cast<std::uint64_t>(n);
    }
    return {};
  }

  std::uint64_t size() const override { return size_; }

 private:
  int fd_;
  std::uint64_t size_;
};

}  // namespace

const boost::system::error_category& storage_category() noexcept {
  static const Category kCategory;
  return kCategory;
}

boost::system::error_code PosixFileSystem::new_writable_file(const std::filesystem::path& path,
                                                             std::unique_ptr<WritableFile>& out) {
  out.reset();
  // O_EXCL also refuses a dangling symbolic link at `path`; O_NOFOLLOW is implied by it.
  const int fd = open_retrying(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return last_errno();
  out = std::make_unique<PosixWritableFile>(fd);
  return {};
}

boost::system::error_code PosixFileSystem::new_random_access_file(const std::filesystem::path& path,
                                                                  std::unique_ptr<RandomAccessFile>& out) {
  out.reset();
  const int fd = open_retrying(path.c_str(), O_RDONLY | O_NOFOLLOW);
  if (fd < 0) return last_errno();
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const auto ec = last_errno();
    ::close(fd);
    return ec;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return errno_code(S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
  }
  out = std::make_unique<PosixRandomAccessFile>(fd, static_cast<std::uint64_t>(st.st_size));
  return {};
}

boost::system::error_code PosixFileSystem::rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return last_errno();
  return {};
}

boost::system::error_code PosixFileSystem::remove(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0) return last_errno();
  return {};
}

boost::system::error_code PosixFileSystem::remove_directory(const std::filesystem::path& path) {
  if (::rmdir(path.c_str()) != 0) return last_errno();
  return {};
}

boost::system::error_code PosixFileSystem::sync_directory(const std::filesystem::path& dir) {
  const int fd = open_retrying(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return last_errno();
  boost::system::error_code ec;
  while (::fsync(fd) != 0) {
    if (errno != EINTR) {
      ec = last_errno();
      break;
    }
  }
  const auto closed = close_descriptor(fd);
  return ec ? ec : closed;
}

boost::system::error_code PosixFileSystem::create_directory(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0) return last_errno();
  return {};
}

boost::system::error_code PosixFileSystem::list_directory(const std::filesystem::path& dir,
                                                          std::vector<DirectoryEntry>& out) {
  out.clear();
  const int fd = open_retrying(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return last_errno();
  DIR* stream = ::fdopendir(fd);  // owns fd from here on
  if (stream == nullptr) {
    const auto ec = last_errno();
    ::close(fd);
    return ec;
  }
  boost::system::error_code ec;
  for (;;) {
    errno = 0;
    // readdir is safe on a stream no other thread uses (POSIX.1-2008; readdir_r is deprecated).
    const dirent* entry = ::readdir(stream);  // NOLINT(concurrency-mt-unsafe)
    if (entry == nullptr) {
      if (errno != 0) ec = last_errno();
      break;
    }
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    unsigned char type = entry->d_type;
    if (type == DT_UNKNOWN) {  // some file systems leave it to lstat
      struct stat st {};
      if (::fstatat(::dirfd(stream), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        ec = last_errno();
        break;
      }
      type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_LNK;
    }
    const auto kind = type == DT_REG   ? DirectoryEntry::Type::kFile
                      : type == DT_DIR ? DirectoryEntry::Type::kDirectory
                                       : DirectoryEntry::Type::kOther;
    out.push_back({name, kind});
  }
  ::closedir(stream);
  return ec;
}

boost::system::error_code PosixFileSystem::free_bytes(const std::filesystem::path& path, std::uint64_t& out) {
  struct statvfs vfs {};
  int rc = 0;
  do {
    rc = ::statvfs(path.c_str(), &vfs);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return last_errno();
  out = static_cast<std::uint64_t>(vfs.f_bavail) * static_cast<std::uint64_t>(vfs.f_frsize);
  return {};
}

FileSystem& posix_file_system() {
  static PosixFileSystem file_system;
  return file_system;
}

}  // namespace furoshiki::storage
