// The signed-in user's own account settings of api.md ("Auth"): TOTP enrolment
// (POST /api/v1/me/totp, POST /api/v1/me/totp/confirm) and API tokens for scripts
// (POST/GET /api/v1/me/tokens, DELETE /api/v1/me/tokens/{id}). Thin HTTP over
// admin::SecondFactorEnrolment and admin::ApiTokenStore.
#pragma once

#include "admin/audit_log.hpp"
#include "admin/second_factor.hpp"
#include "admin/sessions.hpp"
#include "db/database.hpp"
#include "server/router.hpp"

namespace furoshiki::server {

// What the routes use; every reference must outlive the router.
struct AccountRouteServices {
  admin::SecondFactorEnrolment& second_factor;
  admin::ApiTokenStore& tokens;
  admin::SessionStore& sessions;  // GET /auth/csrf hands a tab a new CSRF token
  admin::AuditLog& audit;         // token creation and revocation
  db::Database& db;               // so that a token change and its audit event commit together
};

void add_account_routes(Router& router, AccountRouteServices& services);

}  // namespace furoshiki::server
