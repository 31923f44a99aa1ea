// Instance creation; see instance.hpp.
#include "admin/instance.hpp"

#include "crypto/certificate.hpp"
#include "crypto/random.hpp"
#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"
#include "scanner/test_signatures.hpp"
#include "storage/data_directory.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <system_error>

namespace furoshiki::admin {
namespace fs = std::filesystem;

namespace {

// Writes a new file with `mode`; fails if it exists (O_EXCL), fsyncs before returning.
bool write_new_file(const fs::path& path, std::string_view content, mode_t mode, std::string& error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    error = "cannot create " + path.string() + ": " + std::generic_category().message(errno);
    return false;
  }
  bool ok = ::fchmod(fd, mode) == 0;  // independent of the umask
  while (ok && !content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) content.remove_prefix(static_cast<std::size_t>(n));
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) error = "cannot write " + path.string() + ": " + std::generic_category().message(errno);
  return ok;
}

bool make_dir(const fs::path& path, std::string& error) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    error = "cannot create directory " + path.string() + ": " + std::generic_category().message(errno);
    return false;
  }
  return true;
}

// True when this host can bind IPv6 loopback (containers without IPv6 cannot).
bool ipv6_loopback_available() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

std::string config_text(const InstanceOptions& options) {
  const std::string port = std::to_string(options.port);
  std::string url = "https://" + options.hostname + (options.port == 443 ? "" : ":" + port);
  std::string listen = "\"127.0.0.1:" + port + "\"";
  if (ipv6_loopback_available()) listen += ", \"[::1]:" + port + "\"";
  return "# furoshiki development instance, written by `furoshiki init`.\n"
         "# Every key and its default: docs/configuration.md. Relative paths are relative to this file.\n\n"
         "[server]\n"
         "listen = [" +
         listen +
         "]\n"
         "public_url = \"" +
         url +
         "\"\n\n"
         "[tls]\n"
         "certificate = \"tls/cert.pem\"\n"
         "private_key = \"tls/key.pem\"\n\n"
         "[database]\n"
         "path = \"data/furoshiki.db\"\n\n"
         "[storage]\n"
         "data_dir = \"data\"\n\n"
         "[crypto]\n"
         "master_key_file = \"keys/master.key\"\n\n"
         "[scanner]\n"
         "# `furoshiki init` installed a TEST signature set (data/signatures/furoshiki-test-only-eicar.ndb):\n"
         "# it detects only the EICAR test file. Real deployments must let definition updates run.\n" +
         (options.definition_updates
              ? std::string("[scanner.updates]\nenabled = true\n\n")
              : std::string("# Offline development instance: no updates, and the definitions' age is not checked.\n"
                            "max_definition_age_hours = 0\n\n"
                            "[scanner.updates]\nenabled = false\n\n")) +
         "[log]\n"
         "level = \"info\"\n";
}

// Fills `dir`, which exists and is empty.
bool populate(const InstanceOptions& options, InstanceResult& result, std::string& error) {
  const fs::path& dir = options.dir;
  ::chmod(dir.c_str(), 0700);

  if (!make_dir(dir / "tls", error) || !make_dir(dir / "keys", error) || !make_dir(dir / "data", error)) return false;
  if (auto prep = storage::prepare_data_directory(dir / "data")) {
    error = "cannot prepare " + (dir / "data").string() + ": " + prep.message();
    return false;
  }

  if (!scanner::install_test_signatures(storage::signature_dir(dir / "data"), error)) return false;

  std::vector<std::string> names = {options.hostname};
  if (options.hostname != "localhost") names.push_back("localhost");
  const auto material = crypto::make_self_signed_certificate(names, std::chrono::days(825));
  if (!write_new_file(dir / "tls/key.pem", material.private_key_pem, 0600, error) ||
      !write_new_file(dir / "tls/cert.pem", material.certificate_pem, 0644, error) ||
      !write_new_file(dir / "keys/master.key", crypto::random_hex(32) + "\n", 0600, error)) {
    return false;
  }

  boost::system::error_code db_ec;
  auto db = db::open_sqlite({dir / "data/furoshiki.db"}, db_ec);
  if (!db) {
    error = "cannot create the database: " + db_ec.message();
    return false;
  }
  auto migrations = db::parse_migrations(db::embedded_migrations(), db_ec);
  db::MigrationReport report;
  if (db_ec || (db_ec = db::migrate(*db, migrations, report))) {
    error = "cannot create the database schema: " + db_ec.message();
    return false;
  }
  db.reset();
  ::chmod((dir / "data/furoshiki.db").c_str(), 0600);

  result.config_file = dir / "furoshiki.toml";
  return write_new_file(result.config_file, config_text(options), 0600, error);
}

bool valid_hostname(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.' || name.front() == '-') {
    return false;
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return name.find("..") == std::string_view::npos;
}

}  // namespace

InstanceResult create_instance(const InstanceOptions& options) {
  InstanceResult result;
  if (!valid_hostname(options.hostname)) {
    result.error = "invalid host name \"" + options.hostname + "\": use letters, digits, '-' and '.'";
    return result;
  }
  const fs::path& dir = options.dir;
  std::error_code ec;
  const bool existed = fs::exists(dir, ec);
  if (existed && !fs::is_directory(dir, ec)) {
    result.error = dir.string() + " exists and is not a directory";
    return result;
  }
  if (existed && !fs::is_empty(dir, ec)) {
    result.error = dir.string() + " is not empty; refusing to overwrite an existing instance";
    return result;
  }
  std::string error;
  if (!existed && !make_dir(dir, error)) {
    result.error = error;
    return result;
  }
  bool ok = false;
  try {
    ok = populate(options, result, error);
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!ok) {
    // Leave nothing half-made: remove what this call created.
    std::error_code ignored;
    if (existed) {
      for (const auto& entry : fs::directory_iterator(dir, ignored)) fs::remove_all(entry.path(), ignored);
    } else {
      fs::remove_all(dir, ignored);
    }
    result.error = error;
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace furoshiki::admin
