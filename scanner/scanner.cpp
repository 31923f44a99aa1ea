// The scan stage: engine swaps, temporary files, fail-closed availability; see scanner.hpp.
#include "scanner/scanner.hpp"

#include "common/log.hpp"

#include <sys/stat.h>

#include <chrono>

namespace furoshiki::scanner {
namespace fs = std::filesystem;

namespace {

std::int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Name, size, mtime (ns) and inode of every database file: any rewrite, rename-over, addition or
// removal changes it, even twice within one second.
std::string fingerprint(const fs::path& dir) {
  std::vector<std::string> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!is_database_file_name(name)) continue;
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0) continue;
    entries.push_back(name + "|" + std::to_string(st.st_size) + "|" + std::to_string(st.st_mtim.tv_sec) + "." +
                      std::to_string(st.st_mtim.tv_nsec) + "|" + std::to_string(st.st_ino));
  }
  if (ec) return "unreadable: " + ec.message();
  std::sort(entries.begin(), entries.end());
  std::string out;
  for (const auto& e : entries) out += e + "\n";
  return out;
}

}  // namespace

Scanner::Scanner(ScannerOptions options) : options_(std::move(options)) {
  if (!options_.clock) options_.clock = system_now;
}

Scanner::~Scanner() {
  {
    std::lock_guard lock(watch_mutex_);
    stopping_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

std::string Scanner::start() {
  std::error_code ec;
  fs::create_directories(options_.tmp_dir, ec);
  ::chmod(options_.tmp_dir.c_str(), 0700);
  empty_tmp_dir();
  reload(true);
  std::lock_guard lock(engine_mutex_);
  return last_error_;
}

void Scanner::watch(std::chrono::milliseconds interval) {
  watcher_ = std::thread([this, interval] {
    std::unique_lock lock(watch_mutex_);
    while (!watch_cv_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      try {
        reload(false);
      } catch (const std::exception& e) {
        log::error("definitions_reload_failed", {{"reason", e.what()}});
      }
      lock.lock();
    }
  });
}

bool Scanner::reload(bool force) {
  std::lock_guard reload_lock(reload_mutex_);
  const std::string print = fingerprint(options_.signature_dir);
  if (!force && print == attempted_fingerprint_) return false;
  attempted_fingerprint_ = print;

  const auto started = std::chrono::steady_clock::now();
  std::string error;
  auto engine = Engine::load(options_.signature_dir, options_.tmp_dir, options_.limits, error);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  bool swapped = false;
  {
    std::lock_guard lock(engine_mutex_);
    last_attempt_ = options_.clock();
    if (engine) {
      engine_ = engine;  // scans holding the previous engine keep it alive until they finish
      engine_loaded_at_ = last_attempt_;
      ++generation_;
      last_error_.clear();
      swapped = true;
    } else {
      last_error_ = error;
      ++reload_failures_;
    }
  }
  if (swapped) {
    log::info("definitions_loaded", {{"signatures", engine->info().signatures},
                                     {"files", engine->info().files.size()},
                                     {"daily_version", engine->info().daily_version},
                                     {"newest_build_time", engine->info().newest_build_time},
                                     {"engine_version", engine->info().engine_version},
                                     {"load_ms", millis}});
  } else {
    log::error("definitions_load_failed", {{"reason", error}, {"keeps_previous_engine", current() != nullptr}});
  }
  notify();
  return swapped;
}

std::shared_ptr<const Engine> Scanner::current() const {
  std::lock_guard lock(engine_mutex_);
  return engine_;
}

std::optional<ScanVerdict> Scanner::unavailable_with(const std::shared_ptr<const Engine>& engine) const {
  if (!engine) {
    std::lock_guard lock(engine_mutex_);
    return ScanVerdict::error("no_engine", last_error_.empty() ? "no definitions loaded" : last_error_);
  }
  const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(options_.max_definition_age).count();
  if (max_age > 0) {
    const std::int64_t age = options_.clock() - engine->info().newest_build_time;
    if (age > max_age) {
      return ScanVerdict::error("definitions_too_old", "newest definitions are " + std::to_string(age / 3600) +
                                                           " hours old; scanner.max_definition_age_hours is " +
                                                           std::to_string(max_age / 3600));
    }
  }
  return std::nullopt;
}

std::optional<ScanVerdict> Scanner::unavailable() const { return unavailable_with(current()); }

ScanVerdict Scanner::scan(crypto::ObjectOpener& object, const ScanPolicy& policy) {
  const auto engine = current();
  if (auto refusal = unavailable_with(engine)) {
    end_scan(*refusal);
    return *refusal;
  }
  begin_scan();
  ScanVerdict verdict;
  try {
    verdict = engine->scan(object, policy);
  } catch (const std::exception& e) {
    verdict = ScanVerdict::error("engine_error", e.what());
  }
  {
    std::lock_guard lock(scans_mutex_);
    --in_flight_;
    if (in_flight_ == 0) empty_tmp_dir();
  }
  end_scan(verdict);
  return verdict;
}

void Scanner::begin_scan() {
  std::lock_guard lock(scans_mutex_);
  ++in_flight_;
}

void Scanner::end_scan(const ScanVerdict& verdict) {
  std::lock_guard lock(scans_mutex_);
  ++total_;
  switch (verdict.kind) {
    case ScanVerdict::Kind::kClean: ++clean_; break;
    case ScanVerdict::Kind::kInfected: ++infected_; break;
    case ScanVerdict::Kind::kRefused: ++refused_; break;
    case ScanVerdict::Kind::kError: ++errors_; break;
  }
}

// REQUIRES: no scan in flight (scans_mutex_ held with in_flight_ == 0, or before the first scan).
void Scanner::empty_tmp_dir() {
  std::error_code ec;
  for (fs::directory_iterator it(options_.tmp_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code remove_ec;
    fs::remove_all(it->path(), remove_ec);
    if (remove_ec)
      log::warn("scan_tmp_cleanup_failed", {{"path", it->path().string()}, {"reason", remove_ec.message()}});
  }
}

ScannerStatus Scanner::status() const {
  ScannerStatus s;
  std::shared_ptr<const Engine> engine;
  {
    std::lock_guard lock(engine_mutex_);
    engine = engine_;
    s.engine_loaded_at = engine_loaded_at_;
    s.engine_generation = generation_;
    s.last_reload_attempt = last_attempt_;
    s.last_reload_error = last_error_;
    s.reload_failures = reload_failures_;
  }
  if (engine) s.definitions = engine->info();
  if (auto refusal = unavailable_with(engine)) {
    s.unavailable_reason = refusal->reason;
    s.unavailable_detail = refusal->detail;
  } else {
    s.ready = true;
  }
  std::lock_guard lock(scans_mutex_);
  s.scans_in_flight = in_flight_;
  s.scans_total = total_;
  s.scans_clean = clean_;
  s.scans_infected = infected_;
  s.scans_refused = refused_;
  s.scans_error = errors_;
  return s;
}

void Scanner::on_change(std::function<void(const ScannerStatus&)> callback) {
  std::lock_guard lock(callback_mutex_);
  callback_ = std::move(callback);
}

void Scanner::notify() {
  std::function<void(const ScannerStatus&)> callback;
  {
    std::lock_guard lock(callback_mutex_);
    callback = callback_;
  }
  if (callback) callback(status());
}

}  // namespace furoshiki::scanner
