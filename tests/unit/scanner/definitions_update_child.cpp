// The child process of the DefinitionUpdater tests: one definition update attempt, configured from
// the command line instead of a configuration file (production runs `furoshiki definitions update
// --config FILE`, which calls the same run_definition_update).
//
//   furoshiki_definitions_update_child --signatures DIR --work DIR [--timeout SECONDS]
//                                      [--private-mirror HOST] [--url URL]...
//
// Official mirrors are left empty, so nothing but the given URLs is ever contacted.
#include "scanner/definition_update.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  furoshiki::ScannerUpdatesConfig config;
  config.mirrors.clear();
  config.databases.clear();
  std::filesystem::path signatures, work;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", arg.c_str());
      return 2;
    }
    const std::string value = argv[++i];
    if (arg == "--signatures") {
      signatures = value;
    } else if (arg == "--work") {
      work = value;
    } else if (arg == "--url") {
      config.custom_urls.push_back(value);
    } else if (arg == "--timeout") {
      config.timeout = std::chrono::seconds(std::atoi(value.c_str()));
    } else if (arg == "--private-mirror") {
      config.private_mirror = value;
      config.databases = {"daily"};
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (signatures.empty() || work.empty()) {
    std::fprintf(stderr, "--signatures and --work are required\n");
    return 2;
  }
  return furoshiki::scanner::run_definition_update(config, signatures, work);
}
