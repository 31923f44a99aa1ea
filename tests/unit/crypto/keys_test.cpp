// Master key parsing and loading, and the binding of wrapped keys to their context.
#include "crypto/keys.hpp"

#include "test_support/crypto_context.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

namespace furoshiki::crypto {
namespace {

namespace fs = std::filesystem;

TEST(KeysTest, MasterKeyIdIsStableAndDoesNotRevealTheKey) {
  const auto ctx = test_support::test_crypto_context();
  const auto a = master_key_from_text(*ctx, std::string(64, 'a') + "\n", "test");
  const auto again = master_key_from_text(*ctx, std::string(64, 'A'), "test");
  const auto b = master_key_from_text(*ctx, std::string(64, 'b'), "test");
  EXPECT_EQ(a.id.size(), 16u);
  EXPECT_EQ(a.id, again.id);
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(a.id.find("aaaa"), std::string::npos);
}

TEST(KeysTest, MalformedMasterKeysAreRefusedWithoutEchoingThem) {
  const auto ctx = test_support::test_crypto_context();
  for (const std::string& bad :
       {std::string(63, 'a'), std::string(65, 'a'), std::string(63, 'a') + "g", std::string()}) {
    try {
      (void)master_key_from_text(*ctx, bad, "keys/master.key");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const CryptoError& e) {
      EXPECT_NE(std::string(e.what()).find("64 hexadecimal digits"), std::string::npos);
      if (!bad.empty()) {
        EXPECT_EQ(std::string(e.what()).find(bad), std::string::npos);
      }
    }
  }
}

TEST(KeysTest, LoadsAKeyFileReadableByItsOwnerOnly) {
  const auto ctx = test_support::test_crypto_context();
  char tmpl[] = "/tmp/furoshiki-keys-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path dir(tmpl);
  std::ofstream(dir / "master.key") << std::string(64, 'c') << "\n";
  ::chmod((dir / "master.key").c_str(), 0600);
  EXPECT_EQ(load_master_key(*ctx, dir / "master.key", "").id, master_key_from_text(*ctx, std::string(64, 'c'), "x").id);
  ::chmod((dir / "master.key").c_str(), 0640);
  EXPECT_THROW(load_master_key(*ctx, dir / "master.key", ""), CryptoError);
  EXPECT_THROW(load_master_key(*ctx, dir / "missing.key", ""), CryptoError);
  fs::remove_all(dir);
}

TEST(KeysTest, LoadsASystemdCredential) {
  const auto ctx = test_support::test_crypto_context();
  char tmpl[] = "/tmp/furoshiki-cred-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path dir(tmpl);
  std::ofstream(dir / "furoshiki-master-key") << std::string(64, 'd');
  ::setenv("CREDENTIALS_DIRECTORY", dir.c_str(), 1);
  EXPECT_EQ(load_master_key(*ctx, "/nonexistent", "furoshiki-master-key").id,
            master_key_from_text(*ctx, std::string(64, 'd'), "x").id);
  ::unsetenv("CREDENTIALS_DIRECTORY");
  EXPECT_THROW(load_master_key(*ctx, "/nonexistent", "furoshiki-master-key"), CryptoError);
  fs::remove_all(dir);
}

TEST(KeysTest, WrappedTenantKeyIsBoundToOrgKeyIdVersionAndMaster) {
  const auto ctx = test_support::test_crypto_context();
  const auto master = master_key_from_text(*ctx, std::string(64, '1'), "test");
  const SecretKey tenant = SecretKey::random(*ctx);
  const TenantKeyRef ref{"acme", "00112233445566778899aabbccddeeff", 1};
  const auto wrapped = wrap_tenant_key(*ctx, master, ref, tenant);
  ASSERT_EQ(wrapped.size(), kWrappedKeyBytes);
  SecretKey out;
  ASSERT_FALSE(unwrap_tenant_key(*ctx, master, ref, wrapped, out));
  EXPECT_TRUE(out == tenant);

  const auto integrity = make_error_code(CryptoErrc::kIntegrity);
  EXPECT_EQ(unwrap_tenant_key(*ctx, master, {"acmf", ref.key_id, 1}, wrapped, out), integrity);
  EXPECT_EQ(unwrap_tenant_key(*ctx, master, {"acme", "10112233445566778899aabbccddeeff", 1}, wrapped, out), integrity);
  EXPECT_EQ(unwrap_tenant_key(*ctx, master, {"acme", ref.key_id, 2}, wrapped, out), integrity);
  const auto other_master = master_key_from_text(*ctx, std::string(64, '2'), "test");
  EXPECT_EQ(unwrap_tenant_key(*ctx, other_master, ref, wrapped, out), integrity);
  EXPECT_EQ(unwrap_tenant_key(*ctx, master, ref, std::span(wrapped).first(59), out), integrity);
}

TEST(KeysTest, WrappedDataKeyIsBoundToOrgAndObject) {
  const auto ctx = test_support::test_crypto_context();
  const SecretKey tenant = SecretKey::random(*ctx);
  const SecretKey data = SecretKey::random(*ctx);
  const auto wrapped = wrap_data_key(*ctx, tenant, "acme", "object-1", data);
  SecretKey out;
  ASSERT_FALSE(unwrap_data_key(*ctx, tenant, "acme", "object-1", wrapped, out));
  EXPECT_TRUE(out == data);
  EXPECT_TRUE(unwrap_data_key(*ctx, tenant, "acme", "object-2", wrapped, out));
  EXPECT_TRUE(unwrap_data_key(*ctx, tenant, "acm", "eobject-1", wrapped, out));  // fields are length-prefixed
}

TEST(KeysTest, WrappingTwiceGivesDifferentBytes) {
  const auto ctx = test_support::test_crypto_context();
  const SecretKey tenant = SecretKey::random(*ctx);
  const SecretKey data = SecretKey::random(*ctx);
  EXPECT_NE(wrap_data_key(*ctx, tenant, "a", "b", data), wrap_data_key(*ctx, tenant, "a", "b", data));
}

}  // namespace
}  // namespace furoshiki::crypto
