// The data directory's layout, every directory 0700: objects/ (committed, encrypted objects),
// staging/ (uploads in progress), signatures/ (the scanner's definition databases), scan-tmp/
// (libclamav's temporary files, emptied after scans) and definitions-work/ (the definition
// updater's downloads and state). Paths below them are built from random ids only (see design.md).
#pragma once

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace furoshiki::storage {

struct DataDirectoryStatus {
  bool ok = false;
  std::string problem;                // set when !ok; names the path, never contents
  std::uint64_t available_bytes = 0;  // free space for an unprivileged writer
};

inline std::filesystem::path signature_dir(const std::filesystem::path& root) { return root / "signatures"; }
inline std::filesystem::path scan_tmp_dir(const std::filesystem::path& root) { return root / "scan-tmp"; }
inline std::filesystem::path definitions_work_dir(const std::filesystem::path& root) {
  return root / "definitions-work";
}

// Creates the directories above under root (mode 0700) when missing. root must exist.
[[nodiscard]] boost::system::error_code prepare_data_directory(const std::filesystem::path& root);

// Checks the layout exists and is writable, and reports free space (for /readyz and health).
DataDirectoryStatus inspect_data_directory(const std::filesystem::path& root);

}  // namespace furoshiki::storage
