// FileUpload: bytes in pieces become a stored, scanned, encrypted file — or nothing at all.
#include "admin/file_upload.hpp"

#include "common/error.hpp"
#include "scanner/test_signatures.hpp"
#include "storage/data_directory.hpp"
#include "test_support/admin_fixture.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <future>
#include <random>

namespace furoshiki::admin {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

std::size_t entries(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

class FileUploadTest : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    char tmpl[] = "/tmp/furoshiki-upload-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    ASSERT_FALSE(storage::prepare_data_directory(root_));
    std::string error;
    ASSERT_TRUE(scanner::install_test_signatures(storage::signature_dir(root_), error)) << error;
    scanner_ =
        std::make_unique<scanner::Scanner>(scanner::ScannerOptions{.signature_dir = storage::signature_dir(root_),
                                                                   .tmp_dir = storage::scan_tmp_dir(root_),
                                                                   .limits = {},
                                                                   .max_definition_age = std::chrono::hours(0),
                                                                   .clock = {}});
    ASSERT_EQ(scanner_->start(), "");
    pool_ = std::make_unique<scanner::ScanPool>(*scanner_, scanner::ScanPoolOptions{.threads = 1});
    store_ = std::make_unique<storage::ObjectStore>(storage::posix_file_system(), root_);
    files_ = std::make_unique<FileDirectory>(*db_, *audit_);
    services_ = std::make_unique<UploadServices>(UploadServices{.ctx = ctx_,
                                                                .keys = *keys_,
                                                                .store = *store_,
                                                                .scanner = *scanner_,
                                                                .scans = *pool_,
                                                                .files = *files_,
                                                                .audit = *audit_});
    CreatedAccount admin;
    const auto e = orgs_->create({"acme", "Acme", "admin@acme.test", ""}, Actor{}, org_, admin);
    ASSERT_FALSE(e) << e.message;
    owner_ = admin.id;
  }

  void TearDown() override {
    pool_.reset();
    scanner_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  UploadInfo info(std::uint64_t max_bytes = 1 << 30) {
    UploadInfo i;
    i.owner_id = owner_;
    i.name = "a.bin";
    i.max_bytes = max_bytes;
    i.actor =
        AuditEvent{.chain = AuditChain::organization(org_.id), .actor_type = ActorType::kUser, .actor_id = owner_};
    return i;
  }

  // Uploads `data` in pieces of `piece` bytes.
  UploadOutcome upload(std::span<const std::uint8_t> data, std::size_t piece) {
    auto u = FileUpload::begin(*services_, orgs_->scope_for(org_), info());
    EXPECT_TRUE(u);
    if (!u) return {};
    for (std::size_t at = 0; at < data.size(); at += piece) {
      EXPECT_FALSE((*u)->append(data.subspan(at, std::min(piece, data.size() - at))));
    }
    return (*u)->finish();
  }

  // The plaintext of a stored file, read back through the opener.
  std::vector<std::uint8_t> read_back(const StoredFile& f) {
    std::unique_ptr<storage::ObjectFileSource> source;
    EXPECT_FALSE(store_->open(f.object_id, source));
    std::unique_ptr<crypto::ObjectOpener> opener;
    EXPECT_FALSE(crypto::ObjectOpener::open(ctx_, *source, org_.id, f.object_id, keys_->lookup_for(org_.id), opener));
    std::vector<std::uint8_t> out(opener->size());
    EXPECT_FALSE(opener->read(0, out));
    return out;
  }

  fs::path root_;
  std::unique_ptr<scanner::Scanner> scanner_;
  std::unique_ptr<scanner::ScanPool> pool_;
  std::unique_ptr<storage::ObjectStore> store_;
  std::unique_ptr<FileDirectory> files_;
  std::unique_ptr<UploadServices> services_;
  Organization org_;
  std::string owner_;
};

TEST_F(FileUploadTest, StoresACleanFileEncryptedWithItsRowAndEvent) {
  const auto data = random_bytes(3 * crypto::kDefaultChunkBytes + 17, 1);
  const auto out = upload(data, 10'000);
  ASSERT_TRUE(out.stored()) << out.error.message();
  EXPECT_EQ(out.file.size, data.size());
  EXPECT_EQ(out.file.sha256.size(), 64u);
  EXPECT_EQ(read_back(out.file), data);
  EXPECT_EQ(entries(root_ / "staging"), 0u);
  EXPECT_TRUE(files_->get(orgs_->scope_for(org_), owner_, out.file.id));
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE action = 'file.upload' AND outcome = 'success'"), 1);
}

TEST_F(FileUploadTest, StoresAnEmptyFile) {
  const auto out = upload({}, 1);
  ASSERT_TRUE(out.stored()) << out.error.message();
  EXPECT_EQ(out.file.size, 0u);
  EXPECT_EQ(out.file.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(read_back(out.file).empty());
}

TEST_F(FileUploadTest, RefusesEicarAndStoresNothing) {
  const auto eicar = bytes_of(scanner::eicar_test_file());
  const auto out = upload(eicar, 7);
  EXPECT_FALSE(out.stored());
  EXPECT_FALSE(out.error);
  ASSERT_TRUE(out.verdict);
  EXPECT_EQ(out.verdict->kind, scanner::ScanVerdict::Kind::kInfected);
  EXPECT_EQ(out.verdict->signature, "Eicar-Test-Signature");
  EXPECT_EQ(count("SELECT count(*) FROM files"), 0);
  EXPECT_EQ(entries(root_ / "staging"), 0u);
  EXPECT_EQ(entries(root_ / "objects"), 0u);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE action = 'file.upload' AND outcome = 'denied'"), 1);
}

TEST_F(FileUploadTest, RefusedFileIsGoneWhenFinishReturns) {
  auto u = FileUpload::begin(*services_, orgs_->scope_for(org_), info());
  ASSERT_TRUE(u);
  ASSERT_FALSE((*u)->append(bytes_of(scanner::eicar_test_file())));
  EXPECT_EQ(entries(root_ / "staging"), 1u);
  const auto out = (*u)->finish();
  EXPECT_FALSE(out.stored());
  EXPECT_EQ(entries(root_ / "staging"), 0u);  // the upload object still lives
}

TEST_F(FileUploadTest, FinishAsyncAnswersOnceWithoutAScanWhenTheBodyFailed) {
  auto u = FileUpload::begin(*services_, orgs_->scope_for(org_), info(1));
  ASSERT_TRUE(u);
  EXPECT_EQ((*u)->append(random_bytes(2, 5)), Errc::kTooLarge);
  int calls = 0;
  FileUpload::finish_async(*u, [&calls](UploadOutcome out) {
    ++calls;
    EXPECT_EQ(out.error, Errc::kTooLarge);
    EXPECT_FALSE(out.verdict);
  });
  EXPECT_EQ(calls, 1);  // answered in the call: nothing was queued
  EXPECT_EQ(entries(root_ / "staging"), 0u);
}

TEST_F(FileUploadTest, ManyUploadsFinishTogether) {
  // More uploads than scan threads: each answer comes from the pool, none waits for another.
  std::vector<std::shared_ptr<FileUpload>> uploads;
  for (int i = 0; i < 8; ++i) {
    auto u = FileUpload::begin(*services_, orgs_->scope_for(org_), info());
    ASSERT_TRUE(u);
    ASSERT_FALSE((*u)->append(random_bytes(100'000, static_cast<std::uint32_t>(i))));
    uploads.push_back(*u);
  }
  std::vector<std::future<UploadOutcome>> outcomes;
  for (auto& u : uploads) {
    auto promise = std::make_shared<std::promise<UploadOutcome>>();
    outcomes.push_back(promise->get_future());
    FileUpload::finish_async(u, [promise](UploadOutcome out) { promise->set_value(std::move(out)); });
  }
  uploads.clear();  // the pending finishes keep the uploads alive
  for (auto& f : outcomes) EXPECT_TRUE(f.get().stored());
  EXPECT_EQ(count("SELECT count(*) FROM files"), 8);
  EXPECT_EQ(entries(root_ / "staging"), 0u);
}

TEST_F(FileUploadTest, AbandonedUploadLeavesNothing) {
  {
    auto u = FileUpload::begin(*services_, orgs_->scope_for(org_), info());
    ASSERT_TRUE(u);
    ASSERT_FALSE((*u)->append(random_bytes(100'000, 2)));
    EXPECT_EQ(entries(root_ / "staging"), 1u);
  }
  EXPECT_EQ(entries(root_ / "staging"), 0u);
  EXPECT_EQ(entries(root_ / "objects"), 0u);
  EXPECT_EQ(count("SELECT count(*) FROM files"), 0);
}

TEST_F(FileUploadTest, RefusesBytesOverTheLimit) {
  auto u = FileUpload::begin(*services_, orgs_->scope_for(org_), info(10));
  ASSERT_TRUE(u);
  EXPECT_FALSE((*u)->append(random_bytes(10, 3)));
  EXPECT_EQ((*u)->append(random_bytes(1, 4)), Errc::kTooLarge);
  const auto out = (*u)->finish();
  EXPECT_EQ(out.error, Errc::kTooLarge);
  EXPECT_EQ(count("SELECT count(*) FROM files"), 0);
}

TEST_F(FileUploadTest, RefusedAtOnceWithoutAScanEngine) {
  for (const auto& e : fs::directory_iterator(storage::signature_dir(root_))) fs::remove(e.path());
  pool_.reset();
  scanner_ = std::make_unique<scanner::Scanner>(scanner::ScannerOptions{.signature_dir = storage::signature_dir(root_),
                                                                        .tmp_dir = storage::scan_tmp_dir(root_),
                                                                        .limits = {},
                                                                        .max_definition_age = std::chrono::hours(0),
                                                                        .clock = {}});
  EXPECT_NE(scanner_->start(), "");
  pool_ = std::make_unique<scanner::ScanPool>(*scanner_, scanner::ScanPoolOptions{.threads = 1});
  UploadServices services{.ctx = ctx_,
                          .keys = *keys_,
                          .store = *store_,
                          .scanner = *scanner_,
                          .scans = *pool_,
                          .files = *files_,
                          .audit = *audit_};
  auto u = FileUpload::begin(services, orgs_->scope_for(org_), info());
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error(), Errc::kScannerUnavailable);
  EXPECT_EQ(entries(root_ / "staging"), 0u);
}

}  // namespace
}  // namespace furoshiki::admin

namespace furoshiki::admin {
namespace {

// Resumable uploads: checkpoint() drops the unsealed tail and reports only sealed, synced
// bytes; the client resends from there (new chunk indices only), and the stored file is the
// original, with the SHA-256 of the original.
TEST_F(FileUploadTest, CheckpointsDropTheTailAndResumeToTheSameFile) {
  constexpr std::size_t kChunk = crypto::kDefaultChunkBytes;
  const auto data = random_bytes(5 * kChunk + 123, 7);
  UploadInfo i = info();
  i.declared_bytes = data.size();
  auto u = FileUpload::begin(*services_, orgs_->scope_for(org_), i);
  ASSERT_TRUE(u);
  std::span<const std::uint8_t> all(data);
  // A PATCH of 1.5 chunks: one durable chunk.
  ASSERT_FALSE((*u)->append(all.subspan(0, kChunk + kChunk / 2)));
  auto offset = (*u)->checkpoint();
  ASSERT_TRUE(offset);
  EXPECT_EQ(*offset, kChunk);
  EXPECT_EQ((*u)->received_bytes(), kChunk);
  // Nothing new: the offset stays.
  offset = (*u)->checkpoint();
  ASSERT_TRUE(offset);
  EXPECT_EQ(*offset, kChunk);
  // Resend from the offset, in odd pieces, a little short of three more chunks.
  ASSERT_FALSE((*u)->append(all.subspan(kChunk, 1000)));
  ASSERT_FALSE((*u)->append(all.subspan(kChunk + 1000, 3 * kChunk - 1000 - 1)));
  offset = (*u)->checkpoint();
  ASSERT_TRUE(offset);
  EXPECT_EQ(*offset, 3 * kChunk);
  EXPECT_FALSE((*u)->complete());
  // Past the declared size: refused.
  {
    UploadInfo j = info();
    j.declared_bytes = 10;
    auto v = FileUpload::begin(*services_, orgs_->scope_for(org_), j);
    ASSERT_TRUE(v);
    EXPECT_EQ((*v)->append(all.first(11)), make_error_code(Errc::kTooLarge));
  }
  // The rest in one go: complete, and the offset is the total.
  ASSERT_FALSE((*u)->append(all.subspan(3 * kChunk)));
  EXPECT_TRUE((*u)->complete());
  const auto out = (*u)->finish();
  ASSERT_TRUE(out.stored()) << out.error.message();
  EXPECT_EQ(out.file.size, data.size());
  EXPECT_EQ(read_back(out.file), data);
  // The same bytes uploaded in one piece give the same checksum.
  const auto whole = upload(data, data.size());
  ASSERT_TRUE(whole.stored());
  EXPECT_EQ(out.file.sha256, whole.file.sha256);
}

// The tus checksum extension: rollback() discards every byte since mark(), sealed chunks
// included, by re-sealing the accepted prefix into a new staged object under a fresh data key;
// the resent bytes are then never sealed under a (key, nonce) already used for other bytes.
TEST_F(FileUploadTest, RollbackReSealsThePrefixUnderAFreshKeyAndTheResendIsStored) {
  constexpr std::size_t kChunk = crypto::kDefaultChunkBytes;
  const auto data = random_bytes(5 * kChunk + 77, 8);
  UploadInfo i = info();
  i.declared_bytes = data.size();
  auto u = FileUpload::begin(*services_, orgs_->scope_for(org_), i);
  ASSERT_TRUE(u);
  std::span<const std::uint8_t> all(data);
  ASSERT_FALSE((*u)->append(all.first(2 * kChunk)));
  ASSERT_TRUE((*u)->checkpoint());
  ASSERT_FALSE((*u)->mark());
  // Wrong bytes: three whole chunks (sealed at once) and part of a fourth.
  const auto wrong = random_bytes(3 * kChunk + 50, 9);  // within the declared size
  ASSERT_FALSE((*u)->append(wrong));
  const std::string old_object = (*u)->object_id();
  auto header_of = [&](const std::string& object_id, std::uint64_t chunks, std::vector<std::uint8_t>* plain) {
    std::unique_ptr<storage::ObjectFileSource> source;
    EXPECT_FALSE(store_->open_staging(object_id, source));
    std::unique_ptr<crypto::ObjectOpener> opener;
    EXPECT_FALSE(crypto::ObjectOpener::open_prefix(ctx_, *source, org_.id, object_id, keys_->lookup_for(org_.id),
                                                   chunks, opener));
    if (!opener) return crypto::ObjectHeader{};
    if (plain) {
      plain->resize(opener->size());
      EXPECT_FALSE(opener->read(0, *plain));
    }
    return opener->header();
  };
  const auto old_header = header_of(old_object, 2, nullptr);  // what the checkpoint made durable

  const auto offset = (*u)->rollback();
  ASSERT_TRUE(offset) << offset.error().message();
  EXPECT_EQ(*offset, 2 * kChunk);
  EXPECT_EQ((*u)->received_bytes(), 2 * kChunk);
  EXPECT_NE((*u)->object_id(), old_object);
  EXPECT_EQ(entries(root_ / "staging"), 1u) << "the old staged object is removed";
  std::vector<std::uint8_t> prefix;
  const auto new_header = header_of((*u)->object_id(), 2, &prefix);
  EXPECT_EQ(prefix, std::vector<std::uint8_t>(data.begin(), data.begin() + 2 * kChunk));
  EXPECT_NE(new_header.wrapped_data_key, old_header.wrapped_data_key) << "a fresh data key";
  EXPECT_NE(new_header.nonce_prefix, old_header.nonce_prefix);
  // A rollback with nothing since the mark is allowed once more only after a new mark.
  EXPECT_FALSE((*u)->rollback());

  // The right bytes: stored, identical, with the SHA-256 of the original.
  auto v = FileUpload::begin(*services_, orgs_->scope_for(org_), i);  // (the sticky error above is u's)
  ASSERT_TRUE(v);
  ASSERT_FALSE((*v)->append(all.first(2 * kChunk)));
  ASSERT_TRUE((*v)->checkpoint());
  ASSERT_FALSE((*v)->mark());
  ASSERT_FALSE((*v)->append(wrong));
  ASSERT_TRUE((*v)->rollback());
  ASSERT_FALSE((*v)->mark());
  ASSERT_FALSE((*v)->append(all.subspan(2 * kChunk)));
  EXPECT_TRUE((*v)->complete());
  const auto out = (*v)->finish();
  ASSERT_TRUE(out.stored()) << out.error.message();
  EXPECT_EQ(read_back(out.file), data);
  const auto whole = upload(data, data.size());
  ASSERT_TRUE(whole.stored());
  EXPECT_EQ(out.file.sha256, whole.file.sha256);
}

TEST_F(FileUploadTest, DeclaredSizeOverTheLimitIsRefusedAtBegin) {
  UploadInfo i = info(100);
  i.declared_bytes = 101;
  auto u = FileUpload::begin(*services_, orgs_->scope_for(org_), i);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error(), make_error_code(Errc::kTooLarge));
}

}  // namespace
}  // namespace furoshiki::admin
