// Engine: one compiled libclamav engine (a loaded signature set) and the scan of one object.
//
// An Engine is immutable once loaded, so any number of threads may scan with it at once
// (libclamav's engine is read-only after cl_engine_compile). The Scanner (scanner.hpp) swaps a new
// one in when the definitions change; scans holding the old one finish on it.
#pragma once

#include "crypto/object_format.hpp"
#include "scanner/verdict.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

struct cl_engine;

namespace furoshiki::scanner {

// The largest single input libclamav can scan: its sizes are int-sized internally, even with the
// file size limit disabled; 1.4.6 skips (and reports a nameless "virus" for) anything from
// INT_MAX - 1 bytes on, measured by bisection. Above it the verdict is refused{too_large}, never clean.
inline constexpr std::uint64_t kLibclamavMaxBytes = 2147483645;  // 2 GiB - 3

// Explicit limits (config [scanner]); "exceeds max" alerts are on, so hitting one refuses the file.
struct ScanLimits {
  std::uint64_t max_file_bytes = kLibclamavMaxBytes;      // the object itself and each member inside it
  std::uint64_t max_scan_bytes = std::uint64_t{4} << 30;  // data scanned in total (archive members)
  std::uint32_t max_recursion = 17;                       // archive nesting
  std::uint32_t max_files = 10000;                        // members in an archive
  std::chrono::milliseconds max_scan_time{600000};
};

// What an organization's policy may change about a scan.
struct ScanPolicy {
  bool allow_encrypted = false;  // encrypted archives and documents (cannot be inspected) pass
};

// One database file in the signature directory.
struct DatabaseFile {
  std::string name;
  std::uint64_t bytes = 0;
  std::int64_t modified = 0;    // unix seconds
  unsigned version = 0;         // CVD/CLD version; 0 for plain signature files
  std::int64_t build_time = 0;  // CVD/CLD build time; the file's mtime for plain signature files
};

struct DefinitionInfo {
  unsigned signatures = 0;
  std::vector<DatabaseFile> files;  // sorted by name
  std::int64_t newest_build_time = 0;
  std::string engine_version;  // libclamav's, e.g. "1.4.6"
  unsigned daily_version = 0;  // version of daily.cvd/cld when present, else 0
};

class Engine {
 public:
  // Loads every database in `signature_dir` and compiles the engine, which will use `tmp_dir`
  // for the temporary files of archive extraction. nullptr with `error` set on failure: no
  // database files, a malformed one, zero signatures, out of memory.
  static std::shared_ptr<const Engine> load(const std::filesystem::path& signature_dir,
                                            const std::filesystem::path& tmp_dir, const ScanLimits& limits,
                                            std::string& error);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Scans the object's plaintext, read through `object` chunk by chunk (never written out whole).
  // Thread-safe. A read or integrity failure is error{read_failed|integrity}, whatever libclamav
  // said about the bytes it saw.
  ScanVerdict scan(crypto::ObjectOpener& object, const ScanPolicy& policy) const;

  const DefinitionInfo& info() const { return info_; }
  const ScanLimits& limits() const { return limits_; }

 private:
  Engine() = default;
  cl_engine* engine_ = nullptr;
  DefinitionInfo info_;
  ScanLimits limits_;
};

// Lists the database files of a signature directory with their versions and build times
// (what /readyz, /metrics and the health page show). Never throws.
std::vector<DatabaseFile> list_database_files(const std::filesystem::path& signature_dir);

// True for names libclamav loads as databases (".ndb", ".hdb", ".cvd", …).
bool is_database_file_name(std::string_view name);

}  // namespace furoshiki::scanner
