// tus upload state over real HTTPS, beyond the protocol itself (docs/upload.md "Resumable
// uploads"): the 423 of a second PATCH while the first is stalled mid-body, the expiry sweeper,
// the unfinished-upload limits from [uploads], and what an upload id means after a restart
// (graceful and kill -9): the uploads table answers 410 for an upload that was receiving (its
// staged object is gone), keeps the state of finished ones, and other tenants still get 404.
#include "api_client.hpp"
#include "harness.hpp"
#include "https_client.hpp"
#include "upload_streams.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <random>

namespace furoshiki::integration {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPassword = "violet tractor umbrella 8";
constexpr std::size_t kChunk = 64 * 1024;

std::string random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

class TusState : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_.write_config();
    acme_one_time_ = create_org(instance_, "acme", "ACME", "admin@acme.test").admin_one_time_password;
    beta_one_time_ = create_org(instance_, "beta", "Beta", "admin@beta.test").admin_one_time_password;
  }

  // Starts the server (after the test set its [uploads] keys) and signs both admins in.
  void start() {
    server_ = ServerProcess::start(instance_);
    acme_ = signed_in("acme", "admin@acme.test", acme_one_time_);
    beta_ = signed_in("beta", "admin@beta.test", beta_one_time_);
  }
  SignedIn signed_in(const std::string& org, const std::string& login, std::string& one_time) {
    const ApiClient api(*server_);
    if (one_time.empty()) return api.sign_in({.org = org, .login = login, .password = kPassword});
    auto s = api.change_password(api.sign_in({.org = org, .login = login, .password = one_time}), one_time, kPassword);
    one_time.clear();
    return s;
  }

  fs::path data() const { return instance_.dir() / "data"; }

  std::optional<HttpResponse> tus(const SignedIn& who, std::string_view method, std::string_view target,
                                  Headers extra = {}, std::string_view body = {}) {
    TlsClient client;
    auto connection = client.connect(server_->https());
    if (!connection) return std::nullopt;
    Headers headers = who.headers();
    headers.emplace_back("Tus-Resumable", "1.0.0");
    for (auto& h : extra) headers.push_back(h);
    headers.emplace_back("Content-Length", std::to_string(body.size()));
    if (!connection->send(http_request(method, target, headers, false))) return std::nullopt;
    if (!body.empty() && !connection->send(body)) return std::nullopt;
    return connection->read_response(std::chrono::seconds(60));
  }
  // HEAD: the status and the header section (HttpResponse's reader would wait for the body an
  // error answer declares but, being a HEAD answer, never sends). 0 when no answer came.
  struct HeadAnswer {
    unsigned status = 0;
    std::string header;
  };
  HeadAnswer head(const SignedIn& who, const std::string& path) {
    TlsClient client;
    auto connection = client.connect(server_->https());
    if (!connection) return {};
    Headers headers = who.headers();
    headers.emplace_back("Tus-Resumable", "1.0.0");
    if (!connection->send(http_request("HEAD", path, headers, false))) return {};
    std::string raw;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (raw.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      if (connection->read_some(raw, std::chrono::seconds(5)) != ReadOutcome::kData) break;
    }
    const auto end = raw.find("\r\n\r\n");
    if (end == std::string::npos || raw.size() < 12 || raw.compare(0, 5, "HTTP/") != 0) return {};
    return {static_cast<unsigned>(std::stoul(raw.substr(9, 3))), raw.substr(0, end + 2)};
  }
  unsigned head_status(const SignedIn& who, const std::string& path) { return head(who, path).status; }

  std::optional<HttpResponse> create(const SignedIn& who, std::size_t length) {
    return tus(who, "POST", "/api/v1/uploads",
               {{"Upload-Length", std::to_string(length)}, {"Upload-Metadata", "filename ZGF0YS5iaW4="}});
  }
  std::string created(const SignedIn& who, std::size_t length) {
    const auto r = create(who, length);
    EXPECT_EQ(status_of(r), 201u) << (r ? r->body : "");
    return r ? r->header("Location") : "";
  }
  Headers patch_headers(const SignedIn& who, std::uint64_t offset, std::size_t length) {
    Headers headers = who.headers();
    headers.emplace_back("Tus-Resumable", "1.0.0");
    headers.emplace_back("Upload-Offset", std::to_string(offset));
    headers.emplace_back("Content-Type", "application/offset+octet-stream");
    headers.emplace_back("Content-Length", std::to_string(length));
    return headers;
  }
  std::optional<HttpResponse> patch(const SignedIn& who, const std::string& path, std::uint64_t offset,
                                    std::string_view body) {
    return tus(who, "PATCH", path,
               {{"Upload-Offset", std::to_string(offset)}, {"Content-Type", "application/offset+octet-stream"}}, body);
  }
  boost::json::value state(const SignedIn& who, const std::string& path) {
    const auto r = ApiClient(*server_).call("GET", path, who);
    EXPECT_EQ(status_of(r), 200u) << (r ? r->body : "");
    return r ? r->json() : boost::json::value();
  }
  std::string error_code_of(const std::optional<HttpResponse>& r) {
    return r ? std::string(r->json().at("error").at("code").as_string()) : "";
  }
  // The organization's audit events with `action` whose target is `id`.
  std::size_t audit_events(const SignedIn& admin, std::string_view action, const std::string& id) {
    const auto r = ApiClient(*server_).call("GET", "/api/v1/admin/logs?limit=500&action=" + std::string(action), admin);
    EXPECT_EQ(status_of(r), 200u);
    if (status_of(r) != 200u) return 0;
    std::size_t n = 0;
    const boost::json::value answer = r->json();
    for (const auto& e : answer.at("events").as_array()) n += e.at("target") == boost::json::string_view(id);
    return n;
  }
  // The id part of /api/v1/uploads/{id}.
  static std::string id_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

  // An upload that was receiving before the server stopped (`stop` ends it): gone afterwards.
  void expect_receiving_upload_gone_after(const std::function<void()>& stop) {
    instance_.set("uploads", "max_unfinished_per_user", "1");
    start();
    // One upload finished before the restart, one terminated, one receiving with two chunks.
    const auto small = tus(acme_, "POST", "/api/v1/uploads",
                           {{"Upload-Length", "5"},
                            {"Upload-Metadata", "filename YS50eHQ="},
                            {"Content-Type", "application/offset+octet-stream"}},
                           "hello");
    ASSERT_EQ(status_of(small), 201u) << (small ? small->body : "");
    const std::string clean = small->header("Location");
    const std::string file_id(state(acme_, clean).at("file_id").as_string());
    const std::string terminated = created(acme_, 2 * kChunk);
    ASSERT_EQ(status_of(tus(acme_, "DELETE", terminated)), 204u);
    const std::string path = created(acme_, 5 * kChunk);
    ASSERT_EQ(status_of(patch(acme_, path, 0, random_bytes(2 * kChunk, 7))), 204u);
    ASSERT_EQ(regular_files_under(data() / "staging"), 1u);
    stop();
    server_.reset();
    start();
    EXPECT_EQ(regular_files_under(data() / "staging"), 0u);
    // Receiving before: 410 for tus, its row says why and how far it had come.
    EXPECT_EQ(head_status(acme_, path), 410u);
    // A short body: the 410 comes before the body is read, and a long one could be cut by the close.
    const auto resumed = patch(acme_, path, 2 * kChunk, "x");
    EXPECT_EQ(status_of(resumed), 410u);
    EXPECT_EQ(error_code_of(resumed), "upload_gone");
    const auto s = state(acme_, path);
    EXPECT_EQ(s.at("state").as_string(), "failed");
    EXPECT_EQ(s.at("reason").as_string(), "server_restarted");
    EXPECT_EQ(s.at("offset").as_int64(), static_cast<std::int64_t>(2 * kChunk));
    EXPECT_EQ(audit_events(acme_, "upload.interrupted", id_of(path)), 1u);
    // Finished before: the state endpoint still answers; terminated stays gone.
    EXPECT_EQ(state(acme_, clean).at("state").as_string(), "clean");
    EXPECT_EQ(state(acme_, clean).at("file_id").as_string(), file_id);
    EXPECT_EQ(head_status(acme_, clean), 200u);
    EXPECT_EQ(head_status(acme_, terminated), 410u);
    EXPECT_EQ(state(acme_, terminated).at("state").as_string(), "terminated");
    // Another organization's id is still nothing.
    for (const auto& p : {path, clean, terminated}) {
      EXPECT_EQ(head_status(beta_, p), 404u);
      EXPECT_EQ(status_of(ApiClient(*server_).call("GET", p, beta_)), 404u);
      EXPECT_EQ(status_of(patch(beta_, p, 0, "x")), 404u);
      EXPECT_EQ(status_of(tus(beta_, "DELETE", p)), 404u);
    }
    // The interrupted upload no longer counts (limit 1 per user): the client starts again.
    const auto data = random_bytes(3 * kChunk + 11, 9);
    const std::string again = created(acme_, data.size());
    ASSERT_EQ(status_of(patch(acme_, again, 0, data)), 204u);
    const auto done = state(acme_, again);
    ASSERT_EQ(done.at("state").as_string(), "clean");
    const auto content = ApiClient(*server_).call(
        "GET", "/api/v1/files/" + std::string(done.at("file_id").as_string()) + "/content", "", acme_.headers());
    ASSERT_EQ(status_of(content), 200u);
    EXPECT_TRUE(content->body == data) << "the downloaded file differs from the uploaded bytes";
  }

  Instance instance_;
  std::string acme_one_time_, beta_one_time_;
  std::unique_ptr<ServerProcess> server_;
  SignedIn acme_, beta_;
};

TEST_F(TusState, SecondPatchWhileTheFirstIsStalledMidBodyIsLocked) {
  instance_.set("uploads", "lock_wait_ms", "300");
  start();
  const std::string path = created(acme_, 4 * kChunk);
  const auto data = random_bytes(2 * kChunk, 1);
  // The first PATCH sends its headers and part of its body, then stalls.
  TlsClient client;
  auto first = client.connect(server_->https());
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->send(http_request("PATCH", path, patch_headers(acme_, 0, data.size()), false)));
  ASSERT_TRUE(first->send(std::string_view(data).substr(0, 1000)));
  // HEAD answers 423 once the first PATCH holds the upload (at once before that).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  unsigned status = 0;
  do {
    status = head_status(acme_, path);
  } while (status == 200u && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(status, 423u);
  const auto started = std::chrono::steady_clock::now();
  const auto second = patch(acme_, path, 0, std::string_view(data).substr(0, kChunk));
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(status_of(second), 423u) << (second ? second->body : "");
  EXPECT_EQ(error_code_of(second), "upload_locked");
  EXPECT_EQ(second->header("Retry-After"), "1");
  EXPECT_EQ(second->header("Tus-Resumable"), "1.0.0");
  EXPECT_GE(waited, std::chrono::milliseconds(300)) << "answered before the configured lock wait";
  EXPECT_LT(waited, std::chrono::seconds(3)) << "the default 3 s wait was used, not lock_wait_ms";
  // The first PATCH then completes its body and keeps its bytes.
  ASSERT_TRUE(first->send(std::string_view(data).substr(1000)));
  const auto answer = first->read_response(std::chrono::seconds(60));
  ASSERT_EQ(status_of(answer), 204u) << (answer ? answer->body : "");
  EXPECT_EQ(answer->header("Upload-Offset"), std::to_string(2 * kChunk));
  const auto after = head(acme_, path);
  ASSERT_EQ(after.status, 200u);
  EXPECT_NE(after.header.find("Upload-Offset: " + std::to_string(2 * kChunk) + "\r\n"), std::string::npos)
      << after.header;
}

TEST_F(TusState, ExpiredUploadIsSweptWithItsStagedObjectAndIsGone) {
  instance_.set("uploads", "expiry_seconds", "1").set("uploads", "sweep_interval_seconds", "1");
  start();
  const std::string path = created(acme_, 3 * kChunk);
  ASSERT_EQ(status_of(patch(acme_, path, 0, random_bytes(kChunk, 2))), 204u);
  ASSERT_EQ(regular_files_under(data() / "staging"), 1u);
  const auto expired = server_->wait_for_event(
      [&](const boost::json::object& e) {
        return json_string(e, "event") == "upload_expired" && json_string(e, "upload_id") == id_of(path);
      },
      std::chrono::seconds(20));
  ASSERT_TRUE(expired) << server_->log_text();
  EXPECT_EQ(regular_files_under(data() / "staging"), 0u) << "the expired upload's staged object is still there";
  EXPECT_EQ(head_status(acme_, path), 410u);
  const auto resumed = patch(acme_, path, kChunk, "x");
  EXPECT_EQ(status_of(resumed), 410u);
  EXPECT_EQ(error_code_of(resumed), "upload_gone");
  EXPECT_EQ(state(acme_, path).at("state").as_string(), "expired");
  EXPECT_EQ(audit_events(acme_, "upload.expired", id_of(path)), 1u);
  EXPECT_EQ(head_status(beta_, path), 404u);
}

TEST_F(TusState, UnfinishedLimitsComeFromTheConfigurationAndCountReceivingUploads) {
  instance_.set("uploads", "max_unfinished_per_user", "2").set("uploads", "max_unfinished_total", "3");
  start();
  const std::string first = created(acme_, kChunk);
  created(acme_, kChunk);
  auto refused = create(acme_, kChunk);
  EXPECT_EQ(status_of(refused), 429u);
  EXPECT_EQ(error_code_of(refused), "too_many_uploads");
  created(beta_, kChunk);  // the third of the instance
  refused = create(beta_, kChunk);
  EXPECT_EQ(status_of(refused), 429u);
  // A finished upload no longer counts.
  ASSERT_EQ(status_of(patch(acme_, first, 0, random_bytes(kChunk, 4))), 204u);
  EXPECT_EQ(state(acme_, first).at("state").as_string(), "clean");
  created(beta_, kChunk);
  EXPECT_EQ(regular_files_under(data() / "staging"), 3u) << "a refused creation left a staged object";
}

TEST_F(TusState, ReceivingUploadIsGoneAfterAGracefulRestart) {
  expect_receiving_upload_gone_after([&] {
    ASSERT_TRUE(server_->signal(SIGTERM));
    ASSERT_EQ(server_->wait_exit(std::chrono::seconds(30)), 0);
  });
}

TEST_F(TusState, ReceivingUploadIsGoneAfterKillNine) {
  expect_receiving_upload_gone_after([&] {
    ASSERT_TRUE(server_->signal(SIGKILL));
    ASSERT_EQ(server_->wait_exit(std::chrono::seconds(30)), 128 + SIGKILL);
  });
}

}  // namespace
}  // namespace furoshiki::integration
