// Where the tests find OpenSSL's FIPS provider, and what a FIPS test does when it is missing.
//
// `scripts/dev test` builds the provider with scripts/fips-provider and exports
// FUROSHIKI_FIPS_MODULE_DIR (holds fips.so) and FUROSHIKI_FIPS_MODULE_CONFIG (its
// fipsmodule.cnf). Without them a FIPS test is skipped on a developer's machine (no network to
// build the provider, say) but fails in CI (CI=true), where a provider that did not build must
// not pass as a green run.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace furoshiki::test_support {

struct FipsModule {
  std::filesystem::path dir;     // holds fips.so
  std::filesystem::path config;  // written by `openssl fipsinstall` for that fips.so
};

inline constexpr const char* kFipsModuleDirVar = "FUROSHIKI_FIPS_MODULE_DIR";
inline constexpr const char* kFipsModuleConfigVar = "FUROSHIKI_FIPS_MODULE_CONFIG";

// The module named by the environment; nullopt unless both variables are set and non-empty.
inline std::optional<FipsModule> fips_module_from_env() {
  const char* dir = std::getenv(kFipsModuleDirVar);
  const char* config = std::getenv(kFipsModuleConfigVar);
  if (!dir || !*dir || !config || !*config) return std::nullopt;
  return FipsModule{dir, config};
}

// CI sets CI=true (so does .ci/run); scripts/dev test reads it the same way.
inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string_view(ci) == "true";
}

inline std::string fips_module_missing_message() {
  return std::string(kFipsModuleDirVar) + " and " + kFipsModuleConfigVar +
         " are not both set: no FIPS provider to test with (scripts/dev test builds one with "
         "scripts/fips-provider and sets them)";
}

}  // namespace furoshiki::test_support

// For a test fixture's SetUp() (or a test body): returns from it, failing in CI and skipping
// elsewhere, when the environment names no FIPS module.
#define FUROSHIKI_REQUIRE_FIPS_MODULE()                                         \
  do {                                                                          \
    if (!::furoshiki::test_support::fips_module_from_env()) {                   \
      if (::furoshiki::test_support::running_in_ci()) {                         \
        FAIL() << ::furoshiki::test_support::fips_module_missing_message();     \
      }                                                                         \
      GTEST_SKIP() << ::furoshiki::test_support::fips_module_missing_message(); \
    }                                                                           \
  } while (false)
