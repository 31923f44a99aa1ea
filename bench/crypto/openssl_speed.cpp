// Runs `openssl speed` for furoshiki_crypto_bench; see openssl_speed.hpp.
#include "openssl_speed.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

namespace furoshiki::bench {
namespace {

namespace fs = std::filesystem;

// A directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "furoshiki-crypto-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct CommandOutput {
  int status = -1;     // exit status; 128 + signal number when killed by a signal
  std::string output;  // stdout and stderr
};

// Runs argv (argv[0] looked up in PATH) to completion with stdout and stderr on one pipe.
//
// posix_spawn, not fork: glibc starts the child with vfork semantics, sharing the address space
// until exec. A fork() would mark every page of this process copy-on-write, and the next seal()
// would then take a page fault for each 4 KiB of its in-memory sink — halving the measured
// throughput of every round after the first.
CommandOutput run_command(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (spawned != 0) {
    ::close(fds[0]);
    throw std::system_error(spawned, std::generic_category(), "posix_spawnp " + argv[0]);
  }
  CommandOutput result;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n > 0) {
      result.output.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.status = 128 + WTERMSIG(status);
  return result;
}

// Like the wrapper CryptoContext::create() loads (crypto/context.cpp), as a file for the child.
std::string fips_only_config(const std::filesystem::path& module_config) {
  return "openssl_conf = openssl_init\n"
         ".include " +
         module_config.string() +
         "\n"
         "[openssl_init]\n"
         "providers = provider_sect\n"
         "alg_section = algorithm_sect\n"
         "[provider_sect]\n"
         "fips = fips_sect\n"
         "base = base_sect\n"
         "[base_sect]\n"
         "activate = 1\n"
         "[algorithm_sect]\n"
         "default_properties = fips=yes\n";
}

std::string joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

// The bytes per second of the first "+F:<index>:<name>:<bytes/s>" line of `openssl speed -mr`
// (one block size was asked for, so one value).
double parse_speed_mr(const std::string& output) {
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("+F:")) continue;
    const auto colon = line.rfind(':');
    try {
      return std::stod(line.substr(colon + 1));
    } catch (const std::exception&) {
      break;
    }
  }
  throw std::runtime_error("openssl speed printed no +F: result line:\n" + output);
}

}  // namespace

OpensslSpeedResult openssl_speed_aes_256_gcm(const std::string& openssl, const crypto::CryptoSettings& settings,
                                             std::size_t block_bytes, int seconds) {
  TempDir temp;
  std::vector<std::string> env = {"/usr/bin/env"};
  std::vector<std::string> speed_options;
  if (settings.fips == crypto::FipsMode::kRequired) {
    const auto config = temp.path() / "openssl-fips-only.cnf";
    std::ofstream out(config);
    out << fips_only_config(settings.fips_module_config);
    if (!out.flush()) throw std::runtime_error("cannot write " + config.string());
    env.push_back("OPENSSL_CONF=" + config.string());
    env.push_back("OPENSSL_MODULES=" + settings.fips_module_dir.string());
    speed_options = {"-propquery", "fips=yes"};
  } else {
    env.insert(env.end(), {"-u", "OPENSSL_CONF", "-u", "OPENSSL_MODULES"});
  }

  if (settings.fips == crypto::FipsMode::kRequired) {
    std::vector<std::string> list = env;
    list.insert(list.end(), {openssl, "list", "-providers"});
    const CommandOutput providers = run_command(list);
    const bool fips_only = providers.status == 0 &&
                           providers.output.find("OpenSSL FIPS Provider") != std::string::npos &&
                           providers.output.find("OpenSSL Default Provider") == std::string::npos;
    if (!fips_only) {
      throw std::runtime_error("`" + joined(list) + "` does not show the FIPS provider alone:\n" + providers.output);
    }
  }

  std::vector<std::string> argv = env;
  argv.insert(argv.end(), {openssl, "speed", "-mr", "-evp", "aes-256-gcm", "-bytes", std::to_string(block_bytes),
                           "-seconds", std::to_string(seconds)});
  argv.insert(argv.end(), speed_options.begin(), speed_options.end());
  const CommandOutput result = run_command(argv);
  if (result.status != 0) {
    throw std::runtime_error("`" + joined(argv) + "` exited with status " + std::to_string(result.status) + ":\n" +
                             result.output);
  }
  return {parse_speed_mr(result.output) / 1e6, joined(argv)};
}

}  // namespace furoshiki::bench
