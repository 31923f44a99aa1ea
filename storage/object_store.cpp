// Staging, commit and cleanup of encrypted objects; see object_store.hpp and docs/storage.md.
#include "storage/object_store.hpp"

#include "crypto/aead.hpp"
#include "crypto/errors.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

namespace furoshiki::storage {

namespace fs = std::filesystem;
using boost::system::error_code;

bool is_object_id(std::string_view id) {
  std::array<std::uint8_t, 16> raw{};
  return crypto::hex16_decode(id, raw);
}

std::uint64_t sealed_object_bytes(std::uint64_t plaintext_bytes, std::uint32_t chunk_bytes) {
  // Every chunk but the last is full; the last holds 1…chunk bytes, or 0 for an empty object.
  const std::uint64_t chunks = plaintext_bytes == 0 ? 1 : (plaintext_bytes + chunk_bytes - 1) / chunk_bytes;
  return crypto::kObjectHeaderBytes + plaintext_bytes + chunks * crypto::kTagBytes;
}

bool leaves_reserve(std::uint64_t free_bytes, std::uint64_t n, std::uint64_t reserve_bytes) {
  return n <= free_bytes && free_bytes - n >= reserve_bytes;
}

// ---- ObjectFileSink ---------------------------------------------------------------------------

ObjectFileSink::ObjectFileSink(std::unique_ptr<WritableFile> file, std::size_t buffer_bytes)
    : file_(std::move(file)), buffer_(new std::uint8_t[buffer_bytes]), capacity_(buffer_bytes) {
  if (!file_ || buffer_bytes == 0) throw std::invalid_argument("an object sink needs a file and a buffer");
}

error_code ObjectFileSink::fail(error_code ec) {
  if (!error_) error_ = ec;
  return error_;
}

error_code ObjectFileSink::write(std::span<const std::uint8_t> bytes) {
  reserved_ = 0;  // an open reservation is abandoned
  if (error_) return error_;
  if (closed_) return StorageErrc::kClosed;
  if (bytes.size() > capacity_ - used_) {
    if (auto ec = flush()) return ec;
    if (bytes.size() >= capacity_) {  // would fill the buffer at once: no copy
      if (auto ec = file_->append(bytes)) return fail(ec);
      flushed_ += bytes.size();
      return {};
    }
  }
  std::memcpy(buffer_.get() + used_, bytes.data(), bytes.size());
  used_ += bytes.size();
  return {};
}

std::span<std::uint8_t> ObjectFileSink::reserve(std::size_t n) {
  reserved_ = 0;
  if (error_ || closed_ || n > capacity_) return {};  // write() reports the failure
  if (n > capacity_ - used_ && flush()) return {};
  reserved_ = n;
  return {buffer_.get() + used_, n};
}

error_code ObjectFileSink::commit(std::size_t n) {
  if (n > reserved_) return crypto::CryptoErrc::kInternal;
  used_ += n;
  reserved_ = 0;
  return {};
}

error_code ObjectFileSink::flush() {
  if (error_) return error_;
  if (closed_) return StorageErrc::kClosed;
  if (used_ == 0) return {};
  if (auto ec = file_->append({buffer_.get(), used_})) return fail(ec);
  flushed_ += used_;
  used_ = 0;
  return {};
}

error_code ObjectFileSink::sync() {
  if (auto ec = flush()) return ec;
  if (auto ec = file_->sync()) return fail(ec);
  durable_ = flushed_;
  return {};
}

error_code ObjectFileSink::sync_and_close() {
  if (closed_) return StorageErrc::kClosed;
  const error_code synced = sync();
  closed_ = true;
  const error_code closed = file_->close();
  if (synced) return synced;
  return closed ? fail(closed) : error_code{};
}

// ---- ObjectFileSource -------------------------------------------------------------------------

error_code ObjectFileSource::read_at(std::uint64_t offset, std::span<std::uint8_t> out) {
  if (auto ec = file_->read_at(offset, out)) {
    last_error_ = ec;
    return crypto::CryptoErrc::kIo;
  }
  return {};
}

// ---- ObjectStore ------------------------------------------------------------------------------

namespace {

// The fan-out directory name of an object: its first two hex digits (256 directories).
std::string_view fan_out(std::string_view id) { return id.substr(0, 2); }

bool is_fan_out_name(std::string_view name) {
  return name.size() == 2 &&
         std::all_of(name.begin(), name.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_missing(const error_code& ec) { return ec == boost::system::errc::no_such_file_or_directory; }

}  // namespace

ObjectStore::ObjectStore(FileSystem& fs, fs::path data_directory)
    : fs_(fs), root_(std::move(data_directory)), staging_(root_ / "staging"), objects_(root_ / "objects") {}

fs::path ObjectStore::staging_path(std::string_view id) const { return staging_ / id; }

fs::path ObjectStore::object_path(std::string_view id) const { return objects_ / fan_out(id) / id; }

error_code ObjectStore::create_staging(std::string_view id, std::unique_ptr<ObjectFileSink>& out,
                                       std::size_t buffer_bytes) {
  out.reset();
  if (!is_object_id(id)) return StorageErrc::kBadObjectId;
  std::unique_ptr<WritableFile> file;
  if (auto ec = fs_.new_writable_file(staging_path(id), file)) return ec;
  out = std::make_unique<ObjectFileSink>(std::move(file), buffer_bytes);
  return {};
}

error_code ObjectStore::commit(std::string_view id, ObjectFileSink& sink) {
  if (!is_object_id(id)) return StorageErrc::kBadObjectId;
  // 1. The object's bytes are durable before any name points to them in objects/.
  if (auto ec = sink.sync_and_close()) return ec;
  // 2. The fan-out directory exists durably before an entry is made in it.
  const fs::path dir = objects_ / fan_out(id);
  if (auto ec = fs_.create_directory(dir); !ec) {
    if ((ec = fs_.sync_directory(objects_))) {
      // Not known to be durable: take it away so that the next commit creates and syncs it
      // again (clean_up() syncs objects/ at start-up should this fail too).
      (void)fs_.remove_directory(dir);
      return ec;
    }
  } else if (ec != boost::system::errc::file_exists) {
    return ec;
  }
  // 3. One atomic step from "staged" to "stored"; 4. made durable, or undone.
  const fs::path target = dir / id;
  if (auto ec = fs_.rename(staging_path(id), target)) return ec;
  error_code ec = fs_.sync_directory(dir);
  if (!ec) ec = fs_.sync_directory(staging_);
  if (ec) {
    // The caller will not record an object it was told failed: take it out of objects/ again
    // (best effort; if this fails too, the stray object is unreferenced and removed with the
    // orphans of a crash).
    if (!fs_.rename(target, staging_path(id))) (void)fs_.sync_directory(dir);
    return ec;
  }
  return {};
}

error_code ObjectStore::open(std::string_view id, std::unique_ptr<ObjectFileSource>& out) {
  out.reset();
  if (!is_object_id(id)) return StorageErrc::kBadObjectId;
  std::unique_ptr<RandomAccessFile> file;
  if (auto ec = fs_.new_random_access_file(object_path(id), file)) return ec;
  out = std::make_unique<ObjectFileSource>(std::move(file));
  return {};
}

error_code ObjectStore::open_staging(std::string_view id, std::unique_ptr<ObjectFileSource>& out) {
  out.reset();
  if (!is_object_id(id)) return StorageErrc::kBadObjectId;
  std::unique_ptr<RandomAccessFile> file;
  if (auto ec = fs_.new_random_access_file(staging_path(id), file)) return ec;
  out = std::make_unique<ObjectFileSource>(std::move(file));
  return {};
}

error_code ObjectStore::remove(std::string_view id) {
  if (!is_object_id(id)) return StorageErrc::kBadObjectId;
  if (auto ec = fs_.remove(object_path(id))) return ec;
  return fs_.sync_directory(objects_ / fan_out(id));
}

error_code ObjectStore::remove_staging(std::string_view id) {
  if (!is_object_id(id)) return StorageErrc::kBadObjectId;
  if (auto ec = fs_.remove(staging_path(id)); ec && !is_missing(ec)) return ec;
  return {};
}

error_code ObjectStore::remove_tree(const fs::path& dir, const fs::path& relative, CleanupReport& report) {
  std::vector<DirectoryEntry> entries;
  if (auto ec = fs_.list_directory(dir, entries)) return ec;
  for (const auto& entry : entries) {
    if (entry.type == DirectoryEntry::Type::kDirectory) {
      if (auto ec = remove_tree(dir / entry.name, relative / entry.name, report)) return ec;
      if (auto ec = fs_.remove_directory(dir / entry.name)) return ec;
      report.removed_staging.push_back(relative / entry.name);
    } else {
      // Files, and links as links: nothing outside the data directory is ever touched.
      if (auto ec = fs_.remove(dir / entry.name)) return ec;
      report.removed_staging.push_back(relative / entry.name);
    }
  }
  return {};
}

error_code ObjectStore::clean_up(CleanupReport& report) {
  report = {};
  // No upload survives a restart (the sealer's state is in memory), so all of staging/ goes.
  if (auto ec = remove_tree(staging_, "staging", report)) return ec;
  if (auto ec = fs_.sync_directory(staging_)) return ec;

  std::vector<DirectoryEntry> top;
  if (auto ec = fs_.list_directory(objects_, top)) return ec;
  for (const auto& entry : top) {
    const fs::path relative = fs::path("objects") / entry.name;
    if (entry.type == DirectoryEntry::Type::kDirectory) {
      if (!is_fan_out_name(entry.name)) {
        report.left_alone.push_back(relative);
        continue;
      }
      std::vector<DirectoryEntry> inner;
      if (auto ec = fs_.list_directory(objects_ / entry.name, inner)) return ec;
      bool removed_inside = false;
      for (const auto& file : inner) {
        const bool object =
            file.type == DirectoryEntry::Type::kFile && is_object_id(file.name) && fan_out(file.name) == entry.name;
        if (object) {
          ++report.objects;
        } else if (file.type == DirectoryEntry::Type::kDirectory) {
          report.left_alone.push_back(relative / file.name);
        } else {
          if (auto ec = fs_.remove(objects_ / entry.name / file.name)) return ec;
          report.removed_strays.push_back(relative / file.name);
          removed_inside = true;
        }
      }
      if (removed_inside) {
        if (auto ec = fs_.sync_directory(objects_ / entry.name)) return ec;
      }
    } else {
      if (auto ec = fs_.remove(objects_ / entry.name)) return ec;
      report.removed_strays.push_back(relative);
    }
  }
  // Also makes every fan-out directory's entry durable, whatever happened before the restart.
  return fs_.sync_directory(objects_);
}

error_code ObjectStore::list_objects(std::vector<std::string>& ids) {
  ids.clear();
  std::vector<DirectoryEntry> top;
  if (auto ec = fs_.list_directory(objects_, top)) return ec;
  for (const auto& entry : top) {
    if (entry.type != DirectoryEntry::Type::kDirectory || !is_fan_out_name(entry.name)) continue;
    std::vector<DirectoryEntry> inner;
    if (auto ec = fs_.list_directory(objects_ / entry.name, inner)) return ec;
    for (const auto& file : inner) {
      if (file.type == DirectoryEntry::Type::kFile && is_object_id(file.name) && fan_out(file.name) == entry.name) {
        ids.push_back(file.name);
      }
    }
  }
  return {};
}

error_code ObjectStore::check_space(std::uint64_t n, std::uint64_t reserve_bytes) {
  std::uint64_t free = 0;
  if (auto ec = fs_.free_bytes(root_, free)) return ec;
  return leaves_reserve(free, n, reserve_bytes) ? error_code{} : make_error_code(StorageErrc::kBelowReserve);
}

}  // namespace furoshiki::storage
