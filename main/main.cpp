// furoshiki's command line. main only wires the libraries together; each command's logic lives
// in its library (admin: instances; db: migrations; server: serving).
#include "admin/audit_log.hpp"
#include "admin/authenticator.hpp"
#include "admin/instance.hpp"
#include "admin/object_reconciliation.hpp"
#include "admin/operator_authenticator.hpp"
#include "admin/operator_sessions.hpp"
#include "admin/organizations.hpp"
#include "admin/retention_sweeper.hpp"
#include "admin/second_factor.hpp"
#include "admin/tenant_keys.hpp"
#include "admin/upload_crash_point.hpp"
#include "admin/users.hpp"
#include "common/config.hpp"
#include "common/log.hpp"
#include "common/version.hpp"
#include "crypto/context.hpp"
#include "crypto/keys.hpp"
#include "crypto/password.hpp"
#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"
#include "scanner/definition_update.hpp"
#include "scanner/scan_pool.hpp"
#include "scanner/scanner.hpp"
#include "scanner/updater.hpp"
#include "server/account_routes.hpp"
#include "server/admin_routes.hpp"
#include "server/file_routes.hpp"
#include "server/identity_routes.hpp"
#include "server/metrics.hpp"
#include "server/server.hpp"
#include "server/system_routes.hpp"
#include "server/upload_routes.hpp"
#include "server/usage_routes.hpp"
#include "server/web_ui.hpp"
#include "storage/data_directory.hpp"
#include "storage/object_store.hpp"

#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <CLI/CLI.hpp>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <sstream>

namespace {

using namespace furoshiki;

// One message for stderr, written with a single write(2) when the statement ends, so that it
// never interleaves with the log writer's JSON lines on the same stream.
class ErrorLine {
 public:
  ErrorLine() = default;
  ErrorLine(const ErrorLine&) = delete;
  ErrorLine& operator=(const ErrorLine&) = delete;
  ~ErrorLine() {
    const std::string text = out_.str();
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
  }
  template <typename T>
  ErrorLine& operator<<(const T& value) {
    out_ << value;
    return *this;
  }

 private:
  std::ostringstream out_;
};

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitConfig = 2;

void report(const std::vector<ConfigError>& errors) {
  for (const auto& e : errors) ErrorLine() << "furoshiki: config error: " << e.to_string() << "\n";
}

// Loads the configuration, printing every error ("file:line: key: message") to stderr.
std::optional<Config> load_or_report(const std::string& file) {
  ConfigResult result = load_config(file);
  report(result.errors);
  if (!result.errors.empty()) return std::nullopt;
  if (result.config) {
    log::Level level = log::Level::kInfo;
    log::parse_level(result.config->log.level, level);
    log::set_level(level);
  }
  return std::move(result.config);
}

// The crypto self-test result, refreshed at most once per `max_age`.
class SelfTestCache {
 public:
  bool passed(const crypto::CryptoContext& ctx, std::chrono::seconds max_age) {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!checked_ || now - checked_at_ >= max_age) {
      passed_ = ctx.self_test();
      checked_ = true;
      checked_at_ = now;
    }
    return passed_;
  }

 private:
  std::mutex mutex_;
  bool checked_ = false;
  bool passed_ = false;
  std::chrono::steady_clock::time_point checked_at_;
};

crypto::CryptoSettings crypto_settings(const Config& config) {
  return {config.crypto.fips_required ? crypto::FipsMode::kRequired : crypto::FipsMode::kOff,
          config.crypto.fips_module_dir, config.crypto.fips_module_config};
}

// Creates the process's crypto context; on failure says what is missing and returns null.
std::shared_ptr<crypto::CryptoContext> open_crypto(const Config& config) {
  try {
    auto context = crypto::CryptoContext::create(crypto_settings(config));
    log::info("crypto_ready", {{"fips", context->mode() == crypto::FipsMode::kRequired ? "required" : "off"},
                               {"provider", context->provider_name()},
                               {"provider_version", context->provider_version()}});
    return context;
  } catch (const crypto::CryptoError& e) {
    log::error("crypto_failed", {{"reason", e.what()}});
    ErrorLine() << "furoshiki: " << e.what() << "\n";
    return nullptr;
  }
}

std::optional<crypto::MasterKey> load_master(const crypto::CryptoContext& ctx, const Config& config) {
  try {
    return crypto::load_master_key(ctx, config.crypto.master_key_file, config.crypto.master_key_credential);
  } catch (const crypto::CryptoError& e) {
    ErrorLine() << "furoshiki: " << e.what() << "\n";
    return std::nullopt;
  }
}

std::unique_ptr<db::Database> open_database(const Config& config, bool migrate) {
  boost::system::error_code ec;
  auto database = db::open_sqlite({config.database.path, config.database.busy_timeout}, ec);
  if (!database) {
    ErrorLine() << "furoshiki: cannot open the database " << config.database.path << ": " << ec.message() << "\n";
    return nullptr;
  }
  auto migrations = db::parse_migrations(db::embedded_migrations(), ec);
  if (ec) {
    ErrorLine() << "furoshiki: " << ec.message() << "\n";
    return nullptr;
  }
  if (migrate) {
    db::MigrationReport report;
    if ((ec = db::migrate(*database, migrations, report))) {
      ErrorLine() << "furoshiki: database migration failed: " << ec.message() << "\n";
      return nullptr;
    }
    if (report.to_version != report.from_version) {
      log::info("database_migrated", {{"from_version", report.from_version}, {"to_version", report.to_version}});
    }
  } else if ((ec = db::check_schema(*database, migrations))) {
    ErrorLine() << "furoshiki: " << ec.message() << "\n";
    return nullptr;
  }
  return database;
}

// Many concurrent connections need many descriptors: raise the soft limit to the hard one.
void raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Start-up cleanup of the object store, logged (paths relative to the data directory). False,
// with the reason on stderr, when the data directory cannot be cleaned: it cannot be trusted.
bool clean_up_store(storage::ObjectStore& store) {
  storage::CleanupReport report;
  if (auto ec = store.clean_up(report)) {
    ErrorLine() << "furoshiki: cannot clean up the object store: " << ec.message() << "\n";
    return false;
  }
  boost::json::array staging, strays, left;
  for (const auto& p : report.removed_staging) staging.emplace_back(p.string());
  for (const auto& p : report.removed_strays) strays.emplace_back(p.string());
  for (const auto& p : report.left_alone) left.emplace_back(p.string());
  log::info("object_store_cleaned", {{"objects", report.objects},
                                     {"removed_staging", std::move(staging)},
                                     {"removed_strays", std::move(strays)},
                                     {"left_alone", std::move(left)}});
  return true;
}

// Start-up reconciliation of objects/ with the files table, logged. False, with the reason on
// stderr, when it cannot be done (the database or the data directory answers errors).
bool remove_unreferenced(db::Database& database, storage::ObjectStore& store) {
  admin::ReconciliationReport report;
  if (auto ec = admin::remove_unreferenced_objects(database, store, report)) {
    ErrorLine() << "furoshiki: cannot reconcile the object store with the database: " << ec.message() << "\n";
    return false;
  }
  boost::json::array removed;
  for (const auto& id : report.removed) removed.emplace_back(id);
  log::info("unreferenced_object_removed",
            {{"count", report.removed.size()}, {"kept", report.referenced}, {"objects", std::move(removed)}});
  return true;
}

// The scanner in /readyz (ready only with an engine and definitions young enough) and /metrics.
void add_scanner_reporting(server::Server& server, scanner::Scanner& scanner, scanner::DefinitionUpdater& updater) {
  server.add_readiness_check("scanner", [&scanner, &updater](std::string& detail) {
    const auto u = updater.status();
    const std::string updates =
        !u.enabled
            ? "updates disabled"
            : (u.last_attempt == 0 ? "no update attempt yet"
                                   : (u.last_error.empty() ? "last update ok" : "last update failed: " + u.last_error));
    const auto s = scanner.status();
    if (!s.ready) {
      detail = s.unavailable_reason + ": " + s.unavailable_detail + "; " + updates;
      return false;
    }
    const auto& d = *s.definitions;
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    detail = "libclamav " + d.engine_version + ", " + std::to_string(d.signatures) + " signatures in " +
             std::to_string(d.files.size()) + " files, daily " + std::to_string(d.daily_version) +
             ", newest definitions " + std::to_string((now - d.newest_build_time) / 3600) + " h old";
    if (!s.last_reload_error.empty()) detail += "; last reload failed: " + s.last_reload_error;
    detail += "; " + updates;
    return true;
  });
  auto& metrics = server.metrics();
  metrics.on_render([&scanner, &updater, &metrics] {
    const auto s = scanner.status();
    const auto u = updater.status();
    metrics.set_gauge("furoshiki_definitions_updates_enabled", "1 when automatic definition updates are on.",
                      u.enabled ? 1 : 0);
    metrics.set_gauge("furoshiki_definitions_update_attempts_total", "Definition update attempts.",
                      static_cast<double>(u.attempts));
    metrics.set_gauge("furoshiki_definitions_update_failures_total", "Definition update attempts that failed.",
                      static_cast<double>(u.failures));
    metrics.set_gauge("furoshiki_definitions_update_last_attempt_time_seconds", "Unix time the last attempt ended.",
                      static_cast<double>(u.last_attempt));
    metrics.set_gauge("furoshiki_definitions_update_last_success_time_seconds",
                      "Unix time of the last successful attempt.", static_cast<double>(u.last_success));
    metrics.set_gauge("furoshiki_definitions_update_last_ok", "1 when the last attempt succeeded (or none was made).",
                      u.last_error.empty() ? 1 : 0);
    metrics.set_gauge("furoshiki_scanner_ready",
                      "1 when files can be scanned (engine loaded, definitions young enough).", s.ready ? 1 : 0);
    metrics.set_gauge("furoshiki_scanner_signatures", "Signatures in the engine in use.",
                      s.definitions ? s.definitions->signatures : 0);
    metrics.set_gauge("furoshiki_scanner_definitions_build_time_seconds",
                      "Unix time of the newest definitions in the engine in use.",
                      s.definitions ? static_cast<double>(s.definitions->newest_build_time) : 0);
    metrics.set_gauge("furoshiki_scanner_engine_loaded_time_seconds", "Unix time the engine in use was loaded.",
                      static_cast<double>(s.engine_loaded_at));
    metrics.set_gauge("furoshiki_scanner_engine_generation", "Engines loaded since start (1 = the first).",
                      static_cast<double>(s.engine_generation));
    metrics.set_gauge("furoshiki_scanner_reload_failures_total", "Definition loads that failed (old engine kept).",
                      static_cast<double>(s.reload_failures));
    metrics.set_gauge("furoshiki_scanner_scans_in_flight", "Scans running now.",
                      static_cast<double>(s.scans_in_flight));
    metrics.set_gauge("furoshiki_scanner_scans_clean_total", "Scans with verdict clean.",
                      static_cast<double>(s.scans_clean));
    metrics.set_gauge("furoshiki_scanner_scans_infected_total", "Scans with verdict infected.",
                      static_cast<double>(s.scans_infected));
    metrics.set_gauge("furoshiki_scanner_scans_refused_total",
                      "Scans with verdict refused (limits, encrypted, broken).", static_cast<double>(s.scans_refused));
    metrics.set_gauge("furoshiki_scanner_scans_error_total", "Scans that ended in an error (fail closed).",
                      static_cast<double>(s.scans_error));
    if (s.definitions) {
      metrics.set_info("furoshiki_scanner_engine_info", "The libclamav engine and definitions in use.",
                       {{"engine_version", s.definitions->engine_version},
                        {"daily_version", std::to_string(s.definitions->daily_version)}});
    }
  });
}

// The test-only upload crash point (admin/upload_crash_point.hpp), read once at start-up from
// FUROSHIKI_TEST_CRASH_POINT. Honoured only with --allow-test-hooks: a variable set alone (left in
// an environment by mistake) or naming no stage refuses to start rather than being ignored or
// killing a production server. nullopt, with the reason on stderr, when the server must not start.
std::optional<admin::UploadCrashPoint> test_crash_point(const char* value, bool allow_test_hooks) {
  if (value == nullptr || *value == '\0') return admin::UploadCrashPoint::kNone;
  if (!allow_test_hooks) {
    ErrorLine() << "furoshiki: FUROSHIKI_TEST_CRASH_POINT is a test-only setting; unset it (or pass "
                   "--allow-test-hooks in a test)\n";
    return std::nullopt;
  }
  const auto point = admin::parse_upload_crash_point(value);
  if (!point) ErrorLine() << "furoshiki: unknown FUROSHIKI_TEST_CRASH_POINT " << value << "\n";
  return point;
}

int serve(const std::string& config_file, bool allow_test_hooks) {
  const char* crash_point_name = std::getenv("FUROSHIKI_TEST_CRASH_POINT");
  const auto crash_point = test_crash_point(crash_point_name, allow_test_hooks);
  if (!crash_point) return kExitConfig;
  auto config = load_or_report(config_file);
  if (!config) return kExitConfig;
  if (*crash_point != admin::UploadCrashPoint::kNone) {
    log::warn("test_crash_point_armed", {{"point", crash_point_name}});
  }
  raise_file_limit();
  // Log output leaves the network threads from here on; everything queued is written on return.
  struct AsyncLog {
    AsyncLog() { log::start_async_writer(); }
    ~AsyncLog() { log::stop_async_writer(); }
  } async_log;
  auto crypto_context = open_crypto(*config);
  if (!crypto_context) return kExitConfig;
  // The TLS material and metrics token, loaded with the process's crypto (FIPS when required).
  if (const auto errors = server::check_server_material(*config, crypto_context->libctx()); !errors.empty()) {
    report(errors);
    return kExitConfig;
  }
  auto database = open_database(*config, config->database.migrate_on_start);
  if (!database) return kExitFailure;
  auto master = load_master(*crypto_context, *config);
  if (!master) return kExitFailure;
  admin::TenantKeyring keyring(crypto_context, *database, *master);
  std::size_t tenant_keys = 0;
  std::string other_master;
  if (auto ec = keyring.verify_master(tenant_keys, other_master)) {
    ErrorLine() << "furoshiki: the tenant keys are wrapped by master key " << other_master
                << ", but the configured master key is " << master->id
                << (ec == crypto::CryptoErrc::kBadKey
                        ? "; if `furoshiki keys rotate-master` completed, point crypto.master_key_file at the new key\n"
                        : "\n");
    return kExitFailure;
  }
  log::info("master_key_loaded", {{"master_key_id", master->id}, {"tenant_keys", tenant_keys}});
  if (auto ec = storage::prepare_data_directory(config->storage.data_dir)) {
    ErrorLine() << "furoshiki: cannot prepare the data directory: " << ec.message() << "\n";
    return kExitFailure;
  }
  // Before any upload: what an interrupted upload or commit left behind goes (docs/storage.md).
  storage::ObjectStore store(storage::posix_file_system(), config->storage.data_dir);
  if (!clean_up_store(store)) return kExitFailure;
  // Still before listening: objects no files row names (a crash between an object's commit and
  // its row, or between a row's deletion and the object's) go (docs/upload.md, "The crash rule").
  if (!remove_unreferenced(*database, store)) return kExitFailure;
  // The scan stage. Without definitions the server still starts (so that /readyz can say why and
  // updates can fetch them) but refuses every file: fail closed.
  const auto& sc = config->scanner;
  scanner::Scanner scanner({.signature_dir = storage::signature_dir(config->storage.data_dir),
                            .tmp_dir = storage::scan_tmp_dir(config->storage.data_dir),
                            .limits = {.max_file_bytes = sc.max_file_bytes,
                                       .max_scan_bytes = sc.max_scan_bytes,
                                       .max_recursion = sc.max_recursion,
                                       .max_files = sc.max_files,
                                       .max_scan_time = sc.max_scan_time},
                            .max_definition_age = sc.max_definition_age,
                            .clock = {}});
  if (const std::string error = scanner.start(); !error.empty()) {
    log::error("scanner_not_ready", {{"reason", error}});
  }
  scanner.watch(sc.reload_check_interval);
  scanner::ScanPool scan_pool(scanner,
                              {.threads = sc.threads, .queue_length = sc.queue_length, .queue_wait = sc.queue_wait});
  // Each update attempt runs as `furoshiki definitions update` in a child process (see
  // scanner/definition_update.hpp for why).
  scanner::DefinitionUpdater updater(scanner, sc.updates,
                                     {"/proc/self/exe", "definitions", "update", "--config", config->source.string()});
  // Every update attempt is also a service audit event.
  admin::AuditLog audit(crypto_context, *database);
  updater.on_attempt([&audit](const scanner::UpdateAttempt& attempt) {
    admin::AuditEvent event{.chain = admin::AuditChain::service()};
    event.actor_type = admin::ActorType::kSystem;
    event.action = "definitions.update";
    event.outcome = attempt.ok ? admin::AuditOutcome::kSuccess : admin::AuditOutcome::kFailure;
    boost::json::array databases;
    for (const auto& name : attempt.databases) databases.emplace_back(name);
    event.details = {{"updated", attempt.updated}, {"databases", std::move(databases)}};
    if (!attempt.ok) event.details["error"] = attempt.error;
    if (auto ec = audit.append(event))
      log::error("audit_append_failed", {{"action", event.action}, {"reason", ec.message()}});
  });
  // Identity: sign-in, sessions and API tokens (password hashing runs on the server's blocking
  // pool, bounded by the hasher's own concurrency limit).
  crypto::PasswordHasher hasher(crypto_context);
  admin::SessionStore sessions(crypto_context, *database);
  admin::ApiTokenStore api_tokens(crypto_context, *database);
  admin::LoginThrottle throttle(*database);
  admin::Authenticator authenticator(crypto_context, *database, hasher, keyring, audit, sessions, api_tokens, throttle);
  admin::UserDirectory users(crypto_context, *database, hasher, audit);
  server::AdminRouteServices admin_services{users, audit, sessions, *database};
  admin::SecondFactorEnrolment second_factor(crypto_context, *database, keyring, audit);
  server::AccountRouteServices account_services{second_factor, api_tokens, sessions, audit, *database};
  // Operators: their own sessions and cookie; organizations managed as by `furoshiki org …`.
  admin::OperatorSessionStore operator_sessions(crypto_context, *database);
  admin::OperatorAuthenticator operator_authenticator(crypto_context, *database, hasher, audit, operator_sessions,
                                                      throttle);
  admin::OrganizationDirectory organizations(crypto_context, *database, keyring, hasher, audit);
  // Files: uploads streamed into the sealer and the staging area, scanned, then committed.
  admin::FileDirectory files(*database, audit);
  // Expired files are invisible at once; their rows and objects go in the sweeper's passes.
  admin::RetentionSweeper sweeper(files, store,
                                  {.interval = config->files.sweep_interval, .batch = config->files.sweep_batch});
  admin::UploadServices uploads{.ctx = crypto_context,
                                .keys = keyring,
                                .store = store,
                                .scanner = scanner,
                                .scans = scan_pool,
                                .files = files,
                                .audit = audit,
                                .clock = {},
                                .limits = {.scan_max_bytes = sc.max_file_bytes,
                                           .hard_max_bytes = config->storage.max_file_bytes,
                                           .reserve_bytes = config->storage.reserve_bytes},
                                .crash_point = *crash_point};
  admin::UsageCounters usage(*database);
  server::UsageRouteServices usage_services{usage};
  server::FileRouteServices file_services{uploads, files, store,
                                          std::max(sc.max_file_bytes, config->storage.max_file_bytes), &usage};
  // tus resumable uploads: live state in memory, every change also in the uploads table. Staging
  // was emptied above, so an upload the previous process left receiving cannot go on: it is
  // marked failed ("server_restarted") before the server listens.
  admin::UploadRecords upload_records(*database);
  const auto& uc = config->uploads;
  server::TusRegistry tus_uploads(file_services, upload_records,
                                  {.max_unfinished_per_user = uc.max_unfinished_per_user,
                                   .max_unfinished_total = uc.max_unfinished_total,
                                   .expiry = uc.expiry,
                                   .sweep_interval = uc.sweep_interval,
                                   .lock_wait = uc.lock_wait,
                                   .ended_retention = uc.ended_retention});
  if (auto ec = tus_uploads.start_up()) {
    ErrorLine() << "furoshiki: cannot mark the interrupted uploads in the database: " << ec.message() << "\n";
    return kExitFailure;
  }
  server::ServiceHealthSources health_sources{.scanner = [&scanner] { return scanner.status(); },
                                              .updates = [&updater] { return updater.status(); },
                                              .crypto = crypto_context,
                                              .db = database.get(),
                                              .data_dir = config->storage.data_dir};
  server::SystemRouteServices system_services{operator_authenticator, organizations, std::move(health_sources),
                                              std::chrono::hours(12)};
  try {
    std::optional<server::WebUi> web_ui;  // outlives the server, whose routes refer to it
    server::Server server(*config, crypto_context->libctx());
    server.set_authenticator(&authenticator);
    server.set_operator_authenticator(&operator_authenticator);
    // Organizations' IP allowlists are part of their policy, which the authenticator reads once
    // per request: at sign-in and on every signed-in request.
    server::add_identity_routes(server.router(), authenticator, usage);
    server::add_admin_routes(server.router(), admin_services);
    server::add_account_routes(server.router(), account_services);
    server::add_system_routes(server.router(), system_services);
    server::add_file_routes(server.router(), file_services);
    server::add_usage_routes(server.router(), usage_services);
    server::add_upload_routes(server.router(), tus_uploads);
    // The browser UI, when web.root holds a build of it; the API works without it.
    if (!config->web.root.empty()) {
      std::string problem;
      if (auto loaded = server::WebUi::load(config->web.root, problem)) {
        web_ui = std::move(*loaded);
        server::add_web_ui_routes(server.router(), *web_ui);
        log::info("web_ui_loaded", {{"root", config->web.root.string()}, {"assets", web_ui->asset_count()}});
      } else {
        log::warn("web_ui_unavailable", {{"root", config->web.root.string()}, {"reason", problem}});
      }
    }
    add_scanner_reporting(server, scanner, updater);
    server.add_readiness_check("database", [db = database.get()](std::string& detail) {
      detail = db->backend();
      return db->ping();
    });
    // The FIPS self-test re-verifies the module and reruns its known-answer tests (~20 ms under
    // the provider's lock): /readyz is public, so its result is reused for 30 seconds.
    server.add_readiness_check(
        "crypto", [c = crypto_context, cache = std::make_shared<SelfTestCache>()](std::string& detail) {
          detail = std::string(c->mode() == crypto::FipsMode::kRequired ? "fips required, " : "fips off, ") +
                   c->provider_name() + " " + c->provider_version();
          return cache->passed(*c, std::chrono::seconds(30));
        });
    server.metrics().set_info("furoshiki_crypto_provider_info", "The OpenSSL provider used for cryptography.",
                              {{"fips", crypto_context->mode() == crypto::FipsMode::kRequired ? "required" : "off"},
                               {"provider", crypto_context->provider_name()},
                               {"version", crypto_context->provider_version()}});
    server.metrics().set_gauge("furoshiki_crypto_fips_required",
                               "1 when the FIPS provider is required and loaded, 0 when FIPS is off.",
                               crypto_context->mode() == crypto::FipsMode::kRequired ? 1 : 0);
    server.add_readiness_check("storage", [dir = config->storage.data_dir](std::string& detail) {
      const auto status = storage::inspect_data_directory(dir);
      detail = status.ok ? std::to_string(status.available_bytes) + " bytes free" : status.problem;
      return status.ok;
    });
    server.start();
    updater.start();
    sweeper.start();
    const int exit_code = server.run();
    sweeper.stop();
    return exit_code;
  } catch (const std::exception& e) {
    log::error("startup_failed", {{"reason", e.what()}});
    ErrorLine() << "furoshiki: " << e.what() << "\n";
    return kExitFailure;
  }
}

// `furoshiki keys rotate-master`: the current key comes from the configuration, the new one from
// --new-key. Interrupted before the commit, nothing changed; after it, the configuration must
// name the new key (serve says so if it does not).
int rotate_master(const std::string& config_file, const std::string& new_key_file) {
  auto config = load_or_report(config_file);
  if (!config) return kExitConfig;
  auto crypto_context = open_crypto(*config);
  if (!crypto_context) return kExitFailure;
  auto database = open_database(*config, false);
  if (!database) return kExitFailure;
  auto current = load_master(*crypto_context, *config);
  if (!current) return kExitFailure;
  std::optional<crypto::MasterKey> next;
  try {
    next = crypto::load_master_key(*crypto_context, new_key_file, "");
  } catch (const crypto::CryptoError& e) {
    ErrorLine() << "furoshiki: " << e.what() << "\n";
    return kExitFailure;
  }
  if (next->id == current->id) {
    ErrorLine() << "furoshiki: the new master key is the key already in use\n";
    return kExitFailure;
  }
  std::size_t rewrapped = 0;
  if (auto ec = admin::rotate_master_key(*crypto_context, *database, *current, *next, rewrapped)) {
    ErrorLine() << "furoshiki: rotation failed, nothing was changed: " << ec.message() << "\n";
    return kExitFailure;
  }
  std::cout << "re-wrapped " << rewrapped << " tenant keys under master key " << next->id << "\n"
            << "now set crypto.master_key_file = \"" << new_key_file
            << "\" and restart; the old key file is no longer needed\n";
  return kExitOk;
}

// What `furoshiki org …` and `furoshiki operator …` need: the configuration's crypto, database,
// master key and the directories over them. The CLI acts as "system" in the audit log: whoever
// can read the configuration, key and database is the machine's administrator.
struct OperatorTools {
  std::shared_ptr<crypto::CryptoContext> ctx;
  std::unique_ptr<db::Database> database;
  std::unique_ptr<admin::TenantKeyring> keys;
  std::unique_ptr<crypto::PasswordHasher> hasher;
  std::unique_ptr<admin::AuditLog> audit;
  std::unique_ptr<admin::OrganizationDirectory> orgs;
  std::unique_ptr<admin::OperatorDirectory> operators;
  admin::Actor actor{.type = "system", .id = "", .login = "cli", .client = "cli"};
};

// Exit status on failure, nullopt when the tools are ready.
std::optional<int> open_operator_tools(const std::string& config_file, OperatorTools& t) {
  auto config = load_or_report(config_file);
  if (!config) return kExitConfig;
  t.ctx = open_crypto(*config);
  if (!t.ctx) return kExitConfig;
  t.database = open_database(*config, config->database.migrate_on_start);
  if (!t.database) return kExitFailure;
  auto master = load_master(*t.ctx, *config);
  if (!master) return kExitFailure;
  t.keys = std::make_unique<admin::TenantKeyring>(t.ctx, *t.database, *master);
  t.hasher = std::make_unique<crypto::PasswordHasher>(t.ctx);
  t.audit = std::make_unique<admin::AuditLog>(t.ctx, *t.database);
  t.orgs = std::make_unique<admin::OrganizationDirectory>(t.ctx, *t.database, *t.keys, *t.hasher, *t.audit);
  t.operators = std::make_unique<admin::OperatorDirectory>(t.ctx, *t.database, *t.hasher, *t.audit);
  return std::nullopt;
}

int report_directory_error(const admin::DirectoryError& e) {
  ErrorLine() << "furoshiki: " << e.message << "\n";
  return kExitFailure;
}

struct OrgCommand {
  std::string code, name, admin_email, admin_name, operator_email, operator_name;
  bool yes = false;
};

int org_create(const std::string& config_file, const OrgCommand& c) {
  OperatorTools t;
  if (auto status = open_operator_tools(config_file, t)) return *status;
  admin::Organization org;
  admin::CreatedAccount admin_account;
  if (auto e = t.orgs->create({c.code, c.name, c.admin_email, c.admin_name}, t.actor, org, admin_account)) {
    return report_directory_error(e);
  }
  std::cout << "created organization " << org.code << " (" << org.name << "), id " << org.id << "\n"
            << "first administrator: " << admin_account.login << "\n"
            << "one-time password:   " << admin_account.one_time_password << "\n"
            << "(shown only now; it must be changed at the first sign-in)\n";
  return kExitOk;
}

int org_list(const std::string& config_file) {
  OperatorTools t;
  if (auto status = open_operator_tools(config_file, t)) return *status;
  std::vector<admin::Organization> orgs;
  if (auto e = t.orgs->list(orgs)) return report_directory_error(e);
  std::cout << "code\tstatus\tusers\tcreated\tname\n";
  for (const auto& o : orgs) {
    std::cout << o.code << "\t" << o.status << "\t" << o.users << "\t" << o.created_at << "\t" << o.name << "\n";
  }
  return kExitOk;
}

int org_set_suspended(const std::string& config_file, const std::string& code, bool suspended) {
  OperatorTools t;
  if (auto status = open_operator_tools(config_file, t)) return *status;
  if (auto e = t.orgs->set_suspended(code, suspended, t.actor)) return report_directory_error(e);
  std::cout << "organization " << code << (suspended ? " suspended" : " active again") << "\n";
  return kExitOk;
}

int org_delete(const std::string& config_file, const OrgCommand& c) {
  if (!c.yes) {
    ErrorLine() << "furoshiki: deleting an organization destroys its key: everything it stored becomes "
                   "unreadable at once and cannot be recovered. Add --yes to confirm.\n";
    return kExitConfig;
  }
  OperatorTools t;
  if (auto status = open_operator_tools(config_file, t)) return *status;
  if (auto e = t.orgs->remove(c.code, t.actor)) return report_directory_error(e);
  std::cout << "organization " << c.code << " deleted: its keys are destroyed and its data wiped\n";
  return kExitOk;
}

int operator_create(const std::string& config_file, const OrgCommand& c) {
  OperatorTools t;
  if (auto status = open_operator_tools(config_file, t)) return *status;
  admin::CreatedAccount account;
  if (auto e = t.operators->create(c.operator_email, c.operator_name, t.actor, account)) {
    return report_directory_error(e);
  }
  std::cout << "created operator " << account.login << "\n"
            << "one-time password: " << account.one_time_password << "\n"
            << "(shown only now; it must be changed at the first sign-in)\n";
  return kExitOk;
}

int run_cli(int argc, char** argv) {
  CLI::App app{"furoshiki — secure file transfer server"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(kVersion));

  std::string config_file;
  auto* serve_cmd = app.add_subcommand("serve", "Serve HTTPS until SIGTERM");
  serve_cmd->add_option("--config", config_file, "Configuration file")->required();
  bool allow_test_hooks = false;
  serve_cmd
      ->add_flag("--allow-test-hooks", allow_test_hooks,
                 "Tests only: honour FUROSHIKI_TEST_CRASH_POINT (never set this in production)")
      ->group("");  // not in --help: nothing an operator needs

  auto* check_cmd = app.add_subcommand("check-config", "Validate a configuration file and exit");
  check_cmd->add_option("--config", config_file, "Configuration file")->required();

  admin::InstanceOptions init_options;
  auto* init_cmd = app.add_subcommand("init", "Create a development instance (config, certificate, keys, database)");
  init_cmd->add_option("--dir", init_options.dir, "Directory to create the instance in")->required();
  init_cmd->add_option("--hostname", init_options.hostname, "Host name for the certificate and public URL")
      ->capture_default_str();
  init_cmd->add_option("--port", init_options.port, "HTTPS port")->capture_default_str()->check(CLI::Range(1, 65535));
  bool no_definition_updates = false;
  init_cmd->add_flag("--no-definition-updates", no_definition_updates,
                     "Offline development machine: do not fetch scanner definitions (and do not check their age)");

  auto* db_cmd = app.add_subcommand("db", "Database maintenance");
  db_cmd->require_subcommand(1);
  auto* migrate_cmd = db_cmd->add_subcommand("migrate", "Apply pending schema migrations");
  migrate_cmd->add_option("--config", config_file, "Configuration file")->required();

  auto* keys_cmd = app.add_subcommand("keys", "Key management");
  keys_cmd->require_subcommand(1);
  std::string new_key_file;
  auto* rotate_cmd = keys_cmd->add_subcommand(
      "rotate-master", "Re-wrap every tenant key under a new master key (one transaction; data is not re-encrypted)");
  rotate_cmd->add_option("--config", config_file, "Configuration file")->required();
  rotate_cmd->add_option("--new-key", new_key_file, "File with the new master key (64 hex digits, mode 0600)")
      ->required();

  auto* definitions_cmd = app.add_subcommand("definitions", "Scanner definitions");
  definitions_cmd->require_subcommand(1);
  auto* definitions_update_cmd = definitions_cmd->add_subcommand(
      "update", "Fetch definition updates once, as configured in [scanner.updates] (the server runs this itself)");
  definitions_update_cmd->add_option("--config", config_file, "Configuration file")->required();

  OrgCommand org;
  auto* org_cmd = app.add_subcommand("org", "Organizations (tenants)");
  org_cmd->require_subcommand(1);
  auto* org_create_cmd = org_cmd->add_subcommand(
      "create", "Create an organization, its key and its first administrator (prints a one-time password)");
  org_create_cmd->add_option("--config", config_file, "Configuration file")->required();
  org_create_cmd->add_option("--code", org.code, "Organization code people type at sign-in, e.g. acme")->required();
  org_create_cmd->add_option("--name", org.name, "Organization name")->required();
  org_create_cmd->add_option("--admin-email", org.admin_email, "The first administrator's e-mail (login)")->required();
  org_create_cmd->add_option("--admin-name", org.admin_name, "The first administrator's display name");
  auto* org_list_cmd = org_cmd->add_subcommand("list", "List organizations");
  org_list_cmd->add_option("--config", config_file, "Configuration file")->required();
  auto* org_suspend_cmd = org_cmd->add_subcommand("suspend", "Suspend an organization (its users cannot sign in)");
  org_suspend_cmd->add_option("--config", config_file, "Configuration file")->required();
  org_suspend_cmd->add_option("--code", org.code, "Organization code")->required();
  auto* org_resume_cmd = org_cmd->add_subcommand("resume", "Make a suspended organization active again");
  org_resume_cmd->add_option("--config", config_file, "Configuration file")->required();
  org_resume_cmd->add_option("--code", org.code, "Organization code")->required();
  auto* org_delete_cmd = org_cmd->add_subcommand(
      "delete", "Delete an organization: destroy its key (its data becomes unreadable), then wipe its data");
  org_delete_cmd->add_option("--config", config_file, "Configuration file")->required();
  org_delete_cmd->add_option("--code", org.code, "Organization code")->required();
  org_delete_cmd->add_flag("--yes", org.yes, "Confirm: the organization's data cannot be recovered");

  auto* operator_cmd = app.add_subcommand("operator", "Operator accounts (who runs the service)");
  operator_cmd->require_subcommand(1);
  auto* operator_create_cmd =
      operator_cmd->add_subcommand("create", "Create an operator account (prints a one-time password)");
  operator_create_cmd->add_option("--config", config_file, "Configuration file")->required();
  operator_create_cmd->add_option("--email", org.operator_email, "The operator's e-mail (login)")->required();
  operator_create_cmd->add_option("--name", org.operator_name, "Display name");

  auto* version_cmd = app.add_subcommand("version", "Print version information");

  CLI11_PARSE(app, argc, argv);

  if (*version_cmd) {
    std::cout << "furoshiki " << kVersion << "\n"
              << "OpenSSL " << OPENSSL_FULL_VERSION_STR << " (built), " << OpenSSL_version(OPENSSL_VERSION)
              << " (running)\n"
              << "SQLite " << sqlite3_libversion() << "\n";
    return kExitOk;
  }
  if (*serve_cmd) return serve(config_file, allow_test_hooks);
  if (*check_cmd) {
    auto config = load_or_report(config_file);
    if (!config) return kExitConfig;
    auto crypto_context = open_crypto(*config);
    if (!crypto_context || !load_master(*crypto_context, *config)) return kExitConfig;
    if (const auto errors = server::check_server_material(*config, crypto_context->libctx()); !errors.empty()) {
      report(errors);
      return kExitConfig;
    }
    std::cout << "configuration ok: " << config_file << "\n";
    return kExitOk;
  }
  if (*init_cmd) {
    init_options.definition_updates = !no_definition_updates;
    const auto result = admin::create_instance(init_options);
    if (!result.ok) {
      ErrorLine() << "furoshiki: init failed: " << result.error << "\n";
      return kExitFailure;
    }
    std::cout << "created instance in " << init_options.dir.string() << "\n"
              << "start it with: furoshiki serve --config " << result.config_file.string() << "\n"
              << "NOTE: the scanner has only a TEST signature set (EICAR); real deployments must let definition\n"
              << "      updates run ([scanner.updates] in the configuration, docs/configuration.md)\n";
    return kExitOk;
  }
  if (*rotate_cmd) return rotate_master(config_file, new_key_file);
  if (*org_create_cmd) return org_create(config_file, org);
  if (*org_list_cmd) return org_list(config_file);
  if (*org_suspend_cmd) return org_set_suspended(config_file, org.code, true);
  if (*org_resume_cmd) return org_set_suspended(config_file, org.code, false);
  if (*org_delete_cmd) return org_delete(config_file, org);
  if (*operator_create_cmd) return operator_create(config_file, org);
  if (*definitions_update_cmd) {
    auto config = load_or_report(config_file);
    if (!config) return kExitConfig;
    const auto& data_dir = config->storage.data_dir;
    return scanner::run_definition_update(config->scanner.updates, storage::signature_dir(data_dir),
                                          storage::definitions_work_dir(data_dir));
  }
  if (*migrate_cmd) {
    auto config = load_or_report(config_file);
    if (!config) return kExitConfig;
    if (!open_database(*config, true)) return kExitFailure;
    std::cout << "database is at the latest schema\n";
    return kExitOk;
  }
  return kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_cli(argc, argv);
  } catch (const std::exception& e) {
    ErrorLine() << "furoshiki: " << e.what() << "\n";
    return kExitFailure;
  }
}
