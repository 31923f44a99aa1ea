// The crypto context for tests: FIPS "required" with the provider scripts/fips-provider built
// when the environment names it (see fips_module.hpp), OpenSSL's default provider otherwise —
// so that every crypto test also runs under FIPS in `scripts/dev test` and in CI.
#pragma once

#include "crypto/context.hpp"
#include "test_support/fips_module.hpp"

#include <memory>

namespace furoshiki::test_support {

// The settings test_crypto_context() uses.
inline crypto::CryptoSettings test_crypto_settings() {
  crypto::CryptoSettings settings;
  if (const auto module = fips_module_from_env()) {
    settings.fips = crypto::FipsMode::kRequired;
    settings.fips_module_dir = module->dir;
    settings.fips_module_config = module->config;
  }
  return settings;
}

// One context per test process, made on first use (loading the FIPS provider runs its
// self-tests, too slow to repeat in every test). Throws crypto::CryptoError — failing the test
// that asked, loudly — when the environment names a FIPS module that does not load: a broken
// provider must never quietly turn into the default one.
inline std::shared_ptr<crypto::CryptoContext> test_crypto_context() {
  static const std::shared_ptr<crypto::CryptoContext> context = [] {
    const crypto::CryptoSettings settings = test_crypto_settings();
    try {
      return crypto::CryptoContext::create(settings);
    } catch (const crypto::CryptoError& e) {
      if (settings.fips != crypto::FipsMode::kRequired) throw;
      throw crypto::CryptoError(std::string("the FIPS module named by ") + kFipsModuleDirVar + " and " +
                                kFipsModuleConfigVar + " does not load: " + e.what());
    }
  }();
  return context;
}

}  // namespace furoshiki::test_support
