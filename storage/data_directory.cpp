// Data directory layout; see data_directory.hpp.
#include "storage/data_directory.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

namespace furoshiki::storage {
namespace {
constexpr const char* kSubdirectories[] = {"objects", "staging", "signatures", "scan-tmp", "definitions-work"};
}

boost::system::error_code prepare_data_directory(const std::filesystem::path& root) {
  for (const char* name : kSubdirectories) {
    const auto dir = root / name;
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return {errno, boost::system::generic_category()};
    }
  }
  return {};
}

DataDirectoryStatus inspect_data_directory(const std::filesystem::path& root) {
  DataDirectoryStatus status;
  for (const char* name : kSubdirectories) {
    const auto dir = root / name;
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      status.problem = dir.string() + " is missing";
      return status;
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
      status.problem = dir.string() + " is not writable";
      return status;
    }
  }
  struct statvfs vfs {};
  if (::statvfs(root.c_str(), &vfs) == 0) {
    status.available_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }
  status.ok = true;
  return status;
}

}  // namespace furoshiki::storage
