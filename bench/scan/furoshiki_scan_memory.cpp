// furoshiki_scan_memory: how much resident memory scanner::Engine::scan adds while libclamav
// scans one large object. For each size N (MiB) it seals N MiB of pseudo-random bytes (optionally
// with EICAR as the last 68 bytes) into a file, as a staging file receives an upload, then opens
// it the way the scan stage does (pread, decrypting chunk by chunk) and scans it with the test
// signature set. Before the scan the kernel's peak counter is reset (/proc/self/clear_refs "5");
// a sampler thread reads /proc/self/status every 20 ms. Reported: peak VmRSS and peak RssAnon
// above what the process held just before the scan (engine loaded), VmHWM likewise, the verdict
// and the time. Not run by CTest (timed, large files); see bench/README.md.
#include "crypto/context.hpp"
#include "crypto/object_format.hpp"
#include "scanner/engine.hpp"
#include "scanner/test_signatures.hpp"
#include "storage/object_store.hpp"

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace furoshiki;

namespace {

// A /proc/self/status field in KiB ("VmRSS", "RssAnon", "VmHWM"); 0 when missing.
std::uint64_t status_kib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

void reset_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
}

// Keeps the largest VmRSS and RssAnon seen while it runs.
class Sampler {
 public:
  Sampler() : thread_([this] { run(); }) {}
  ~Sampler() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::uint64_t peak_rss_kib() const { return peak_rss_; }
  std::uint64_t peak_anon_kib() const { return peak_anon_; }

 private:
  void run() {
    while (!stop_) {
      peak_rss_ = std::max<std::uint64_t>(peak_rss_, status_kib("VmRSS"));
      peak_anon_ = std::max<std::uint64_t>(peak_anon_, status_kib("RssAnon"));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> peak_rss_{0}, peak_anon_{0};
  std::thread thread_;
};

struct Tenant {
  explicit Tenant(std::shared_ptr<crypto::CryptoContext> c) : ctx(std::move(c)), key(crypto::SecretKey::random(*ctx)) {
    ref = {"org-scan-memory", "0123456789abcdef0123456789abcdef", 1};
  }
  std::shared_ptr<crypto::CryptoContext> ctx;
  crypto::SecretKey key;
  crypto::TenantKeyRef ref;
};

// Seals `mib` MiB of xorshift bytes (different for every seed), EICAR last if asked, into `out`.
void seal_object(const Tenant& t, const fs::path& out, const std::string& id, std::uint64_t mib, bool eicar,
                 std::uint64_t seed) {
  std::unique_ptr<storage::WritableFile> dst;
  if (storage::posix_file_system().new_writable_file(out, dst))
    throw std::runtime_error("cannot create " + out.string());
  storage::ObjectFileSink sink(std::move(dst));
  crypto::ObjectSealer sealer(t.ctx, t.key, t.ref, id, sink);
  const std::string tail = eicar ? scanner::eicar_test_file() : std::string();
  std::uint64_t remaining = (mib << 20) - tail.size();
  std::vector<std::uint64_t> words((1 << 20) / 8);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  bool ok = !sealer.status();
  while (ok && remaining > 0) {
    for (auto& w : words) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      w = x;
    }
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, words.size() * 8));
    ok = !sealer.append({reinterpret_cast<const std::uint8_t*>(words.data()), n});
    remaining -= n;
  }
  if (ok && !tail.empty()) ok = !sealer.append({reinterpret_cast<const std::uint8_t*>(tail.data()), tail.size()});
  if (!ok || sealer.finish() || sink.flush()) throw std::runtime_error("sealing " + out.string() + " failed");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Resident memory growth of Engine::scan on one large object"};
  std::vector<std::uint64_t> sizes{100, 500, 1000, 1900};
  fs::path work = fs::temp_directory_path();
  bool eicar = false;
  bool hash_signatures = false;
  app.add_option("--mib", sizes, "object sizes in MiB (each scanned once, in order)");
  app.add_option("--work-dir", work, "where the sealed objects and the signature set are written");
  app.add_flag("--eicar", eicar, "make EICAR the last 68 bytes of every object (the verdict must be infected)");
  app.add_flag("--hash-signatures", hash_signatures,
               "also load whole-file hash signatures (.hdb, .hsb, any size) and false-positive hashes (.fp, .sfp), "
               "as the official databases have; they match nothing here");
  CLI11_PARSE(app, argc, argv);

  const fs::path root = work / ("furoshiki-scan-memory-" + std::to_string(::getpid()));
  fs::create_directories(root / "signatures");
  fs::create_directories(root / "tmp");
  int status = 0;
  try {
    std::string error;
    if (!scanner::install_test_signatures(root / "signatures", error)) throw std::runtime_error(error);
    if (hash_signatures) {
      const std::string md5(32, '0'), sha256(64, '0');
      std::ofstream(root / "signatures" / "bench.hdb") << md5 << ":*:Bench.Hash.Md5:73\n";
      std::ofstream(root / "signatures" / "bench.hsb") << sha256 << ":*:Bench.Hash.Sha256:73\n";
      std::ofstream(root / "signatures" / "bench.fp") << md5 << ":*:Bench.Fp.Md5:73\n";
      std::ofstream(root / "signatures" / "bench.sfp") << sha256 << ":*:Bench.Fp.Sha256:73\n";
    }
    const auto engine = scanner::Engine::load(root / "signatures", root / "tmp", scanner::ScanLimits{}, error);
    if (!engine) throw std::runtime_error(error);
    const Tenant tenant(crypto::CryptoContext::create({}));
    std::printf("%8s %12s %12s %12s %10s %8s  %s\n", "MiB", "base MiB", "+VmRSS MiB", "+RssAnon MiB", "+VmHWM MiB", "s",
                "verdict");
    std::uint64_t seed = 1;
    for (const std::uint64_t mib : sizes) {
      const std::string id = "0000000000000000000000000000" + std::to_string(1000 + seed);
      const fs::path file = root / (id + ".sealed");
      seal_object(tenant, file, id, mib, eicar, seed++);

      std::unique_ptr<storage::RandomAccessFile> in;
      if (storage::posix_file_system().new_random_access_file(file, in)) throw std::runtime_error("cannot open");
      storage::ObjectFileSource source(std::move(in));
      std::unique_ptr<crypto::ObjectOpener> opener;
      const auto lookup = [&](const std::string&, std::uint32_t, crypto::SecretKey& out) -> boost::system::error_code {
        out = tenant.key;
        return {};
      };
      if (auto ec = crypto::ObjectOpener::open(tenant.ctx, source, tenant.ref.org_id, id, lookup, opener)) {
        throw std::runtime_error("open: " + ec.message());
      }

      reset_peak();
      const std::uint64_t base_rss = status_kib("VmRSS"), base_anon = status_kib("RssAnon");
      const auto start = std::chrono::steady_clock::now();
      Sampler sampler;
      const scanner::ScanVerdict verdict = engine->scan(*opener, scanner::ScanPolicy{});
      sampler.stop();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const std::uint64_t hwm = status_kib("VmHWM");
      auto growth = [](std::uint64_t peak, std::uint64_t base) { return peak > base ? (peak - base) / 1024.0 : 0.0; };
      std::printf("%8llu %12.1f %12.1f %12.1f %10.1f %8.1f  %s %s\n", static_cast<unsigned long long>(mib),
                  base_rss / 1024.0, growth(sampler.peak_rss_kib(), base_rss),
                  growth(sampler.peak_anon_kib(), base_anon), growth(hwm, base_rss), seconds,
                  verdict.to_string().c_str(), "");
      std::fflush(stdout);
      opener.reset();
      fs::remove(file);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "furoshiki_scan_memory: %s\n", e.what());
    status = 1;
  }
  fs::remove_all(root);
  return status;
}
