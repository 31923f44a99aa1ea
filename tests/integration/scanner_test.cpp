// The scan stage in the running server: /readyz and /metrics report the engine and definitions,
// a server without definitions is not ready (fail closed), and definitions fetched by the
// server's own updater (`furoshiki definitions update` in a child process) are in force without
// a restart.
#include "harness.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <cstdio>
#include <fstream>
#include <thread>

namespace furoshiki::integration {
namespace {

namespace fs = std::filesystem;

// The "scanner" entry of /readyz's checks (empty when absent).
std::optional<boost::json::object> scanner_check(const HttpResponse& response) {
  const auto body = response.json();
  if (!body.is_object()) return std::nullopt;
  const auto* checks = body.as_object().if_contains("checks");
  if (!checks || !checks->is_object()) return std::nullopt;
  const auto* scanner = checks->as_object().if_contains("scanner");
  if (!scanner || !scanner->is_object()) return std::nullopt;
  return scanner->as_object();
}

// The value of an unlabelled gauge in a Prometheus text page, or -1.
double gauge(const std::string& page, const std::string& name) {
  const auto at = page.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(page.substr(at + name.size() + 2));
}

// Runs one query with Debian's sqlite3 command on the instance's database; its output.
std::string sqlite_query(const Instance& instance, const std::string& sql) {
  const std::string command =
      "sqlite3 -readonly '" + (instance.dir() / "data/furoshiki.db").string() + "' \"" + sql + "\" 2>&1";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    ::pclose(pipe);
  }
  return out;
}

// Whether the service audit chain gets an event "<action> <outcome>" within `timeout` (the
// server records it right after logging the attempt).
bool service_audit_has(const Instance& instance, const std::string& entry, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    if (sqlite_query(instance, "SELECT action || ' ' || outcome FROM audit_events WHERE org_id IS NULL").find(entry) !=
        std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(100ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

void write_file(const fs::path& p, std::string_view content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

TEST(ScannerInServer, ReadyzReportsTheEngineAndDefinitions) {
  Instance instance;
  auto server = ServerProcess::start(instance);
  const auto response = https_get(server->https(), "/readyz");
  ASSERT_TRUE(response) << server->log_text();
  EXPECT_EQ(response->status, 200u) << response->body;
  const auto scanner = scanner_check(*response);
  ASSERT_TRUE(scanner) << response->body;
  EXPECT_EQ(scanner->at("ok"), true);
  const std::string detail(scanner->at("detail").as_string());
  EXPECT_NE(detail.find("1 signatures"), std::string::npos) << detail;
  EXPECT_NE(detail.find("updates disabled"), std::string::npos) << detail;

  const auto metrics = https_get(server->https(), "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(gauge(metrics->body, "furoshiki_scanner_ready"), 1) << metrics->body;
  EXPECT_EQ(gauge(metrics->body, "furoshiki_scanner_signatures"), 1);
  EXPECT_NE(metrics->body.find("furoshiki_scanner_engine_info{"), std::string::npos);
}

TEST(ScannerInServer, WithoutDefinitionsTheServerIsNotReady) {
  Instance instance;
  for (const auto& entry : fs::directory_iterator(instance.dir() / "data/signatures")) fs::remove(entry.path());
  auto server = ServerProcess::start(instance);
  const auto response = https_get(server->https(), "/readyz");
  ASSERT_TRUE(response) << server->log_text();
  EXPECT_EQ(response->status, 503u) << response->body;
  const auto scanner = scanner_check(*response);
  ASSERT_TRUE(scanner) << response->body;
  EXPECT_EQ(scanner->at("ok"), false);
  EXPECT_NE(std::string(scanner->at("detail").as_string()).find("no_engine"), std::string::npos);
  EXPECT_TRUE(server->wait_for_event("scanner_not_ready", 5s)) << server->log_text();
}

TEST(ScannerInServer, CorruptDefinitionsAtStartAreReportedAndNotReady) {
  Instance instance;
  write_file(instance.dir() / "data/signatures/broken.ndb", "this is not a signature\n");
  auto server = ServerProcess::start(instance);
  const auto response = https_get(server->https(), "/readyz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503u) << response->body;
  const auto line = server->wait_for_event("definitions_load_failed", 5s);
  ASSERT_TRUE(line) << server->log_text();
}

TEST(ScannerInServer, UpdaterInstallsCustomDefinitionsWithoutRestart) {
  Instance instance;
  TempDir mirror;
  write_file(mirror.path() / "furoshiki-custom.ndb", "Furoshiki.Test.Custom:0:*:637573746f6d2d6d61726b6572\n");
  instance.set("scanner.updates", "enabled", "true")
      .set("scanner.updates", "mirrors", "[]")
      .set("scanner.updates", "custom_urls",
           "[" + toml_string("file://" + (mirror.path() / "furoshiki-custom.ndb").string()) + "]")
      .set("scanner", "reload_check_seconds", "1");
  auto server = ServerProcess::start(instance);
  // The first attempt runs at start; the engine is rebuilt with the new database.
  const auto update = server->wait_for_event("definitions_update", 30s);
  ASSERT_TRUE(update) << server->log_text();
  double signatures = -1;
  for (int i = 0; i < 100 && signatures != 2; ++i) {
    const auto metrics = https_get(server->https(), "/metrics");
    ASSERT_TRUE(metrics);
    signatures = gauge(metrics->body, "furoshiki_scanner_signatures");
    if (signatures != 2) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(signatures, 2) << server->log_text();
  EXPECT_TRUE(fs::exists(instance.dir() / "data/signatures/furoshiki-custom.ndb"));
  const auto readyz = https_get(server->https(), "/readyz");
  ASSERT_TRUE(readyz);
  const auto scanner = scanner_check(*readyz);
  ASSERT_TRUE(scanner);
  EXPECT_NE(std::string(scanner->at("detail").as_string()).find("last update ok"), std::string::npos) << readyz->body;
}

TEST(ScannerInServer, DefinitionsUpdateCommandFetchesCustomUrls) {
  Instance instance;
  TempDir mirror;
  write_file(mirror.path() / "cli.ndb", "Furoshiki.Test.Cli:0:*:636c692d6d61726b6572\n");
  instance.set("scanner.updates", "mirrors", "[]")
      .set("scanner.updates", "custom_urls", "[" + toml_string("file://" + (mirror.path() / "cli.ndb").string()) + "]");
  instance.write_config();
  const auto result = run_furoshiki({"definitions", "update", "--config", instance.config_file().string()}, 60s);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto json = boost::json::parse(result.out);
  EXPECT_EQ(json.at("ok"), true) << result.out;
  EXPECT_EQ(json.at("updated"), 1) << result.out;
  EXPECT_TRUE(fs::exists(instance.dir() / "data/signatures/cli.ndb"));
}

TEST(ScannerInServer, BrokenCustomDefinitionsKeepTheOldEngine) {
  Instance instance;
  TempDir mirror;
  write_file(mirror.path() / "broken.ndb", "not:a valid signature\n");
  instance.set("scanner.updates", "enabled", "true")
      .set("scanner.updates", "mirrors", "[]")
      .set("scanner.updates", "custom_urls",
           "[" + toml_string("file://" + (mirror.path() / "broken.ndb").string()) + "]");
  auto server = ServerProcess::start(instance);
  const auto failed = server->wait_for_event("definitions_update_failed", 30s);
  ASSERT_TRUE(failed) << server->log_text();
  EXPECT_FALSE(fs::exists(instance.dir() / "data/signatures/broken.ndb"));
  const auto readyz = https_get(server->https(), "/readyz");
  ASSERT_TRUE(readyz);
  EXPECT_EQ(readyz->status, 200u) << readyz->body;
  const auto scanner = scanner_check(*readyz);
  ASSERT_TRUE(scanner);
  EXPECT_NE(std::string(scanner->at("detail").as_string()).find("last update failed"), std::string::npos)
      << readyz->body;
  EXPECT_TRUE(service_audit_has(instance, "definitions.update failure", 10s));
}

}  // namespace
}  // namespace furoshiki::integration
