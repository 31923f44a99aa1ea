// Helpers of the upload failure and scale tests (upload_crash_test.cpp, large_file_test.cpp): a
// deterministic body of any size that is generated as it is sent (never whole in memory, never in
// a temporary file) and hashed on the way, the server's resident memory sampled from /proc, and
// what the data directory holds (files in staging/ and objects/, rows of the files table).
#pragma once

#include "api_client.hpp"
#include "harness.hpp"
#include "https_client.hpp"

#include <openssl/evp.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>

namespace furoshiki::integration {

// xorshift64*: the same seed always gives the same bytes, at memory speed.
class PatternBytes {
 public:
  explicit PatternBytes(std::uint64_t seed) : state_(seed | 1) {}
  void fill(std::span<char> out) {
    for (std::size_t at = 0; at < out.size(); at += 8) {
      state_ ^= state_ >> 12;
      state_ ^= state_ << 25;
      state_ ^= state_ >> 27;
      const std::uint64_t word = state_ * 0x2545F4914F6CDD1DULL;
      std::memcpy(out.data() + at, &word, std::min<std::size_t>(8, out.size() - at));
    }
  }

 private:
  std::uint64_t state_;
};

// SHA-256 of bytes that pass through, as lower-case hex (the API's "sha256").
class StreamingSha256 {
 public:
  StreamingSha256() : md_(EVP_MD_CTX_new()) {
    if (!md_ || EVP_DigestInit_ex(md_, EVP_sha256(), nullptr) != 1) throw std::runtime_error("SHA-256 unavailable");
  }
  ~StreamingSha256() { EVP_MD_CTX_free(md_); }
  StreamingSha256(const StreamingSha256&) = delete;
  StreamingSha256& operator=(const StreamingSha256&) = delete;
  void update(std::string_view bytes) { EVP_DigestUpdate(md_, bytes.data(), bytes.size()); }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(md_, digest, &n);
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < n; ++i) {
      out.push_back(kDigits[digest[i] >> 4]);
      out.push_back(kDigits[digest[i] & 0xf]);
    }
    return out;
  }

 private:
  EVP_MD_CTX* md_;
};

// PUT /api/v1/files?name=<name> declaring `size` bytes of the pattern of `seed`, sent in 1 MiB
// pieces as the test asks for them and hashed on the way.
class StreamedUpload {
 public:
  static constexpr std::size_t kPiece = 1024 * 1024;

  StreamedUpload(const ServerProcess& server, const SignedIn& who, const std::string& name, std::uint64_t size,
                 std::uint64_t seed)
      : size_(size), pattern_(seed), piece_(kPiece, '\0') {
    connection_ = client_.connect(server.https());
    if (!connection_) return;
    Headers headers = who.headers();
    headers.emplace_back("Content-Type", "application/octet-stream");
    headers.emplace_back("Content-Length", std::to_string(size));
    if (!connection_->send(http_request("PUT", "/api/v1/files?name=" + name, headers, false))) connection_.reset();
  }

  bool connected() const { return connection_ != nullptr; }
  std::uint64_t sent() const { return sent_; }

  // Sends up to `n` more bytes of the body (never past the declared size); false if the
  // connection failed.
  bool send(std::uint64_t n) {
    if (!connection_) return false;
    while (n > 0 && sent_ < size_) {
      const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>({kPiece, n, size_ - sent_}));
      pattern_.fill(std::span<char>(piece_.data(), len));
      const std::string_view bytes(piece_.data(), len);
      if (!connection_->send(bytes)) return false;
      digest_.update(bytes);
      sent_ += len;
      n -= len;
    }
    return true;
  }
  bool send_all() { return send(size_ - sent_); }

  // The SHA-256 of everything sent. Call once, after send_all().
  std::string sha256() { return digest_.hex(); }

  std::optional<HttpResponse> response(std::chrono::milliseconds timeout) {
    if (!connection_) return std::nullopt;
    return connection_->read_response(timeout);
  }

 private:
  TlsClient client_{tls_timeout(std::chrono::seconds(60))};
  std::unique_ptr<TlsConnection> connection_;
  std::uint64_t size_;
  std::uint64_t sent_ = 0;
  PatternBytes pattern_;
  StreamingSha256 digest_;
  std::string piece_;
};

// VmRSS of `pid` in bytes (/proc/<pid>/status); nullopt when the process is gone.
inline std::optional<std::uint64_t> resident_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) return std::stoull(line.substr(6)) * 1024;  // "VmRSS:  1234 kB"
  }
  return std::nullopt;
}

// The peak resident memory of a process, sampled every 100 ms on its own thread while it lives.
class ResidentMemoryPeak {
 public:
  explicit ResidentMemoryPeak(pid_t pid) : pid_(pid), thread_([this] { run(); }) {}
  ~ResidentMemoryPeak() { stop(); }
  ResidentMemoryPeak(const ResidentMemoryPeak&) = delete;
  ResidentMemoryPeak& operator=(const ResidentMemoryPeak&) = delete;

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::uint64_t peak() const { return peak_; }
  std::uint64_t samples() const { return samples_; }

 private:
  void run() {
    while (!stop_) {
      if (const auto rss = resident_bytes(pid_)) {
        peak_ = std::max<std::uint64_t>(peak_, *rss);
        ++samples_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the sampling period, not a wait
    }
  }

  pid_t pid_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> peak_{0};
  std::atomic<std::uint64_t> samples_{0};
  std::thread thread_;
};

// Regular files under `dir`, recursively (0 when it does not exist).
inline std::size_t regular_files_under(const std::filesystem::path& dir) {
  std::size_t n = 0;
  if (!std::filesystem::exists(dir)) return 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

// Bytes of the regular files under `dir`, recursively.
inline std::uint64_t bytes_under(const std::filesystem::path& dir) {
  std::uint64_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) n += e.file_size(ec);
  }
  return n;
}

// Rows of the files table in the database at `db_file`, read directly (not through the API);
// -1 when the database cannot be read.
inline std::int64_t file_rows(const std::filesystem::path& db_file) {
  sqlite3* db = nullptr;
  std::int64_t rows = -1;
  if (sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM files", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      rows = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return rows;
}

}  // namespace furoshiki::integration
