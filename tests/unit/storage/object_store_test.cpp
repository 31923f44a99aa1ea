// The object store: objects sealed through a staging file, committed, opened and decrypted; and
// what full disks, failed syncs and renames, and crashes at every step leave behind (the crash
// rule of docs/storage.md: a complete object in objects/, or none).
#include "storage/object_store.hpp"

#include "storage/data_directory.hpp"
#include "test_support/faulty_file_system.hpp"
#include "test_support/sealed_object.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace furoshiki::storage {
namespace {

namespace fs = std::filesystem;
using test_support::FaultyFileSystem;

constexpr std::uint32_t kChunk = crypto::kDefaultChunkBytes;

// Passes write() on and lends nothing: the sealer then seals into its own buffer and copies.
class WriteOnlySink final : public crypto::ObjectSink {
 public:
  explicit WriteOnlySink(crypto::ObjectSink& inner) : inner_(inner) {}
  boost::system::error_code write(std::span<const std::uint8_t> bytes) override { return inner_.write(bytes); }

 private:
  crypto::ObjectSink& inner_;
};

std::vector<std::uint8_t> pseudo_random(std::size_t n, std::uint32_t seed) {
  std::vector<std::uint8_t> out(n);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& b : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<std::uint8_t>(x);
  }
  return out;
}

class ObjectStoreTest : public ::testing::Test {
 protected:
  static fs::path make_root() {
    char tmpl[] = "/tmp/furoshiki-store-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    return tmpl;
  }
  void SetUp() override { ASSERT_FALSE(prepare_data_directory(root_)); }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  // Seals `plaintext` into `sink`, appending `piece` bytes at a time.
  boost::system::error_code seal(std::string_view id, const std::vector<std::uint8_t>& plaintext,
                                 crypto::ObjectSink& sink, std::size_t piece = 64 * 1024) {
    crypto::ObjectSealer sealer(tenant_.ctx(), tenant_.key(), tenant_.ref(), id, sink);
    if (auto ec = sealer.status()) return ec;
    for (std::size_t at = 0; at < plaintext.size(); at += piece) {
      const std::size_t n = std::min(piece, plaintext.size() - at);
      if (auto ec = sealer.append({plaintext.data() + at, n})) return ec;
    }
    return sealer.finish();
  }

  // Stages and seals `plaintext` as `id` through store_ (nullptr on failure), not committed.
  std::unique_ptr<ObjectFileSink> staged(std::string_view id, const std::vector<std::uint8_t>& plaintext) {
    std::unique_ptr<ObjectFileSink> sink;
    if (store_.create_staging(id, sink) || seal(id, plaintext, *sink)) return nullptr;
    return sink;
  }

  // Stages, seals and commits through `store`.
  boost::system::error_code store_object(ObjectStore& store, std::string_view id,
                                         const std::vector<std::uint8_t>& plaintext) {
    std::unique_ptr<ObjectFileSink> sink;
    if (auto ec = store.create_staging(id, sink)) return ec;
    if (auto ec = seal(id, plaintext, *sink)) return ec;
    return store.commit(id, *sink);
  }

  // Opens and decrypts a committed object in full.
  boost::system::error_code read_back(ObjectStore& store, std::string_view id, std::vector<std::uint8_t>& out) {
    std::unique_ptr<ObjectFileSource> source;
    if (auto ec = store.open(id, source)) return ec;
    std::unique_ptr<crypto::ObjectOpener> opener;
    if (auto ec =
            crypto::ObjectOpener::open(tenant_.ctx(), *source, tenant_.ref().org_id, id, tenant_.lookup(), opener)) {
      return ec;
    }
    out.assign(static_cast<std::size_t>(opener->size()), 0);
    return opener->read(0, out);
  }

  std::size_t files_under(const fs::path& dir) const {
    std::size_t n = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) n += entry.is_regular_file() ? 1 : 0;
    return n;
  }

  test_support::TestTenant tenant_;
  fs::path root_ = make_root();  // before the stores built on it
  FaultyFileSystem faulty_{posix_file_system()};
  ObjectStore store_{faulty_, root_};
  ObjectStore real_store() const { return ObjectStore(posix_file_system(), root_); }
};

// ---- round trips --------------------------------------------------------------------------------

TEST_F(ObjectStoreTest, SealsThroughTheLentBufferAndReadsBackEverySize) {
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{kChunk - 1}, std::size_t{kChunk},
                                 std::size_t{kChunk + 1}, std::size_t{5 * 1024 * 1024 + 3}}) {
    SCOPED_TRACE(size);
    const std::string id = tenant_.random_id();
    const auto plaintext = pseudo_random(size, static_cast<std::uint32_t>(size));
    std::unique_ptr<ObjectFileSink> sink;
    ASSERT_FALSE(store_.create_staging(id, sink));
    EXPECT_EQ(sink->reserve(kChunk + crypto::kTagBytes).size(), kChunk + crypto::kTagBytes);  // it lends
    ASSERT_FALSE(seal(id, plaintext, *sink));
    EXPECT_EQ(sink->size(), sealed_object_bytes(size));
    ASSERT_FALSE(store_.commit(id, *sink));
    EXPECT_EQ(sink->durable_bytes(), sealed_object_bytes(size));
    EXPECT_FALSE(fs::exists(store_.staging_path(id)));
    EXPECT_EQ(fs::file_size(store_.object_path(id)), sealed_object_bytes(size));
    std::vector<std::uint8_t> got;
    ASSERT_FALSE(read_back(store_, id, got));
    EXPECT_EQ(got, plaintext);
  }
}

TEST_F(ObjectStoreTest, SealsThroughWriteOnlyAndReadsBackEverySize) {
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{kChunk - 1}, std::size_t{kChunk},
                                 std::size_t{kChunk + 1}, std::size_t{3 * 1024 * 1024 + 7}}) {
    SCOPED_TRACE(size);
    const std::string id = tenant_.random_id();
    const auto plaintext = pseudo_random(size, static_cast<std::uint32_t>(size) + 7);
    std::unique_ptr<ObjectFileSink> sink;
    ASSERT_FALSE(store_.create_staging(id, sink));
    WriteOnlySink write_only(*sink);
    ASSERT_FALSE(seal(id, plaintext, write_only, 100 * 1000));  // appends across chunk boundaries
    ASSERT_FALSE(store_.commit(id, *sink));
    std::vector<std::uint8_t> got;
    ASSERT_FALSE(read_back(store_, id, got));
    EXPECT_EQ(got, plaintext);
  }
}

TEST_F(ObjectStoreTest, StagedObjectCanBeOpenedBeforeItsCommit) {
  // The scan reads the finished object in staging/, before it is committed.
  const std::string id = tenant_.random_id();
  const auto plaintext = pseudo_random(kChunk + 5, 7);
  auto sink = staged(id, plaintext);
  ASSERT_TRUE(sink);
  ASSERT_FALSE(sink->flush());
  std::unique_ptr<ObjectFileSource> source;
  ASSERT_FALSE(store_.open_staging(id, source));
  std::unique_ptr<crypto::ObjectOpener> opener;
  ASSERT_FALSE(crypto::ObjectOpener::open(tenant_.ctx(), *source, tenant_.ref().org_id, id, tenant_.lookup(), opener));
  std::vector<std::uint8_t> got(static_cast<std::size_t>(opener->size()));
  ASSERT_FALSE(opener->read(0, got));
  EXPECT_EQ(got, plaintext);
  EXPECT_EQ(store_.open(id, source), boost::system::errc::no_such_file_or_directory);  // not in objects/ yet
}

TEST_F(ObjectStoreTest, BufferSmallerThanAChunkFallsBackToWrite) {
  const std::string id = tenant_.random_id();
  const auto plaintext = pseudo_random(3 * kChunk + 5, 3);
  std::unique_ptr<ObjectFileSink> sink;
  ASSERT_FALSE(store_.create_staging(id, sink, 1000));
  EXPECT_TRUE(sink->reserve(kChunk + crypto::kTagBytes).empty());
  ASSERT_FALSE(seal(id, plaintext, *sink));
  ASSERT_FALSE(store_.commit(id, *sink));
  std::vector<std::uint8_t> got;
  ASSERT_FALSE(read_back(store_, id, got));
  EXPECT_EQ(got, plaintext);
}

TEST_F(ObjectStoreTest, CommitWithoutReservationIsRefused) {
  std::unique_ptr<ObjectFileSink> sink;
  ASSERT_FALSE(store_.create_staging(tenant_.random_id(), sink));
  EXPECT_EQ(sink->commit(1), crypto::CryptoErrc::kInternal);
  ASSERT_FALSE(sink->reserve(10).empty());
  EXPECT_EQ(sink->commit(11), crypto::CryptoErrc::kInternal);
  EXPECT_EQ(sink->size(), 0u);
}

TEST_F(ObjectStoreTest, ObjectsLiveInPrivateFanOutDirectories) {
  const std::string id = "ab" + std::string(30, '0');
  ASSERT_FALSE(store_object(store_, id, pseudo_random(10, 1)));
  EXPECT_EQ(store_.object_path(id), root_ / "objects" / "ab" / id);
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "objects" / "ab").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(store_.object_path(id).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A second object in the same directory.
  const std::string sibling = "ab" + std::string(29, '0') + "1";
  ASSERT_FALSE(store_object(store_, sibling, pseudo_random(10, 2)));
  std::vector<std::uint8_t> got;
  ASSERT_FALSE(read_back(store_, sibling, got));
  EXPECT_EQ(got, pseudo_random(10, 2));
}

TEST_F(ObjectStoreTest, RemovesObjectsAndStagingFiles) {
  const std::string id = tenant_.random_id();
  ASSERT_FALSE(store_object(store_, id, pseudo_random(100, 1)));
  ASSERT_FALSE(store_.remove(id));
  std::unique_ptr<ObjectFileSource> source;
  EXPECT_EQ(store_.open(id, source), boost::system::errc::no_such_file_or_directory);
  EXPECT_EQ(store_.remove(id), boost::system::errc::no_such_file_or_directory);

  const std::string staged = tenant_.random_id();
  std::unique_ptr<ObjectFileSink> sink;
  ASSERT_FALSE(store_.create_staging(staged, sink));
  ASSERT_FALSE(store_.remove_staging(staged));
  EXPECT_FALSE(fs::exists(store_.staging_path(staged)));
  EXPECT_FALSE(store_.remove_staging(staged));  // already gone: fine
}

TEST_F(ObjectStoreTest, StagingTheSameIdTwiceIsRefused) {
  const std::string id = tenant_.random_id();
  std::unique_ptr<ObjectFileSink> first, second;
  ASSERT_FALSE(store_.create_staging(id, first));
  EXPECT_EQ(store_.create_staging(id, second), boost::system::errc::file_exists);
  EXPECT_EQ(second, nullptr);
}

TEST_F(ObjectStoreTest, RefusesMalformedIdsBeforeTheyReachAPath) {
  const std::string bad[] = {"",
                             "0123456789abcdef0123456789abcde",
                             "0123456789abcdef0123456789abcdef0",
                             "0123456789ABCDEF0123456789ABCDEF",
                             "0123456789abcdef0123456789abcdeg",
                             "../../../../../../../../etc/passw",
                             "00/00000000000000000000000000000",
                             std::string("0123456789abcdef0123456789abcde\0", 32)};
  for (const auto& id : bad) {
    SCOPED_TRACE(id);
    std::unique_ptr<ObjectFileSink> sink;
    EXPECT_EQ(store_.create_staging(id, sink), StorageErrc::kBadObjectId);
    std::unique_ptr<ObjectFileSource> source;
    EXPECT_EQ(store_.open(id, source), StorageErrc::kBadObjectId);
    EXPECT_EQ(store_.open_staging(id, source), StorageErrc::kBadObjectId);
    EXPECT_EQ(store_.remove(id), StorageErrc::kBadObjectId);
    EXPECT_EQ(store_.remove_staging(id), StorageErrc::kBadObjectId);
    EXPECT_FALSE(is_object_id(id));
  }
  std::unique_ptr<ObjectFileSink> sink;
  ASSERT_FALSE(store_.create_staging(tenant_.random_id(), sink));
  EXPECT_EQ(store_.commit("../x", *sink), StorageErrc::kBadObjectId);
  EXPECT_EQ(faulty_.steps(), 1u);  // only the one good staging file was ever created
}

TEST_F(ObjectStoreTest, SourceReportsIoAndKeepsTheCause) {
  const std::string id = tenant_.random_id();
  ASSERT_FALSE(store_object(store_, id, pseudo_random(1000, 1)));
  std::unique_ptr<ObjectFileSource> source;
  ASSERT_FALSE(store_.open(id, source));
  std::vector<std::uint8_t> out(10);
  EXPECT_EQ(source->read_at(source->size() - 5, out), crypto::CryptoErrc::kIo);
  EXPECT_EQ(source->last_error(), StorageErrc::kUnexpectedEnd);
  EXPECT_TRUE(source->view(0, 10).empty());
}

// ---- faults ---------------------------------------------------------------------------------------

TEST_F(ObjectStoreTest, FullDiskMidWriteFailsAndLeavesNothingInObjects) {
  const std::string id = tenant_.random_id();
  std::unique_ptr<ObjectFileSink> sink;
  ASSERT_FALSE(store_.create_staging(id, sink));
  faulty_.fail_appends_from(3);
  const auto ec = seal(id, pseudo_random(2 * 1024 * 1024, 5), *sink);
  EXPECT_EQ(ec, boost::system::errc::no_space_on_device);
  EXPECT_EQ(sink->error(), boost::system::errc::no_space_on_device);
  EXPECT_EQ(store_.commit(id, *sink), boost::system::errc::no_space_on_device);
  EXPECT_FALSE(fs::exists(store_.object_path(id)));
  ASSERT_FALSE(store_.remove_staging(id));
  EXPECT_EQ(files_under(root_), 0u);
}

TEST_F(ObjectStoreTest, FullDiskOnTheLastFlushFailsTheCommit) {
  const std::string id = tenant_.random_id();
  const auto sink = staged(id, pseudo_random(1000, 5));  // all of it still in the buffer
  ASSERT_TRUE(sink);
  faulty_.fail_appends_from(1);
  EXPECT_EQ(store_.commit(id, *sink), boost::system::errc::no_space_on_device);
  EXPECT_FALSE(fs::exists(store_.object_path(id)));
}

TEST_F(ObjectStoreTest, FailedFileSyncAtCommitLeavesNothingVisible) {
  const std::string id = tenant_.random_id();
  const auto sink = staged(id, pseudo_random(200 * 1000, 5));
  ASSERT_TRUE(sink);
  faulty_.fail_file_syncs();
  EXPECT_EQ(store_.commit(id, *sink), boost::system::errc::io_error);
  EXPECT_EQ(sink->durable_bytes(), 0u);
  EXPECT_FALSE(fs::exists(store_.object_path(id)));
  EXPECT_EQ(sink->write(std::vector<std::uint8_t>(1)), boost::system::errc::io_error);  // sticks
}

TEST_F(ObjectStoreTest, FailedDirectorySyncAfterTheRenameIsUndone) {
  const std::string id = tenant_.random_id();
  const auto sink = staged(id, pseudo_random(1000, 5));
  ASSERT_TRUE(sink);
  faulty_.fail_directory_syncs();
  EXPECT_EQ(store_.commit(id, *sink), boost::system::errc::io_error);
  EXPECT_FALSE(fs::exists(store_.object_path(id)));
  ASSERT_FALSE(store_.remove_staging(id));
  EXPECT_EQ(files_under(root_), 0u);
}

TEST_F(ObjectStoreTest, FanOutDirectoryThatCannotBeMadeDurableIsTakenAway) {
  const std::string id = "5a" + std::string(30, '3');
  const auto sink = staged(id, pseudo_random(1000, 5));
  ASSERT_TRUE(sink);
  faulty_.fail_directory_syncs();
  EXPECT_EQ(store_.commit(id, *sink), boost::system::errc::io_error);
  EXPECT_FALSE(fs::exists(root_ / "objects" / "5a"));
  faulty_.fail_directory_syncs(false);
  const std::string next = "5a" + std::string(30, '4');
  ASSERT_FALSE(store_object(store_, next, pseudo_random(10, 6)));  // creates and syncs it again
  std::vector<std::uint8_t> got;
  ASSERT_FALSE(read_back(store_, next, got));
  EXPECT_EQ(got, pseudo_random(10, 6));
}

TEST_F(ObjectStoreTest, FailedRenameLeavesNothingVisible) {
  const std::string id = tenant_.random_id();
  const auto sink = staged(id, pseudo_random(1000, 5));
  ASSERT_TRUE(sink);
  faulty_.fail_renames();
  EXPECT_EQ(store_.commit(id, *sink), boost::system::errc::io_error);
  EXPECT_FALSE(fs::exists(store_.object_path(id)));
  EXPECT_TRUE(fs::exists(store_.staging_path(id)));
}

TEST_F(ObjectStoreTest, DurableBytesCountOnlySyncedData) {
  const std::string id = tenant_.random_id();
  std::unique_ptr<ObjectFileSink> sink;
  ASSERT_FALSE(store_.create_staging(id, sink));
  crypto::ObjectSealer sealer(tenant_.ctx(), tenant_.key(), tenant_.ref(), id, *sink);
  const auto plaintext = pseudo_random(10 * kChunk, 9);
  ASSERT_FALSE(sealer.append(std::span(plaintext).first(4 * kChunk)));
  EXPECT_EQ(sink->durable_bytes(), 0u);
  ASSERT_FALSE(sink->flush());  // written, not synced
  EXPECT_EQ(sink->durable_bytes(), 0u);
  ASSERT_FALSE(sink->sync());
  const std::uint64_t durable = sink->durable_bytes();
  EXPECT_EQ(durable, sink->size());
  EXPECT_EQ(durable, sealer.sealed_bytes());
  ASSERT_FALSE(sealer.append(std::span(plaintext).subspan(4 * kChunk)));
  ASSERT_FALSE(sink->flush());
  EXPECT_GT(sink->size(), durable);
  EXPECT_EQ(sink->durable_bytes(), durable);

  faulty_.crash(/*lose_directory_changes=*/false);
  EXPECT_EQ(fs::file_size(store_.staging_path(id)), durable);
}

TEST_F(ObjectStoreTest, CrashBeforeCommitLeavesOnlyStagingLeftoversThatCleanupRemoves) {
  const std::string committed = tenant_.random_id();
  ASSERT_FALSE(store_object(store_, committed, pseudo_random(1000, 1)));
  const std::string id = tenant_.random_id();
  const auto sink = staged(id, pseudo_random(500 * 1000, 2));
  ASSERT_TRUE(sink);
  ASSERT_FALSE(sink->sync());
  faulty_.crash(/*lose_directory_changes=*/false);  // the staging file's name survived
  EXPECT_EQ(store_.commit(id, *sink), boost::system::errc::io_error);

  ObjectStore after = real_store();
  CleanupReport report;
  ASSERT_FALSE(after.clean_up(report));
  ASSERT_EQ(report.removed_staging.size(), 1u);
  EXPECT_EQ(report.removed_staging[0], fs::path("staging") / id);
  EXPECT_TRUE(report.removed_strays.empty());
  EXPECT_EQ(report.objects, 1u);
  EXPECT_FALSE(fs::exists(after.object_path(id)));
  EXPECT_TRUE(fs::is_empty(root_ / "staging"));
  std::vector<std::uint8_t> got;
  ASSERT_FALSE(read_back(after, committed, got));
  EXPECT_EQ(got, pseudo_random(1000, 1));
}

TEST_F(ObjectStoreTest, CrashAfterCommitKeepsTheCompleteObject) {
  const std::string id = tenant_.random_id();
  const auto plaintext = pseudo_random(3 * kChunk + 11, 4);
  ASSERT_FALSE(store_object(store_, id, plaintext));
  faulty_.crash();  // everything not synced is lost, directory changes included
  ObjectStore after = real_store();
  CleanupReport report;
  ASSERT_FALSE(after.clean_up(report));
  EXPECT_EQ(report.objects, 1u);
  EXPECT_TRUE(report.removed_staging.empty());
  std::vector<std::uint8_t> got;
  ASSERT_FALSE(read_back(after, id, got));
  EXPECT_EQ(got, plaintext);
}

// SQLite's crash test, for one upload: a crash at every changing call of stage, seal and commit
// leaves, after start-up cleanup, either the complete object or nothing — and an empty staging/.
TEST_F(ObjectStoreTest, CrashAtEveryStepLeavesTheCompleteObjectOrNothing) {
  const auto plaintext = pseudo_random(9 * kChunk + 100, 6);  // several flushes of the buffer
  bool saw_nothing = false;
  bool saw_object = false;
  for (std::uint64_t step = 1;; ++step) {
    SCOPED_TRACE(step);
    FaultyFileSystem faulty(posix_file_system());
    ObjectStore store(faulty, root_);
    const std::string id = tenant_.random_id();
    faulty.crash_at_step(step);
    const auto ec = store_object(store, id, plaintext);
    if (!faulty.crashed()) {
      ASSERT_FALSE(ec);
      ASSERT_TRUE(saw_nothing && saw_object) << "no crash step before the last left the object in place";
      break;
    }
    EXPECT_TRUE(ec);
    ObjectStore after = real_store();
    CleanupReport report;
    ASSERT_FALSE(after.clean_up(report));
    EXPECT_TRUE(report.removed_strays.empty());
    EXPECT_TRUE(fs::is_empty(root_ / "staging"));
    if (fs::exists(after.object_path(id))) {
      saw_object = true;
      std::vector<std::uint8_t> got;
      ASSERT_FALSE(read_back(after, id, got));
      EXPECT_EQ(got, plaintext);
      ASSERT_FALSE(after.remove(id));
    } else {
      saw_nothing = true;
    }
    ASSERT_LT(step, 100u);
  }
}

// ---- cleanup and space ----------------------------------------------------------------------------

TEST_F(ObjectStoreTest, CleanupRemovesLeftoversAndStraysAndReportsThem) {
  const std::string id = "cd" + std::string(30, '1');
  ASSERT_FALSE(store_object(store_, id, pseudo_random(100, 1)));
  std::ofstream(root_ / "outside") << "not ours";
  std::ofstream(root_ / "staging" / tenant_.random_id()) << "x";
  fs::create_directory(root_ / "staging" / "nested");
  std::ofstream(root_ / "staging" / "nested" / "part") << "x";
  fs::create_symlink(root_ / "outside", root_ / "staging" / "link");
  std::ofstream(root_ / "objects" / "loose") << "x";
  std::ofstream(root_ / "objects" / "cd" / (id + ".tmp")) << "x";
  const std::string misplaced = "ef" + std::string(30, '2');
  std::ofstream(root_ / "objects" / "cd" / misplaced) << "x";
  fs::create_directory(root_ / "objects" / "lost+found");
  std::ofstream(root_ / "objects" / "lost+found" / "kept") << "x";

  CleanupReport report;
  ASSERT_FALSE(store_.clean_up(report));
  EXPECT_EQ(report.objects, 1u);
  std::sort(report.removed_staging.begin(), report.removed_staging.end());
  EXPECT_EQ(report.removed_staging.size(), 4u);  // a file, a directory and its file, a link
  std::sort(report.removed_strays.begin(), report.removed_strays.end());
  const std::vector<fs::path> strays = {fs::path("objects") / "cd" / (id + ".tmp"),
                                        fs::path("objects") / "cd" / misplaced, fs::path("objects") / "loose"};
  EXPECT_EQ(report.removed_strays, strays);
  ASSERT_EQ(report.left_alone.size(), 1u);
  EXPECT_EQ(report.left_alone[0], fs::path("objects") / "lost+found");

  EXPECT_TRUE(fs::is_empty(root_ / "staging"));
  EXPECT_TRUE(fs::exists(root_ / "outside"));
  EXPECT_TRUE(fs::exists(root_ / "objects" / "lost+found" / "kept"));
  std::vector<std::uint8_t> got;
  ASSERT_FALSE(read_back(store_, id, got));
  EXPECT_EQ(got, pseudo_random(100, 1));

  ASSERT_FALSE(store_.clean_up(report));  // nothing left to do
  EXPECT_TRUE(report.removed_staging.empty());
  EXPECT_TRUE(report.removed_strays.empty());
}

TEST_F(ObjectStoreTest, SpaceCheckKeepsTheReserveFree) {
  faulty_.set_free_bytes(1000);
  EXPECT_FALSE(store_.check_space(100, 900));
  EXPECT_EQ(store_.check_space(101, 900), StorageErrc::kBelowReserve);
  EXPECT_EQ(store_.check_space(1001, 0), StorageErrc::kBelowReserve);
  EXPECT_FALSE(store_.check_space(0, 1000));
  faulty_.set_free_bytes(std::nullopt);
  EXPECT_FALSE(store_.check_space(1, 0));  // the real disk has a byte
}

TEST_F(ObjectStoreTest, ReserveArithmeticNeverOverflows) {
  EXPECT_FALSE(leaves_reserve(10, UINT64_MAX, 0));
  EXPECT_FALSE(leaves_reserve(UINT64_MAX, 1, UINT64_MAX));
  EXPECT_TRUE(leaves_reserve(UINT64_MAX, UINT64_MAX, 0));
}

TEST_F(ObjectStoreTest, SealedSizeMatchesTheSealer) {
  EXPECT_EQ(sealed_object_bytes(0), crypto::kObjectHeaderBytes + 16);
  EXPECT_EQ(sealed_object_bytes(kChunk), crypto::kObjectHeaderBytes + kChunk + 16);
  EXPECT_EQ(sealed_object_bytes(kChunk + 1), crypto::kObjectHeaderBytes + kChunk + 1 + 32);
  crypto::VectorSink sink;
  crypto::ObjectSealer sealer(tenant_.ctx(), tenant_.key(), tenant_.ref(), tenant_.random_id(), sink);
  const auto plaintext = pseudo_random(2 * kChunk, 1);
  ASSERT_FALSE(sealer.append(plaintext));
  ASSERT_FALSE(sealer.finish());
  EXPECT_EQ(sink.bytes.size(), sealed_object_bytes(2 * kChunk));
}

}  // namespace
}  // namespace furoshiki::storage
