// Master key handling through the command line: `keys rotate-master`, and serve refusing a
// master key that does not wrap the stored tenant keys.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace furoshiki::integration {
namespace {

namespace fs = std::filesystem;

const std::string kNewKey = std::string(64, 'a') + "\n";

CommandResult sqlite(const Instance& instance, const std::string& sql) {
  return run_command({"/usr/bin/sqlite3", (instance.dir() / "data/furoshiki.db").string(), sql});
}

TEST(KeysRotateMaster, RewrapsAndServeStartsWithTheNewKey) {
  Instance instance;
  instance.write_config();
  const auto new_key = instance.write_secret_file("keys/next.key", kNewKey);
  const auto result = run_furoshiki(
      {"keys", "rotate-master", "--config", instance.config_file().string(), "--new-key", new_key.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("re-wrapped 0 tenant keys"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("crypto.master_key_file"), std::string::npos) << result.out;

  instance.set("crypto", "master_key_file", toml_string(new_key.string()));
  auto server = ServerProcess::start(instance);
  const auto loaded = server->wait_for_event("master_key_loaded", 10s);
  ASSERT_TRUE(loaded) << server->log_text();
  EXPECT_EQ(json_string(*loaded, "master_key_id").size(), 16u);
  // The key itself never reaches the log.
  EXPECT_EQ(server->log_text().find(std::string(64, 'a')), std::string::npos);
}

TEST(KeysRotateMaster, RefusesANewKeyReadableByOthers) {
  Instance instance;
  instance.write_config();
  const auto new_key = instance.write_secret_file("keys/next.key", kNewKey);
  fs::permissions(new_key, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  const auto result = run_furoshiki(
      {"keys", "rotate-master", "--config", instance.config_file().string(), "--new-key", new_key.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("accessible by group or others"), std::string::npos) << result.err;
}

TEST(KeysRotateMaster, RefusesTheKeyAlreadyInUse) {
  Instance instance;
  instance.write_config();
  const auto result = run_furoshiki({"keys", "rotate-master", "--config", instance.config_file().string(), "--new-key",
                                     (instance.dir() / "keys/master.key").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("already in use"), std::string::npos) << result.err;
}

TEST(KeysRotateMaster, FailedRotationChangesNothing) {
  Instance instance;
  instance.write_config();
  // Learn the current master key id from a first start, then plant a tenant key that claims to
  // be wrapped by it but is damaged: re-wrapping must fail and leave the row as it was.
  std::string master_id;
  {
    auto server = ServerProcess::start(instance);
    const auto loaded = server->wait_for_event("master_key_loaded", 10s);
    ASSERT_TRUE(loaded) << server->log_text();
    master_id = json_string(*loaded, "master_key_id");
  }
  ASSERT_EQ(sqlite(instance,
                   "INSERT INTO tenant_keys (key_id, org_id, version, wrapped_key, master_key_id) VALUES "
                   "('00112233445566778899aabbccddeeff', 'acme', 1, randomblob(60), '" +
                       master_id + "')")
                .exit_code,
            0);
  const auto new_key = instance.write_secret_file("keys/next.key", kNewKey);
  const auto result = run_furoshiki(
      {"keys", "rotate-master", "--config", instance.config_file().string(), "--new-key", new_key.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("nothing was changed"), std::string::npos) << result.err;
  const auto row = sqlite(instance, "SELECT master_key_id FROM tenant_keys");
  EXPECT_EQ(row.out, master_id + "\n");
}

TEST(Serve, RefusesAMasterKeyThatDoesNotWrapTheTenantKeys) {
  Instance instance;
  instance.write_config();
  ASSERT_EQ(sqlite(instance,
                   "INSERT INTO tenant_keys (key_id, org_id, version, wrapped_key, master_key_id) VALUES "
                   "('00112233445566778899aabbccddeeff', 'acme', 1, randomblob(60), 'deadbeefdeadbeef')")
                .exit_code,
            0);
  const auto result = run_furoshiki({"serve", "--config", instance.config_file().string()}, 20s);
  ASSERT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("wrapped by master key deadbeefdeadbeef"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("rotate-master"), std::string::npos) << result.err;
}

TEST(CheckConfig, RefusesAMalformedMasterKey) {
  Instance instance;
  instance.write_secret_file("keys/master.key", "not a key\n");
  instance.write_config();
  const auto result = run_furoshiki({"check-config", "--config", instance.config_file().string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("64 hexadecimal digits"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace furoshiki::integration
