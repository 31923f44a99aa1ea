// Strict TOML configuration loading; see config.hpp and docs/configuration.md.
#include "common/config.hpp"

#include "common/network_range.hpp"

#include <toml++/toml.h>
#include <boost/url/parse.hpp>

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

namespace furoshiki {
namespace fs = std::filesystem;

std::string ListenAddress::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line != 0) out += ":" + std::to_string(line);
  if (!out.empty()) out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  // inet_pton reads a C string: a NUL would hide everything after it (found by fuzz/).
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  ListenAddress out;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    in6_addr a6{};
    if (inet_pton(AF_INET6, out.host.c_str(), &a6) != 1) return std::nullopt;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    in_addr a4{};
    if (inet_pton(AF_INET, out.host.c_str(), &a4) != 1) return std::nullopt;
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535 || port_text.empty()) {
    return std::nullopt;
  }
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

namespace {

std::uint32_t line_of(const toml::node& node) { return static_cast<std::uint32_t>(node.source().begin.line); }

// Reads the keys of one TOML table, remembering which ones were consumed so that anything left
// over is reported as unknown. Every error names the dotted key and its line.
class Section {
 public:
  Section(const toml::table* table, std::string prefix, std::vector<ConfigError>& errors, std::string_view file)
      : table_(table), prefix_(std::move(prefix)), errors_(errors), file_(file) {}

  void fail(std::string_view key, const toml::node* node, std::string message) {
    errors_.push_back({dotted(key), node ? line_of(*node) : 0, std::move(message), std::string(file_)});
  }

  const toml::node* take(std::string_view key) {
    if (!table_) return nullptr;
    seen_.insert(std::string(key));
    return table_->get(key);
  }

  template <typename T>
  void integer(std::string_view key, T& out, std::int64_t min, std::int64_t max) {
    const toml::node* node = take(key);
    if (!node) return;
    const auto* value = node->as_integer();
    if (!value) return fail(key, node, "must be an integer");
    const std::int64_t v = value->get();
    if (v < min || v > max) {
      return fail(key, node, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    out = static_cast<T>(v);
  }

  template <typename Duration>
  void duration(std::string_view key, Duration& out, std::int64_t min, std::int64_t max) {
    std::int64_t v = out.count();
    integer(key, v, min, max);
    out = Duration(v);
  }

  // An array of non-empty strings, each accepted by `valid` (which returns an error or "").
  template <typename Check>
  void strings(std::string_view key, std::vector<std::string>& out, Check valid) {
    const toml::node* node = take(key);
    if (!node) return;
    const auto* array = node->as_array();
    if (!array) return fail(key, node, "must be an array of strings");
    std::vector<std::string> parsed;
    for (const auto& element : *array) {
      const auto* text = element.as_string();
      if (!text) return fail(key, &element, "must be an array of strings");
      if (std::string problem = valid(text->get()); !problem.empty()) return fail(key, &element, problem);
      parsed.push_back(text->get());
    }
    out = std::move(parsed);
  }

  void boolean(std::string_view key, bool& out) {
    const toml::node* node = take(key);
    if (!node) return;
    if (const auto* value = node->as_boolean())
      out = value->get();
    else
      fail(key, node, "must be true or false");
  }

  // Returns the node for further checks by the caller, or nullptr if absent or not a string.
  const toml::node* string(std::string_view key, std::string& out) {
    const toml::node* node = take(key);
    if (!node) return nullptr;
    const auto* value = node->as_string();
    if (!value) {
      fail(key, node, "must be a string");
      return nullptr;
    }
    out = value->get();
    return node;
  }

  void addresses(std::string_view key, std::vector<ListenAddress>& out) {
    const toml::node* node = take(key);
    if (!node) return;
    const auto* array = node->as_array();
    if (!array) return fail(key, node, "must be an array of \"address:port\" strings");
    std::vector<ListenAddress> parsed;
    for (const auto& element : *array) {
      const auto* text = element.as_string();
      auto address = text ? parse_listen_address(text->get()) : std::nullopt;
      if (!address) {
        return fail(key, &element,
                    "each entry must be \"IPv4:port\" or \"[IPv6]:port\", e.g. \"0.0.0.0:8443\" or \"[::]:8443\"");
      }
      parsed.push_back(*address);
    }
    out = std::move(parsed);
  }

  Section table(std::string_view key) {
    const toml::node* node = take(key);
    if (node && !node->is_table()) fail(key, node, "must be a table");
    return Section(node ? node->as_table() : nullptr, dotted(key), errors_, file_);
  }

  // Reports every key of the table that no getter asked for.
  void reject_unknown() {
    if (!table_) return;
    for (const auto& [key, node] : *table_) {
      if (!seen_.contains(std::string(key.str()))) {
        fail(key.str(), &node, "unknown key");
      }
    }
  }

  std::string dotted(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
  }

 private:
  const toml::table* table_;
  std::string prefix_;
  std::vector<ConfigError>& errors_;
  std::string_view file_;
  std::set<std::string> seen_;
};

struct PathRef {
  std::string key;
  std::uint32_t line = 0;
};

// Resolves a configured path against the configuration file's directory.
fs::path resolve(const fs::path& base, const std::string& text) {
  fs::path p(text);
  return p.is_absolute() ? p : (base / p).lexically_normal();
}

class PathChecker {
 public:
  PathChecker(std::vector<ConfigError>& errors, std::string_view file) : errors_(errors), file_(file) {}

  void fail(const PathRef& ref, std::string message) {
    errors_.push_back({ref.key, ref.line, std::move(message), std::string(file_)});
  }

  bool regular_file(const PathRef& ref, const fs::path& p) {
    std::error_code ec;
    const auto status = fs::status(p, ec);
    if (ec || !fs::exists(status)) {
      fail(ref, "file does not exist: " + p.string());
      return false;
    }
    if (!fs::is_regular_file(status)) {
      fail(ref, "not a regular file: " + p.string());
      return false;
    }
    if (::access(p.c_str(), R_OK) != 0) {
      fail(ref, "file is not readable: " + p.string());
      return false;
    }
    return true;
  }

  // Secret material: readable by its owner only (no group or other permission bits at all).
  void secret_file(const PathRef& ref, const fs::path& p) {
    if (!regular_file(ref, p)) return;
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return fail(ref, "cannot stat " + p.string());
    if ((st.st_mode & 077) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      fail(ref, "key file " + p.string() + " has mode " + mode +
                    "; it must not be accessible by group or others (chmod 600)");
    }
  }

  void directory_readable(const PathRef& ref, const fs::path& p) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) return fail(ref, "directory does not exist: " + p.string());
    if (::access(p.c_str(), R_OK | X_OK) != 0) fail(ref, "directory is not readable: " + p.string());
  }

  void directory(const PathRef& ref, const fs::path& p) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) return fail(ref, "directory does not exist: " + p.string());
    if (::access(p.c_str(), R_OK | W_OK | X_OK) != 0) fail(ref, "directory is not writable: " + p.string());
  }

 private:
  std::vector<ConfigError>& errors_;
  std::string_view file_;
};

bool valid_public_url(const std::string& text) {
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return false;
  return url->scheme() == "https" && url->has_authority() && !url->host().empty() && !url->has_userinfo() &&
         (url->path().empty() || url->path() == "/") && !url->has_query() && !url->has_fragment();
}

// Host names for the update mirrors: letters, digits, '-', '.', optionally ":port".
std::string check_mirror(const std::string& text) {
  if (text.empty() || text.size() > 253) return "must be a host name, e.g. \"database.clamav.net\"";
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == ':')) {
      return "must be a host name, e.g. \"database.clamav.net\"";
    }
  }
  return "";
}

// Custom database URLs: http, https or file, naming one database file (its last path segment).
std::string check_database_url(const std::string& text) {
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url || (url->scheme() != "http" && url->scheme() != "https" && url->scheme() != "file")) {
    return "must be an http://, https:// or file:// URL";
  }
  const std::string path = url->path();
  const auto slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name.find('.') == std::string::npos || name.front() == '.') {
    return "must end in a database file name such as \"custom.ndb\"";
  }
  return "";
}

std::string check_database_name(const std::string& text) {
  if (text.empty() || text.size() > 64) return "must be a database name such as \"daily\"";
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return "must be a database name such as \"daily\"";
    }
  }
  return "";
}

}  // namespace

ConfigResult parse_config(std::string_view text, const fs::path& base_dir, std::string_view file_name,
                          bool check_paths) {
  ConfigResult result;
  auto& errors = result.errors;
  toml::table root;
  try {
    root = toml::parse(text, file_name);
  } catch (const toml::parse_error& e) {
    errors.push_back({"", static_cast<std::uint32_t>(e.source().begin.line),
                      "TOML syntax error: " + std::string(e.description()), std::string(file_name)});
    return result;
  }

  Config config;
  std::uint32_t fips_line = 0;
  Section top(&root, "", errors, file_name);
  std::map<std::string, PathRef> refs;
  std::map<std::string, std::string> raw_paths = {
      {"tls.certificate", "tls/cert.pem"},
      {"tls.private_key", "tls/key.pem"},
      {"database.path", "data/furoshiki.db"},
      {"storage.data_dir", "data"},
      {"crypto.master_key_file", "keys/master.key"},
      {"metrics.token_file", ""},
      {"crypto.fips_module_dir", ""},
      {"crypto.fips_module_config", ""},
      {"web.root", FUROSHIKI_DEFAULT_WEB_ROOT},
  };
  const std::set<std::string> optional_paths = {"metrics.token_file", "crypto.fips_module_dir",
                                                "crypto.fips_module_config", "web.root"};
  auto path_key = [&](Section& section, std::string_view key) {
    const std::string dotted = section.dotted(key);
    if (const toml::node* node = section.string(key, raw_paths[dotted])) {
      refs[dotted] = {dotted, line_of(*node)};
      if (raw_paths[dotted].empty() && !optional_paths.contains(dotted)) section.fail(key, node, "must not be empty");
    } else {
      refs.emplace(dotted, PathRef{dotted, 0});
    }
  };

  {
    Section s = top.table("server");
    config.server.listen = {{"0.0.0.0", 8443}, {"::", 8443}};
    s.addresses("listen", config.server.listen);
    if (config.server.listen.empty()) s.fail("listen", nullptr, "must name at least one address");
    config.server.public_url = "https://localhost:8443";
    if (const toml::node* node = s.string("public_url", config.server.public_url)) {
      if (!valid_public_url(config.server.public_url)) {
        s.fail("public_url", node, "must be an https URL with a host and no path, e.g. \"https://files.example.com\"");
      }
    }
    s.integer("io_threads", config.server.io_threads, 0, 256);
    s.duration("shutdown_grace_seconds", config.server.shutdown_grace, 0, 3600);
    s.strings("trusted_proxies", config.server.trusted_proxies, [](const std::string& range) -> std::string {
      return parse_network_range(range) ? "" : "must be IPv4 or IPv6 networks in CIDR notation, e.g. \"10.0.0.0/8\"";
    });
    Section redirect = s.table("redirect");
    redirect.addresses("listen", config.server.redirect_listen);
    redirect.reject_unknown();
    s.reject_unknown();
  }
  {
    Section s = top.table("tls");
    path_key(s, "certificate");
    path_key(s, "private_key");
    s.duration("hsts_max_age_seconds", config.tls.hsts_max_age, 0, std::int64_t{2} * 31536000);
    s.reject_unknown();
  }
  {
    Section s = top.table("limits");
    auto& l = config.limits;
    s.integer("max_header_bytes", l.max_header_bytes, 1024, std::int64_t{1024} * 1024);
    s.duration("handshake_timeout_seconds", l.handshake_timeout, 1, 600);
    s.duration("header_timeout_seconds", l.header_timeout, 1, 600);
    s.duration("idle_timeout_seconds", l.idle_timeout, 1, 3600);
    s.duration("body_progress_interval_seconds", l.body_progress_interval, 1, 600);
    s.integer("body_min_bytes_per_interval", l.body_min_bytes_per_interval, 0, 1 << 30);
    s.duration("write_timeout_seconds", l.write_timeout, 1, 3600);
    s.integer("max_connections", l.max_connections, 1, 1000000);
    s.integer("max_connections_per_client", l.max_connections_per_client, 1, 1000000);
    s.reject_unknown();
  }
  {
    Section s = top.table("database");
    path_key(s, "path");
    s.duration("busy_timeout_ms", config.database.busy_timeout, 0, 600000);
    s.boolean("migrate_on_start", config.database.migrate_on_start);
    s.reject_unknown();
  }
  {
    Section s = top.table("storage");
    path_key(s, "data_dir");
    s.integer("reserve_bytes", config.storage.reserve_bytes, 0, std::int64_t{1} << 50);
    s.integer("max_file_bytes", config.storage.max_file_bytes, 1, std::int64_t{1} << 50);
    s.reject_unknown();
  }
  {
    Section s = top.table("files");
    s.duration("sweep_interval_seconds", config.files.sweep_interval, 1, 86400);
    s.integer("sweep_batch", config.files.sweep_batch, 1, 10000);
    s.reject_unknown();
  }
  {
    Section s = top.table("uploads");
    auto& u = config.uploads;
    s.duration("expiry_seconds", u.expiry, 1, 30 * 86400);
    s.duration("sweep_interval_seconds", u.sweep_interval, 1, 86400);
    s.integer("max_unfinished_per_user", u.max_unfinished_per_user, 1, 100000);
    s.integer("max_unfinished_total", u.max_unfinished_total, 1, 1000000);
    if (u.max_unfinished_per_user > u.max_unfinished_total) {
      s.fail("max_unfinished_per_user", s.take("max_unfinished_per_user"),
             "must not be above max_unfinished_total (" + std::to_string(u.max_unfinished_total) + ")");
    }
    s.duration("lock_wait_ms", u.lock_wait, 1, 60000);
    s.duration("ended_retention_hours", u.ended_retention, 1, 24 * 365);
    s.reject_unknown();
  }
  {
    Section s = top.table("web");
    path_key(s, "root");
    s.reject_unknown();
  }
  {
    Section s = top.table("crypto");
    path_key(s, "master_key_file");
    std::string fips = "off";
    if (const toml::node* node = s.string("fips", fips)) {
      if (fips != "off" && fips != "required") s.fail("fips", node, "must be \"required\" or \"off\"");
      fips_line = line_of(*node);
    }
    config.crypto.fips_required = fips == "required";
    if (const toml::node* node = s.string("master_key_credential", config.crypto.master_key_credential)) {
      const auto& name = config.crypto.master_key_credential;
      if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
        s.fail("master_key_credential", node, "must be a credential name without '/'");
      }
    }
    path_key(s, "fips_module_dir");
    path_key(s, "fips_module_config");
    s.reject_unknown();
  }
  {
    Section s = top.table("scanner");
    auto& c = config.scanner;
    s.integer("threads", c.threads, 0, 256);
    s.integer("queue_length", c.queue_length, 1, 100000);
    s.duration("queue_wait_seconds", c.queue_wait, 0, 3600);
    s.integer("max_file_bytes", c.max_file_bytes, 1, 2147483645);
    s.integer("max_scan_bytes", c.max_scan_bytes, 1, std::int64_t{1} << 40);
    s.integer("max_recursion", c.max_recursion, 1, 64);
    s.integer("max_files", c.max_files, 1, 1000000);
    s.duration("max_scan_time_seconds", c.max_scan_time, 1, 86400);
    s.duration("max_definition_age_hours", c.max_definition_age, 0, 24 * 365);
    s.duration("reload_check_seconds", c.reload_check_interval, 1, 3600);
    Section u = s.table("updates");
    auto& up = c.updates;
    u.boolean("enabled", up.enabled);
    u.duration("interval_seconds", up.interval, 60, 7 * 86400);
    u.duration("timeout_seconds", up.timeout, 10, 86400);
    u.strings("mirrors", up.mirrors, check_mirror);
    if (const toml::node* node = u.string("private_mirror", up.private_mirror)) {
      if (!up.private_mirror.empty() && check_mirror(up.private_mirror) != "" &&
          check_database_url(up.private_mirror + "/x.cvd") != "") {
        u.fail("private_mirror", node, "must be a host name or an http(s):// URL");
      }
    }
    u.strings("databases", up.databases, check_database_name);
    u.strings("custom_urls", up.custom_urls, check_database_url);
    if (const toml::node* node = u.string("proxy", up.proxy)) {
      auto url = boost::urls::parse_absolute_uri(up.proxy);
      if (!up.proxy.empty() && (!url || (url->scheme() != "http" && url->scheme() != "https") || url->host().empty())) {
        u.fail("proxy", node, "must be an http:// or https:// URL, e.g. \"http://proxy.example.com:3128\"");
      }
    }
    if (up.enabled && up.mirrors.empty() && up.private_mirror.empty() && up.custom_urls.empty()) {
      u.fail("enabled", nullptr, "updates are enabled but no mirror, private_mirror or custom_urls is set");
    }
    u.reject_unknown();
    s.reject_unknown();
  }
  {
    Section s = top.table("metrics");
    path_key(s, "token_file");
    s.reject_unknown();
  }
  {
    Section s = top.table("log");
    if (const toml::node* node = s.string("level", config.log.level)) {
      if (config.log.level != "debug" && config.log.level != "info" && config.log.level != "warn" &&
          config.log.level != "error") {
        s.fail("level", node, "must be one of \"debug\", \"info\", \"warn\", \"error\"");
      }
    }
    s.reject_unknown();
  }
  top.reject_unknown();

  config.tls.certificate = resolve(base_dir, raw_paths["tls.certificate"]);
  config.tls.private_key = resolve(base_dir, raw_paths["tls.private_key"]);
  config.database.path = resolve(base_dir, raw_paths["database.path"]);
  config.storage.data_dir = resolve(base_dir, raw_paths["storage.data_dir"]);
  config.crypto.master_key_file = resolve(base_dir, raw_paths["crypto.master_key_file"]);
  if (!raw_paths["crypto.fips_module_dir"].empty()) {
    config.crypto.fips_module_dir = resolve(base_dir, raw_paths["crypto.fips_module_dir"]);
  }
  if (!raw_paths["crypto.fips_module_config"].empty()) {
    config.crypto.fips_module_config = resolve(base_dir, raw_paths["crypto.fips_module_config"]);
  }
  for (const char* key : {"crypto.fips_module_dir", "crypto.fips_module_config"}) {
    // These paths end up in an OpenSSL configuration, where '#' starts a comment and '$' a variable.
    if (raw_paths[key].find_first_of("#$\"'\\\n\r") != std::string::npos) {
      errors.push_back(
          {key, refs[key].line, "must not contain # $ quotes, backslashes or line breaks", std::string(file_name)});
    }
  }
  if (config.crypto.fips_required) {
    for (const char* key : {"crypto.fips_module_dir", "crypto.fips_module_config"}) {
      if (raw_paths[key].empty()) {
        errors.push_back({key, fips_line, "must be set when crypto.fips = \"required\"", std::string(file_name)});
      }
    }
  }
  // A missing UI directory is not an error: the server then serves the API alone (server/web_ui.hpp).
  if (!raw_paths["web.root"].empty()) config.web.root = resolve(base_dir, raw_paths["web.root"]);
  if (!raw_paths["metrics.token_file"].empty()) {
    config.metrics.token_file = resolve(base_dir, raw_paths["metrics.token_file"]);
  }

  if (check_paths) {
    // Keys whose value is already wrong are not checked again on the file system.
    std::set<std::string> bad_keys;
    for (const auto& e : errors) bad_keys.insert(e.key);
    auto ok = [&](const char* key) { return !bad_keys.contains(key); };
    PathChecker check(errors, file_name);
    if (ok("tls.certificate")) check.regular_file(refs["tls.certificate"], config.tls.certificate);
    if (ok("tls.private_key")) check.secret_file(refs["tls.private_key"], config.tls.private_key);
    if (ok("crypto.master_key_file") && config.crypto.master_key_credential.empty())
      check.secret_file(refs["crypto.master_key_file"], config.crypto.master_key_file);
    if (ok("metrics.token_file") && !config.metrics.token_file.empty()) {
      check.secret_file(refs["metrics.token_file"], config.metrics.token_file);
    }
    if (ok("crypto.fips_module_dir") && !config.crypto.fips_module_dir.empty()) {
      check.directory_readable(refs["crypto.fips_module_dir"], config.crypto.fips_module_dir);
    }
    if (ok("crypto.fips_module_config") && !config.crypto.fips_module_config.empty()) {
      check.regular_file(refs["crypto.fips_module_config"], config.crypto.fips_module_config);
    }
    if (ok("storage.data_dir")) check.directory(refs["storage.data_dir"], config.storage.data_dir);
    if (ok("database.path")) check.directory(refs["database.path"], config.database.path.parent_path());
  }

  if (errors.empty()) result.config = std::move(config);
  return result;
}

ConfigResult load_config(const fs::path& file) {
  ConfigResult result;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    result.errors.push_back({"", 0, "cannot read configuration file", file.string()});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  const fs::path absolute = fs::absolute(file);
  result = parse_config(text.str(), absolute.parent_path(), file.string(), true);
  if (result.config) result.config->source = absolute;
  return result;
}

}  // namespace furoshiki
