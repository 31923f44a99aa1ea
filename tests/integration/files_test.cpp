// Files over real HTTPS (api.md "Files and uploads", docs/upload.md): the simple upload
// PUT /api/v1/files?name= streamed into the sealer and the scanner, then listed and read back as
// metadata; EICAR refused with its signature and nothing stored; other organizations' files are
// 404 on every route; hostile names stored harmlessly.
#include "api_client.hpp"
#include "expectations.hpp"
#include "harness.hpp"
#include "https_client.hpp"
#include "scanner/test_signatures.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace furoshiki::integration {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPassword = "violet tractor umbrella 8";
constexpr std::size_t kChunk = 64 * 1024;  // the object format's default chunk

std::string random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

// RFC 3986 percent-encoding of every byte that is not unreserved.
std::string percent_encode(std::string_view s) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kDigits[u >> 4]);
      out.push_back(kDigits[u & 0xf]);
    }
  }
  return out;
}

// Regular files under `dir` (recursively).
std::size_t files_under(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_.write_config();
    const std::string acme = create_org(instance_, "acme", "ACME", "admin@acme.test").admin_one_time_password;
    const std::string beta = create_org(instance_, "beta", "Beta", "admin@beta.test").admin_one_time_password;
    server_ = ServerProcess::start(instance_);
    acme_ = signed_in("acme", "admin@acme.test", acme);
    beta_ = signed_in("beta", "admin@beta.test", beta);
  }

  SignedIn signed_in(const std::string& org, const std::string& login, const std::string& one_time) {
    return api().change_password(api().sign_in({.org = org, .login = login, .password = one_time}), one_time,
                                 kPassword);
  }

  ApiClient api() const { return ApiClient(*server_); }

  // PUT /api/v1/files?name=<name> with `body` sent in pieces of `piece` bytes after the header.
  std::optional<HttpResponse> upload(const SignedIn& who, std::string_view name, std::string_view body,
                                     std::size_t piece = 256 * 1024, std::string content_type = "text/plain") {
    TlsClient client;
    auto connection = client.connect(server_->https());
    if (!connection) return std::nullopt;
    Headers headers = who.headers();
    headers.emplace_back("Content-Type", std::move(content_type));
    headers.emplace_back("Content-Length", std::to_string(body.size()));
    if (!connection->send(http_request("PUT", "/api/v1/files?name=" + percent_encode(name), headers, false))) {
      return std::nullopt;
    }
    for (std::size_t at = 0; at < body.size(); at += piece) {
      if (!connection->send(body.substr(at, piece))) return std::nullopt;
    }
    return connection->read_response(std::chrono::seconds(60));
  }

  // Uploads `body`, then checks the answer, the list and the metadata route agree on it.
  void expect_stored(const SignedIn& who, const std::string& body, std::size_t piece) {
    SCOPED_TRACE("size " + std::to_string(body.size()));
    const auto put = upload(who, "data.bin", body, piece);
    ASSERT_EQ(status_of(put), 201u) << (put ? put->body : "");
    const auto file = put->json().as_object();
    EXPECT_EQ(file.at("size").as_int64(), static_cast<std::int64_t>(body.size()));
    EXPECT_EQ(file.at("sha256").as_string(), sha256_hex(body));
    EXPECT_EQ(file.at("name").as_string(), "data.bin");
    EXPECT_EQ(file.at("scan").at("verdict").as_string(), "clean");
    const std::string id(file.at("id").as_string());
    EXPECT_EQ(put->header("Location"), "/api/v1/files/" + id);
    const auto got = api().call("GET", "/api/v1/files/" + id, who);
    ASSERT_EQ(status_of(got), 200u);
    EXPECT_EQ(got->json().as_object(), file);
  }

  fs::path data() const { return instance_.dir() / "data"; }

  // Whether staging/ holds `n` files within 10 seconds. A refused or abandoned upload's staged
  // object is removed on the blocking pool, possibly just after the answer went out.
  bool staging_holds(std::size_t n) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (files_under(data() / "staging") != n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return files_under(data() / "staging") == n;
  }

  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
  SignedIn acme_, beta_;
};

TEST_F(Files, UploadsOfEdgeSizesAreStoredAndListed) {
  expect_stored(acme_, "", 1);
  expect_stored(acme_, "x", 1);
  expect_stored(acme_, random_bytes(kChunk - 1, 1), 1000);
  expect_stored(acme_, random_bytes(kChunk, 2), kChunk);
  expect_stored(acme_, random_bytes(kChunk + 1, 3), 7000);
  expect_stored(acme_, random_bytes(5 * 1024 * 1024 + 3, 4), 300 * 1024);

  const auto list = api().call("GET", "/api/v1/files", acme_);
  ASSERT_EQ(status_of(list), 200u);
  const auto page = list->json();
  const auto& files = page.at("files").as_array();
  ASSERT_EQ(files.size(), 6u);
  EXPECT_EQ(files[0].at("size").as_int64(), 5 * 1024 * 1024 + 3);  // newest first
  EXPECT_TRUE(page.at("next_cursor").is_null());
  // One encrypted object per file, and nothing left in staging.
  EXPECT_EQ(files_under(data() / "objects"), 6u);
  EXPECT_EQ(files_under(data() / "staging"), 0u);
}

TEST_F(Files, ConcurrentUploadsAreAllStored) {
  // More uploads at once than scan threads and blocking-pool threads.
  constexpr int kUploads = 8;
  std::vector<std::thread> threads;
  std::vector<unsigned> statuses(kUploads, 0);
  for (int i = 0; i < kUploads; ++i) {
    threads.emplace_back([this, i, &statuses] {
      statuses[i] = status_of(upload(acme_, "c" + std::to_string(i), random_bytes(1024 * 1024, 100 + i)));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(statuses, std::vector<unsigned>(kUploads, 201u));
  EXPECT_EQ(files_under(data() / "objects"), static_cast<std::size_t>(kUploads));
  EXPECT_EQ(files_under(data() / "staging"), 0u);
}

TEST_F(Files, ListPagesWithACursor) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(status_of(upload(acme_, "f" + std::to_string(i), "x")), 201u);
  std::size_t seen = 0;
  std::string target = "/api/v1/files?limit=2";
  for (int page = 0; page < 5; ++page) {
    const auto r = api().call("GET", target, acme_);
    ASSERT_EQ(status_of(r), 200u) << (r ? r->body : "");
    const auto body = r->json();
    seen += body.at("files").as_array().size();
    const auto& next = body.at("next_cursor");
    if (next.is_null()) break;
    target = "/api/v1/files?limit=2&cursor=" + std::string(next.as_string());
  }
  EXPECT_EQ(seen, 3u);
}

TEST_F(Files, EicarIsRefusedWithItsSignatureAndNothingIsStored) {
  const auto r = upload(acme_, "eicar.com", scanner::eicar_test_file(), 10);
  ASSERT_TRUE(r);
  expect_error(*r, 422, "infected");
  EXPECT_EQ(r->json().at("error").at("signature").as_string(), "Eicar-Test-Signature");
  EXPECT_TRUE(api().call("GET", "/api/v1/files", acme_)->json().at("files").as_array().empty());
  EXPECT_EQ(files_under(data() / "objects"), 0u);
  EXPECT_EQ(files_under(data() / "staging"), 0u);
}

TEST_F(Files, DeclaredLengthOverTheLimitIs413BeforeTheBody) {
  TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  Headers headers = acme_.headers();
  headers.emplace_back("Content-Length", std::to_string(std::uint64_t{3} << 30));
  ASSERT_TRUE(connection->send(http_request("PUT", "/api/v1/files?name=big", headers, false)));
  const auto r = connection->read_response();  // no body byte was sent
  ASSERT_TRUE(r);
  expect_error(*r, 413, "too_large_to_scan");
  EXPECT_TRUE(staging_holds(0));
}

TEST_F(Files, ChunkedBodyIsStreamedToo) {
  TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  Headers headers = acme_.headers();
  headers.emplace_back("Transfer-Encoding", "chunked");
  const auto r = connection->request(http_request("PUT", "/api/v1/files?name=chunked.txt", headers, false) +
                                     "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  ASSERT_EQ(status_of(r), 201u) << (r ? r->body : "");
  EXPECT_EQ(r->json().at("size").as_int64(), 11);
  EXPECT_EQ(r->json().at("sha256").as_string(), sha256_hex("hello world"));
}

TEST_F(Files, ExpectContinueIsAnsweredBeforeTheBody) {
  TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  Headers headers = acme_.headers();
  headers.emplace_back("Content-Length", "5");
  headers.emplace_back("Expect", "100-continue");
  ASSERT_TRUE(connection->send(http_request("PUT", "/api/v1/files?name=c.txt", headers, false)));
  std::string interim;
  while (interim.find("\r\n\r\n") == std::string::npos &&
         connection->read_some(interim, std::chrono::seconds(10)) == ReadOutcome::kData) {
  }
  EXPECT_TRUE(interim.starts_with("HTTP/1.1 100 Continue\r\n")) << interim;
  ASSERT_TRUE(connection->send("hello"));
  const auto r = connection->read_response();
  ASSERT_EQ(status_of(r), 201u) << (r ? r->body : "");
}

TEST_F(Files, TheUsersMaximumFileSizeApplies) {
  const auto me = api().call("GET", "/api/v1/me", acme_);
  ASSERT_EQ(status_of(me), 200u);
  const std::string id(me->json().at("id").as_string());
  const auto patched = api().call("PATCH", "/api/v1/admin/users/" + id, acme_,
                                  {{"rights", boost::json::object{{"max_file_bytes", 10}}}});
  ASSERT_EQ(status_of(patched), 200u) << (patched ? patched->body : "");

  EXPECT_EQ(status_of(upload(acme_, "ten.txt", std::string(10, 'x'))), 201u);
  // Declared: refused before the body.
  const auto declared = upload(acme_, "eleven.txt", std::string(11, 'x'));
  ASSERT_TRUE(declared);
  expect_error(*declared, 413, "too_large");
  // Chunked: cut off when it passes the limit.
  TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  Headers headers = acme_.headers();
  headers.emplace_back("Transfer-Encoding", "chunked");
  const auto chunked = connection->request(http_request("PUT", "/api/v1/files?name=c.txt", headers, false) +
                                           "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n");
  ASSERT_TRUE(chunked);
  expect_error(*chunked, 413, "too_large");
  EXPECT_TRUE(staging_holds(0));
  EXPECT_EQ(files_under(data() / "objects"), 1u);
}

TEST_F(Files, AnUploadCutOffMidBodyLeavesNothing) {
  {
    TlsClient client;
    auto connection = client.connect(server_->https());
    ASSERT_TRUE(connection);
    Headers headers = acme_.headers();
    headers.emplace_back("Content-Length", std::to_string(4 * 1024 * 1024));
    ASSERT_TRUE(connection->send(http_request("PUT", "/api/v1/files?name=cut.bin", headers, false)));
    ASSERT_TRUE(connection->send(random_bytes(1024 * 1024, 5)));
    ASSERT_TRUE(staging_holds(1)) << "the upload never started";
  }  // the client goes away mid-body
  EXPECT_TRUE(staging_holds(0));
  EXPECT_EQ(files_under(data() / "objects"), 0u);
  EXPECT_TRUE(api().call("GET", "/api/v1/files", acme_)->json().at("files").as_array().empty());
}

TEST_F(Files, UploadNeedsASignedInUser) {
  const auto r = upload(SignedIn{}, "a.txt", "hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401u);
  EXPECT_EQ(files_under(data() / "staging"), 0u);
}

TEST_F(Files, UploadNeedsAName) {
  TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  Headers headers = acme_.headers();
  headers.emplace_back("Content-Length", "1");
  const auto r = connection->request(http_request("PUT", "/api/v1/files", headers, false) + "x");
  ASSERT_TRUE(r);
  expect_error(*r, 400, "bad_request");
}

TEST_F(Files, OtherOrganizationsFilesAreNotFoundOnEveryRoute) {
  const auto put = upload(acme_, "secret.txt", "acme only");
  ASSERT_EQ(status_of(put), 201u);
  const std::string id(put->json().at("id").as_string());

  const auto get = api().call("GET", "/api/v1/files/" + id, beta_);
  ASSERT_TRUE(get);
  expect_error(*get, 404, "not_found");
  const auto unknown = api().call("GET", "/api/v1/files/" + std::string(32, '0'), beta_);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(get->body, unknown->body) << "another tenant's file must look like no file";
  const auto del = api().call("DELETE", "/api/v1/files/" + id, beta_);
  ASSERT_TRUE(del);
  expect_error(*del, 404, "not_found");
  EXPECT_TRUE(api().call("GET", "/api/v1/files", beta_)->json().at("files").as_array().empty());

  // Still there for its owner, who may delete it.
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/files/" + id, acme_)), 200u);
  EXPECT_EQ(status_of(api().call("DELETE", "/api/v1/files/" + id, acme_)), 204u);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/files/" + id, acme_)), 404u);
  EXPECT_EQ(files_under(data() / "objects"), 0u);
}

TEST_F(Files, HostileNamesAreStoredHarmlessly) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"../../etc/passwd", ".._.._etc_passwd"},
      {"a\r\nSet-Cookie: x=1", "a__Set-Cookie: x=1"},
      {std::string("nul\0.txt", 8), "nul_.txt"},
      {"invoice\xe2\x80\xae"
       "fdp.exe",
       "invoice_fdp.exe"},
  };
  for (const auto& [raw, stored] : cases) {
    const auto r = upload(acme_, raw, "content");
    ASSERT_EQ(status_of(r), 201u) << (r ? r->body : "");
    EXPECT_EQ(r->json().at("name").as_string(), stored);
    EXPECT_FALSE(r->has_header("Set-Cookie"));
  }
  // Nothing was written outside the data directory's object store.
  EXPECT_EQ(files_under(data() / "objects"), cases.size());
  EXPECT_FALSE(fs::exists(data() / "etc"));
}

TEST_F(Files, StartUpRemovesStagingLeftovers) {
  server_.reset();  // stops the server
  fs::create_directories(data() / "staging");
  { std::ofstream(data() / "staging" / std::string(32, 'a')) << "half an upload"; }
  server_ = ServerProcess::start(instance_);
  EXPECT_EQ(files_under(data() / "staging"), 0u);
  EXPECT_FALSE(server_->events("object_store_cleaned").empty());
}

// --- limits (docs/upload.md "Limits") ---------------------------------------------------------

class FileLimits : public Files {
 protected:
  std::string my_id(const SignedIn& who) {
    const auto me = api().call("GET", "/api/v1/me", who);
    return me ? std::string(me->json().at("id").as_string()) : "";
  }
  void set_rights(const SignedIn& who, boost::json::object rights) {
    const auto patched = api().call("PATCH", "/api/v1/admin/users/" + my_id(who), who, {{"rights", rights}});
    ASSERT_EQ(status_of(patched), 200u) << (patched ? patched->body : "");
  }
  void set_files_policy(const SignedIn& who, boost::json::object files) {
    const auto put = api().call("PUT", "/api/v1/admin/policy", who, {{"files", files}});
    ASSERT_EQ(status_of(put), 200u) << (put ? put->body : "");
  }
  // A PUT declaring `length` and sending no body byte: the answer must come before the body.
  std::optional<HttpResponse> declare_only(const SignedIn& who, std::uint64_t length) {
    TlsClient client;
    auto connection = client.connect(server_->https());
    if (!connection) return std::nullopt;
    Headers headers = who.headers();
    headers.emplace_back("Content-Length", std::to_string(length));
    if (!connection->send(http_request("PUT", "/api/v1/files?name=declared", headers, false))) return std::nullopt;
    return connection->read_response(std::chrono::seconds(30));
  }
  std::optional<HttpResponse> chunked(const SignedIn& who, std::size_t chunks, std::size_t chunk_bytes) {
    TlsClient client;
    auto connection = client.connect(server_->https());
    if (!connection) return std::nullopt;
    Headers headers = who.headers();
    headers.emplace_back("Transfer-Encoding", "chunked");
    if (!connection->send(http_request("PUT", "/api/v1/files?name=chunked", headers, false))) return std::nullopt;
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk_bytes);
    const std::string chunk = std::string(size) + std::string(chunk_bytes, 'c') + "\r\n";
    for (std::size_t i = 0; i < chunks; ++i) {
      if (!connection->send(chunk)) break;  // answered and closed early
    }
    connection->send("0\r\n\r\n");
    return connection->read_response(std::chrono::seconds(30));
  }
  std::size_t denied_events(const std::string& reason) {
    std::size_t n = 0;
    for (const auto& line : server_->events("upload_denied")) {
      n += line.contains("reason") && line.at("reason") == reason.c_str() ? 1 : 0;
    }
    return n;
  }
  std::size_t listed(const SignedIn& who) {
    return api().call("GET", "/api/v1/files", who)->json().at("files").as_array().size();
  }
};

TEST_F(FileLimits, TheUsersQuotaRefusesADeclaredLengthBeforeTheBody) {
  set_rights(acme_, {{"quota_bytes", 1000}});
  ASSERT_EQ(status_of(upload(acme_, "a", std::string(600, 'a'))), 201u);
  const auto r = declare_only(acme_, 401);
  ASSERT_TRUE(r);
  expect_error(*r, 507, "quota_exceeded");
  EXPECT_EQ(status_of(upload(acme_, "b", std::string(400, 'b'))), 201u) << "exactly the quota";
  EXPECT_TRUE(staging_holds(0));
  // The log reaches the test through a pipe, after the answer.
  EXPECT_TRUE(server_->wait_for_event("upload_denied", std::chrono::seconds(10)));
  EXPECT_EQ(denied_events("user_quota_exceeded"), 1u);
}

TEST_F(FileLimits, MeShowsTheUsersUsageAndQuota) {
  auto usage = [&](const SignedIn& who) {
    const auto me = api().call("GET", "/api/v1/me", who);
    EXPECT_EQ(status_of(me), 200u);
    return me ? me->json().at("usage").as_object() : boost::json::object{};
  };
  auto fresh = usage(acme_);
  EXPECT_EQ(fresh.at("stored_bytes").as_int64(), 0);
  EXPECT_EQ(fresh.at("files").as_int64(), 0);
  EXPECT_TRUE(fresh.at("quota_bytes").is_null());
  EXPECT_EQ(fresh.at("since").as_string().size(), 10u);

  set_rights(acme_, {{"quota_bytes", 5000}});
  const auto put = upload(acme_, "a", std::string(600, 'a'));
  ASSERT_EQ(status_of(put), 201u);
  ASSERT_EQ(status_of(upload(acme_, "b", std::string(400, 'b'))), 201u);
  const std::string id(put->json().at("id").as_string());
  const auto got = api().call("GET", "/api/v1/files/" + id + "/content", acme_);
  ASSERT_EQ(status_of(got), 200u);
  ASSERT_EQ(status_of(api().call("DELETE", "/api/v1/files/" + id, acme_)), 204u);

  const auto after = usage(acme_);
  EXPECT_EQ(after.at("stored_bytes").as_int64(), 400);  // the deleted file no longer counts
  EXPECT_EQ(after.at("files").as_int64(), 1);
  EXPECT_EQ(after.at("quota_bytes").as_int64(), 5000);
  EXPECT_EQ(after.at("uploaded_bytes").as_int64(), 1000);
  EXPECT_EQ(after.at("uploads").as_int64(), 2);
  // Download usage is recorded when the download ends, just after the answer.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto downloaded = after;
  while (downloaded.at("downloads").as_int64() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    downloaded = usage(acme_);
  }
  EXPECT_EQ(downloaded.at("downloads").as_int64(), 1);
  EXPECT_EQ(downloaded.at("downloaded_bytes").as_int64(), 600);
  // Another organization's user sees only their own figures.
  const auto other = usage(beta_);
  EXPECT_EQ(other.at("stored_bytes").as_int64(), 0);
  EXPECT_EQ(other.at("uploads").as_int64(), 0);
}

TEST_F(FileLimits, AChunkedBodyOverTheQuotaIsStoppedAndNothingIsStored) {
  set_rights(acme_, {{"quota_bytes", 1 << 20}});
  const auto r = chunked(acme_, 40, 64 * 1024);  // 2.5 MiB
  ASSERT_TRUE(r);
  expect_error(*r, 507, "quota_exceeded");
  EXPECT_TRUE(staging_holds(0));
  EXPECT_EQ(files_under(data() / "objects"), 0u);
  EXPECT_EQ(listed(acme_), 0u);
  EXPECT_EQ(status_of(chunked(acme_, 8, 64 * 1024)), 201u) << "half a MiB still fits";
}

TEST_F(FileLimits, TheOrganizationQuotaCountsEveryUser) {
  set_files_policy(acme_, {{"quota_bytes", 1000}});
  // A second user of acme.
  const auto created = api().call("POST", "/api/v1/admin/users", acme_, {{"email", "bob@acme.test"}});
  ASSERT_EQ(status_of(created), 201u) << (created ? created->body : "");
  const std::string otp(created->json().at("one_time_password").as_string());
  const SignedIn bob = signed_in("acme", "bob@acme.test", otp);
  ASSERT_EQ(status_of(upload(acme_, "a", std::string(700, 'a'))), 201u);
  const auto r = upload(bob, "b", std::string(301, 'b'));
  ASSERT_TRUE(r);
  expect_error(*r, 507, "quota_exceeded");
  EXPECT_EQ(denied_events("organization_quota_exceeded"), 1u);
  EXPECT_EQ(status_of(upload(bob, "b", std::string(300, 'b'))), 201u);
  EXPECT_EQ(status_of(upload(beta_, "other org", std::string(5000, 'x'))), 201u) << "beta has no quota";
}

TEST_F(FileLimits, ThePolicysMaximumFileSizeApplies) {
  set_files_policy(acme_, {{"max_file_bytes", 100}});
  const auto r = declare_only(acme_, 101);
  ASSERT_TRUE(r);
  expect_error(*r, 413, "too_large");
  EXPECT_EQ(status_of(upload(acme_, "ok", std::string(100, 'x'))), 201u);
  EXPECT_EQ(status_of(upload(beta_, "ok", std::string(101, 'x'))), 201u);
}

TEST_F(FileLimits, ThePolicyIsValidated) {
  const auto bad = api().call("PUT", "/api/v1/admin/policy", acme_, {{"files", {{"quota", 1}}}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400u) << bad->body;
  const auto range = api().call("PUT", "/api/v1/admin/policy", acme_,
                                {{"files", {{"default_retention_days", 10}, {"max_retention_days", 5}}}});
  ASSERT_TRUE(range);
  expect_error(*range, 422, "invalid_policy");
}

TEST_F(FileLimits, ChunkedBodyPastTheScanLimitIsTooLargeToScan) {
  server_.reset();
  instance_.set("scanner", "max_file_bytes", "1048576");
  server_ = ServerProcess::start(instance_);
  const auto r = chunked(acme_, 40, 64 * 1024);
  ASSERT_TRUE(r);
  expect_error(*r, 413, "too_large_to_scan");
  EXPECT_TRUE(staging_holds(0));
}

TEST_F(FileLimits, AllowedFilesTooLargeToScanAreStoredLabelled) {
  server_.reset();
  instance_.set("scanner", "max_file_bytes", "1048576");
  server_ = ServerProcess::start(instance_);
  set_files_policy(acme_, {{"allow_unscanned_too_large", true}});
  const std::string body = random_bytes(2 * 1024 * 1024 + 5, 9);
  const auto put = upload(acme_, "big.bin", body);
  ASSERT_EQ(status_of(put), 201u) << (put ? put->body : "");
  EXPECT_EQ(put->json().at("scan").at("verdict").as_string(), "not_scanned_too_large");
  EXPECT_EQ(put->json().at("sha256").as_string(), sha256_hex(body));
  // beta does not allow it.
  const auto refused = upload(beta_, "big.bin", body);
  ASSERT_TRUE(refused);
  expect_error(*refused, 413, "too_large_to_scan");
}

TEST_F(FileLimits, AReserveLargerThanTheFreeSpaceIs507BeforeTheBody) {
  server_.reset();
  instance_.set("storage", "reserve_bytes", std::to_string(std::uint64_t{1} << 49));
  server_ = ServerProcess::start(instance_);
  const auto r = declare_only(acme_, 1000);
  ASSERT_TRUE(r);
  expect_error(*r, 507, "insufficient_storage");
  EXPECT_TRUE(staging_holds(0));
  EXPECT_EQ(files_under(data() / "objects"), 0u);
  EXPECT_TRUE(server_->wait_for_event("upload_denied", std::chrono::seconds(10)));
  EXPECT_EQ(denied_events("insufficient_storage"), 1u);
}

// The disk-full test proper: the data directory on a 64 MiB tmpfs, no reserve, an upload larger
// than the space. Needs mount(2) (root); skipped only where it is not allowed.
TEST_F(FileLimits, AFullDiskIsACleanInsufficientStorageAndOtherTenantsAreFine) {
  ASSERT_EQ(status_of(upload(beta_, "kept.txt", "beta's file")), 201u);
  server_.reset();
  const fs::path mnt = instance_.dir() / "tmpfs-data";
  fs::create_directories(mnt);
  const std::string mount = "mount -t tmpfs -o size=64m tmpfs " + mnt.string() + " 2>/dev/null";
  if (std::system(mount.c_str()) != 0) {  // NOLINT(cert-env33-c): a test's fixed command
    if (std::getenv("CI")) FAIL() << "cannot mount a tmpfs";
    GTEST_SKIP() << "cannot mount a tmpfs here";
  }
  struct Unmount {
    fs::path dir;
    ~Unmount() { (void)std::system(("umount " + dir.string()).c_str()); }  // NOLINT(cert-env33-c)
  } unmount{mnt};
  fs::copy(data(), mnt, fs::copy_options::recursive);
  instance_.set("storage", "data_dir", toml_string(mnt.string()));
  instance_.set("storage", "reserve_bytes", "0");
  server_ = ServerProcess::start(instance_);

  std::optional<HttpResponse> r;
  {
    // The server answers and closes mid-body: sending stops there, the answer is read.
    TlsClient client;
    auto connection = client.connect(server_->https());
    ASSERT_TRUE(connection);
    const std::string body = random_bytes(80 * 1024 * 1024, 11);
    Headers headers = acme_.headers();
    headers.emplace_back("Content-Length", std::to_string(body.size()));
    ASSERT_TRUE(connection->send(http_request("PUT", "/api/v1/files?name=huge.bin", headers, false)));
    for (std::size_t at = 0; at < body.size(); at += 1024 * 1024) {
      if (!connection->send(std::string_view(body).substr(at, 1024 * 1024))) break;
    }
    r = connection->read_response(std::chrono::seconds(30));
  }
  ASSERT_TRUE(r);
  expect_error(*r, 507, "insufficient_storage");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (files_under(mnt / "staging") != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(files_under(mnt / "staging"), 0u) << "nothing half-written left";
  EXPECT_EQ(files_under(mnt / "objects"), 1u) << "only beta's file";
  EXPECT_EQ(listed(acme_), 0u);
  EXPECT_EQ(listed(beta_), 1u) << "other tenants' files still list";
  EXPECT_EQ(status_of(upload(beta_, "small.txt", "still room for this")), 201u);
  server_.reset();  // before the unmount
}

// A real file over the scanner's limit (3 GiB, streamed from a generator) stored unscanned and
// labelled, its SHA-256 checked. Suite FileLimitsLong: labelled `long`, run in release only
// (tests/integration/CMakeLists.txt). Writes 3 GiB (sealed) to the normal temporary data directory on disk, never to a
// tmpfs.
using FileLimitsLong = FileLimits;

TEST_F(FileLimitsLong, AThreeGibFileIsStoredUnscannedWhenThePolicyAllowsIt) {
  set_files_policy(acme_, {{"allow_unscanned_too_large", true}});
  constexpr std::uint64_t kBytes = std::uint64_t{3} << 30;
  constexpr std::size_t kPiece = 1024 * 1024;
  const std::string block = random_bytes(kPiece, 12);
  TlsClient client;
  auto connection = client.connect(server_->https());
  ASSERT_TRUE(connection);
  Headers headers = acme_.headers();
  headers.emplace_back("Content-Length", std::to_string(kBytes));
  ASSERT_TRUE(connection->send(http_request("PUT", "/api/v1/files?name=three.bin", headers, false)));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  ASSERT_EQ(EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr), 1);
  std::string piece = block;
  for (std::uint64_t at = 0; at < kBytes; at += kPiece) {
    // Each piece differs (its index in front), so that a repeated or lost piece changes the digest.
    std::memcpy(piece.data(), &at, sizeof at);
    ASSERT_EQ(EVP_DigestUpdate(sha.get(), piece.data(), piece.size()), 1);
    ASSERT_TRUE(connection->send(piece)) << "at " << at;
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned digest_len = 0;
  ASSERT_EQ(EVP_DigestFinal_ex(sha.get(), digest, &digest_len), 1);
  std::string expected;
  for (unsigned char b : digest) {
    static constexpr char kDigits[] = "0123456789abcdef";
    expected.push_back(kDigits[b >> 4]);
    expected.push_back(kDigits[b & 0xf]);
  }
  const auto r = connection->read_response(std::chrono::seconds(240));
  ASSERT_EQ(status_of(r), 201u) << (r ? r->body : "");
  const auto file = r->json().as_object();
  EXPECT_EQ(file.at("size").as_int64(), static_cast<std::int64_t>(kBytes));
  EXPECT_EQ(file.at("sha256").as_string(), expected);
  EXPECT_EQ(file.at("scan").at("verdict").as_string(), "not_scanned_too_large");
  const auto got = api().call("GET", "/api/v1/files/" + std::string(file.at("id").as_string()), acme_);
  ASSERT_EQ(status_of(got), 200u);
  EXPECT_EQ(got->json().as_object(), file);
  EXPECT_TRUE(staging_holds(0));
}

}  // namespace
}  // namespace furoshiki::integration
