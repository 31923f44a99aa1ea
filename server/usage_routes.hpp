// GET /api/v1/admin/usage (api.md "Org admin"): the organization's usage per UTC day or per user
// over a range of at most admin::UsageCounters::kMaxDays days, and every user's stored bytes now.
// Thin HTTP over admin::UsageCounters; AuthPolicy::kOrgAdmin, own organization only.
//
// ?from= and ?to= are days (2026-11-22) or RFC 3339 date-times (their UTC day), both inclusive;
// to defaults to today (UTC), from to 29 days before to. ?group_by=day (default) or user.
#pragma once

#include "admin/usage.hpp"
#include "server/router.hpp"

namespace furoshiki::server {

// What the usage route uses; must outlive the router.
struct UsageRouteServices {
  admin::UsageCounters& usage;
};

void add_usage_routes(Router& router, UsageRouteServices& services);

}  // namespace furoshiki::server
