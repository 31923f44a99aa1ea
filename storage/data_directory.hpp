// The data directory's layout: objects/ (committed, encrypted objects) and staging/ (uploads in
// progress), both 0700. Paths below them are built from random ids only (see design.md).
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

// Creates objects/ and staging/ under root (mode 0700) when missing. root must exist.
[[nodiscard]] boost::system::error_code prepare_data_directory(const std::filesystem::path& root);

// Checks the layout exists and is writable, and reports free space (for /readyz and health).
DataDirectoryStatus inspect_data_directory(const std::filesystem::path& root);

}  // namespace furoshiki::storage
