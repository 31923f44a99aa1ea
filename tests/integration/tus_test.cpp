// tus 1.0.0 resumable uploads over real HTTPS (docs/upload.md): OPTIONS, creation, PATCH in
// pieces, HEAD, the tus errors (409, 412, 415), termination, the tenant matrix, EICAR, and
// resumption after the connection is cut at random offsets, and the checksum extension
// (Upload-Checksum sha256: 460 on a mismatch, and none of that request's bytes kept).
#include "api_client.hpp"
#include "harness.hpp"
#include "https_client.hpp"
#include "scanner/test_signatures.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <random>
#include <thread>

namespace furoshiki::integration {
namespace {

constexpr const char* kPassword = "violet tractor umbrella 8";
constexpr std::size_t kChunk = 64 * 1024;

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

// Upload-Checksum's value for `data`: "sha256 <base64 of the digest>".
std::string checksum_of(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  unsigned char encoded[64] = {};
  const int n = EVP_EncodeBlock(encoded, digest, sizeof digest);
  return "sha256 " + std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n));
}

class Tus : public ::testing::Test {
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
    ApiClient api(*server_);
    return api.change_password(api.sign_in({.org = org, .login = login, .password = one_time}), one_time, kPassword);
  }

  // One tus request on its own connection; `body` sent whole.
  std::optional<HttpResponse> tus(const SignedIn& who, std::string_view method, std::string_view target,
                                  Headers extra = {}, std::string_view body = {}, bool resumable = true) {
    TlsClient client;
    auto connection = client.connect(server_->https());
    if (!connection) return std::nullopt;
    Headers headers = who.headers();
    if (resumable) headers.emplace_back("Tus-Resumable", "1.0.0");
    for (auto& h : extra) headers.push_back(h);
    headers.emplace_back("Content-Length", std::to_string(body.size()));
    if (!connection->send(http_request(method, target, headers, false))) return std::nullopt;
    if (!body.empty() && !connection->send(body)) return std::nullopt;
    return connection->read_response(std::chrono::seconds(60));
  }

  // POST with Upload-Length; returns the upload's path.
  std::string create(const SignedIn& who, std::size_t length) {
    const auto r = tus(who, "POST", "/api/v1/uploads",
                       {{"Upload-Length", std::to_string(length)}, {"Upload-Metadata", "filename ZGF0YS5iaW4="}});
    EXPECT_EQ(status_of(r), 201u) << (r ? r->body : "");
    return r ? r->header("Location") : "";
  }

  std::optional<HttpResponse> patch(const SignedIn& who, const std::string& path, std::uint64_t offset,
                                    std::string_view body) {
    return tus(who, "PATCH", path,
               {{"Upload-Offset", std::to_string(offset)}, {"Content-Type", "application/offset+octet-stream"}}, body);
  }

  std::optional<HttpResponse> patch_checked(const SignedIn& who, const std::string& path, std::uint64_t offset,
                                            std::string_view body, const std::string& checksum) {
    return tus(who, "PATCH", path,
               {{"Upload-Offset", std::to_string(offset)},
                {"Content-Type", "application/offset+octet-stream"},
                {"Upload-Checksum", checksum}},
               body);
  }

  // The stored file of a finished upload, read back through the download route.
  std::string stored_bytes(const SignedIn& who, const std::string& path) {
    const auto s = state(who, path);
    EXPECT_EQ(s.at("state").as_string(), "clean");
    const auto got =
        ApiClient(*server_).call("GET", "/api/v1/files/" + std::string(s.at("file_id").as_string()) + "/content", who);
    EXPECT_EQ(status_of(got), 200u);
    return got ? got->body : "";
  }

  std::uint64_t head_offset(const SignedIn& who, const std::string& path) {
    const auto r = tus(who, "HEAD", path);
    EXPECT_EQ(status_of(r), 200u);
    return r ? std::stoull(r->header("Upload-Offset")) : 0;
  }

  boost::json::value state(const SignedIn& who, const std::string& path) {
    const auto r = ApiClient(*server_).call("GET", path, who);
    EXPECT_EQ(status_of(r), 200u);
    return r ? r->json() : boost::json::value();
  }

  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
  SignedIn acme_, beta_;
};

TEST_F(Tus, OptionsAdvertisesTheProtocol) {
  const auto r = ApiClient(*server_).call("OPTIONS", "/api/v1/uploads");
  ASSERT_EQ(status_of(r), 204u);
  EXPECT_EQ(r->header("Tus-Resumable"), "1.0.0");
  EXPECT_EQ(r->header("Tus-Version"), "1.0.0");
  EXPECT_NE(r->header("Tus-Extension").find("creation-with-upload"), std::string::npos);
  EXPECT_FALSE(r->header("Tus-Max-Size").empty());
  EXPECT_NE(r->header("Tus-Extension").find("checksum"), std::string::npos);
  EXPECT_EQ(r->header("Tus-Checksum-Algorithm"), "sha256");
}

TEST_F(Tus, CreatePatchInPiecesHeadAndErrors) {
  const auto data = random_bytes(3 * kChunk + 1234, 11);
  const std::string path = create(acme_, data.size());
  ASSERT_TRUE(path.starts_with("/api/v1/uploads/"));
  EXPECT_EQ(head_offset(acme_, path), 0u);
  EXPECT_EQ(state(acme_, path).at("state").as_string(), "receiving");
  // Errors: missing Tus-Resumable, wrong content type, wrong offset.
  EXPECT_EQ(status_of(tus(acme_, "DELETE", path, {}, {}, false)), 412u);
  EXPECT_EQ(status_of(tus(acme_, "PATCH", path, {{"Upload-Offset", "0"}, {"Content-Type", "text/plain"}}, "x")), 415u);
  const auto wrong = patch(acme_, path, 5, "x");
  EXPECT_EQ(status_of(wrong), 409u);
  // Tenants: another organization's and nobody else's upload.
  EXPECT_EQ(status_of(tus(beta_, "DELETE", path)), 404u);
  {
    const auto h = tus(beta_, "HEAD", path);  // a HEAD answer has no body to read
    EXPECT_TRUE(!h || h->status == 404u);
  }
  EXPECT_EQ(status_of(patch(beta_, path, 0, "x")), 404u);
  EXPECT_EQ(status_of(ApiClient(*server_).call("GET", path, beta_)), 404u);
  // 1.5 chunks: only the whole chunk is durable.
  auto r = patch(acme_, path, 0, std::string_view(data).substr(0, kChunk + kChunk / 2));
  ASSERT_EQ(status_of(r), 204u) << (r ? r->body : "");
  EXPECT_EQ(r->header("Upload-Offset"), std::to_string(kChunk));
  EXPECT_EQ(head_offset(acme_, path), kChunk);
  r = patch(acme_, path, kChunk, std::string_view(data).substr(kChunk, kChunk));
  ASSERT_EQ(status_of(r), 204u);
  EXPECT_EQ(head_offset(acme_, path), 2 * kChunk);
  r = patch(acme_, path, 2 * kChunk, std::string_view(data).substr(2 * kChunk));
  ASSERT_EQ(status_of(r), 204u) << (r ? r->body : "");
  EXPECT_EQ(r->header("Upload-Offset"), std::to_string(data.size()));
  const auto s = state(acme_, path);
  ASSERT_EQ(s.at("state").as_string(), "clean");
  const std::string file_id(s.at("file_id").as_string());
  const auto file = ApiClient(*server_).call("GET", "/api/v1/files/" + file_id, acme_);
  ASSERT_EQ(status_of(file), 200u);
  EXPECT_EQ(file->json().at("sha256").as_string(), sha256_hex(data));
  EXPECT_EQ(file->json().at("name").as_string(), "data.bin");
}

TEST_F(Tus, CreationWithUploadZeroBytesAndTermination) {
  auto r = tus(acme_, "POST", "/api/v1/uploads",
               {{"Upload-Length", "5"},
                {"Upload-Metadata", "filename YS50eHQ="},
                {"Content-Type", "application/offset+octet-stream"}},
               "hello");
  ASSERT_EQ(status_of(r), 201u) << (r ? r->body : "");
  EXPECT_EQ(r->header("Upload-Offset"), "5");
  EXPECT_EQ(state(acme_, r->header("Location")).at("state").as_string(), "clean");
  r = tus(acme_, "POST", "/api/v1/uploads", {{"Upload-Length", "0"}, {"Upload-Metadata", "filename ZW1wdHk="}});
  ASSERT_EQ(status_of(r), 201u);
  EXPECT_EQ(state(acme_, r->header("Location")).at("state").as_string(), "clean");
  const std::string path = create(acme_, 3 * kChunk);
  ASSERT_EQ(status_of(patch(acme_, path, 0, random_bytes(kChunk, 3))), 204u);
  EXPECT_EQ(status_of(tus(acme_, "DELETE", path)), 204u);
  // Terminated: gone for tus (410), its row still tells the state; another tenant sees nothing.
  EXPECT_EQ(status_of(patch(acme_, path, kChunk, "x")), 410u);
  EXPECT_EQ(status_of(tus(acme_, "DELETE", path)), 410u);
  EXPECT_EQ(state(acme_, path).at("state").as_string(), "terminated");
  EXPECT_EQ(status_of(ApiClient(*server_).call("GET", path, beta_)), 404u);
}

TEST_F(Tus, EicarIsRejectedWithItsSignatureInTheState) {
  const std::string eicar = scanner::eicar_test_file();
  const std::string path = create(acme_, eicar.size());
  const auto r = patch(acme_, path, 0, eicar);
  ASSERT_EQ(status_of(r), 422u);
  const auto s = state(acme_, path);
  EXPECT_EQ(s.at("state").as_string(), "rejected");
  EXPECT_EQ(s.at("signature").as_string(), "Eicar-Test-Signature");
}

// Cut the connection at random offsets 20 times during one upload; the final file is
// byte-identical.
TEST_F(Tus, ResumesAfterTwentyCutConnections) {
  const auto data = random_bytes(40 * kChunk + 777, 21);
  const std::string path = create(acme_, data.size());
  std::mt19937 rng(2026);
  for (int cut = 0; cut < 20; ++cut) {
    const std::uint64_t offset = head_offset(acme_, path);
    ASSERT_EQ(offset % kChunk, 0u);
    ASSERT_LT(offset, data.size());
    const std::size_t send = std::uniform_int_distribution<std::size_t>(1, 3 * kChunk)(rng);
    TlsClient client;
    auto connection = client.connect(server_->https());
    ASSERT_TRUE(connection);
    Headers headers = acme_.headers();
    headers.emplace_back("Tus-Resumable", "1.0.0");
    headers.emplace_back("Upload-Offset", std::to_string(offset));
    headers.emplace_back("Content-Type", "application/offset+octet-stream");
    headers.emplace_back("Content-Length", std::to_string(data.size() - offset));
    ASSERT_TRUE(connection->send(http_request("PATCH", path, headers, false)));
    ASSERT_TRUE(
        connection->send(std::string_view(data).substr(offset, std::min<std::size_t>(send, data.size() - offset - 1))));
    connection.reset();  // cut
  }
  const std::uint64_t offset = head_offset(acme_, path);
  const auto r = patch(acme_, path, offset, std::string_view(data).substr(offset));
  ASSERT_EQ(status_of(r), 204u) << (r ? r->body : "");
  const auto s = state(acme_, path);
  ASSERT_EQ(s.at("state").as_string(), "clean");
  const auto file = ApiClient(*server_).call("GET", "/api/v1/files/" + std::string(s.at("file_id").as_string()), acme_);
  ASSERT_EQ(status_of(file), 200u);
  EXPECT_EQ(file->json().at("sha256").as_string(), sha256_hex(data));
  EXPECT_EQ(file->json().at("size").as_int64(), static_cast<std::int64_t>(data.size()));
}

TEST_F(Tus, AChecksumMismatchKeepsNoneOfTheBodyAndTheResendIsStored) {
  const auto data = random_bytes(6 * kChunk + 100, 31);
  const std::string path = create(acme_, data.size());
  const std::string_view all(data);
  auto r = patch_checked(acme_, path, 0, all.substr(0, 3 * kChunk), checksum_of(all.substr(0, 3 * kChunk)));
  ASSERT_EQ(status_of(r), 204u) << (r ? r->body : "");
  EXPECT_EQ(r->header("Upload-Offset"), std::to_string(3 * kChunk));
  // Three whole chunks, each sealed as it arrived, then the checksum does not match.
  const std::string wrong = checksum_of("something else");
  r = patch_checked(acme_, path, 3 * kChunk, all.substr(3 * kChunk, 3 * kChunk), wrong);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 460u) << r->body;
  EXPECT_EQ(r->json().at("error").at("code").as_string(), "checksum_mismatch");
  EXPECT_EQ(r->header("Upload-Offset"), std::to_string(3 * kChunk));
  EXPECT_EQ(r->header("Tus-Resumable"), "1.0.0");
  EXPECT_EQ(head_offset(acme_, path), 3 * kChunk);
  EXPECT_TRUE(server_->wait_for_event("upload_rolled_back", std::chrono::seconds(10)));
  // The final PATCH, with the last chunk, mismatching too.
  r = patch_checked(acme_, path, 3 * kChunk, all.substr(3 * kChunk), wrong);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 460u) << r->body;
  EXPECT_EQ(head_offset(acme_, path), 3 * kChunk);
  EXPECT_EQ(state(acme_, path).at("state").as_string(), "receiving");
  // The right bytes: the file is stored and reads back byte for byte.
  r = patch_checked(acme_, path, 3 * kChunk, all.substr(3 * kChunk), checksum_of(all.substr(3 * kChunk)));
  ASSERT_EQ(status_of(r), 204u) << (r ? r->body : "");
  EXPECT_EQ(r->header("Upload-Offset"), std::to_string(data.size()));
  EXPECT_TRUE(stored_bytes(acme_, path) == data) << "the stored file differs from what was sent";
}

TEST_F(Tus, AMismatchRightAfterCreationAndACheckedCreationWithUpload) {
  const auto data = random_bytes(2 * kChunk + 5, 32);
  const std::string path = create(acme_, data.size());
  auto r = patch_checked(acme_, path, 0, data, checksum_of(data.substr(1)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 460u);
  EXPECT_EQ(head_offset(acme_, path), 0u);
  r = patch_checked(acme_, path, 0, data, checksum_of(data));
  ASSERT_EQ(status_of(r), 204u) << (r ? r->body : "");
  EXPECT_TRUE(stored_bytes(acme_, path) == data);

  // creation-with-upload carries a checksum as well.
  const auto small = random_bytes(kChunk + 17, 33);
  r = tus(acme_, "POST", "/api/v1/uploads",
          {{"Upload-Length", std::to_string(small.size())},
           {"Upload-Metadata", "filename ZGF0YS5iaW4="},
           {"Content-Type", "application/offset+octet-stream"},
           {"Upload-Checksum", checksum_of(small)}},
          small);
  ASSERT_EQ(status_of(r), 201u) << (r ? r->body : "");
  EXPECT_TRUE(stored_bytes(acme_, r->header("Location")) == small);
}

TEST_F(Tus, MalformedOrUnsupportedChecksumsAre400AndChangeNothing) {
  const auto data = random_bytes(kChunk, 34);
  const std::string path = create(acme_, data.size());
  const std::string digest = checksum_of(data).substr(7);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"md5 " + digest, "checksum_algorithm_unsupported"},
      {"crc32 AAAAAA==", "checksum_algorithm_unsupported"},
      {"sha256", "bad_request"},
      {"sha256 !!!!", "bad_request"},
      {"sha256 " + digest.substr(4), "bad_request"},  // not 32 bytes
  };
  for (const auto& [header, code] : cases) {
    SCOPED_TRACE(header);
    const auto r = patch_checked(acme_, path, 0, data, header);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400u) << r->body;
    EXPECT_EQ(r->json().at("error").at("code").as_string(), code);
  }
  EXPECT_EQ(head_offset(acme_, path), 0u);
  EXPECT_EQ(status_of(patch_checked(acme_, path, 0, data, checksum_of(data))), 204u);
}

TEST_F(Tus, ACheckedBodyCutOffCountsForNothing) {
  const auto data = random_bytes(4 * kChunk, 35);
  for (const bool checked : {false, true}) {
    SCOPED_TRACE(checked ? "with Upload-Checksum" : "without");
    const std::string path = create(acme_, data.size());
    {
      TlsClient client;
      auto connection = client.connect(server_->https());
      ASSERT_TRUE(connection);
      Headers headers = acme_.headers();
      headers.emplace_back("Tus-Resumable", "1.0.0");
      headers.emplace_back("Upload-Offset", "0");
      headers.emplace_back("Content-Type", "application/offset+octet-stream");
      headers.emplace_back("Content-Length", std::to_string(data.size()));
      if (checked) headers.emplace_back("Upload-Checksum", checksum_of(data));
      ASSERT_TRUE(connection->send(http_request("PATCH", path, headers, false)));
      ASSERT_TRUE(connection->send(std::string_view(data).substr(0, 2 * kChunk + 10)));
      // The server has had the bytes once a HEAD waits for this PATCH's end (the lock).
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }  // cut
    // Unchecked: the two whole chunks count. Checked: the body could not be verified, so none.
    EXPECT_EQ(head_offset(acme_, path), checked ? 0u : 2 * kChunk);
    const std::uint64_t at = head_offset(acme_, path);
    const auto rest = std::string_view(data).substr(at);
    ASSERT_EQ(status_of(patch_checked(acme_, path, at, rest, checksum_of(rest))), 204u);
    EXPECT_TRUE(stored_bytes(acme_, path) == data);
  }
}

}  // namespace
}  // namespace furoshiki::integration
