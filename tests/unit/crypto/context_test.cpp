// The OpenSSL library context in both FIPS modes: which provider answers, which algorithms it
// hands out, and how "required" refuses to start without its module. The FIPS tests use the
// provider scripts/fips-provider built (see tests/test_support/fips_module.hpp).
#include "crypto/context.hpp"

#include "test_support/crypto_context.hpp"
#include "test_support/fips_module.hpp"

#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <stdlib.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace furoshiki::crypto {
namespace {

namespace fs = std::filesystem;
using test_support::fips_module_from_env;

// A directory under /tmp, removed with its contents at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    char tmpl[] = "/tmp/furoshiki-context-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

CryptoSettings required(const fs::path& dir, const fs::path& config) { return {FipsMode::kRequired, dir, config}; }

// The message of the CryptoError that create() throws, or "" if it throws none.
std::string creation_error(const CryptoSettings& settings) {
  try {
    CryptoContext::create(settings);
  } catch (const CryptoError& e) {
    ERR_clear_error();
    return e.what();
  }
  return "";
}

bool md5_fetchable(OSSL_LIB_CTX* libctx) {
  EVP_MD* md5 = EVP_MD_fetch(libctx, "MD5", nullptr);
  ERR_clear_error();  // a refused fetch leaves its reason on this thread's queue
  EVP_MD_free(md5);
  return md5 != nullptr;
}

std::string provider_of(const EVP_CIPHER* cipher) { return OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(cipher)); }

// ---- off ----

TEST(CryptoContextOff, LoadsTheDefaultProviderAndReportsItsVersion) {
  const auto context = CryptoContext::create({});
  EXPECT_EQ(context->mode(), FipsMode::kOff);
  EXPECT_EQ(context->provider_name(), "OpenSSL Default Provider");
  EXPECT_EQ(context->provider_version(), OpenSSL_version(OPENSSL_VERSION_STRING));
  EXPECT_STREQ(context->properties(), "");
}

TEST(CryptoContextOff, FetchesAes256Gcm) {
  const auto context = CryptoContext::create({});
  ASSERT_NE(context->aes_256_gcm(), nullptr);
  EXPECT_EQ(EVP_CIPHER_get_key_length(context->aes_256_gcm()), 32);
  EXPECT_EQ(provider_of(context->aes_256_gcm()), "default");
  EXPECT_NE(context->sha256(), nullptr);
  EXPECT_NE(context->hmac(), nullptr);
}

TEST(CryptoContextOff, AllowsNonApprovedMd5) {
  const auto context = CryptoContext::create({});
  EXPECT_TRUE(md5_fetchable(context->libctx()));
}

TEST(CryptoContextOff, SelfTestPasses) { EXPECT_TRUE(CryptoContext::create({})->self_test()); }

TEST(CryptoContextOff, RandomBytesFillTheBuffer) {
  const auto context = CryptoContext::create({});
  std::array<std::uint8_t, 64> a{};
  std::array<std::uint8_t, 64> b{};
  context->random_bytes(a);
  context->random_bytes(b);
  EXPECT_NE(a, b);
  EXPECT_NE(a, decltype(a){});
}

// ---- required, without a usable module: refuses, naming what is missing ----

TEST(CryptoContextRequired, MissingModuleNamesFipsSoAndTheKey) {
  const ScratchDir empty;
  write_file(empty.path() / "fipsmodule.cnf", "[fips_sect]\nactivate = 1\n");
  const std::string message = creation_error(required(empty.path(), empty.path() / "fipsmodule.cnf"));
  EXPECT_NE(message.find((empty.path() / "fips.so").string()), std::string::npos) << message;
  EXPECT_NE(message.find("crypto.fips_module_dir"), std::string::npos) << message;
}

TEST(CryptoContextRequired, UnsetModuleDirNamesTheKey) {
  const std::string message = creation_error(required({}, {}));
  EXPECT_NE(message.find("fips.so"), std::string::npos) << message;
  EXPECT_NE(message.find("crypto.fips_module_dir"), std::string::npos) << message;
}

TEST(CryptoContextRequired, MissingModuleConfigNamesItAndTheKey) {
  const ScratchDir dir;
  write_file(dir.path() / "fips.so", "");  // only its existence is checked before the config
  const fs::path config = dir.path() / "no-such-fipsmodule.cnf";
  const std::string message = creation_error(required(dir.path(), config));
  EXPECT_NE(message.find(config.string()), std::string::npos) << message;
  EXPECT_NE(message.find("crypto.fips_module_config"), std::string::npos) << message;
}

// ---- required, with the provider scripts/fips-provider built ----

class CryptoContextFips : public ::testing::Test {
 protected:
  void SetUp() override {
    FUROSHIKI_REQUIRE_FIPS_MODULE();
    module_ = *fips_module_from_env();
  }
  std::shared_ptr<CryptoContext> create() const { return CryptoContext::create(required(module_.dir, module_.config)); }

  test_support::FipsModule module_;
};

TEST_F(CryptoContextFips, LoadsTheFipsProvider) {
  const auto context = create();
  EXPECT_EQ(context->mode(), FipsMode::kRequired);
  EXPECT_NE(context->provider_name().find("FIPS"), std::string::npos) << context->provider_name();
  EXPECT_FALSE(context->provider_version().empty());
  EXPECT_STREQ(context->properties(), "fips=yes");
}

TEST_F(CryptoContextFips, SelfTestPasses) { EXPECT_TRUE(create()->self_test()); }

TEST_F(CryptoContextFips, RefusesNonApprovedMd5) {
  const auto context = create();
  EXPECT_FALSE(md5_fetchable(context->libctx()));
  // Not even when the query drops fips=yes: no provider that has MD5 is loaded.
  EVP_MD* md5 = EVP_MD_fetch(context->libctx(), "MD5", "-fips");
  ERR_clear_error();
  EXPECT_EQ(md5, nullptr);
  EVP_MD_free(md5);
}

TEST_F(CryptoContextFips, ApprovedAlgorithmsComeFromTheFipsProvider) {
  const auto context = create();
  ASSERT_NE(context->aes_256_gcm(), nullptr);
  EXPECT_EQ(provider_of(context->aes_256_gcm()), "fips");
  ASSERT_NE(context->sha256(), nullptr);
  EXPECT_STREQ(OSSL_PROVIDER_get0_name(EVP_MD_get0_provider(context->sha256())), "fips");
}

TEST_F(CryptoContextFips, RandomBytesFillTheBuffer) {
  const auto context = create();
  std::array<std::uint8_t, 64> a{};
  std::array<std::uint8_t, 64> b{};
  context->random_bytes(a);
  context->random_bytes(b);
  EXPECT_NE(a, b);
  EXPECT_NE(a, decltype(a){});
}

// fipsmodule.cnf carries a MAC of its fips.so; a configuration for another build (or a
// tampered module) must not load.
TEST_F(CryptoContextFips, RefusesAModuleConfigWhoseMacDoesNotMatch) {
  const ScratchDir dir;
  fs::copy_file(module_.dir / "fips.so", dir.path() / "fips.so");
  std::string config = read_file(module_.config);
  const auto mac = config.find("module-mac = ");
  ASSERT_NE(mac, std::string::npos) << config;
  const auto first_byte = mac + std::string_view("module-mac = ").size();
  config.replace(first_byte, 2, config.compare(first_byte, 2, "00") == 0 ? "FF" : "00");
  write_file(dir.path() / "fipsmodule.cnf", config);
  const std::string message = creation_error(required(dir.path(), dir.path() / "fipsmodule.cnf"));
  EXPECT_NE(message.find("could not be loaded"), std::string::npos) << message;
}

TEST(TestCryptoContext, IsRequiredModeWhenTheEnvironmentNamesAModule) {
  const auto context = test_support::test_crypto_context();
  ASSERT_NE(context, nullptr);
  EXPECT_EQ(context->mode(), fips_module_from_env() ? FipsMode::kRequired : FipsMode::kOff);
  EXPECT_EQ(test_support::test_crypto_context(), context) << "one context per process";
}

}  // namespace
}  // namespace furoshiki::crypto
