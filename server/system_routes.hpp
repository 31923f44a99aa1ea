// The operator routes of api.md ("Operator"): operator sign-in (/api/v1/system/login, /logout,
// /me, /password), the organizations (/api/v1/system/orgs) and the service's health
// (/api/v1/system/health). Thin HTTP over admin::OperatorAuthenticator and
// admin::OrganizationDirectory: JSON in and out, the operator cookie, the contract's error codes.
//
// Every route but the sign-in is AuthPolicy::kOperator: only the operator session cookie reaches
// them, never a user's session or API token. Operators act on the service, never inside an
// organization: nothing here shows an organization's users, files or file names, only counts.
#pragma once

#include "admin/operator_authenticator.hpp"
#include "admin/organizations.hpp"
#include "crypto/context.hpp"
#include "db/database.hpp"
#include "scanner/updater.hpp"
#include "server/router.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

namespace furoshiki::server {

// Where GET /system/health reads from. Each source is read when asked; none is cached here.
struct ServiceHealthSources {
  std::function<scanner::ScannerStatus()> scanner;  // the engine in use and its definitions
  std::function<scanner::UpdateStatus()> updates;   // the definition updater
  std::shared_ptr<const crypto::CryptoContext> crypto;
  db::Database* db = nullptr;
  std::filesystem::path data_dir;
  std::function<std::int64_t()> clock{};  // unix seconds now; defaults to the system clock
};

// The body of GET /system/health: "status" ("ok", or "degraded" when a part is not), then
// "scanner", "definition_updates", "fips", "storage" and "database" (docs/openapi.yaml,
// ServiceHealth). Blocking: it asks the database and the crypto provider's self-test.
boost::json::object service_health(const ServiceHealthSources& sources);

// What the operator routes use; every reference must outlive the router.
struct SystemRouteServices {
  admin::OperatorAuthenticator& operators;
  admin::OrganizationDirectory& orgs;
  ServiceHealthSources health;
  std::chrono::seconds session_lifetime{std::chrono::hours(12)};  // the operator cookie's Max-Age
};

void add_system_routes(Router& router, SystemRouteServices& services);

}  // namespace furoshiki::server
