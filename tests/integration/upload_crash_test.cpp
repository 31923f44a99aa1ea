// The crash rule of uploads (docs/upload.md) with the real server: `furoshiki serve` is killed
// with SIGKILL while an upload's body is being sent, and — through the test-only crash points
// (admin/upload_crash_point.hpp) — after the body was sealed, when its scan starts, before the
// commit's rename, after the commit and before the files row, and after the row. Each case
// restarts the server on the same data directory and checks that nothing partial or unscanned is
// visible (no files row, nothing listed, staging/ empty, no object but an unreferenced committed
// one that is never listed), and that a new upload is stored.
#include "api_client.hpp"
#include "expectations.hpp"
#include "harness.hpp"
#include "https_client.hpp"
#include "upload_streams.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

namespace furoshiki::integration {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPassword = "violet tractor umbrella 8";
constexpr std::uint64_t kMiB = 1024 * 1024;

class UploadCrash : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_.write_config();
    one_time_ = create_org(instance_, "acme", "ACME", "admin@acme.test").admin_one_time_password;
  }

  // Starts the server on the instance, armed at `crash_point` when it is not empty, and signs in.
  void start(const std::string& crash_point = "") {
    ServerOptions options;
    if (!crash_point.empty()) {
      options.extra_args = {"--allow-test-hooks"};
      options.extra_env = {"FUROSHIKI_TEST_CRASH_POINT=" + crash_point};
    }
    server_ = ServerProcess::start(instance_, options);
    const ApiClient api(*server_);
    if (!one_time_.empty()) {
      acme_ = api.change_password(api.sign_in({.org = "acme", .login = "admin@acme.test", .password = one_time_}),
                                  one_time_, kPassword);
      one_time_.clear();
    } else {
      acme_ = api.sign_in({.org = "acme", .login = "admin@acme.test", .password = kPassword});
    }
  }

  // Restarts the killed server unarmed on the same data directory.
  void restart() {
    server_.reset();
    start();
  }

  // Whether the server was ended by SIGKILL within 60 seconds.
  bool killed_by_sigkill() {
    const auto status = server_->wait_exit(std::chrono::seconds(60));
    return status && *status == 128 + SIGKILL;
  }

  // Uploads `size` pattern bytes whole and returns the answer (none when the server died).
  std::optional<HttpResponse> upload(const std::string& name, std::uint64_t size, std::uint64_t seed,
                                     std::string* sha256 = nullptr) {
    StreamedUpload up(*server_, acme_, name, size, seed);
    if (!up.send_all()) return std::nullopt;
    if (sha256) *sha256 = up.sha256();
    return up.response(std::chrono::seconds(120));
  }

  fs::path data() const { return instance_.dir() / "data"; }
  std::int64_t rows() const { return file_rows(data() / "furoshiki.db"); }

  // Lists the signed-in user's files.
  boost::json::array listed() const {
    const auto r = ApiClient(*server_).call("GET", "/api/v1/files", acme_);
    if (status_of(r) != 200) throw std::runtime_error("GET /api/v1/files failed: " + (r ? r->body : "no answer"));
    return r->json().at("files").as_array();
  }

  // After a restart: nothing of the interrupted upload is visible. `committed_allowed`: an object
  // committed just before the kill may remain in objects/ without its row (until start-up
  // reconciliation removes it), but it is never listed.
  void expect_nothing_kept(bool committed_allowed = false) {
    EXPECT_EQ(rows(), 0) << "a files row survived the crash";
    EXPECT_TRUE(listed().empty());
    EXPECT_EQ(regular_files_under(data() / "staging"), 0u) << "start-up cleanup left staging/ not empty";
    if (committed_allowed) {
      EXPECT_LE(regular_files_under(data() / "objects"), 1u);
    } else {
      EXPECT_EQ(regular_files_under(data() / "objects"), 0u) << "an object from before the commit is in objects/";
    }
    // The restart logged its cleanup; staging/ was emptied before the first request.
    EXPECT_FALSE(server_->events("object_store_cleaned").empty());
  }

  // A new upload after the restart is stored, listed and has a row.
  void expect_new_upload_works(std::int64_t rows_before) {
    std::string sha256;
    const auto r = upload("after-restart.bin", 3 * kMiB + 5, 99, &sha256);
    ASSERT_EQ(status_of(r), 201u) << (r ? r->body : "(no answer)");
    EXPECT_EQ(r->json().at("sha256").as_string(), sha256);
    EXPECT_EQ(rows(), rows_before + 1);
    const auto files = listed();
    ASSERT_FALSE(files.empty());
    EXPECT_EQ(files[0].at("name").as_string(), "after-restart.bin");
  }

  // Uploads with the server armed at `crash_point`, expects it to kill itself, restarts it.
  void crash_at(const std::string& crash_point) {
    start(crash_point);
    EXPECT_TRUE(server_->wait_for_event("test_crash_point_armed", std::chrono::seconds(5)));
    const auto r = upload("doomed.bin", 5 * kMiB + 7, 1);
    EXPECT_FALSE(r) << "answered " << r->status << " " << r->body;
    ASSERT_TRUE(killed_by_sigkill()) << server_->log_text();
    restart();
  }

  Instance instance_;
  std::string one_time_;
  std::unique_ptr<ServerProcess> server_;
  SignedIn acme_;
};

TEST_F(UploadCrash, KillDuringTheBodyLeavesNothing) {
  start();
  StreamedUpload up(*server_, acme_, "cut.bin", 64 * kMiB, 2);
  ASSERT_TRUE(up.connected());
  ASSERT_TRUE(up.send(8 * kMiB));
  // Kill once the server has written part of the body into staging/ (the sink writes ~192 KiB
  // at a time): the crash then really is mid-body, with a partial staged object on disk.
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (bytes_under(data() / "staging") < 2 * kMiB && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(bytes_under(data() / "staging"), 2 * kMiB) << "the body never reached staging/";
  ASSERT_TRUE(server_->signal(SIGKILL));
  ASSERT_TRUE(killed_by_sigkill());
  EXPECT_EQ(regular_files_under(data() / "staging"), 1u) << "the kill left no partial object to clean up";
  restart();
  expect_nothing_kept();
  expect_new_upload_works(0);
}

TEST_F(UploadCrash, KillAfterTheBodyWasSealedLeavesNothing) {
  crash_at("upload_after_seal");
  expect_nothing_kept();
  expect_new_upload_works(0);
}

TEST_F(UploadCrash, KillDuringTheScanLeavesNothing) {
  crash_at("scan_started");
  expect_nothing_kept();
  expect_new_upload_works(0);
}

TEST_F(UploadCrash, KillBeforeTheCommitsRenameLeavesNothing) {
  crash_at("commit_before_rename");
  expect_nothing_kept();
  expect_new_upload_works(0);
}

TEST_F(UploadCrash, KillAfterTheCommitBeforeTheRowLeavesNothingVisible) {
  crash_at("after_commit_before_row");
  // The object was committed (whole: the rename is atomic), but no row names it.
  expect_nothing_kept(/*committed_allowed=*/true);
  // It is never served: its object id is no file id either.
  for (const auto& e : fs::recursive_directory_iterator(data() / "objects")) {
    if (!e.is_regular_file()) continue;
    const auto r = ApiClient(*server_).call("GET", "/api/v1/files/" + e.path().filename().string(), acme_);
    ASSERT_TRUE(r);
    expect_error(*r, 404, "not_found");
  }
  expect_new_upload_works(0);
}

TEST_F(UploadCrash, KillAfterTheRowKeepsTheCompleteFile) {
  start("after_row");
  std::string sha256;
  const auto r = upload("kept.bin", 5 * kMiB + 7, 3, &sha256);
  EXPECT_FALSE(r) << "answered " << r->status << " " << r->body;
  ASSERT_TRUE(killed_by_sigkill()) << server_->log_text();
  restart();
  // The row was committed: the file is there, complete and scanned, though its client never heard.
  EXPECT_EQ(rows(), 1);
  const auto files = listed();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].at("name").as_string(), "kept.bin");
  EXPECT_EQ(files[0].at("size").as_int64(), static_cast<std::int64_t>(5 * kMiB + 7));
  EXPECT_EQ(files[0].at("sha256").as_string(), sha256);
  EXPECT_EQ(files[0].at("scan").at("verdict").as_string(), "clean");
  EXPECT_EQ(regular_files_under(data() / "objects"), 1u);
  EXPECT_EQ(regular_files_under(data() / "staging"), 0u);
  expect_new_upload_works(1);
}

TEST_F(UploadCrash, TheCrashPointNeedsTheTestHookFlag) {
  const auto r = [&] {
    instance_.write_config();
    return run_command({"/usr/bin/env", "FUROSHIKI_TEST_CRASH_POINT=scan_started", furoshiki_binary().string(), "serve",
                        "--config", instance_.config_file().string()});
  }();
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("FUROSHIKI_TEST_CRASH_POINT is a test-only setting"), std::string::npos) << r.err;
}

TEST_F(UploadCrash, AnUnknownCrashPointRefusesToStart) {
  instance_.write_config();
  const auto r = run_command({"/usr/bin/env", "FUROSHIKI_TEST_CRASH_POINT=everywhere", furoshiki_binary().string(),
                              "serve", "--config", instance_.config_file().string(), "--allow-test-hooks"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("unknown FUROSHIKI_TEST_CRASH_POINT everywhere"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace furoshiki::integration
