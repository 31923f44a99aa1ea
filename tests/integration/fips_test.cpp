// furoshiki serve with crypto.fips = "required": it starts with the FIPS provider that
// scripts/fips-provider built and says so in its log, /readyz and /metrics; without the module
// it refuses to start (and check-config refuses the configuration), naming what is missing.
#include "harness.hpp"
#include "https_client.hpp"
#include "test_support/fips_module.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace furoshiki::integration {
namespace {

namespace fs = std::filesystem;

void require_fips(Instance& instance, const fs::path& module_dir, const fs::path& module_config) {
  instance.set("crypto", "fips", toml_string("required"))
      .set("crypto", "fips_module_dir", toml_string(module_dir.string()))
      .set("crypto", "fips_module_config", toml_string(module_config.string()));
}

// The "reason" of the crypto_failed log line in `output`, or "" if there is none.
std::string crypto_failed_reason(const std::string& output) {
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    boost::system::error_code ec;
    const auto value = boost::json::parse(line, ec);
    if (!ec && value.is_object() && json_string(value.as_object(), "event") == "crypto_failed") {
      return json_string(value.as_object(), "reason");
    }
  }
  return "";
}

class FipsRequired : public ::testing::Test {
 protected:
  void SetUp() override {
    FUROSHIKI_REQUIRE_FIPS_MODULE();
    const auto module = test_support::fips_module_from_env();
    require_fips(instance_, module->dir, module->config);
    server_ = ServerProcess::start(instance_);
  }

  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(FipsRequired, LogsTheFipsProviderWhenReady) {
  const auto ready = server_->events("crypto_ready");
  ASSERT_EQ(ready.size(), 1u) << server_->log_text();
  EXPECT_EQ(json_string(ready[0], "fips"), "required");
  EXPECT_NE(json_string(ready[0], "provider").find("FIPS"), std::string::npos) << server_->log_text();
  EXPECT_FALSE(json_string(ready[0], "provider_version").empty()) << server_->log_text();
}

TEST_F(FipsRequired, ReadyzShowsTheCryptoCheckInFipsMode) {
  const auto response = https_get(server_->https(), "/readyz");  // from loopback: with details
  ASSERT_TRUE(response) << server_->log_text();
  EXPECT_EQ(response->status, 200u) << response->body;
  const auto body = response->json();
  ASSERT_TRUE(body.is_object()) << response->body;
  const auto* crypto = body.at("checks").as_object().if_contains("crypto");
  ASSERT_TRUE(crypto && crypto->is_object()) << response->body;
  EXPECT_EQ(crypto->at("ok"), true) << response->body;
  EXPECT_TRUE(json_string(crypto->as_object(), "detail").starts_with("fips required")) << response->body;
  EXPECT_NE(json_string(crypto->as_object(), "detail").find("FIPS"), std::string::npos) << response->body;
}

TEST_F(FipsRequired, TlsUsesOnlyTheFipsProvidersAlgorithms) {
  // ChaCha20-Poly1305 is not in the FIPS provider: a client offering only it cannot connect,
  // while AES-GCM works — TLS runs in the same FIPS library context as the rest.
  TlsOptions chacha = tls_versions(TLS1_3_VERSION, TLS1_3_VERSION);
  chacha.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256";
  EXPECT_EQ(TlsClient(chacha).connect(server_->https()), nullptr);
  TlsOptions gcm = tls_versions(TLS1_3_VERSION, TLS1_3_VERSION);
  gcm.ciphersuites = "TLS_AES_256_GCM_SHA384";
  EXPECT_NE(TlsClient(gcm).connect(server_->https()), nullptr);
}

TEST_F(FipsRequired, MetricsReportFipsRequired) {
  const auto response = https_get(server_->https(), "/metrics");
  ASSERT_TRUE(response) << server_->log_text();
  ASSERT_EQ(response->status, 200u) << response->body;
  EXPECT_EQ(metric_value(response->body, "furoshiki_crypto_fips_required"), 1.0) << response->body;
  EXPECT_NE(response->body.find("furoshiki_crypto_provider_info{fips=\"required\",provider=\"OpenSSL FIPS Provider\""),
            std::string::npos)
      << response->body;
}

// Refusals need no provider: the module is missing on purpose. The configuration file itself
// exists so that check-config's path checks pass and the crypto layer is what refuses.
class FipsModuleMissing : public ::testing::Test {
 protected:
  void SetUp() override {
    empty_dir_ = instance_.dir() / "fips-empty";
    fs::create_directory(empty_dir_);
    std::ofstream(instance_.dir() / "fipsmodule.cnf") << "[fips_sect]\nactivate = 1\n";
    require_fips(instance_, empty_dir_, instance_.dir() / "fipsmodule.cnf");
    instance_.write_config();
  }

  Instance instance_;
  fs::path empty_dir_;
};

TEST_F(FipsModuleMissing, ServeExitsNamingTheMissingModule) {
  const auto result = run_furoshiki({"serve", "--config", instance_.config_file().string()});
  ASSERT_FALSE(result.timed_out) << "serve kept running without its FIPS provider";
  EXPECT_NE(result.exit_code, 0) << result.err;
  const std::string module = (empty_dir_ / "fips.so").string();
  EXPECT_NE(result.err.find("furoshiki: crypto.fips = \"required\""), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(module), std::string::npos) << result.err;
  EXPECT_NE(crypto_failed_reason(result.err).find(module), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("\"event\":\"listening\""), std::string::npos) << result.err;
}

TEST_F(FipsModuleMissing, CheckConfigExits2NamingTheMissingModule) {
  const auto result = run_furoshiki({"check-config", "--config", instance_.config_file().string()});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find((empty_dir_ / "fips.so").string()), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("crypto.fips_module_dir"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("configuration ok"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace furoshiki::integration
