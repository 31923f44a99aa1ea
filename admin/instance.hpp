// Creating a furoshiki instance (`furoshiki init`): the directory with its configuration,
// self-signed certificate, master key and migrated database.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace furoshiki::admin {

struct InstanceOptions {
  std::filesystem::path dir;
  std::string hostname = "localhost";
  std::uint16_t port = 8443;
  // Automatic definition updates on (production) or off (offline development machines, where the
  // definitions' age is then not checked either).
  bool definition_updates = true;
};

struct InstanceResult {
  bool ok = false;
  std::string error;  // why it failed; nothing was left behind that was not there before
  std::filesystem::path config_file;
};

// Creates, inside `dir` (created 0700 if missing; must otherwise be empty):
//   furoshiki.toml      configuration listening on 127.0.0.1 (and ::1 where IPv6 works) at `port`
//   tls/cert.pem        self-signed ECDSA P-256 certificate for `hostname` and localhost
//   tls/key.pem         its key, 0600
//   keys/master.key     256 random bits, hex, 0600
//   data/objects, data/staging, data/furoshiki.db (latest schema)
//   data/signatures/furoshiki-test-only-eicar.ndb   the test signature set (EICAR only)
// Refuses to touch an existing instance (any file already in `dir`).
InstanceResult create_instance(const InstanceOptions& options);

}  // namespace furoshiki::admin
