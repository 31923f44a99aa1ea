// OpenSSL's own figure for raw AES-256-GCM: runs the `openssl speed` command in a child process
// and reads its machine-readable result. The reference furoshiki_crypto_bench compares the object
// format against (bench/README.md).
#pragma once

#include "crypto/context.hpp"

#include <cstddef>
#include <string>

namespace furoshiki::bench {

struct OpensslSpeedResult {
  double mb_per_second = 0;  // 10^6 bytes per second of CPU user time (speed's default timing)
  std::string command;       // as run, environment included, for the report
};

// Runs `openssl speed -mr -evp aes-256-gcm -bytes <block_bytes> -seconds <seconds>` with `openssl`
// (a path or a name looked up in PATH).
//
// FIPS off: with OPENSSL_CONF and OPENSSL_MODULES removed from its environment (the system's
// default configuration, OpenSSL's default provider).
// FIPS required: OPENSSL_MODULES = settings.fips_module_dir and OPENSSL_CONF = a temporary
// configuration that includes settings.fips_module_config and activates only the fips and base
// providers with default_properties = fips=yes, plus `-propquery fips=yes`. The default provider
// is never loaded, so AES-256-GCM can only come from the FIPS provider; this is checked first
// with `openssl list -providers`.
//
// Throws std::runtime_error, with the command's output, when it fails or prints no result.
OpensslSpeedResult openssl_speed_aes_256_gcm(const std::string& openssl, const crypto::CryptoSettings& settings,
                                             std::size_t block_bytes, int seconds);

}  // namespace furoshiki::bench
