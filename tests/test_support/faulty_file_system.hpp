// A storage::FileSystem for tests that fails on purpose (after LevelDB's FaultInjectionTestEnv and
// SQLite's I/O-error and crash tests): it passes every call to a real FileSystem underneath and
// can make appends fail with ENOSPC from the Nth on, fail syncs and renames, and "crash".
//
// A crash models what a power cut may leave on disk, at its worst: every file written through
// this FileSystem loses what was appended since its last successful sync, and — unless told
// otherwise — files and directories created and renames made since the last sync of their
// directory are undone. After a crash every call fails with EIO (the process is gone); tests look
// at the disk through a new store over the real FileSystem. Removals are not undone (the bytes
// are gone), so a crash never brings a removed file back, though a real one might.
//
// Single-threaded tests only.
#pragma once

#include "storage/file_system.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace furoshiki::test_support {

class FaultyFileSystem final : public storage::FileSystem {
 public:
  explicit FaultyFileSystem(storage::FileSystem& base) : base_(base) {}

  // The nth append from now (1 = the next) and every one after it fail with `error`; the failing
  // one writes half of its bytes first, as a write(2) that runs out of space midway does.
  void fail_appends_from(std::uint64_t nth, int error = ENOSPC) {
    appends_until_failure_ = nth;
    append_error_ = error;
  }
  void fail_file_syncs(bool on = true) { fail_file_syncs_ = on; }
  void fail_directory_syncs(bool on = true) { fail_directory_syncs_ = on; }
  void fail_renames(bool on = true) { fail_renames_ = on; }
  void set_free_bytes(std::optional<std::uint64_t> bytes) { free_bytes_ = bytes; }

  // Crashes instead of performing the nth changing call from now (1 = the next): appends, syncs,
  // creations, renames and removals count; reads and listings do not.
  void crash_at_step(std::uint64_t nth) { steps_until_crash_ = nth; }
  // Crashes now (see the file comment).
  void crash(bool lose_directory_changes = true) {
    if (crashed_) return;
    crashed_ = true;
    if (lose_directory_changes) {
      for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) undo(*it);
      pending_.clear();
    }
    for (const auto& [path, file] : files_) {
      (void)::truncate(path.c_str(), static_cast<off_t>(file->synced));
    }
  }
  bool crashed() const { return crashed_; }
  // Changing calls made so far.
  std::uint64_t steps() const { return steps_; }

  boost::system::error_code new_writable_file(const std::filesystem::path& path,
                                              std::unique_ptr<storage::WritableFile>& out) override {
    out.reset();
    if (auto ec = step()) return ec;
    std::unique_ptr<storage::WritableFile> file;
    if (auto ec = base_.new_writable_file(path, file)) return ec;
    auto state = std::make_shared<FileState>();
    files_[key(path)] = state;
    pending_.push_back({Pending::kCreatedFile, key(path), {}});
    out = std::make_unique<File>(*this, std::move(file), std::move(state));
    return {};
  }
  boost::system::error_code new_random_access_file(const std::filesystem::path& path,
                                                   std::unique_ptr<storage::RandomAccessFile>& out) override {
    if (crashed_) return storage::errno_code(EIO);
    return base_.new_random_access_file(path, out);
  }
  boost::system::error_code rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    if (auto ec = step()) return ec;
    if (fail_renames_) return storage::errno_code(EIO);
    if (auto ec = base_.rename(from, to)) return ec;
    if (auto it = files_.find(key(from)); it != files_.end()) {
      auto state = it->second;
      files_.erase(it);
      files_[key(to)] = std::move(state);
    }
    pending_.push_back({Pending::kRenamed, key(to), key(from)});
    return {};
  }
  boost::system::error_code remove(const std::filesystem::path& path) override {
    if (auto ec = step()) return ec;
    if (auto ec = base_.remove(path)) return ec;
    files_.erase(key(path));
    return {};
  }
  boost::system::error_code remove_directory(const std::filesystem::path& path) override {
    if (auto ec = step()) return ec;
    return base_.remove_directory(path);
  }
  boost::system::error_code sync_directory(const std::filesystem::path& dir) override {
    if (auto ec = step()) return ec;
    if (fail_directory_syncs_) return storage::errno_code(EIO);
    if (auto ec = base_.sync_directory(dir)) return ec;
    const std::string synced = key(dir);
    std::erase_if(pending_, [&](const Pending& p) { return parent(p.path) == synced; });
    return {};
  }
  boost::system::error_code create_directory(const std::filesystem::path& dir) override {
    if (auto ec = step()) return ec;
    if (auto ec = base_.create_directory(dir)) return ec;
    pending_.push_back({Pending::kCreatedDirectory, key(dir), {}});
    return {};
  }
  boost::system::error_code list_directory(const std::filesystem::path& dir,
                                           std::vector<storage::DirectoryEntry>& out) override {
    if (crashed_) return storage::errno_code(EIO);
    return base_.list_directory(dir, out);
  }
  boost::system::error_code free_bytes(const std::filesystem::path& path, std::uint64_t& out) override {
    if (crashed_) return storage::errno_code(EIO);
    if (free_bytes_) {
      out = *free_bytes_;
      return {};
    }
    return base_.free_bytes(path, out);
  }

 private:
  struct FileState {
    std::uint64_t synced = 0;  // bytes that survive a crash
  };

  // A directory change not yet made durable by a sync of the directory holding `path`.
  struct Pending {
    enum Kind { kCreatedFile, kCreatedDirectory, kRenamed } kind;
    std::string path;
    std::string from;  // kRenamed: the old name
  };

  class File final : public storage::WritableFile {
   public:
    File(FaultyFileSystem& owner, std::unique_ptr<storage::WritableFile> base, std::shared_ptr<FileState> state)
        : owner_(owner), base_(std::move(base)), state_(std::move(state)) {}
    boost::system::error_code append(std::span<const std::uint8_t> bytes) override {
      if (auto ec = owner_.step()) return ec;
      if (owner_.appends_until_failure_ != 0 && --owner_.appends_until_failure_ == 0) {
        owner_.appends_until_failure_ = 1;  // the disk stays full
        (void)base_->append(bytes.first(bytes.size() / 2));
        return storage::errno_code(owner_.append_error_);
      }
      return base_->append(bytes);
    }
    boost::system::error_code sync() override {
      if (auto ec = owner_.step()) return ec;
      if (owner_.fail_file_syncs_) return storage::errno_code(EIO);
      if (auto ec = base_->sync()) return ec;
      state_->synced = base_->size();
      return {};
    }
    boost::system::error_code close() override { return base_->close(); }
    std::uint64_t size() const override { return base_->size(); }

   private:
    FaultyFileSystem& owner_;
    std::unique_ptr<storage::WritableFile> base_;
    std::shared_ptr<FileState> state_;
  };

  static std::string key(const std::filesystem::path& path) { return path.lexically_normal().string(); }
  static std::string parent(const std::string& path) { return std::filesystem::path(path).parent_path().string(); }

  // Counts a changing call; EIO once crashed (and the call that crashes is not performed).
  boost::system::error_code step() {
    if (!crashed_) {
      ++steps_;
      if (steps_until_crash_ != 0 && --steps_until_crash_ == 0) crash();
    }
    return crashed_ ? storage::errno_code(EIO) : boost::system::error_code{};
  }

  void undo(const Pending& change) {
    std::error_code ignored;
    switch (change.kind) {
      case Pending::kCreatedFile:
        std::filesystem::remove(change.path, ignored);
        files_.erase(change.path);
        break;
      case Pending::kCreatedDirectory: std::filesystem::remove_all(change.path, ignored); break;
      case Pending::kRenamed:
        std::filesystem::rename(change.path, change.from, ignored);
        if (auto it = files_.find(change.path); it != files_.end()) {
          auto state = it->second;
          files_.erase(it);
          files_[change.from] = std::move(state);
        }
        break;
    }
  }

  storage::FileSystem& base_;
  std::map<std::string, std::shared_ptr<FileState>> files_;  // by current path
  std::vector<Pending> pending_;
  std::uint64_t appends_until_failure_ = 0;
  int append_error_ = ENOSPC;
  bool fail_file_syncs_ = false;
  bool fail_directory_syncs_ = false;
  bool fail_renames_ = false;
  std::optional<std::uint64_t> free_bytes_;
  std::uint64_t steps_until_crash_ = 0;
  std::uint64_t steps_ = 0;
  bool crashed_ = false;
};

}  // namespace furoshiki::test_support
