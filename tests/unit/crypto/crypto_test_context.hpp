// The crypto context the unit tests use: FIPS-required when the test run provides the FIPS
// provider (see scripts/dev test), the default provider otherwise.
#pragma once

#include "crypto/context.hpp"

#include <cstdlib>
#include <memory>

namespace furoshiki::crypto {

inline std::shared_ptr<const CryptoContext> crypto_test_context() {
  static const std::shared_ptr<const CryptoContext> kContext = [] {
    const char* dir = std::getenv("FUROSHIKI_FIPS_MODULE_DIR");
    const char* config = std::getenv("FUROSHIKI_FIPS_MODULE_CONFIG");
    if (dir && *dir && config && *config) {
      return std::shared_ptr<const CryptoContext>(CryptoContext::create({FipsMode::kRequired, dir, config}));
    }
    return std::shared_ptr<const CryptoContext>(CryptoContext::create({}));
  }();
  return kContext;
}

}  // namespace furoshiki::crypto
