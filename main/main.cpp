// furoshiki's command line. main only wires the libraries together; each command's logic lives
// in its library (admin: instances; db: migrations; server: serving).
#include "admin/instance.hpp"
#include "common/config.hpp"
#include "common/log.hpp"
#include "common/version.hpp"
#include "crypto/context.hpp"
#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"
#include "server/metrics.hpp"
#include "server/server.hpp"
#include "storage/data_directory.hpp"

#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

namespace {

using namespace furoshiki;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitConfig = 2;

// Loads the configuration and the TLS material and token it names, printing every error
// ("file:line: key: message") to stderr.
std::optional<Config> load_or_report(const std::string& file) {
  ConfigResult result = load_config(file);
  if (result.config) result.errors = server::check_server_material(*result.config);
  for (const auto& e : result.errors) std::cerr << "furoshiki: config error: " << e.to_string() << "\n";
  if (!result.errors.empty()) return std::nullopt;
  if (result.config) {
    log::Level level = log::Level::kInfo;
    log::parse_level(result.config->log.level, level);
    log::set_level(level);
  }
  return std::move(result.config);
}

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
    std::cerr << "furoshiki: " << e.what() << "\n";
    return nullptr;
  }
}

std::unique_ptr<db::Database> open_database(const Config& config, bool migrate) {
  boost::system::error_code ec;
  auto database = db::open_sqlite({config.database.path, config.database.busy_timeout}, ec);
  if (!database) {
    std::cerr << "furoshiki: cannot open the database " << config.database.path << ": " << ec.message() << "\n";
    return nullptr;
  }
  auto migrations = db::parse_migrations(db::embedded_migrations(), ec);
  if (ec) {
    std::cerr << "furoshiki: " << ec.message() << "\n";
    return nullptr;
  }
  if (migrate) {
    db::MigrationReport report;
    if ((ec = db::migrate(*database, migrations, report))) {
      std::cerr << "furoshiki: database migration failed: " << ec.message() << "\n";
      return nullptr;
    }
    if (report.to_version != report.from_version) {
      log::info("database_migrated", {{"from_version", report.from_version}, {"to_version", report.to_version}});
    }
  } else if ((ec = db::check_schema(*database, migrations))) {
    std::cerr << "furoshiki: " << ec.message() << "\n";
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

int serve(const std::string& config_file) {
  auto config = load_or_report(config_file);
  if (!config) return kExitConfig;
  raise_file_limit();
  auto crypto_context = open_crypto(*config);
  if (!crypto_context) return kExitFailure;
  auto database = open_database(*config, config->database.migrate_on_start);
  if (!database) return kExitFailure;
  if (auto ec = storage::prepare_data_directory(config->storage.data_dir)) {
    std::cerr << "furoshiki: cannot prepare the data directory: " << ec.message() << "\n";
    return kExitFailure;
  }
  try {
    server::Server server(*config);
    server.add_readiness_check("database", [db = database.get()](std::string& detail) {
      detail = db->backend();
      return db->ping();
    });
    server.add_readiness_check("crypto", [c = crypto_context](std::string& detail) {
      detail = std::string(c->mode() == crypto::FipsMode::kRequired ? "fips required, " : "fips off, ") +
               c->provider_name() + " " + c->provider_version();
      return c->self_test();
    });
    server.metrics().set_gauge("furoshiki_crypto_fips_required",
                               "1 when the FIPS provider is required and loaded, 0 when FIPS is off.",
                               crypto_context->mode() == crypto::FipsMode::kRequired ? 1 : 0);
    server.add_readiness_check("storage", [dir = config->storage.data_dir](std::string& detail) {
      const auto status = storage::inspect_data_directory(dir);
      detail = status.ok ? std::to_string(status.available_bytes) + " bytes free" : status.problem;
      return status.ok;
    });
    server.start();
    return server.run();
  } catch (const std::exception& e) {
    log::error("startup_failed", {{"reason", e.what()}});
    std::cerr << "furoshiki: " << e.what() << "\n";
    return kExitFailure;
  }
}

int run_cli(int argc, char** argv) {
  CLI::App app{"furoshiki — secure file transfer server"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(kVersion));

  std::string config_file;
  auto* serve_cmd = app.add_subcommand("serve", "Serve HTTPS until SIGTERM");
  serve_cmd->add_option("--config", config_file, "Configuration file")->required();

  auto* check_cmd = app.add_subcommand("check-config", "Validate a configuration file and exit");
  check_cmd->add_option("--config", config_file, "Configuration file")->required();

  admin::InstanceOptions init_options;
  auto* init_cmd = app.add_subcommand("init", "Create a development instance (config, certificate, keys, database)");
  init_cmd->add_option("--dir", init_options.dir, "Directory to create the instance in")->required();
  init_cmd->add_option("--hostname", init_options.hostname, "Host name for the certificate and public URL")
      ->capture_default_str();
  init_cmd->add_option("--port", init_options.port, "HTTPS port")->capture_default_str()->check(CLI::Range(1, 65535));

  auto* db_cmd = app.add_subcommand("db", "Database maintenance");
  db_cmd->require_subcommand(1);
  auto* migrate_cmd = db_cmd->add_subcommand("migrate", "Apply pending schema migrations");
  migrate_cmd->add_option("--config", config_file, "Configuration file")->required();

  auto* version_cmd = app.add_subcommand("version", "Print version information");

  CLI11_PARSE(app, argc, argv);

  if (*version_cmd) {
    std::cout << "furoshiki " << kVersion << "\n"
              << "OpenSSL " << OPENSSL_FULL_VERSION_STR << " (built), " << OpenSSL_version(OPENSSL_VERSION)
              << " (running)\n"
              << "SQLite " << sqlite3_libversion() << "\n";
    return kExitOk;
  }
  if (*serve_cmd) return serve(config_file);
  if (*check_cmd) {
    auto config = load_or_report(config_file);
    if (!config) return kExitConfig;
    if (!open_crypto(*config)) return kExitConfig;
    std::cout << "configuration ok: " << config_file << "\n";
    return kExitOk;
  }
  if (*init_cmd) {
    const auto result = admin::create_instance(init_options);
    if (!result.ok) {
      std::cerr << "furoshiki: init failed: " << result.error << "\n";
      return kExitFailure;
    }
    std::cout << "created instance in " << init_options.dir.string() << "\n"
              << "start it with: furoshiki serve --config " << result.config_file.string() << "\n";
    return kExitOk;
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
    std::cerr << "furoshiki: " << e.what() << "\n";
    return kExitFailure;
  }
}
