// Shared set-up for the scanner tests: a temporary signature directory with the EICAR test
// signature, archives built with Debian's zip/tar from files the test writes, and scans of
// in-memory encrypted objects.
#pragma once

#include "scanner/engine.hpp"
#include "scanner/scanner.hpp"
#include "scanner/test_signatures.hpp"
#include "test_support/sealed_object.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace furoshiki::scanner::testing {

namespace fs = std::filesystem;

inline std::string random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const fs::path& p, std::string_view content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

class ScannerTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("furoshiki-scanner-" + std::to_string(::getpid()) + "-" + tenant_.random_id().substr(0, 8));
    fs::create_directories(root_ / "signatures");
    fs::create_directories(root_ / "tmp");
    fs::create_directories(root_ / "work");
    std::string error;
    ASSERT_TRUE(install_test_signatures(signatures(), error)) << error;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Scanner options over this test's directories; the definitions' age is not checked.
  ScannerOptions scanner_options() const {
    ScannerOptions o;
    o.signature_dir = signatures();
    o.tmp_dir = tmp();
    o.max_definition_age = std::chrono::hours(0);
    return o;
  }

  fs::path signatures() const { return root_ / "signatures"; }
  fs::path tmp() const { return root_ / "tmp"; }
  fs::path work() const { return root_ / "work"; }

  std::shared_ptr<const Engine> load(const ScanLimits& limits = {}) {
    std::string error;
    auto engine = Engine::load(signatures(), tmp(), limits, error);
    EXPECT_TRUE(engine) << error;
    return engine;
  }

  ScanVerdict scan(const Engine& engine, std::string_view plaintext, const ScanPolicy& policy = {}) {
    test_support::MemoryObject object(tenant_, plaintext);
    return engine.scan(object.opener(), policy);
  }

  // Runs a shell command in work(); fails the test if it fails.
  void run(const std::string& command) {
    const std::string full = "cd '" + work().string() + "' && " + command + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(full.c_str()), 0) << command;
  }

  test_support::TestTenant tenant_;
  fs::path root_;
};

}  // namespace furoshiki::scanner::testing
