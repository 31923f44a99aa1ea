// The test signature set that `furoshiki init` and `scripts/dev run` install: the EICAR test
// string as a body (.ndb) signature named "Eicar-Test-Signature". It detects nothing real;
// deployments must let definition updates run (config [scanner.updates]).
#pragma once

#include <filesystem>
#include <string>

namespace furoshiki::scanner {

inline constexpr const char* kTestSignatureFile = "furoshiki-test-only-eicar.ndb";

// The .ndb line; the EICAR string is written in hex so that this source file itself is not EICAR.
std::string eicar_ndb_line();
// The 68-byte EICAR test file (for tests and demonstrations).
std::string eicar_test_file();

// Writes kTestSignatureFile into `signature_dir` (created 0700 if missing), atomically.
// False with `error` set on failure.
bool install_test_signatures(const std::filesystem::path& signature_dir, std::string& error);

}  // namespace furoshiki::scanner
