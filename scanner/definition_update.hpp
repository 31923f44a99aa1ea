// One definition update attempt with libfreshclam, run in a child process
// (`furoshiki definitions update --config FILE`), never inside the server: libfreshclam keeps
// process-wide state, chdir()s into the database directory, sleeps between retries and prints to
// stderr, and it parses data fetched from the network — a crash or hang there must not take the
// server down. The server's DefinitionUpdater (updater.hpp) starts the child, bounds its time and
// reads its one-line JSON result from stdout.
#pragma once

#include "common/config.hpp"

#include <filesystem>

namespace furoshiki::scanner {

// Updates the official databases from the configured mirrors (or the private mirror) and downloads
// every custom URL into `signature_dir`, testing each database before it replaces the old one.
// `work_dir` holds libfreshclam's temporary files and state. Prints one JSON object on stdout:
// {"ok":true|false,"updated":N,"databases":[...],"error":"..."}. Returns 0 on success, 1 on failure.
int run_definition_update(const ScannerUpdatesConfig& config, const std::filesystem::path& signature_dir,
                          const std::filesystem::path& work_dir);

}  // namespace furoshiki::scanner
