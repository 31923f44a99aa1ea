// Fuzz target for furoshiki::parse_config: any text, as a configuration file, must give either a
// configuration or a list of errors — never a crash, an exception, a leak or both results at once.
// Paths are not checked on disk (check_paths = false), so the target touches no file.
#include "common/config.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "config_fuzz: invariant violated: %s\n", what);
  std::abort();
}

// Every accepted address is one literal IP address (no byte after a NUL that inet_pton ignores)
// and prints back to text that parses to the same address.
void require_clean_addresses(const std::vector<furoshiki::ListenAddress>& addresses) {
  for (const auto& a : addresses) {
    require(a.host.find('\0') == std::string::npos, "listen host has no NUL byte");
    const auto again = furoshiki::parse_listen_address(a.to_string());
    require(again && again->host == a.host && again->port == a.port, "listen address round-trips");
  }
}

bool valid_level(const std::string& level) {
  return level == "debug" || level == "info" || level == "warn" || level == "error";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::filesystem::path base("/fuzz/base");
  const furoshiki::ConfigResult result = furoshiki::parse_config(text, base, "fuzz.toml", false);

  require(result.config.has_value() == result.errors.empty(), "a configuration exactly when there is no error");
  for (const auto& error : result.errors) {
    require(error.file == "fuzz.toml", "every error names the file");
    require(!error.message.empty(), "every error has a message");
    require(!error.to_string().empty(), "ConfigError::to_string is not empty");
  }
  if (const auto& config = result.config) {
    require(!config->server.listen.empty(), "at least one listen address");
    require_clean_addresses(config->server.listen);
    require_clean_addresses(config->server.redirect_listen);
    require(config->server.public_url.starts_with("https://"), "public_url is https");
    require(config->tls.certificate.is_absolute() && config->tls.private_key.is_absolute(), "TLS paths resolved");
    require(config->database.path.is_absolute(), "database.path resolved");
    require(config->storage.data_dir.is_absolute(), "storage.data_dir resolved");
    require(config->crypto.master_key_file.is_absolute(), "crypto.master_key_file resolved");
    require(config->metrics.token_file.empty() || config->metrics.token_file.is_absolute(), "token_file resolved");
    require(valid_level(config->log.level), "log.level is a known level");
    require(config->limits.max_header_bytes >= 1024, "limits.max_header_bytes in range");
    require(config->limits.header_timeout.count() >= 1, "limits.header_timeout_seconds in range");
    require(config->limits.max_connections >= 1, "limits.max_connections in range");
  }
  return 0;
}
