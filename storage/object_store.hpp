// The object store on disk (docs/storage.md): encrypted objects (crypto/object_format.hpp) are
// sealed into staging/<id> and committed to objects/<first two hex digits of id>/<id>. After a
// crash there is either the complete object in objects/ or none — never a partial one — and
// start-up cleanup removes whatever an interrupted upload or commit left behind.
//
// Everything goes through a storage::FileSystem (file_system.hpp); nothing here throws on I/O.
#pragma once

#include "crypto/object_format.hpp"
#include "storage/file_system.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace furoshiki::storage {

// The write buffer of an ObjectFileSink. Lending it to the sealer needs room for one sealed chunk
// (64 KiB + 16 bytes with the default chunk size), so it holds a few: write(2)s of about 192 KiB.
inline constexpr std::size_t kSinkBufferBytes = 256 * 1024;

// Whether `id` is an object id: 32 lower-case hex digits, the only spelling that ever reaches a
// path.
bool is_object_id(std::string_view id);

// Bytes of the sealed object of `plaintext_bytes` (header, chunks, tags): what a 507 check must
// ask for before an upload of known length.
std::uint64_t sealed_object_bytes(std::uint64_t plaintext_bytes,
                                  std::uint32_t chunk_bytes = crypto::kDefaultChunkBytes);

// Whether `n` more bytes may be written when `free_bytes` are free and `reserve_bytes` must stay
// free (overflow-safe).
bool leaves_reserve(std::uint64_t free_bytes, std::uint64_t n, std::uint64_t reserve_bytes);

// Sealed bytes into a file, through a write buffer of its own that it lends to the sealer
// (reserve()/commit(): the sealer encrypts straight into it) and flushes with write(2). The
// first failure sticks: every later call answers it, since the file's end is then unknown.
// Not thread-safe. The destructor closes the file without flushing or syncing.
class ObjectFileSink final : public crypto::ObjectSink {
 public:
  explicit ObjectFileSink(std::unique_ptr<WritableFile> file, std::size_t buffer_bytes = kSinkBufferBytes);
  ObjectFileSink(const ObjectFileSink&) = delete;
  ObjectFileSink& operator=(const ObjectFileSink&) = delete;

  boost::system::error_code write(std::span<const std::uint8_t> bytes) override;
  // Lends the free end of the buffer, flushing it first when n bytes do not fit; an empty span
  // when n is larger than the whole buffer or after a failure.
  std::span<std::uint8_t> reserve(std::size_t n) override;
  boost::system::error_code commit(std::size_t n) override;

  // Writes the buffer out (write(2)); not durable yet.
  [[nodiscard]] boost::system::error_code flush();
  // flush(), then fdatasync: afterwards durable_bytes() == size().
  [[nodiscard]] boost::system::error_code sync();
  // sync(), then close. Used by ObjectStore::commit; later calls answer StorageErrc::kClosed.
  [[nodiscard]] boost::system::error_code sync_and_close();

  // Bytes of the object so far (written out or still in the buffer).
  std::uint64_t size() const { return flushed_ + used_; }
  // Bytes written out and synced: what survives a crash, and the only bytes a resumable upload
  // may report as received.
  std::uint64_t durable_bytes() const { return durable_; }
  // The failure that stopped this sink, if any.
  boost::system::error_code error() const { return error_; }

 private:
  boost::system::error_code fail(boost::system::error_code ec);

  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<std::uint8_t[]> buffer_;  // not zero-filled: only written bytes are ever read
  std::size_t capacity_;
  std::size_t used_ = 0;      // bytes of the object in buffer_, not yet written out
  std::size_t reserved_ = 0;  // bytes lent after used_ (the open reservation)
  std::uint64_t flushed_ = 0;
  std::uint64_t durable_ = 0;
  bool closed_ = false;
  boost::system::error_code error_;
};

// A sealed object read with pread(2). It offers no view(): the file could be changed under the
// opener (see crypto::ObjectSource), so the opener copies and authenticates each chunk.
class ObjectFileSource final : public crypto::ObjectSource {
 public:
  explicit ObjectFileSource(std::unique_ptr<RandomAccessFile> file) : file_(std::move(file)) {}
  std::uint64_t size() const override { return file_->size(); }
  // CryptoErrc::kIo on failure, as the opener expects; last_error() keeps the cause for the log.
  boost::system::error_code read_at(std::uint64_t offset, std::span<std::uint8_t> out) override;
  boost::system::error_code last_error() const { return last_error_; }

 private:
  std::unique_ptr<RandomAccessFile> file_;
  boost::system::error_code last_error_;
};

// What start-up cleanup found and removed (paths relative to the data directory).
struct CleanupReport {
  std::vector<std::filesystem::path> removed_staging;  // leftovers of unfinished uploads
  std::vector<std::filesystem::path> removed_strays;   // files in objects/ that are no object
  std::vector<std::filesystem::path> left_alone;       // directories in objects/ it does not know
  std::uint64_t objects = 0;                           // objects found and kept
};

// Staging and committed objects under a data directory prepared by prepare_data_directory().
// Holds no state but its paths: thread-safe when the FileSystem is, as long as no two callers
// use the same id at once.
class ObjectStore {
 public:
  // `fs` must outlive the store.
  ObjectStore(FileSystem& fs, std::filesystem::path data_directory);

  // Creates staging/<id> (EEXIST when it exists) and a sink writing to it.
  [[nodiscard]] boost::system::error_code create_staging(std::string_view id, std::unique_ptr<ObjectFileSink>& out,
                                                         std::size_t buffer_bytes = kSinkBufferBytes);

  // Moves the finished object staged as `id` into the store: sync and close the file, create
  // objects/<xx>/ when missing (and sync objects/), rename, sync objects/<xx>/ and staging/.
  // REQUIRES: `sink` was made by create_staging(id) and the sealer finished. The sink is closed
  // afterwards, whatever the result. On success the object is durable; on failure it is not in
  // objects/ (a rename that cannot be made durable is undone) and the staging file may remain —
  // remove_staging() it.
  [[nodiscard]] boost::system::error_code commit(std::string_view id, ObjectFileSink& sink);

  // Opens objects/<xx>/<id> for the opener (ENOENT when there is no such object).
  [[nodiscard]] boost::system::error_code open(std::string_view id, std::unique_ptr<ObjectFileSource>& out);

  // Opens staging/<id> for reading while it is still staged: the scan reads the finished object
  // there before it is committed. REQUIRES: the sink's bytes were flushed (ObjectFileSink::flush).
  [[nodiscard]] boost::system::error_code open_staging(std::string_view id, std::unique_ptr<ObjectFileSource>& out);

  // Removes a committed object durably (ENOENT when there is none).
  [[nodiscard]] boost::system::error_code remove(std::string_view id);

  // Removes staging/<id>; no error when it is not there (an abandoned upload may never have
  // created it). Not synced: a staging file that comes back after a crash is cleaned up then.
  [[nodiscard]] boost::system::error_code remove_staging(std::string_view id);

  // Start-up, before any upload: removes everything in staging/ and every file in objects/ that
  // is not an object at its place (temporary or misplaced files); directories in objects/ that
  // are not fan-out directories are reported, never removed. Stops at the first error.
  [[nodiscard]] boost::system::error_code clean_up(CleanupReport& report);

  // The ids of the committed objects: regular files with an object id as name in their fan-out
  // directory (what clean_up() keeps); anything else is skipped. For start-up reconciliation
  // with the database (admin/object_reconciliation.hpp). Holds every id in memory (33 bytes and
  // a string each: about 60 MB for a million objects).
  [[nodiscard]] boost::system::error_code list_objects(std::vector<std::string>& ids);

  // StorageErrc::kBelowReserve when writing `n` more bytes would leave less than `reserve_bytes`
  // free on the data directory's file system.
  [[nodiscard]] boost::system::error_code check_space(std::uint64_t n, std::uint64_t reserve_bytes);

  std::filesystem::path staging_path(std::string_view id) const;  // REQUIRES: is_object_id(id)
  std::filesystem::path object_path(std::string_view id) const;   // REQUIRES: is_object_id(id)

 private:
  boost::system::error_code remove_tree(const std::filesystem::path& dir, const std::filesystem::path& relative,
                                        CleanupReport& report);

  FileSystem& fs_;
  std::filesystem::path root_;
  std::filesystem::path staging_;
  std::filesystem::path objects_;
};

}  // namespace furoshiki::storage
