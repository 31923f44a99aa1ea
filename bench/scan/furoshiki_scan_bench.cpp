// furoshiki_scan_bench: throughput of the scan stage (scanner/: Scanner over libclamav, reading
// encrypted objects through crypto::ObjectOpener) against `clamscan` with the same synthetic
// signature database and the same limits, in the same run; and the scan pool with 1 and 2
// threads. See bench/README.md ("bench/scan").
#include "crypto/context.hpp"
#include "crypto/object_format.hpp"
#include "scanner/scan_pool.hpp"
#include "scanner/scanner.hpp"
#include "storage/object_store.hpp"

#include "machine.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;  // NOLINT(readability-redundant-declaration): for posix_spawnp

namespace {

namespace crypto = furoshiki::crypto;
namespace scanner = furoshiki::scanner;
namespace storage = furoshiki::storage;
namespace fs = std::filesystem;
using furoshiki::bench::cpu_model;
using furoshiki::bench::load_average;
using furoshiki::bench::utc_now;

// A line of /proc/self/status in KiB ("VmRSS", "VmHWM").
std::uint64_t status_kib(std::string_view key) { return furoshiki::bench::status_kib(::getpid(), key); }

// The goal this bench checks (issue 4): the stage at >= 95 % of clamscan's single-thread speed.
constexpr double kTargetRatio = 0.95;

struct Options {
  fs::path work_dir = "/tmp";
  fs::path db;  // an existing database directory; empty: generate one with the script
  fs::path script = FUROSHIKI_SYNTHETIC_DB_SCRIPT;
  std::string python = "/usr/bin/python3";
  unsigned db_md5 = 2000000;
  unsigned db_sha256 = 1000000;
  unsigned db_body = 30000;
  std::uint64_t random_mib = 1024;
  std::uint64_t text_mib = 1024;
  std::uint64_t zip_mb = 200;
  unsigned small_files = 10000;
  unsigned small_kib = 10;
  std::uint64_t scaling_mib = 256;
  std::string clamscan = "clamscan";
  bool keep = false;
};

// ---- clocks, machine, processes -------------------------------------------------------------

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Timing {
  double wall = 0;
  double cpu = 0;  // user + system of the measured thread, pool or child process
};

struct ChildResult {
  int exit_status = -1;
  Timing timing;
  long max_rss_kib = 0;
};

// Runs `argv` with stdout and stderr into `output`, waits, and returns its times from wait4().
// posix_spawn, never fork(): a fork marks every page of this process copy-on-write (see
// bench/README.md, bench/crypto).
ChildResult run_child(const std::vector<std::string>& argv, const fs::path& output) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const double start = now_seconds();
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  rusage usage{};
  if (::wait4(pid, &status, 0, &usage) != pid) throw std::runtime_error("wait4 failed for " + argv[0]);
  ChildResult r;
  r.timing.wall = now_seconds() - start;
  r.timing.cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                 static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  r.max_rss_kib = usage.ru_maxrss;
  r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void run_or_throw(const std::vector<std::string>& argv, const fs::path& output) {
  const ChildResult r = run_child(argv, output);
  if (r.exit_status != 0) {
    throw std::runtime_error(argv[0] + " failed (exit " + std::to_string(r.exit_status) + "): " + read_text(output));
  }
}

// ---- inputs ---------------------------------------------------------------------------------

// splitmix64: fast, and good enough that libclamav sees incompressible, signature-free bytes.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  void fill(std::span<std::uint8_t> out) {
    std::size_t i = 0;
    for (; i + 8 <= out.size(); i += 8) {
      const std::uint64_t v = next();
      std::memcpy(out.data() + i, &v, 8);
    }
    if (i < out.size()) {
      const std::uint64_t v = next();
      std::memcpy(out.data() + i, &v, out.size() - i);
    }
  }

 private:
  std::uint64_t state_;
};

// English-like prose: common words, punctuation, sentences and lines of about 70 characters.
class Prose {
 public:
  explicit Prose(std::uint64_t seed) : random_(seed) {}
  void fill(std::span<std::uint8_t> out) {
    static constexpr std::array<std::string_view, 64> kWords = {
        "the",      "of",     "and",      "to",      "in",        "a",        "is",           "that",
        "for",      "it",     "as",       "was",     "with",      "be",       "by",           "on",
        "not",      "he",     "this",     "are",     "or",        "his",      "from",         "at",
        "which",    "but",    "have",     "an",      "had",       "they",     "you",          "were",
        "file",     "server", "transfer", "secure",  "upload",    "download", "organization", "policy",
        "scan",     "clean",  "report",   "monday",  "quarterly", "invoice",  "attached",     "please",
        "contract", "review", "meeting",  "project", "customer",  "delivery", "payment",      "account",
        "number",   "total",  "between",  "during",  "because",   "should",   "would",        "through"};
    std::size_t i = 0;
    while (i < out.size()) {
      const std::uint64_t r = random_.next();
      std::string_view word = kWords[r % kWords.size()];
      std::string piece;
      if (capital_) {
        piece.assign(word);
        piece[0] = static_cast<char>(piece[0] - 'a' + 'A');
        capital_ = false;
      } else {
        piece.assign(word);
      }
      const unsigned punct = static_cast<unsigned>((r >> 32) % 100);
      if (punct < 8) {
        piece += '.';
        capital_ = true;
      } else if (punct < 13) {
        piece += ',';
      } else if (punct < 14) {
        piece += std::to_string((r >> 40) % 100000);
      }
      column_ += piece.size() + 1;
      piece += column_ > 70 ? '\n' : ' ';
      if (column_ > 70) column_ = 0;
      const std::size_t n = std::min(piece.size(), out.size() - i);
      std::memcpy(out.data() + i, piece.data(), n);
      i += n;
    }
  }

 private:
  Random random_;
  bool capital_ = true;
  std::size_t column_ = 0;
};

template <typename Generator>
void write_generated(const fs::path& file, std::uint64_t bytes, Generator& generator) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  std::vector<std::uint8_t> buffer(1 << 20);
  for (std::uint64_t left = bytes; left > 0;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
    generator.fill({buffer.data(), n});
    out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(n));
    left -= n;
  }
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

// ---- sealed objects -------------------------------------------------------------------------

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The tenant every benchmark object belongs to. An object's id is its file name's index.
class Tenant {
 public:
  explicit Tenant(std::shared_ptr<crypto::CryptoContext> ctx)
      : ctx_(std::move(ctx)), key_(crypto::SecretKey::random(*ctx_)) {
    ref_ = {"org-scan-bench", "0123456789abcdef0123456789abcdef", 1};
  }

  static std::string object_id(std::uint64_t n) {
    char id[33];
    std::snprintf(id, sizeof id, "%032llx", static_cast<unsigned long long>(n));
    return id;
  }

  // Seals the plaintext file `in` into `out` (untimed preparation).
  void seal(const fs::path& in, const fs::path& out, std::uint64_t n) const {
    FileDescriptor src(::open(in.c_str(), O_RDONLY | O_CLOEXEC));
    std::unique_ptr<storage::WritableFile> dst;
    if (src.get() < 0 || storage::posix_file_system().new_writable_file(out, dst)) {
      throw std::runtime_error("cannot open " + in.string() + " or create " + out.string());
    }
    storage::ObjectFileSink sink(std::move(dst));  // as a staging file receives them
    crypto::ObjectSealer sealer(ctx_, key_, ref_, object_id(n), sink);
    std::vector<std::uint8_t> buffer(256 << 10);
    bool ok = !sealer.status();
    for (ssize_t got; ok && (got = ::read(src.get(), buffer.data(), buffer.size())) != 0;) {
      ok = got > 0 && !sealer.append({buffer.data(), static_cast<std::size_t>(got)});
    }
    if (!ok || sealer.finish() || sink.flush()) throw std::runtime_error("sealing " + in.string() + " failed");
  }

  // Opens the stored object `file` (id `n`) and scans it: the real path, from pread to verdict.
  scanner::ScanVerdict scan(scanner::Scanner& s, const fs::path& file, std::uint64_t n) const {
    // pread(2), no views: the opener copies each sealed chunk, as for a stored object.
    std::unique_ptr<storage::RandomAccessFile> file_in;
    if (storage::posix_file_system().new_random_access_file(file, file_in)) {
      return scanner::ScanVerdict::error("read_failed", "cannot open " + file.string());
    }
    storage::ObjectFileSource source(std::move(file_in));
    std::unique_ptr<crypto::ObjectOpener> opener;
    const auto lookup = [this](const std::string& key_id, std::uint32_t version,
                               crypto::SecretKey& out) -> boost::system::error_code {
      if (key_id != ref_.key_id || version != ref_.version) return crypto::CryptoErrc::kUnknownKey;
      out = key_;
      return {};
    };
    if (auto ec = crypto::ObjectOpener::open(ctx_, source, ref_.org_id, object_id(n), lookup, opener)) {
      return scanner::ScanVerdict::error("read_failed", ec.message());
    }
    return s.scan(*opener);
  }

 private:
  std::shared_ptr<crypto::CryptoContext> ctx_;
  crypto::SecretKey key_;
  crypto::TenantKeyRef ref_;
};

// One benchmark input: its plaintext files (what clamscan reads) and the sealed objects made of
// them (what the stage reads), object i sealed from plaintext i with id `first_id + i`.
struct Input {
  std::string name;
  std::vector<fs::path> plaintext;
  std::vector<fs::path> sealed;
  std::uint64_t first_id = 0;
  fs::path clamscan_target;  // a file, or the directory of many files
  std::uint64_t bytes = 0;   // plaintext bytes (the zip: the archive's bytes)
};

std::uint64_t file_bytes(const fs::path& p) { return static_cast<std::uint64_t>(fs::file_size(p)); }

Input seal_input(const Tenant& tenant, std::string name, std::vector<fs::path> plaintext, fs::path sealed_dir,
                 std::uint64_t& next_id, fs::path clamscan_target = {}) {
  Input input;
  input.name = std::move(name);
  input.first_id = next_id;
  fs::create_directories(sealed_dir);
  for (std::size_t i = 0; i < plaintext.size(); ++i) {
    fs::path out = sealed_dir / (plaintext[i].filename().string() + ".sealed");
    tenant.seal(plaintext[i], out, next_id++);
    input.sealed.push_back(std::move(out));
    input.bytes += file_bytes(plaintext[i]);
  }
  input.clamscan_target = clamscan_target.empty() ? plaintext.front() : clamscan_target;
  input.plaintext = std::move(plaintext);
  return input;
}

// ---- measurements ---------------------------------------------------------------------------

void require_clean(const scanner::ScanVerdict& v, const fs::path& file) {
  if (!v.is_clean()) throw std::runtime_error(file.string() + " did not scan clean: " + v.to_string());
}

// Every object of `input`, one after another on this thread.
Timing scan_in_thread(const Tenant& tenant, scanner::Scanner& s, const Input& input) {
  const double wall = now_seconds();
  const double cpu = thread_cpu_seconds();
  for (std::size_t i = 0; i < input.sealed.size(); ++i) {
    require_clean(tenant.scan(s, input.sealed[i], input.first_id + i), input.sealed[i]);
  }
  return {now_seconds() - wall, thread_cpu_seconds() - cpu};
}

// Every object of every input through a ScanPool of `threads`; wall time from the first submit
// to the last verdict, CPU time of the whole process over that interval.
Timing scan_in_pool(const Tenant& tenant, scanner::Scanner& s, const std::vector<const Input*>& inputs,
                    unsigned threads) {
  scanner::ScanPool pool(s, {.threads = threads, .queue_length = 256, .queue_wait = std::chrono::minutes(30)});
  std::vector<std::pair<std::future<scanner::ScanVerdict>, fs::path>> pending;
  const double wall = now_seconds();
  const double cpu = process_cpu_seconds();
  for (const Input* input : inputs) {
    for (std::size_t i = 0; i < input->sealed.size(); ++i) {
      const fs::path file = input->sealed[i];
      const std::uint64_t id = input->first_id + i;
      auto submitted = pool.submit([&tenant, file, id](scanner::Scanner& sc) { return tenant.scan(sc, file, id); });
      if (!submitted) throw std::runtime_error("scan pool refused a job: " + submitted.error().message());
      pending.emplace_back(std::move(*submitted), file);
    }
  }
  for (auto& [future, file] : pending) require_clean(future.get(), file);
  return {now_seconds() - wall, process_cpu_seconds() - cpu};
}

struct Clamscan {
  std::string command;
  fs::path db;
  fs::path output;
  scanner::ScanLimits limits;

  // clamscan's limits set to ours (its defaults are far lower: 100 MB per file, 400 MB per
  // scan...) and the same heuristics on: "exceeds max" and encrypted archives and documents.
  std::vector<std::string> argv(const fs::path& target) const {
    std::vector<std::string> a = {command,
                                  "--no-summary",
                                  "--infected",
                                  "--database=" + db.string(),
                                  "--max-filesize=" + std::to_string(limits.max_file_bytes),
                                  "--max-scansize=" + std::to_string(limits.max_scan_bytes),
                                  "--max-recursion=" + std::to_string(limits.max_recursion),
                                  "--max-files=" + std::to_string(limits.max_files),
                                  "--max-scantime=" + std::to_string(limits.max_scan_time.count()),
                                  "--alert-exceeds-max=yes",
                                  "--alert-encrypted=yes"};
    if (fs::is_directory(target)) a.push_back("--recursive");
    a.push_back(target.string());
    return a;
  }

  // Exit 0 is "no virus found" (1: found, 2: an error).
  ChildResult scan(const fs::path& target) const {
    ChildResult r = run_child(argv(target), output);
    if (r.exit_status != 0) {
      throw std::runtime_error("clamscan " + target.string() + " exited " + std::to_string(r.exit_status) + ": " +
                               read_text(output));
    }
    return r;
  }
};

struct Row {
  std::string name;
  std::uint64_t bytes = 0;
  Timing ours;
  ChildResult clam;
  ChildResult clam_load;  // clamscan on a 1 KiB file, right after
};

double mb_per_s(std::uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0;
}

std::string with_commas(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// ---- the run --------------------------------------------------------------------------------

int run(const Options& options) {
  utsname uts{};
  ::uname(&uts);
  std::printf("furoshiki_scan_bench  %s\n", utc_now().c_str());
  std::printf("machine   %s, %u cores, %s %s\n", cpu_model().c_str(), std::thread::hardware_concurrency(), uts.sysname,
              uts.release);
  std::printf("load      %s (start)\n", load_average().c_str());
  std::fflush(stdout);

  std::string dir_template = (options.work_dir / "furoshiki-scan-bench.XXXXXX").string();
  if (!::mkdtemp(dir_template.data()))
    throw std::runtime_error("cannot create a directory in " + options.work_dir.string());
  const fs::path root = dir_template;
  struct Cleanup {
    fs::path root;
    bool keep;
    ~Cleanup() {
      std::error_code ec;
      if (!keep) fs::remove_all(root, ec);
    }
  } cleanup{root, options.keep};
  const fs::path log_file = root / "child.log";

  // The database.
  fs::path db = options.db;
  double db_seconds = 0;
  if (db.empty()) {
    db = root / "db";
    const double start = now_seconds();
    run_or_throw({options.python, options.script.string(), db.string(), "--md5", std::to_string(options.db_md5),
                  "--sha256", std::to_string(options.db_sha256), "--body", std::to_string(options.db_body)},
                 log_file);
    db_seconds = now_seconds() - start;
  }
  std::uint64_t db_bytes = 0;
  for (const auto& f : fs::directory_iterator(db)) db_bytes += file_bytes(f.path());
  std::printf("database  %s: %s bytes%s\n", db.c_str(), with_commas(db_bytes).c_str(),
              options.db.empty() ? (" (generated in " + std::to_string(static_cast<int>(db_seconds)) + " s: " +
                                    std::to_string(options.db_md5) + " MD5, " + std::to_string(options.db_sha256) +
                                    " SHA-256, " + std::to_string(options.db_body) + " body signatures)")
                                       .c_str()
                                 : "");
  std::fflush(stdout);

  // The inputs: plaintext files, then sealed objects. Every object holds different bytes:
  // libclamav caches the hashes of clean files, so scanning the same bytes twice in one process
  // would measure the cache.
  const double prepare_start = now_seconds();
  const fs::path plain = root / "plain";
  const fs::path sealed = root / "sealed";
  fs::create_directories(plain);
  auto ctx = crypto::CryptoContext::create({});
  const Tenant tenant(ctx);
  std::uint64_t next_id = 1;
  std::uint64_t seed = 1;

  auto random_file = [&](const fs::path& p, std::uint64_t bytes) {
    Random r(seed++);
    write_generated(p, bytes, r);
    return p;
  };
  auto text_file = [&](const fs::path& p, std::uint64_t bytes) {
    Prose t(seed++);
    write_generated(p, bytes, t);
    return p;
  };
  auto small_files = [&](const fs::path& dir) {
    fs::create_directories(dir);
    std::vector<fs::path> files;
    for (unsigned i = 0; i < options.small_files; ++i) {
      const fs::path p = dir / ("f" + std::to_string(i) + (i % 2 ? ".bin" : ".txt"));
      files.push_back(i % 2 ? random_file(p, options.small_kib << 10) : text_file(p, options.small_kib << 10));
    }
    return files;
  };

  std::vector<Input> inputs;
  inputs.push_back(seal_input(tenant, std::to_string(options.random_mib) + " MiB random",
                              {random_file(plain / "random.bin", options.random_mib << 20)}, sealed, next_id));
  inputs.push_back(seal_input(tenant, std::to_string(options.text_mib) + " MiB text",
                              {text_file(plain / "text.txt", options.text_mib << 20)}, sealed, next_id));
  {
    // Members of 4 MiB, alternately random (zip stores them) and text (deflated to about 30 %),
    // in the proportions that make the archive about zip_mb.
    const fs::path members = plain / "zip-members";
    fs::create_directories(members);
    const std::uint64_t target = options.zip_mb * 1000000;
    std::uint64_t estimate = 0;
    for (unsigned i = 0; estimate < target; ++i) {
      const fs::path p = members / ("member" + std::to_string(i) + (i % 2 ? ".bin" : ".txt"));
      const std::uint64_t bytes = std::min<std::uint64_t>(4 << 20, (target - estimate) * (i % 2 ? 1 : 3));
      if (i % 2) {
        random_file(p, bytes);
        estimate += bytes;
      } else {
        text_file(p, bytes);
        estimate += bytes * 3 / 10;
      }
    }
    const fs::path zip = plain / "archive.zip";
    run_or_throw({"zip", "-q", "-r", "-j", zip.string(), members.string()}, log_file);
    std::uint64_t member_bytes = 0;
    unsigned member_count = 0;
    for (const auto& f : fs::directory_iterator(members)) {
      member_bytes += file_bytes(f.path());
      ++member_count;
    }
    inputs.push_back(seal_input(tenant,
                                std::to_string(file_bytes(zip) / 1000000) + " MB zip (" + std::to_string(member_count) +
                                    " members, " + std::to_string(member_bytes / 1000000) + " MB)",
                                {zip}, sealed, next_id));
    fs::remove_all(members);
  }
  {
    const fs::path dir = plain / "small";
    inputs.push_back(seal_input(tenant,
                                with_commas(options.small_files) + " x " + std::to_string(options.small_kib) + " KiB",
                                small_files(dir), sealed / "small", next_id, dir));
  }
  // Scaling inputs: for each kind, one set for the 1-thread pool and one for the 2-thread pool,
  // each of two objects (the small files: a set of their own, spread over the threads).
  struct ScalingKind {
    std::string name;
    std::array<Input, 2> sets;  // [0]: 1 thread, [1]: 2 threads
  };
  std::vector<ScalingKind> scaling;
  const std::uint64_t scaling_bytes = options.scaling_mib << 20;
  for (const bool random : {true, false}) {
    ScalingKind kind;
    kind.name = "2 x " + std::to_string(options.scaling_mib) + " MiB " + (random ? "random" : "text");
    for (int set = 0; set < 2; ++set) {
      std::vector<fs::path> files;
      for (int i = 0; i < 2; ++i) {
        const fs::path p = plain / ("scaling-" + std::string(random ? "random" : "text") + std::to_string(set) + "-" +
                                    std::to_string(i));
        files.push_back(random ? random_file(p, scaling_bytes) : text_file(p, scaling_bytes));
      }
      kind.sets[set] = seal_input(tenant, kind.name, files, sealed / "scaling", next_id);
    }
    scaling.push_back(std::move(kind));
  }
  {
    ScalingKind kind;
    kind.name = with_commas(options.small_files) + " x " + std::to_string(options.small_kib) + " KiB";
    for (int set = 0; set < 2; ++set) {
      const fs::path dir = plain / ("scaling-small" + std::to_string(set));
      kind.sets[set] =
          seal_input(tenant, kind.name, small_files(dir), sealed / ("scaling-small" + std::to_string(set)), next_id);
    }
    scaling.push_back(std::move(kind));
  }
  std::printf("inputs    generated and sealed in %.0f s under %s (page cache: every file written just now)\n",
              now_seconds() - prepare_start, root.c_str());
  std::fflush(stdout);

  // Our engine: loaded once, for every measurement.
  scanner::ScannerOptions scanner_options;
  scanner_options.signature_dir = db;
  scanner_options.tmp_dir = root / "clamtmp";
  scanner_options.max_definition_age = std::chrono::hours(0);
  scanner::Scanner stage(scanner_options);
  const std::uint64_t rss_before = status_kib("VmRSS");
  const double load_wall = now_seconds();
  const double load_cpu = thread_cpu_seconds();
  if (const std::string error = stage.start(); !error.empty()) throw std::runtime_error("engine load: " + error);
  const double our_load_wall = now_seconds() - load_wall;
  const double our_load_cpu = thread_cpu_seconds() - load_cpu;
  const std::uint64_t rss_after = status_kib("VmRSS");
  const auto status = stage.status();
  const scanner::ScanLimits limits = scanner_options.limits;

  const Clamscan clamscan{options.clamscan, db, log_file, limits};
  // clamscan's database load (and the set-up of its first scan): clamscan on a 1 KiB file of
  // random bytes. An empty file would skip the scan altogether.
  const fs::path baseline = random_file(root / "baseline.bin", 1024);
  const ChildResult clam_first_load = clamscan.scan(baseline);
  std::printf(
      "engine    ours: %u signatures, loaded and compiled in %.1f s wall / %.1f s CPU, resident memory +%llu MiB\n"
      "          clamscan on a 1 KiB file: %.1f s wall / %.1f s CPU, max resident %ld MiB\n",
      status.definitions ? status.definitions->signatures : 0u, our_load_wall, our_load_cpu,
      static_cast<unsigned long long>((rss_after - rss_before) >> 10), clam_first_load.timing.wall,
      clam_first_load.timing.cpu, clam_first_load.max_rss_kib >> 10);
  std::printf("limits    max file %llu, max scan %llu, recursion %u, files %u, scan time %lld ms (both sides)\n",
              static_cast<unsigned long long>(limits.max_file_bytes),
              static_cast<unsigned long long>(limits.max_scan_bytes), limits.max_recursion, limits.max_files,
              static_cast<long long>(limits.max_scan_time.count()));
  std::string command;
  for (const auto& a : clamscan.argv(inputs.front().plaintext.front())) command += (command.empty() ? "" : " ") + a;
  std::printf("clamscan  %s\n\n", command.c_str());
  std::fflush(stdout);

  // Single thread: ours, then clamscan, then clamscan's load alone, per input.
  std::vector<Row> rows;
  std::printf("%-40s %10s %10s %10s %10s %10s\n", "input", "ours s", "clam s", "load s", "ours cpu", "clam cpu");
  for (const auto& input : inputs) {
    Row row;
    row.name = input.name;
    row.bytes = input.bytes;
    row.ours = scan_in_thread(tenant, stage, input);
    row.clam = clamscan.scan(input.clamscan_target);
    row.clam_load = clamscan.scan(baseline);
    std::printf("%-40s %10.2f %10.2f %10.2f %10.2f %10.2f   load %s\n", row.name.c_str(), row.ours.wall,
                row.clam.timing.wall, row.clam_load.timing.wall, row.ours.cpu, row.clam.timing.cpu,
                load_average().c_str());
    std::fflush(stdout);
    rows.push_back(std::move(row));
  }

  // Scaling: the pool with 1 thread, then with 2, on different objects of the same kind.
  struct ScalingRow {
    std::string name;
    std::uint64_t bytes = 0;
    Timing one, two;
  };
  std::vector<ScalingRow> scaling_rows;
  for (const auto& kind : scaling) {
    ScalingRow r;
    r.name = kind.name;
    r.bytes = kind.sets[0].bytes;
    r.one = scan_in_pool(tenant, stage, {&kind.sets[0]}, 1);
    r.two = scan_in_pool(tenant, stage, {&kind.sets[1]}, 2);
    std::printf("%-40s pool 1 thread %.2f s (%.2f CPU-s), 2 threads %.2f s (%.2f CPU-s)   load %s\n", r.name.c_str(),
                r.one.wall, r.one.cpu, r.two.wall, r.two.cpu, load_average().c_str());
    std::fflush(stdout);
    scaling_rows.push_back(r);
  }
  std::printf("\nload      %s (end); peak resident memory of this process %llu MiB\n", load_average().c_str(),
              static_cast<unsigned long long>(status_kib("VmHWM") >> 10));

  std::printf(
      "\nMB/s = 10^6 input bytes (plaintext; the zip: the archive) per second. clamscan: its time minus the time\n"
      "of clamscan on a 1 KiB file run right after it (its database load), and raw (load included).\n"
      "wall = elapsed; CPU = CPU time of our scanning thread / of the clamscan process. Target: ours/clamscan\n"
      ">= %.2f (single thread).\n\n",
      kTargetRatio);
  std::printf(
      "| input | ours MB/s | clamscan MB/s (load subtracted) | ours/clamscan | clamscan raw MB/s | ours CPU MB/s | "
      "clamscan CPU MB/s (load subtracted) | ours/clamscan CPU |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  bool met = true;
  for (const auto& row : rows) {
    const double ours = mb_per_s(row.bytes, row.ours.wall);
    const double clam = mb_per_s(row.bytes, row.clam.timing.wall - row.clam_load.timing.wall);
    const double clam_raw = mb_per_s(row.bytes, row.clam.timing.wall);
    const double ours_cpu = mb_per_s(row.bytes, row.ours.cpu);
    const double clam_cpu = mb_per_s(row.bytes, row.clam.timing.cpu - row.clam_load.timing.cpu);
    met = met && ours_cpu / clam_cpu >= kTargetRatio;
    std::printf("| %s | %.1f | %.1f | %.2f | %.1f | %.1f | %.1f | %.2f |\n", row.name.c_str(), ours, clam, ours / clam,
                clam_raw, ours_cpu, clam_cpu, ours_cpu / clam_cpu);
  }
  std::printf("\n| input (pool) | 1 thread MB/s | 2 threads MB/s | 2/1 | 1 thread CPU-s | 2 threads CPU-s |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (const auto& r : scaling_rows) {
    const double one = mb_per_s(r.bytes, r.one.wall);
    const double two = mb_per_s(r.bytes, r.two.wall);
    std::printf("| %s | %.1f | %.1f | %.2f | %.1f | %.1f |\n", r.name.c_str(), one, two, two / one, r.one.cpu,
                r.two.cpu);
  }
  std::printf("\ntarget (CPU MB/s, every input) %s\n", met ? "met" : "NOT met");
  return 0;
}

int run_cli(int argc, char** argv) {
  Options options;
  CLI::App app{"Scan stage throughput against clamscan, same synthetic database (bench/README.md)"};
  app.add_option("--work-dir", options.work_dir, "Where the temporary directory of inputs goes")->capture_default_str();
  app.add_option("--db", options.db, "An existing signature directory (default: generate one with --script)");
  app.add_option("--script", options.script, "make_synthetic_db.py")->capture_default_str();
  app.add_option("--python", options.python, "python3 for the script")->capture_default_str();
  app.add_option("--db-md5", options.db_md5, "Generated database: MD5 hash signatures")->capture_default_str();
  app.add_option("--db-sha256", options.db_sha256, "Generated database: SHA-256 hash signatures")
      ->capture_default_str();
  app.add_option("--db-body", options.db_body, "Generated database: body signatures")->capture_default_str();
  app.add_option("--random-mib", options.random_mib, "Random input, MiB")
      ->capture_default_str()
      ->check(CLI::Range(1, 2047));
  app.add_option("--text-mib", options.text_mib, "Text input, MiB")->capture_default_str()->check(CLI::Range(1, 2047));
  app.add_option("--zip-mb", options.zip_mb, "Zip input, about this many MB")
      ->capture_default_str()
      ->check(CLI::Range(1, 2000));
  app.add_option("--small-files", options.small_files, "Number of small files")
      ->capture_default_str()
      ->check(CLI::Range(2u, 1000000u));
  app.add_option("--small-kib", options.small_kib, "Size of a small file, KiB")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--scaling-mib", options.scaling_mib, "Scaling: size of each random/text object, MiB")
      ->capture_default_str()
      ->check(CLI::Range(1, 2047));
  app.add_option("--clamscan", options.clamscan, "clamscan command")->capture_default_str();
  app.add_flag("--keep", options.keep, "Keep the temporary directory");
  CLI11_PARSE(app, argc, argv);
  return run(options);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_cli(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "furoshiki_scan_bench: " << e.what() << "\n";
    return 1;
  }
}
