// Large uploads with the real server (docs/upload.md, "Memory per upload"): bodies of 100 MB and
// 1.9 GiB (just below the scanner's 2 GiB - 3 limit), generated as they are sent and hashed on
// the way, are stored with the same SHA-256, while the server's resident memory — sampled from
// /proc every 100 ms during the body, the scan and the commit — stays under 150 MB above what it
// held after start-up with the scan engine loaded. The 1.9 GiB test is in the suite
// LargeFilesLong, labelled `long` (tests/integration/CMakeLists.txt): release runs only.
//
// Download (GET /api/v1/files/{id}/content) is checked too once the route exists; until then that
// half is skipped, not failed.
#include "api_client.hpp"
#include "harness.hpp"
#include "https_client.hpp"
#include "upload_streams.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

namespace furoshiki::integration {
namespace {

constexpr const char* kPassword = "violet tractor umbrella 8";
constexpr std::uint64_t kMiB = 1024 * 1024;
// "resident memory of the server staying under 150 MB (scan engine excluded)".
constexpr std::uint64_t kMaxGrowthBytes = 150 * 1000 * 1000;

double mib(std::uint64_t bytes) { return static_cast<double>(bytes) / static_cast<double>(kMiB); }

class LargeFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_.write_config();
    const std::string one_time = create_org(instance_, "acme", "ACME", "admin@acme.test").admin_one_time_password;
    server_ = ServerProcess::start(instance_);
    const ApiClient api(*server_);
    acme_ = api.change_password(api.sign_in({.org = "acme", .login = "admin@acme.test", .password = one_time}),
                                one_time, kPassword);
  }

  // Uploads `size` pattern bytes, checks the stored file against what was sent and the server's
  // memory against its baseline, then reads the file back when download exists.
  void expect_stored_within_memory(const std::string& name, std::uint64_t size) {
    // After start-up (the engine is loaded before the server listens) and a sign-in.
    const auto baseline = resident_bytes(server_->pid());
    ASSERT_TRUE(baseline);
    const auto started = Clock::now();
    ResidentMemoryPeak peak(server_->pid());
    StreamedUpload up(*server_, acme_, name, size, size);
    ASSERT_TRUE(up.connected());
    ASSERT_TRUE(up.send_all()) << "the server stopped reading after " << up.sent() << " bytes";
    const auto body_sent = Clock::now();
    const std::uint64_t peak_during_body = peak.peak();  // the rest is the scan and the commit
    const std::string sha256 = up.sha256();
    // The answer comes after the scan and the commit: generous, the machine is shared.
    const auto r = up.response(std::chrono::minutes(30));
    const auto answered = Clock::now();
    peak.stop();
    ASSERT_EQ(status_of(r), 201u) << (r ? r->body : "(no answer)") << "\n" << server_->log_text();
    const auto file = r->json().as_object();
    EXPECT_EQ(file.at("size").as_int64(), static_cast<std::int64_t>(size));
    EXPECT_EQ(file.at("sha256").as_string(), sha256);
    EXPECT_EQ(file.at("scan").at("verdict").as_string(), "clean");

    const auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
    const std::uint64_t growth = peak.peak() > *baseline ? peak.peak() - *baseline : 0;
    std::printf(
        "[ memory   ] %s: %.1f MiB; RSS baseline %.1f MiB, peak %.1f MiB (%.1f MiB while the body was sent), "
        "growth %.1f MiB (%llu samples); body %.1f s, scan+commit %.1f s\n",
        name.c_str(), mib(size), mib(*baseline), mib(peak.peak()), mib(peak_during_body), mib(growth),
        static_cast<unsigned long long>(peak.samples()), seconds(body_sent - started), seconds(answered - body_sent));
    RecordProperty("rss_baseline_bytes", std::to_string(*baseline));
    RecordProperty("rss_peak_bytes", std::to_string(peak.peak()));
    EXPECT_GT(peak.samples(), 0u);
    EXPECT_LT(peak_during_body - std::min(peak_during_body, *baseline), kMaxGrowthBytes)
        << "while the body was sent: baseline " << *baseline << " B, peak " << peak_during_body << " B";
    // The scan and the commit too: "scan engine excluded" is the loaded signature engine (in the
    // baseline), not the scan's buffers. libclamav's map of the object keeps about 8 MiB of it
    // with the clean cache off (scanner/engine.cpp); with it on, 1.9 GiB grew by ~400 MiB.
    EXPECT_LT(growth, kMaxGrowthBytes) << "during the upload, scan and commit: baseline " << *baseline << " B, peak "
                                       << peak.peak() << " B";

    const auto before_download = resident_bytes(server_->pid());
    ASSERT_TRUE(before_download);
    ResidentMemoryPeak download_peak(server_->pid());
    expect_download(std::string(file.at("id").as_string()), size, sha256);
    download_peak.stop();
    const std::uint64_t download_growth =
        download_peak.peak() > *before_download ? download_peak.peak() - *before_download : 0;
    std::printf("[ memory   ] %s download: RSS before %.1f MiB, peak %.1f MiB, growth %.1f MiB\n", name.c_str(),
                mib(*before_download), mib(download_peak.peak()), mib(download_growth));
    EXPECT_LT(download_growth, kMaxGrowthBytes)
        << "while downloading: before " << *before_download << " B, peak " << download_peak.peak() << " B";
  }

  // GET /api/v1/files/{id}/content streamed and hashed (never held whole), when the route exists.
  void expect_download(const std::string& id, std::uint64_t size, const std::string& sha256) {
    TlsClient client(tls_timeout(std::chrono::seconds(60)));
    auto connection = client.connect(server_->https());
    ASSERT_TRUE(connection);
    Headers headers = acme_.headers();
    ASSERT_TRUE(connection->send(http_request("GET", "/api/v1/files/" + id + "/content", headers, false)));
    std::string buffer;
    std::size_t header_end = std::string::npos;
    for (int i = 0; i < 1000 && header_end == std::string::npos; ++i) {
      if (connection->read_some(buffer, std::chrono::seconds(60)) != ReadOutcome::kData) break;
      header_end = buffer.find("\r\n\r\n");
    }
    ASSERT_NE(header_end, std::string::npos) << "no response header: " << buffer.substr(0, 200);
    const std::string head = buffer.substr(0, header_end);
    if (head.starts_with("HTTP/1.1 404") || head.starts_with("HTTP/1.1 405")) {
      std::printf("[ download ] GET /api/v1/files/{id}/content not there yet: %s\n",
                  head.substr(0, head.find("\r\n")).c_str());
      return;
    }
    ASSERT_TRUE(head.starts_with("HTTP/1.1 200")) << head;
    ASSERT_NE(head.find("\r\nContent-Length: " + std::to_string(size)), std::string::npos) << head;
    StreamingSha256 digest;
    std::uint64_t received = buffer.size() - header_end - 4;
    digest.update(std::string_view(buffer).substr(header_end + 4));
    const auto started = Clock::now();
    while (received < size) {
      buffer.clear();
      if (connection->read_some(buffer, std::chrono::seconds(60)) != ReadOutcome::kData) break;
      digest.update(buffer);
      received += buffer.size();
    }
    EXPECT_EQ(received, size);
    EXPECT_EQ(digest.hex(), sha256);
    std::printf("[ download ] %.1f MiB in %.1f s\n", mib(received),
                std::chrono::duration<double>(Clock::now() - started).count());
  }

  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
  SignedIn acme_;
};

TEST_F(LargeFiles, A100MegabyteUploadIsStoredWithinTheMemoryBound) {
  expect_stored_within_memory("100mb.bin", 100 * 1000 * 1000);
}

// 1.9 GiB: the largest size class the scanner takes (scanner.max_file_bytes = 2 GiB - 3).
using LargeFilesLong = LargeFiles;

TEST_F(LargeFilesLong, A1Point9GibibyteUploadIsStoredWithinTheMemoryBound) {
  const auto size = static_cast<std::uint64_t>(1.9 * static_cast<double>(std::uint64_t{1} << 30));
  expect_stored_within_memory("1.9gib.bin", size);
}

}  // namespace
}  // namespace furoshiki::integration
