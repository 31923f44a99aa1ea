// The EICAR test signature set; see test_signatures.hpp.
#include "scanner/test_signatures.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace furoshiki::scanner {
namespace fs = std::filesystem;

namespace {

constexpr const char* kEicarHex =
    "58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e444152442d414e544956495255"
    "532d544553542d46494c452124482b482a";

}  // namespace

std::string eicar_ndb_line() { return std::string("Eicar-Test-Signature:0:*:") + kEicarHex + "\n"; }

std::string eicar_test_file() {
  std::string out;
  const std::string_view hex(kEicarHex);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

bool install_test_signatures(const fs::path& signature_dir, std::string& error) {
  if (::mkdir(signature_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    error = "cannot create " + signature_dir.string() + ": " + std::generic_category().message(errno);
    return false;
  }
  const fs::path target = signature_dir / kTestSignatureFile;
  const fs::path temp = signature_dir / (std::string(".") + kTestSignatureFile + ".tmp");
  const std::string content = eicar_ndb_line();
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    error = "cannot create " + temp.string() + ": " + std::generic_category().message(errno);
    return false;
  }
  const bool ok =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
  ::close(fd);
  // Rename: the scanner's watcher never sees a half-written database.
  if (!ok || ::rename(temp.c_str(), target.c_str()) != 0) {
    error = "cannot write " + target.string() + ": " + std::generic_category().message(errno);
    ::unlink(temp.c_str());
    return false;
  }
  return true;
}

}  // namespace furoshiki::scanner
