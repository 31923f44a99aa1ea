// furoshiki's configuration: one TOML file, documented key by key in docs/configuration.md.
//
// load_config() is strict: unknown keys, wrong types and out-of-range values are errors naming the
// key and its line; paths are resolved relative to the config file's directory and checked (exists,
// and key files readable by their owner only). The server refuses to start on any error.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace furoshiki {

struct ListenAddress {
  std::string host;  // literal IPv4 or IPv6 address, without brackets
  std::uint16_t port = 0;
  std::string to_string() const;  // "127.0.0.1:8443" or "[::1]:8443"
};

struct ServerConfig {
  std::vector<ListenAddress> listen;
  std::string public_url;   // https://host[:port], used for redirects and links
  unsigned io_threads = 0;  // 0: one per core
  std::chrono::seconds shutdown_grace{30};
  std::vector<ListenAddress> redirect_listen;  // plain-HTTP listeners that only redirect
  // Reverse proxies whose X-Forwarded-For is believed (CIDR strings, common/network_range.hpp).
  // From any other peer the client address is the socket peer.
  std::vector<std::string> trusted_proxies;
};

struct TlsConfig {
  std::filesystem::path certificate;
  std::filesystem::path private_key;
  std::chrono::seconds hsts_max_age{31536000};
};

// Everything a client controls is bounded by one of these (see docs/configuration.md [limits]).
struct LimitsConfig {
  std::size_t max_header_bytes = 16 * 1024;
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds body_progress_interval{10};
  std::size_t body_min_bytes_per_interval = 1024;
  std::chrono::seconds write_timeout{30};
  std::size_t max_connections = 10000;
  std::size_t max_connections_per_client = 256;
};

struct DatabaseConfig {
  std::filesystem::path path;
  std::chrono::milliseconds busy_timeout{5000};
  bool migrate_on_start = true;
};

struct StorageConfig {
  std::filesystem::path data_dir;
  // Always left free on the data directory's file system: an upload that would use it is 507.
  std::uint64_t reserve_bytes = std::uint64_t{1} << 30;
  // No file is larger (files above the scanner's limit only when an organization allows them).
  std::uint64_t max_file_bytes = std::uint64_t{64} << 30;
};

// Stored files; see docs/configuration.md [files].
struct FilesConfig {
  // How often the retention sweeper deletes expired files (expired files are invisible at once).
  std::chrono::seconds sweep_interval{300};
  std::size_t sweep_batch = 200;  // files deleted per pass
};

// Resumable (tus) uploads; see docs/configuration.md [uploads].
struct UploadsConfig {
  std::chrono::seconds expiry{86400};         // after creation or the last PATCH
  std::chrono::seconds sweep_interval{60};    // expired uploads removed
  std::size_t max_unfinished_per_user = 20;   // receiving uploads per user
  std::size_t max_unfinished_total = 1000;    // receiving uploads of the instance
  std::chrono::milliseconds lock_wait{3000};  // a second PATCH waits this long, then 423
  std::chrono::hours ended_retention{168};    // an ended upload's state is kept this long
};

struct CryptoConfig {
  std::filesystem::path master_key_file;
  // Name of a systemd credential (LoadCredential=) holding the master key; when set it is read
  // from $CREDENTIALS_DIRECTORY instead of master_key_file.
  std::string master_key_credential;
  bool fips_required = false;                // crypto.fips = "required" | "off"
  std::filesystem::path fips_module_dir;     // directory holding fips.so
  std::filesystem::path fips_module_config;  // written by `openssl fipsinstall`
};

// Automatic definition updates (libfreshclam); see docs/configuration.md [scanner.updates].
struct ScannerUpdatesConfig {
  bool enabled = true;
  std::chrono::seconds interval{3600};
  std::chrono::seconds timeout{600};  // one whole attempt, after which it is stopped
  std::vector<std::string> mirrors = {"database.clamav.net"};
  std::string private_mirror;  // host or URL; when set, official mirrors and DNS are not used
  std::vector<std::string> databases = {"daily", "main", "bytecode"};
  std::vector<std::string> custom_urls;  // http://, https:// or file:// URLs of single database files
  std::string proxy;                     // http://[user:password@]host[:port]
};

// The scan stage; see docs/configuration.md [scanner]. Signatures live in <data_dir>/signatures.
struct ScannerConfig {
  unsigned threads = 0;  // 0: one per core
  std::size_t queue_length = 64;
  std::chrono::seconds queue_wait{30};
  std::uint64_t max_file_bytes = 2147483645;  // libclamav cannot scan a single file above 2 GiB - 3
  std::uint64_t max_scan_bytes = std::uint64_t{4} << 30;
  std::uint32_t max_recursion = 17;
  std::uint32_t max_files = 10000;
  std::chrono::seconds max_scan_time{600};
  std::chrono::hours max_definition_age{168};  // 0: not checked
  std::chrono::seconds reload_check_interval{10};
  ScannerUpdatesConfig updates;
};

struct MetricsConfig {
  // File holding the bearer token that /metrics requires; empty: only loopback clients may read.
  std::filesystem::path token_file;
};

struct WebConfig {
  // Directory of the built browser UI (web/dist: index.html and assets/). Without one the
  // server serves the API only and logs why.
  std::filesystem::path root;
};

struct LogConfig {
  std::string level = "info";
};

struct Config {
  std::filesystem::path source;  // the file it was read from
  ServerConfig server;
  TlsConfig tls;
  LimitsConfig limits;
  DatabaseConfig database;
  StorageConfig storage;
  FilesConfig files;
  UploadsConfig uploads;
  CryptoConfig crypto;
  ScannerConfig scanner;
  MetricsConfig metrics;
  WebConfig web;
  LogConfig log;
};

struct ConfigError {
  std::string key;         // dotted key, e.g. "limits.header_timeout_seconds"; empty for file-level errors
  std::uint32_t line = 0;  // 1-based; 0 when unknown
  std::string message;
  std::string to_string() const;  // "furoshiki.toml:12: limits.header_timeout_seconds: must be between 1 and 600"
  std::string file;
};

struct ConfigResult {
  std::optional<Config> config;  // set only when errors is empty
  std::vector<ConfigError> errors;
};

// Reads, validates and resolves the configuration file. Never throws for bad input.
ConfigResult load_config(const std::filesystem::path& file);

// Same, from text; relative paths resolve against base_dir. check_paths=false skips file-system
// checks (unit tests of parsing only).
ConfigResult parse_config(std::string_view text, const std::filesystem::path& base_dir, std::string_view file_name,
                          bool check_paths = true);

// Parses "127.0.0.1:8443", "[::1]:8443", "[::]:0". Returns nullopt on anything else.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace furoshiki
