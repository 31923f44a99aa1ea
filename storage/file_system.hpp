// All file-system access of the storage layer, behind one small interface (after LevelDB's Env):
// the object store (object_store.hpp) does nothing to disk except through a FileSystem, so tests
// can put a fault-injecting one underneath (tests/test_support/faulty_file_system.hpp) and see
// full disks, failed syncs and crashes at every step.
//
// Every method reports failure as an error_code — the errno in the generic category, or a
// StorageErrc — and never throws. None of them follows a symbolic link it is asked to remove.
#pragma once

#include "storage/errors.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace furoshiki::storage {

// A file being written from its start to its end. Not thread-safe.
class WritableFile {
 public:
  virtual ~WritableFile() = default;  // closes without syncing when still open

  // Appends all of `bytes` (short writes are continued). On error an unknown prefix of `bytes`
  // may have been written: the file's end is then unknown and it should be given up.
  [[nodiscard]] virtual boost::system::error_code append(std::span<const std::uint8_t> bytes) = 0;
  // Makes everything appended so far durable (fdatasync). After a failed sync the file's
  // contents are unknown (the kernel may have dropped the dirty pages): give it up.
  [[nodiscard]] virtual boost::system::error_code sync() = 0;
  // Closes the file; it does not sync. Later calls answer StorageErrc::kClosed.
  [[nodiscard]] virtual boost::system::error_code close() = 0;
  // Bytes appended so far.
  virtual std::uint64_t size() const = 0;
};

// A file read at any offset (pread). Safe for concurrent reads.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads exactly out.size() bytes at `offset`; StorageErrc::kUnexpectedEnd when the file ends
  // before that.
  [[nodiscard]] virtual boost::system::error_code read_at(std::uint64_t offset, std::span<std::uint8_t> out) const = 0;
  // The size when the file was opened.
  virtual std::uint64_t size() const = 0;
};

struct DirectoryEntry {
  enum class Type { kFile, kDirectory, kOther };  // kOther: symbolic links, sockets, devices...
  std::string name;                               // never "." or ".."
  Type type = Type::kOther;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates `path` for writing, mode 0600. Fails with EEXIST when something is there already:
  // a file is never written by two writers, nor reached through a planted link.
  [[nodiscard]] virtual boost::system::error_code new_writable_file(const std::filesystem::path& path,
                                                                    std::unique_ptr<WritableFile>& out) = 0;
  [[nodiscard]] virtual boost::system::error_code new_random_access_file(const std::filesystem::path& path,
                                                                         std::unique_ptr<RandomAccessFile>& out) = 0;
  // rename(2): atomic, replaces `to` when it exists. Durable only after sync_directory() of the
  // directories of both names.
  [[nodiscard]] virtual boost::system::error_code rename(const std::filesystem::path& from,
                                                         const std::filesystem::path& to) = 0;
  // Removes a file or a link (unlink(2)), ENOENT when there is none.
  [[nodiscard]] virtual boost::system::error_code remove(const std::filesystem::path& path) = 0;
  // Removes an empty directory (rmdir(2)).
  [[nodiscard]] virtual boost::system::error_code remove_directory(const std::filesystem::path& path) = 0;
  // Makes the entries of `dir` (files created, renamed or removed in it) durable (fsync).
  [[nodiscard]] virtual boost::system::error_code sync_directory(const std::filesystem::path& dir) = 0;
  // Creates one directory, mode 0700; EEXIST when something is there already.
  [[nodiscard]] virtual boost::system::error_code create_directory(const std::filesystem::path& dir) = 0;
  // The entries of `dir`, in no particular order; a link is kOther, whatever it points to.
  [[nodiscard]] virtual boost::system::error_code list_directory(const std::filesystem::path& dir,
                                                                 std::vector<DirectoryEntry>& out) = 0;
  // Bytes an unprivileged writer may still write on the file system holding `path` (statvfs).
  [[nodiscard]] virtual boost::system::error_code free_bytes(const std::filesystem::path& path, std::uint64_t& out) = 0;
};

// The FileSystem of the machine (POSIX calls, O_CLOEXEC everywhere, EINTR retried). Stateless
// and thread-safe.
class PosixFileSystem final : public FileSystem {
 public:
  boost::system::error_code new_writable_file(const std::filesystem::path& path,
                                              std::unique_ptr<WritableFile>& out) override;
  boost::system::error_code new_random_access_file(const std::filesystem::path& path,
                                                   std::unique_ptr<RandomAccessFile>& out) override;
  boost::system::error_code rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  boost::system::error_code remove(const std::filesystem::path& path) override;
  boost::system::error_code remove_directory(const std::filesystem::path& path) override;
  boost::system::error_code sync_directory(const std::filesystem::path& dir) override;
  boost::system::error_code create_directory(const std::filesystem::path& dir) override;
  boost::system::error_code list_directory(const std::filesystem::path& dir, std::vector<DirectoryEntry>& out) override;
  boost::system::error_code free_bytes(const std::filesystem::path& path, std::uint64_t& out) override;
};

// The process's PosixFileSystem.
FileSystem& posix_file_system();

}  // namespace furoshiki::storage
