// The libclamav engine and the scan of one object; see engine.hpp.
#include "scanner/engine.hpp"

#include "common/log.hpp"

#include <clamav.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <mutex>

namespace furoshiki::scanner {
namespace fs = std::filesystem;

namespace {

// libclamav prints its warnings and errors to stderr by default; they belong in our JSON log.
void on_clamav_message(enum cl_msg severity, const char* /*fullmsg*/, const char* msg, void* /*context*/) {
  std::string text = msg ? msg : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (severity == CL_MSG_ERROR) {
    log::warn("clamav_message", {{"severity", "error"}, {"message", text}});
  } else if (severity == CL_MSG_WARN) {
    log::debug("clamav_message", {{"severity", "warning"}, {"message", text}});
  }
}

// cl_init must run once per process, before any engine.
cl_error_t initialize_libclamav() {
  static std::once_flag once;
  static cl_error_t result = CL_SUCCESS;
  std::call_once(once, [] {
    cl_set_clcb_msg(on_clamav_message);
    result = cl_init(CL_INIT_DEFAULT);
  });
  return result;
}

constexpr std::array<std::string_view, 38> kDatabaseExtensions = {
    ".db",  ".hdb", ".hdu", ".hsb", ".hsu", ".mdb", ".mdu", ".msb",  ".msu",  ".ndb", ".ndu",  ".ldb", ".ldu",
    ".sdb", ".zmd", ".rmd", ".idb", ".fp",  ".sfp", ".gdb", ".pdb",  ".wdb",  ".cbc", ".ftm",  ".cfg", ".cvd",
    ".cld", ".cud", ".cdb", ".cat", ".crb", ".ioc", ".yar", ".yara", ".pwdb", ".ign", ".ign2", ".info"};

// The object as libclamav sees it: a pread-like callback over the decrypting opener.
// libclamav guarantees one callback at a time per handle, so no locking is needed here.
struct ObjectHandle {
  crypto::ObjectOpener* object = nullptr;
  boost::system::error_code failure;  // first read failure; the verdict is then an error
};

off_t read_object(void* handle, void* buf, size_t count, off_t offset) {
  auto* h = static_cast<ObjectHandle*>(handle);
  const std::uint64_t size = h->object->size();
  if (offset < 0) {
    errno = EINVAL;
    return -1;
  }
  const auto start = static_cast<std::uint64_t>(offset);
  if (start >= size || count == 0) return 0;
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(count, size - start));
  if (auto ec = h->object->read(start, {static_cast<std::uint8_t*>(buf), n})) {
    if (!h->failure) h->failure = ec;
    errno = EIO;
    return -1;
  }
  return static_cast<off_t>(n);
}

// "Heuristics.Limits.Exceeded.MaxRecursion" and friends, and the other heuristic alerts that mean
// "could not be inspected" rather than "is malicious".
ScanVerdict classify_signature(std::string_view name) {
  constexpr std::string_view kLimits = "Heuristics.Limits.Exceeded.";
  if (name.starts_with(kLimits)) {
    const std::string_view which = name.substr(kLimits.size());
    if (which == "MaxScanTime") return ScanVerdict::refused("scan_timeout", std::string(name));
    if (which == "MaxFileSize") return ScanVerdict::refused("too_large", std::string(name));
    return ScanVerdict::refused("limits_exceeded", std::string(name));
  }
  if (name.starts_with("Heuristics.Encrypted.")) return ScanVerdict::refused("encrypted", std::string(name));
  if (name.starts_with("Heuristics.Broken.")) return ScanVerdict::refused("broken_input", std::string(name));
  // libclamav marks names from unsigned (custom) databases ".UNOFFICIAL"; people are told the
  // signature's own name, the log keeps the full one.
  constexpr std::string_view kUnofficial = ".UNOFFICIAL";
  ScanVerdict verdict = ScanVerdict::infected(std::string(name));
  if (name.ends_with(kUnofficial)) {
    verdict.signature = std::string(name.substr(0, name.size() - kUnofficial.size()));
    verdict.detail = std::string(name);
  }
  return verdict;
}

unsigned cvd_version(const fs::path& file, std::int64_t& build_time) {
  cl_cvd* head = cl_cvdhead(file.c_str());
  if (!head) return 0;
  const unsigned version = head->version;
  build_time = head->stime;
  cl_cvdfree(head);
  return version;
}

}  // namespace

bool is_database_file_name(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  return std::any_of(kDatabaseExtensions.begin(), kDatabaseExtensions.end(),
                     [&](std::string_view ext) { return name.size() > ext.size() && name.ends_with(ext); });
}

std::vector<DatabaseFile> list_database_files(const fs::path& signature_dir) {
  std::vector<DatabaseFile> files;
  std::error_code ec;
  for (fs::directory_iterator it(signature_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!is_database_file_name(name)) continue;
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    DatabaseFile f;
    f.name = name;
    f.bytes = static_cast<std::uint64_t>(st.st_size);
    f.modified = st.st_mtime;
    f.build_time = st.st_mtime;
    if (name.ends_with(".cvd") || name.ends_with(".cld")) f.version = cvd_version(it->path(), f.build_time);
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return files;
}

std::shared_ptr<const Engine> Engine::load(const fs::path& signature_dir, const fs::path& tmp_dir,
                                           const ScanLimits& limits, std::string& error) {
  if (cl_error_t rc = initialize_libclamav(); rc != CL_SUCCESS) {
    error = std::string("libclamav initialisation failed: ") + cl_strerror(rc);
    return nullptr;
  }
  std::shared_ptr<Engine> engine(new Engine);
  engine->limits_ = limits;
  engine->info_.files = list_database_files(signature_dir);
  if (engine->info_.files.empty()) {
    error = "no signature databases in " + signature_dir.string();
    return nullptr;
  }
  engine->engine_ = cl_engine_new();
  if (!engine->engine_) {
    error = "cannot create a libclamav engine (out of memory)";
    return nullptr;
  }
  cl_engine* e = engine->engine_;
  auto set_num = [&](cl_engine_field field, long long value, const char* what) {
    if (cl_error_t rc = cl_engine_set_num(e, field, value); rc != CL_SUCCESS) {
      error = std::string("cannot set ") + what + ": " + cl_strerror(rc);
      return false;
    }
    return true;
  };
  const bool configured =
      set_num(CL_ENGINE_MAX_FILESIZE, static_cast<long long>(std::min(limits.max_file_bytes, kLibclamavMaxBytes)),
              "max file size") &&
      set_num(CL_ENGINE_MAX_SCANSIZE, static_cast<long long>(limits.max_scan_bytes), "max scan size") &&
      set_num(CL_ENGINE_MAX_RECURSION, limits.max_recursion, "max recursion") &&
      set_num(CL_ENGINE_MAX_FILES, limits.max_files, "max files") &&
      set_num(CL_ENGINE_MAX_SCANTIME, static_cast<long long>(limits.max_scan_time.count()), "max scan time") &&
      // No clean cache. Its key is the MD5 of the whole object, which libclamav 1.4 computes
      // before the scan by reading the map in 10 MiB steps (fmap_get_hash); the map's aging frees
      // at most 2047 pages (8 MiB) per step, so a fifth of the object stayed resident (400 MiB
      // for 1.9 GiB). Without it the scan keeps about 8 MiB of the object, whatever its size. The
      // cache only spared rescanning identical clean bytes within one engine's life; every
      // object is scanned once at upload, so nothing is lost.
      set_num(CL_ENGINE_DISABLE_CACHE, 1, "the clean cache off");
  if (!configured) return nullptr;
  if (cl_error_t rc = cl_engine_set_str(e, CL_ENGINE_TMPDIR, tmp_dir.c_str()); rc != CL_SUCCESS) {
    error = std::string("cannot set the temporary directory: ") + cl_strerror(rc);
    return nullptr;
  }

  unsigned signatures = 0;
  if (cl_error_t rc = cl_load(signature_dir.c_str(), e, &signatures, CL_DB_STDOPT); rc != CL_SUCCESS) {
    error = "cannot load the signature databases in " + signature_dir.string() + ": " + cl_strerror(rc);
    return nullptr;
  }
  if (signatures == 0) {
    error = "the signature databases in " + signature_dir.string() + " hold no signatures";
    return nullptr;
  }
  if (cl_error_t rc = cl_engine_compile(e); rc != CL_SUCCESS) {
    error = std::string("cannot compile the signature databases: ") + cl_strerror(rc);
    return nullptr;
  }

  DefinitionInfo& info = engine->info_;
  info.signatures = signatures;
  info.engine_version = cl_retver();
  for (const auto& f : info.files) {
    info.newest_build_time = std::max(info.newest_build_time, f.build_time);
    if (f.name == "daily.cvd" || f.name == "daily.cld") info.daily_version = f.version;
  }
  return engine;
}

Engine::~Engine() {
  if (engine_) cl_engine_free(engine_);
}

ScanVerdict Engine::scan(crypto::ObjectOpener& object, const ScanPolicy& policy) const {
  const std::uint64_t size = object.size();
  if (size > kLibclamavMaxBytes) {
    return ScanVerdict::refused("too_large", "larger than libclamav can scan (2 GiB - 3 bytes)");
  }
  if (size > limits_.max_file_bytes) return ScanVerdict::refused("too_large", "larger than scanner.max_file_bytes");
  if (size == 0) return ScanVerdict::clean();  // nothing to inspect, nothing to hide

  ObjectHandle handle{&object, {}};
  // Aging lets libclamav drop pages it has scanned (at most 8 MiB per read it asks for); with the
  // clean cache off (Engine::load) that keeps the map's resident part near 8 MiB.
  cl_fmap_t* map = cl_fmap_open_handle(&handle, 0, static_cast<size_t>(size), read_object, 1);
  if (!map) return ScanVerdict::error("engine_error", "cannot map the object for scanning");

  cl_scan_options options{};
  options.general = CL_SCAN_GENERAL_HEURISTICS;
  options.parse = ~0u;
  options.heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX;
  if (!policy.allow_encrypted)
    options.heuristic |= CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE | CL_SCAN_HEURISTIC_ENCRYPTED_DOC;

  const char* virname = nullptr;
  unsigned long scanned = 0;
  const cl_error_t rc = cl_scanmap_callback(map, nullptr, &virname, &scanned, engine_, &options, nullptr);
  cl_fmap_close(map);

  if (handle.failure) {
    if (handle.failure == crypto::CryptoErrc::kIntegrity) {
      return ScanVerdict::error("integrity", "the stored object failed authentication");
    }
    return ScanVerdict::error("read_failed", handle.failure.message());
  }
  switch (rc) {
    case CL_CLEAN: return ScanVerdict::clean();
    case CL_VIRUS:
      if (!virname) return ScanVerdict::error("engine_error", "libclamav reported a match without a name");
      return classify_signature(virname);
    case CL_ETIMEOUT: return ScanVerdict::refused("scan_timeout", cl_strerror(rc));
    case CL_EMAXREC:
    case CL_EMAXSIZE:
    case CL_EMAXFILES: return ScanVerdict::refused("limits_exceeded", cl_strerror(rc));
    case CL_EFORMAT:
    case CL_EPARSE:
    case CL_EUNPACK: return ScanVerdict::refused("broken_input", cl_strerror(rc));
    default: return ScanVerdict::error("engine_error", cl_strerror(rc));
  }
}

}  // namespace furoshiki::scanner
