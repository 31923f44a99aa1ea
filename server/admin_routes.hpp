// The org admin routes of api.md ("Org admin"): the organization's users (/api/v1/admin/users),
// its policy (/api/v1/admin/policy) and its audit log (/api/v1/admin/logs, /logs/verify). Thin
// HTTP over admin::UserDirectory, admin::AuditLog and organizations.policy: JSON in and out and
// the contract's error codes. Every route is AuthPolicy::kOrgAdmin and acts only inside the
// administrator's own organization (request.identity->scope): an object of another organization
// answers 404 not_found, byte for byte like one that does not exist.
//
// The CSV export (GET /admin/logs?format=csv) is built in memory and capped at kMaxCsvRows rows
// (the response says so in X-Furoshiki-Truncated); true streaming needs a streaming body type in
// the router, which the files work adds.
#pragma once

#include "admin/audit_log.hpp"
#include "admin/sessions.hpp"
#include "admin/users.hpp"
#include "db/database.hpp"
#include "server/router.hpp"

#include <cstddef>

namespace furoshiki::server {

// What the admin routes use; every reference must outlive the router.
struct AdminRouteServices {
  admin::UserDirectory& users;
  admin::AuditLog& audit;
  admin::SessionStore& sessions;
  db::Database& db;  // organizations.policy
};

inline constexpr std::size_t kMaxCsvRows = 100'000;

void add_admin_routes(Router& router, AdminRouteServices& services);

}  // namespace furoshiki::server
