// One definition update attempt with libfreshclam (the child process side); see definition_update.hpp.
//
// libfreshclam's behaviour this code relies on (ClamAV 1.4, libfreshclam/libfreshclam*.c):
// - Every download lands in the temporary directory, is passed to the download-complete callback
//   and only then rename()d over the database file: a callback that refuses the file leaves the
//   working database untouched. The temporary directory must therefore be on the signature
//   directory's file system (both live under the data directory).
// - Custom http(s) URLs are fetched with If-Modified-Since set to the local file's mtime; a 304
//   means "up to date". file:// URLs are copied unless the local file is strictly newer.
// - It chdir()s into the database directory and keeps process-wide state (curl, log file, the
//   CDN cool-down in freshclam.dat): one more reason to run it in a process of its own.
#include "scanner/definition_update.hpp"

#include <clamav.h>
#include <fcntl.h>
// libfreshclam.h has no extern "C" of its own.
extern "C" {
#include <libfreshclam.h>
}
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace furoshiki::scanner {
namespace fs = std::filesystem;

namespace {

// What the download-complete callback needs to know about the file it is given.
struct DownloadContext {
  fs::path signature_dir;
  // The database file a custom URL installs (its last path segment); empty for official databases,
  // whose versions libfreshclam compares itself.
  std::string custom_name;
  bool unchanged = false;   // set when the download is byte-for-byte the installed file
  std::string failed_test;  // the database that failed to load, for the error message
};

// The callback's answer for "identical to the installed file". libfreshclam then abandons the
// temporary file and returns this code from fc_download_url_database, which we read as "nothing
// to install". Without it, a server that ignores If-Modified-Since would make every attempt
// rewrite the file and every rewrite rebuild the scan engine.
constexpr fc_error_t kUnchanged = FC_UPTODATE;

bool same_content(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  const auto size_a = fs::file_size(a, ec);
  if (ec) return false;
  const auto size_b = fs::file_size(b, ec);
  if (ec || size_a != size_b) return false;
  std::ifstream in_a(a, std::ios::binary), in_b(b, std::ios::binary);
  if (!in_a || !in_b) return false;
  std::vector<char> buf_a(64 * 1024), buf_b(64 * 1024);
  while (in_a && in_b) {
    in_a.read(buf_a.data(), static_cast<std::streamsize>(buf_a.size()));
    in_b.read(buf_b.data(), static_cast<std::streamsize>(buf_b.size()));
    if (in_a.gcount() != in_b.gcount()) return false;
    if (!std::equal(buf_a.begin(), buf_a.begin() + in_a.gcount(), buf_b.begin())) return false;
  }
  return in_a.eof() && in_b.eof();
}

fc_error_t on_download_complete(const char* db_filename, void* context) {
  auto* ctx = static_cast<DownloadContext*>(context);
  if (db_filename == nullptr || ctx == nullptr) return FC_EARG;
  const fs::path downloaded(db_filename);
  if (!ctx->custom_name.empty() && same_content(downloaded, ctx->signature_dir / ctx->custom_name)) {
    ctx->unchanged = true;
    return kUnchanged;
  }
  // A database that libclamav cannot load must never replace one that works: the server's engine
  // loads the whole directory, so one broken file would stop every reload.
  const std::string name = downloaded.filename().string();
  const bool bytecode = name.ends_with(".cvd") || name.ends_with(".cld") || name.ends_with(".cbc");
  if (fc_test_database(db_filename, bytecode ? 1 : 0) != FC_SUCCESS) {
    ctx->failed_test = ctx->custom_name.empty() ? name : ctx->custom_name;
    return FC_ETESTFAIL;
  }
  if (!ctx->custom_name.empty()) {
    // The installed file's mtime is what the next attempt sends as If-Modified-Since. HTTP dates
    // have one-second resolution, so a change published later within the second of this download
    // would carry the same Last-Modified and be answered 304 forever. One second earlier costs at
    // most one more download (found unchanged above) and never misses a change.
    const std::time_t back = std::time(nullptr) - 1;
    const timespec times[2] = {{back, 0}, {back, 0}};
    ::utimensat(AT_FDCWD, db_filename, times, 0);
  }
  return FC_SUCCESS;
}

// A URL as it may appear in messages: without user:password@.
std::string redact(const std::string& text) {
  auto url = boost::urls::parse_uri_reference(text);
  if (!url || !url->has_userinfo()) return text;
  boost::urls::url copy(*url);
  copy.remove_userinfo();
  return std::string(copy.buffer());
}

// Official mirrors are HTTPS hosts; a private mirror given as a bare host is plain HTTP, as
// freshclam treats PrivateMirror.
std::string server_url(const std::string& server, const char* default_scheme) {
  if (server.starts_with("http://") || server.starts_with("https://")) return server;
  return std::string(default_scheme) + "://" + server;
}

// Custom URLs name one database file: the last path segment.
std::string database_name_of(const std::string& url) {
  auto parsed = boost::urls::parse_uri_reference(url);
  std::string path = parsed ? std::string(parsed->path()) : url;
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

struct ProxySettings {
  std::string server, user, password;
  std::uint16_t port = 0;
};

bool parse_proxy(const std::string& text, ProxySettings& out) {
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url || url->host().empty()) return false;
  out.server = std::string(url->scheme()) + "://" + std::string(url->encoded_host());
  if (url->has_port()) out.port = url->port_number();
  if (out.port == 0) out.port = url->scheme() == "https" ? 443 : 80;
  if (url->has_userinfo()) {
    out.user = url->user();
    out.password = url->password();
  }
  return true;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size());
  for (auto& s : strings) out.push_back(s.data());
  return out;
}

// Removes what a killed attempt left in libfreshclam's temporary directory.
void empty_directory(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code remove_ec;
    fs::remove_all(it->path(), remove_ec);
  }
}

// Name -> inode, size and mtime of every file in the signature directory: comparing two of them
// tells which database files an attempt installed (libfreshclam reports only a count).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    files[it->path().filename().string()] = std::to_string(st.st_ino) + "|" + std::to_string(st.st_size) + "|" +
                                            std::to_string(st.st_mtim.tv_sec) + "." +
                                            std::to_string(st.st_mtim.tv_nsec);
  }
  return files;
}

struct Result {
  bool ok = true;
  unsigned updated = 0;
  std::vector<std::string> databases;  // names of the files this attempt installed or replaced
  std::vector<std::string> errors;
};

// Writes the one JSON line to `fd` (the original stdout) and returns the exit code.
int report(int fd, const Result& result) {
  boost::json::object out;
  out["ok"] = result.ok;
  out["updated"] = result.updated;
  std::string error;
  for (const auto& e : result.errors) error += (error.empty() ? "" : "; ") + e;
  out["error"] = error;
  boost::json::array names;
  for (const auto& n : result.databases) names.emplace_back(n);
  out["databases"] = std::move(names);
  const std::string line = boost::json::serialize(out) + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  return result.ok ? 0 : 1;
}

// Runs with stdout already pointing at stderr; fills `result`.
void update(const ScannerUpdatesConfig& config, const fs::path& signature_dir, const fs::path& work_dir,
            Result& result) {
  auto fail = [&](std::string message) {
    result.ok = false;
    result.errors.push_back(std::move(message));
  };

  std::error_code ec;
  const fs::path sig_dir = fs::absolute(signature_dir, ec);
  const fs::path work = fs::absolute(work_dir, ec);
  const fs::path tmp = work / "tmp";
  fs::create_directories(tmp, ec);
  if (ec) return fail("cannot create " + tmp.string() + ": " + ec.message());
  ::chmod(work.c_str(), 0700);
  ::chmod(tmp.c_str(), 0700);
  if (!fs::is_directory(sig_dir, ec)) return fail("signature directory does not exist: " + sig_dir.string());

  // One attempt at a time, also against `furoshiki definitions update` run by hand while the
  // server runs: both would share the temporary directory and freshclam.dat. The lock goes
  // with the process, so a killed attempt never leaves it held.
  const fs::path lock_path = work / "update.lock";
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return fail("cannot open " + lock_path.string() + ": " + std::strerror(errno));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) return fail("another definition update is running");
  empty_directory(tmp);

  // libfreshclam's own text goes to a log file beside its state, never into our JSON log on
  // stderr. The previous attempt's log is kept as freshclam.log.1, so it stays bounded.
  const fs::path log_file = work / "freshclam.log";
  fs::rename(log_file, work / "freshclam.log.1", ec);

  if (cl_error_t rc = cl_init(CL_INIT_DEFAULT); rc != CL_SUCCESS) {
    return fail(std::string("libclamav initialisation failed: ") + cl_strerror(rc));
  }

  ProxySettings proxy;
  if (!config.proxy.empty() && !parse_proxy(config.proxy, proxy)) return fail("invalid proxy URL");

  const std::string sig_dir_text = sig_dir.string();
  const std::string tmp_text = tmp.string();
  const std::string log_text = log_file.string();
  const auto timeout = static_cast<std::uint32_t>(std::clamp<std::int64_t>(config.timeout.count(), 1, 86400));

  fc_config fc{};
  fc.msgFlags = FC_CONFIG_MSG_QUIET;
  fc.logFlags = FC_CONFIG_LOG_TIME;
  // Our scheduler retries at the next interval; libfreshclam would otherwise sleep 5 s between
  // attempts of its own, inside our time budget.
  fc.maxAttempts = 1;
  fc.connectTimeout = std::min<std::uint32_t>(timeout, 30);
  fc.requestTimeout = timeout;
  fc.logFile = log_text.c_str();
  fc.databaseDirectory = sig_dir_text.c_str();
  fc.tempDirectory = tmp_text.c_str();
  if (!proxy.server.empty()) {
    fc.proxyServer = proxy.server.c_str();
    fc.proxyPort = proxy.port;
    if (!proxy.user.empty()) {
      fc.proxyUsername = proxy.user.c_str();
      fc.proxyPassword = proxy.password.c_str();
    }
  }
  if (fc_error_t rc = fc_initialize(&fc); rc != FC_SUCCESS) {
    return fail(std::string("libfreshclam initialisation failed: ") + fc_strerror(rc));
  }
  fc_set_fccb_download_complete(on_download_complete);

  const auto before = snapshot(sig_dir);

  // Official databases.
  std::vector<std::string> servers;
  int private_mirror = 0;
  const char* dns_info = nullptr;
  char* dns_reply = nullptr;
  if (!config.private_mirror.empty()) {
    // A private mirror is not listed in ClamAV's DNS record: versions come from its CVD headers.
    servers.push_back(server_url(config.private_mirror, "http"));
    private_mirror = 1;
  } else if (!config.mirrors.empty()) {
    for (const auto& m : config.mirrors) servers.push_back(server_url(m, "https"));
    // The DNS TXT record tells which versions exist without touching the mirrors; when it cannot
    // be read libfreshclam falls back to asking the mirrors over HTTP.
    char* new_version = nullptr;
    if (fc_dns_query_update_info("current.cvd.clamav.net", &dns_reply, &new_version) == FC_SUCCESS) {
      dns_info = dns_reply;
    }
    std::free(new_version);
  }
  if (!servers.empty() && !config.databases.empty()) {
    std::vector<std::string> names = config.databases;
    auto name_ptrs = c_strings(names);
    auto server_ptrs = c_strings(servers);
    DownloadContext ctx{sig_dir, "", false, ""};
    std::uint32_t updated = 0;
    const fc_error_t rc = fc_update_databases(name_ptrs.data(), static_cast<std::uint32_t>(name_ptrs.size()),
                                              server_ptrs.data(), static_cast<std::uint32_t>(server_ptrs.size()),
                                              private_mirror, dns_info, private_mirror ? 0 : 1, &ctx, &updated);
    result.updated += updated;
    if (rc != FC_SUCCESS) {
      std::string message = std::string("official databases: ") + fc_strerror(rc);
      if (!ctx.failed_test.empty()) message += " (" + ctx.failed_test + " does not load)";
      fail(std::move(message));
    }
  }
  std::free(dns_reply);

  // Custom databases, one by one: a broken URL is reported by name and does not keep the others
  // from updating.
  for (const auto& url : config.custom_urls) {
    DownloadContext ctx{sig_dir, database_name_of(url), false, ""};
    int updated = 0;
    const fc_error_t rc = fc_download_url_database(url.c_str(), &ctx, &updated);
    if (rc == kUnchanged && ctx.unchanged) continue;
    if (rc != FC_SUCCESS) {
      std::string message = redact(url) + ": " + fc_strerror(rc);
      if (!ctx.failed_test.empty()) message += " (the downloaded database does not load)";
      fail(std::move(message));
      continue;
    }
    if (updated) ++result.updated;
  }

  fc_cleanup();
  empty_directory(tmp);
  for (const auto& [name, id] : snapshot(sig_dir)) {
    const auto old = before.find(name);
    if ((old == before.end() || old->second != id) && name != "freshclam.dat") result.databases.push_back(name);
  }
}

}  // namespace

int run_definition_update(const ScannerUpdatesConfig& config, const fs::path& signature_dir, const fs::path& work_dir) {
  // Keep stdout for the one JSON line: libfreshclam and libcurl may print there (progress,
  // verbose output), so while they run, fd 1 points at stderr.
  std::fflush(stdout);
  const int result_fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (result_fd >= 0) ::dup2(STDERR_FILENO, STDOUT_FILENO);

  Result result;
  try {
    update(config, signature_dir, work_dir, result);
  } catch (const std::exception& e) {
    result.ok = false;
    result.errors.push_back(e.what());
  }
  std::fflush(stdout);
  return report(result_fd >= 0 ? result_fd : STDOUT_FILENO, result);
}

}  // namespace furoshiki::scanner
