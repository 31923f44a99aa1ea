// Configuration parsing: strictness (unknown keys, types, ranges name key and line), defaults,
// path resolution and file-system checks.
#include "common/config.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

namespace furoshiki {
namespace {

namespace fs = std::filesystem;

ConfigResult parse(std::string_view text) { return parse_config(text, "/srv/furoshiki", "test.toml", false); }

bool has_error(const ConfigResult& r, std::string_view key, std::uint32_t line, std::string_view fragment) {
  for (const auto& e : r.errors) {
    if (e.key == key && e.line == line && e.message.find(fragment) != std::string::npos) return true;
  }
  return false;
}

std::string all_errors(const ConfigResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.to_string() + "\n";
  return out;
}

TEST(ConfigTest, EmptyFileGivesDocumentedDefaults) {
  const auto r = parse("");
  ASSERT_TRUE(r.config) << all_errors(r);
  const Config& c = *r.config;
  ASSERT_EQ(c.server.listen.size(), 2u);
  EXPECT_EQ(c.server.listen[0].to_string(), "0.0.0.0:8443");
  EXPECT_EQ(c.server.listen[1].to_string(), "[::]:8443");
  EXPECT_EQ(c.server.public_url, "https://localhost:8443");
  EXPECT_EQ(c.limits.header_timeout, std::chrono::seconds(10));
  EXPECT_EQ(c.limits.max_header_bytes, 16u * 1024);
  EXPECT_EQ(c.tls.private_key, fs::path("/srv/furoshiki/tls/key.pem"));
  EXPECT_EQ(c.database.path, fs::path("/srv/furoshiki/data/furoshiki.db"));
  EXPECT_TRUE(c.metrics.token_file.empty());
}

TEST(ConfigTest, WebRootDefaultsToTheInstalledUiAndResolvesRelativePaths) {
  auto r = parse("");
  ASSERT_TRUE(r.config) << all_errors(r);
  EXPECT_EQ(r.config->web.root, fs::path(FUROSHIKI_DEFAULT_WEB_ROOT));
  r = parse("[web]\nroot = \"ui\"\n");
  ASSERT_TRUE(r.config) << all_errors(r);
  EXPECT_EQ(r.config->web.root, fs::path("/srv/furoshiki/ui"));
  // An empty root turns the UI off; a missing directory is not a configuration error.
  r = parse("[web]\nroot = \"\"\n");
  ASSERT_TRUE(r.config) << all_errors(r);
  EXPECT_TRUE(r.config->web.root.empty());
  r = parse_config("[web]\nroot = \"/nonexistent/ui\"\n", "/srv/furoshiki", "test.toml", false);
  EXPECT_TRUE(r.config) << all_errors(r);
  EXPECT_TRUE(has_error(parse("[web]\nindex = \"x\"\n"), "web.index", 2, "unknown"));
}

TEST(ConfigTest, ReadsEveryKey) {
  const auto r = parse(R"(
[server]
listen = ["127.0.0.1:9000", "[::1]:0"]
public_url = "https://files.example.com"
io_threads = 3
shutdown_grace_seconds = 5
[server.redirect]
listen = ["0.0.0.0:80"]
[tls]
certificate = "/etc/c.pem"
private_key = "k.pem"
hsts_max_age_seconds = 60
[limits]
max_header_bytes = 4096
handshake_timeout_seconds = 3
header_timeout_seconds = 4
idle_timeout_seconds = 5
body_progress_interval_seconds = 6
body_min_bytes_per_interval = 7
write_timeout_seconds = 8
max_connections = 9
max_connections_per_client = 2
[database]
path = "db.sqlite"
busy_timeout_ms = 100
migrate_on_start = false
[storage]
data_dir = "/var/lib/x"
[crypto]
master_key_file = "m.key"
[metrics]
token_file = "metrics.token"
[log]
level = "debug"
)");
  ASSERT_TRUE(r.config) << all_errors(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.server.listen[1].host, "::1");
  EXPECT_EQ(c.server.listen[1].port, 0);
  EXPECT_EQ(c.server.io_threads, 3u);
  EXPECT_EQ(c.server.redirect_listen.at(0).port, 80);
  EXPECT_EQ(c.tls.certificate, fs::path("/etc/c.pem"));
  EXPECT_EQ(c.tls.private_key, fs::path("/srv/furoshiki/k.pem"));
  EXPECT_EQ(c.limits.body_min_bytes_per_interval, 7u);
  EXPECT_EQ(c.limits.max_connections_per_client, 2u);
  EXPECT_EQ(c.database.busy_timeout, std::chrono::milliseconds(100));
  EXPECT_FALSE(c.database.migrate_on_start);
  EXPECT_EQ(c.metrics.token_file, fs::path("/srv/furoshiki/metrics.token"));
  EXPECT_EQ(c.log.level, "debug");
}

TEST(ConfigTest, UnknownKeyIsNamedWithItsLine) {
  const auto r = parse("[limits]\nheader_timeout_seconds = 3\nheader_timout = 4\n");
  EXPECT_FALSE(r.config);
  EXPECT_TRUE(has_error(r, "limits.header_timout", 3, "unknown key")) << all_errors(r);
}

TEST(ConfigTest, UnknownSectionIsAnError) {
  const auto r = parse("[limitz]\nx = 1\n");
  EXPECT_TRUE(has_error(r, "limitz", 1, "unknown key")) << all_errors(r);
}

TEST(ConfigTest, OutOfRangeValueNamesKeyLineAndRange) {
  const auto r = parse("\n[limits]\nheader_timeout_seconds = 0\n");
  EXPECT_TRUE(has_error(r, "limits.header_timeout_seconds", 3, "between 1 and 600")) << all_errors(r);
  EXPECT_EQ(r.errors.front().to_string(), "test.toml:3: limits.header_timeout_seconds: must be between 1 and 600");
}

TEST(ConfigTest, WrongTypeIsAnError) {
  const auto r = parse("[database]\nmigrate_on_start = \"yes\"\n[limits]\nmax_connections = \"many\"\n");
  EXPECT_TRUE(has_error(r, "database.migrate_on_start", 2, "true or false")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "limits.max_connections", 4, "integer")) << all_errors(r);
}

TEST(ConfigTest, ReportsEveryErrorNotJustTheFirst) {
  const auto r = parse("[server]\nio_threads = -1\nbogus = 1\n[log]\nlevel = \"loud\"\n");
  EXPECT_EQ(r.errors.size(), 3u) << all_errors(r);
}

TEST(ConfigTest, BadListenAddressesAreRejected) {
  for (const char* bad : {"localhost:80", "1.2.3.4", "[::1]80", "1.2.3.4:99999", "[::1:80", "1.2.3.4:-1"}) {
    const auto r = parse(std::string("[server]\nlisten = [\"") + bad + "\"]\n");
    EXPECT_TRUE(has_error(r, "server.listen", 2, "IPv4:port")) << bad << "\n" << all_errors(r);
  }
  EXPECT_TRUE(has_error(parse("[server]\nlisten = []\n"), "server.listen", 0, "at least one"));
}

TEST(ConfigTest, PublicUrlMustBeHttpsWithoutPath) {
  for (const char* bad : {"http://x.test", "https://x.test/app", "https://u@x.test", "x.test", "https://x.test?q"}) {
    const auto r = parse(std::string("[server]\npublic_url = \"") + bad + "\"\n");
    EXPECT_TRUE(has_error(r, "server.public_url", 2, "https URL")) << bad;
  }
  EXPECT_TRUE(parse("[server]\npublic_url = \"https://[::1]:8443/\"\n").config);
}

TEST(ConfigTest, FipsDefaultsToOff) {
  const auto r = parse("");
  ASSERT_TRUE(r.config);
  EXPECT_FALSE(r.config->crypto.fips_required);
}

TEST(ConfigTest, FipsRequiredNeedsTheModulePaths) {
  const auto r = parse("[crypto]\nfips = \"required\"\n");
  EXPECT_TRUE(has_error(r, "crypto.fips_module_dir", 2, "must be set")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "crypto.fips_module_config", 2, "must be set")) << all_errors(r);
  const auto ok =
      parse("[crypto]\nfips = \"required\"\nfips_module_dir = \"/opt/fips\"\nfips_module_config = \"fips.cnf\"\n");
  ASSERT_TRUE(ok.config) << all_errors(ok);
  EXPECT_TRUE(ok.config->crypto.fips_required);
  EXPECT_EQ(ok.config->crypto.fips_module_dir, fs::path("/opt/fips"));
  EXPECT_EQ(ok.config->crypto.fips_module_config, fs::path("/srv/furoshiki/fips.cnf"));
}

TEST(ConfigTest, FipsPathsCannotInjectIntoTheOpenSslConfig) {
  const auto r = parse("[crypto]\nfips_module_config = \"/etc/fips#x.cnf\"\nfips_module_dir = \"/opt/$HOME\"\n");
  EXPECT_TRUE(has_error(r, "crypto.fips_module_config", 2, "must not contain")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "crypto.fips_module_dir", 3, "must not contain")) << all_errors(r);
}

TEST(ConfigTest, FipsModeMustBeKnown) {
  EXPECT_TRUE(has_error(parse("[crypto]\nfips = \"yes\"\n"), "crypto.fips", 2, "\"required\" or \"off\""));
}

TEST(ConfigTest, SyntaxErrorHasALine) {
  const auto r = parse("[server]\nlisten = [\"127.0.0.1:1\"\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_GT(r.errors[0].line, 0u);
  EXPECT_NE(r.errors[0].message.find("TOML syntax error"), std::string::npos);
}

TEST(ListenAddressTest, ParsesAndPrints) {
  auto v4 = parse_listen_address("10.1.2.3:443");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->to_string(), "10.1.2.3:443");
  auto v6 = parse_listen_address("[2001:db8::1]:8443");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "2001:db8::1");
  EXPECT_EQ(v6->to_string(), "[2001:db8::1]:8443");
  EXPECT_FALSE(parse_listen_address("[::1]:"));
  EXPECT_FALSE(parse_listen_address(std::string_view("1.2.3.4\0x:80", 12)));
  EXPECT_FALSE(parse_listen_address(std::string_view("[::ff\0\0:192.0.2.1]:443", 24)));
}

class ConfigFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/furoshiki-config-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "tls");
    fs::create_directories(dir_ / "keys");
    fs::create_directories(dir_ / "data");
    write("tls/cert.pem", "cert", 0644);
    write("tls/key.pem", "key", 0600);
    write("keys/master.key", "00", 0600);
    write("furoshiki.toml", "", 0600);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text, mode_t mode) {
    std::ofstream(dir_ / name) << text;
    ::chmod((dir_ / name).c_str(), mode);
  }

  fs::path dir_;
};

TEST_F(ConfigFilesTest, ValidInstanceLoads) {
  const auto r = load_config(dir_ / "furoshiki.toml");
  ASSERT_TRUE(r.config) << all_errors(r);
  EXPECT_EQ(r.config->source, dir_ / "furoshiki.toml");
}

TEST_F(ConfigFilesTest, GroupReadableKeyFileIsRefused) {
  ::chmod((dir_ / "tls/key.pem").c_str(), 0640);
  const auto r = load_config(dir_ / "furoshiki.toml");
  ASSERT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].key, "tls.private_key");
  EXPECT_NE(r.errors[0].message.find("0640"), std::string::npos);
}

TEST_F(ConfigFilesTest, WorldReadableMasterKeyIsRefused) {
  ::chmod((dir_ / "keys/master.key").c_str(), 0604);
  const auto r = load_config(dir_ / "furoshiki.toml");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.errors.at(0).key, "crypto.master_key_file");
}

TEST_F(ConfigFilesTest, MissingFilesAreNamedWithTheirKeyAndLine) {
  write("furoshiki.toml", "[tls]\ncertificate = \"nope.pem\"\n", 0600);
  const auto r = load_config(dir_ / "furoshiki.toml");
  ASSERT_FALSE(r.config);
  EXPECT_TRUE(has_error(r, "tls.certificate", 2, "does not exist")) << all_errors(r);
}

TEST_F(ConfigFilesTest, MissingDataDirectoryIsAnError) {
  fs::remove_all(dir_ / "data");
  const auto r = load_config(dir_ / "furoshiki.toml");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.errors.at(0).key, "storage.data_dir");
}

TEST_F(ConfigFilesTest, UnreadableConfigFileIsAnError) {
  const auto r = load_config(dir_ / "missing.toml");
  ASSERT_FALSE(r.config);
  EXPECT_NE(r.errors.at(0).message.find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace furoshiki

namespace furoshiki {
namespace {

TEST(ScannerConfigTest, DefaultsFailClosedAndUpdateFromOfficialMirrors) {
  const auto r = parse("");
  ASSERT_TRUE(r.config) << all_errors(r);
  const auto& s = r.config->scanner;
  EXPECT_EQ(s.max_file_bytes, 2147483645u);
  EXPECT_EQ(s.max_recursion, 17u);
  EXPECT_EQ(s.max_definition_age, std::chrono::hours(168));
  EXPECT_TRUE(s.updates.enabled);
  EXPECT_EQ(s.updates.mirrors, std::vector<std::string>{"database.clamav.net"});
  EXPECT_EQ(s.updates.databases, (std::vector<std::string>{"daily", "main", "bytecode"}));
}

TEST(ScannerConfigTest, ReadsEveryScannerKey) {
  const auto r = parse(R"(
[scanner]
threads = 3
queue_length = 5
queue_wait_seconds = 7
max_file_bytes = 1000
max_scan_bytes = 2000
max_recursion = 4
max_files = 9
max_scan_time_seconds = 11
max_definition_age_hours = 0
reload_check_seconds = 2
[scanner.updates]
enabled = true
interval_seconds = 120
timeout_seconds = 30
mirrors = []
private_mirror = "http://mirror.example.com"
databases = ["daily"]
custom_urls = ["https://rules.example.com/a.ndb", "file:///srv/b.hdb"]
proxy = "http://user:pw@proxy.example.com:3128"
)");
  ASSERT_TRUE(r.config) << all_errors(r);
  const auto& s = r.config->scanner;
  EXPECT_EQ(s.threads, 3u);
  EXPECT_EQ(s.queue_length, 5u);
  EXPECT_EQ(s.queue_wait, std::chrono::seconds(7));
  EXPECT_EQ(s.max_file_bytes, 1000u);
  EXPECT_EQ(s.max_scan_bytes, 2000u);
  EXPECT_EQ(s.max_files, 9u);
  EXPECT_EQ(s.max_scan_time, std::chrono::seconds(11));
  EXPECT_EQ(s.max_definition_age, std::chrono::hours(0));
  EXPECT_EQ(s.updates.custom_urls.size(), 2u);
  EXPECT_EQ(s.updates.private_mirror, "http://mirror.example.com");
  EXPECT_TRUE(s.updates.mirrors.empty());
}

TEST(ScannerConfigTest, MaxFileBytesCannotExceedWhatLibclamavScans) {
  const auto r = parse("[scanner]\nmax_file_bytes = 3000000000\n");
  ASSERT_FALSE(r.config);
  EXPECT_NE(all_errors(r).find("scanner.max_file_bytes: must be between 1 and 2147483645"), std::string::npos)
      << all_errors(r);
}

TEST(ScannerConfigTest, BadUpdateSourcesAreNamed) {
  const auto r = parse(R"([scanner.updates]
custom_urls = ["ftp://x.example.com/a.ndb", "https://x.example.com/"]
mirrors = ["bad host/name"]
proxy = "socks5://p:1"
unknown = 1
)");
  ASSERT_FALSE(r.config);
  const std::string errors = all_errors(r);
  EXPECT_NE(errors.find("scanner.updates.custom_urls: must be an http://, https:// or file:// URL"), std::string::npos)
      << errors;
  EXPECT_NE(errors.find("scanner.updates.mirrors: must be a host name"), std::string::npos) << errors;
  EXPECT_NE(errors.find("scanner.updates.proxy:"), std::string::npos) << errors;
  EXPECT_NE(errors.find("scanner.updates.unknown: unknown key"), std::string::npos) << errors;
}

TEST(ScannerConfigTest, EnabledUpdatesNeedASource) {
  const auto r = parse("[scanner.updates]\nenabled = true\nmirrors = []\n");
  ASSERT_FALSE(r.config);
  EXPECT_NE(all_errors(r).find("no mirror, private_mirror or custom_urls"), std::string::npos) << all_errors(r);
  EXPECT_TRUE(parse("[scanner.updates]\nenabled = false\nmirrors = []\n").config);
}

}  // namespace
}  // namespace furoshiki

namespace furoshiki {
namespace {

TEST(ConfigTest, FilesSweepDefaultsAndRange) {
  const auto defaults = parse("");
  ASSERT_TRUE(defaults.config) << all_errors(defaults);
  EXPECT_EQ(defaults.config->files.sweep_interval, std::chrono::seconds(300));
  EXPECT_EQ(defaults.config->files.sweep_batch, 200u);
  const auto set = parse("[files]\nsweep_interval_seconds = 1\nsweep_batch = 5\n");
  ASSERT_TRUE(set.config) << all_errors(set);
  EXPECT_EQ(set.config->files.sweep_interval, std::chrono::seconds(1));
  EXPECT_EQ(set.config->files.sweep_batch, 5u);
  const auto zero = parse("[files]\nsweep_interval_seconds = 0\n");
  EXPECT_TRUE(has_error(zero, "files.sweep_interval_seconds", 2, "between 1 and 86400")) << all_errors(zero);
}

TEST(ConfigTest, UploadsDefaultsMatchTheDocumentedOnes) {
  const auto defaults = parse("");
  ASSERT_TRUE(defaults.config) << all_errors(defaults);
  const auto& u = defaults.config->uploads;
  EXPECT_EQ(u.expiry, std::chrono::hours(24));
  EXPECT_EQ(u.sweep_interval, std::chrono::seconds(60));
  EXPECT_EQ(u.max_unfinished_per_user, 20u);
  EXPECT_EQ(u.max_unfinished_total, 1000u);
  EXPECT_EQ(u.lock_wait, std::chrono::milliseconds(3000));
  EXPECT_EQ(u.ended_retention, std::chrono::hours(168));
}

TEST(ConfigTest, UploadsKeysAreRead) {
  const auto set = parse(
      "[uploads]\nexpiry_seconds = 2\nsweep_interval_seconds = 1\nmax_unfinished_per_user = 3\n"
      "max_unfinished_total = 7\nlock_wait_ms = 200\nended_retention_hours = 2\n");
  ASSERT_TRUE(set.config) << all_errors(set);
  const auto& u = set.config->uploads;
  EXPECT_EQ(u.expiry, std::chrono::seconds(2));
  EXPECT_EQ(u.sweep_interval, std::chrono::seconds(1));
  EXPECT_EQ(u.max_unfinished_per_user, 3u);
  EXPECT_EQ(u.max_unfinished_total, 7u);
  EXPECT_EQ(u.lock_wait, std::chrono::milliseconds(200));
  EXPECT_EQ(u.ended_retention, std::chrono::hours(2));
}

TEST(ConfigTest, UploadsKeysOutOfRangeAreRefusedWithTheirLine) {
  const auto zero = parse("[uploads]\nexpiry_seconds = 0\nsweep_interval_seconds = 0\nlock_wait_ms = 60001\n");
  EXPECT_TRUE(has_error(zero, "uploads.expiry_seconds", 2, "between 1 and 2592000")) << all_errors(zero);
  EXPECT_TRUE(has_error(zero, "uploads.sweep_interval_seconds", 3, "between 1 and 86400")) << all_errors(zero);
  EXPECT_TRUE(has_error(zero, "uploads.lock_wait_ms", 4, "between 1 and 60000")) << all_errors(zero);
  const auto text = parse("[uploads]\nmax_unfinished_total = \"many\"\n");
  EXPECT_TRUE(has_error(text, "uploads.max_unfinished_total", 2, "must be an integer")) << all_errors(text);
  const auto unknown = parse("[uploads]\nexpiry_hours = 24\n");
  EXPECT_TRUE(has_error(unknown, "uploads.expiry_hours", 2, "unknown key")) << all_errors(unknown);
}

TEST(ConfigTest, UploadsPerUserLimitAboveTheTotalIsRefused) {
  const auto r = parse("[uploads]\nmax_unfinished_total = 5\nmax_unfinished_per_user = 6\n");
  EXPECT_TRUE(has_error(r, "uploads.max_unfinished_per_user", 3, "not be above max_unfinished_total (5)"))
      << all_errors(r);
  const auto equal = parse("[uploads]\nmax_unfinished_total = 5\nmax_unfinished_per_user = 5\n");
  EXPECT_TRUE(equal.config) << all_errors(equal);
}

}  // namespace
}  // namespace furoshiki
