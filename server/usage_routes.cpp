// GET /api/v1/admin/usage; see usage_routes.hpp.
#include "server/usage_routes.hpp"

#include "admin/authenticator.hpp"
#include "server/http_error.hpp"
#include "server/route_support.hpp"

#include <boost/json/serialize.hpp>

namespace furoshiki::server {

namespace http = boost::beast::http;

namespace {

using Clock = std::chrono::system_clock;

// A day parameter: 'YYYY-MM-DD', or an RFC 3339 date-time taken as its UTC day.
bool parse_day(const std::string& key, const std::string& value, std::string& out, std::string& problem) {
  Clock::time_point t;
  if (admin::parse_utc_day(value, t)) {
    out = value;
    return true;
  }
  if (const auto at = parse_rfc3339(value)) {
    out = admin::utc_day(*at);
    return true;
  }
  problem = key + " must be a date like 2026-11-22 or an RFC 3339 date-time";
  return false;
}

boost::json::object row_json(const admin::UsageRow& r, bool by_day) {
  return {{by_day ? "day" : "user_id", r.key},
          {"stored_bytes", r.stored_bytes},
          {"uploaded_bytes", r.uploaded_bytes},
          {"uploads", r.uploads},
          {"downloaded_bytes", r.downloaded_bytes},
          {"downloads", r.downloads},
          {"transfers", r.transfers},
          {"logins", r.logins}};
}

Response get_usage(UsageRouteServices& s, const Request& request) {
  std::string problem;
  QueryParams params;
  if (!parse_query(request.query, params, problem) || !only_known_params(params, {"from", "to", "group_by"}, problem)) {
    return error_response(Errc::kBadRequest, problem);
  }
  admin::UsageQuery query;
  query.to_day = admin::utc_day(Clock::now());
  if (const std::string* to = param(params, "to"); to && !parse_day("to", *to, query.to_day, problem)) {
    return error_response(Errc::kBadRequest, problem);
  }
  Clock::time_point to_time;
  (void)admin::parse_utc_day(query.to_day, to_time);
  query.from_day = admin::utc_day(to_time - std::chrono::days(29));
  if (const std::string* from = param(params, "from"); from && !parse_day("from", *from, query.from_day, problem)) {
    return error_response(Errc::kBadRequest, problem);
  }
  if (const std::string* by = param(params, "group_by")) {
    if (*by == "user") {
      query.group_by = admin::UsageGrouping::kUser;
    } else if (*by != "day") {
      return error_response(Errc::kBadRequest, "group_by must be day or user");
    }
  }
  auto report = s.usage.report(request.identity->scope, query);
  if (!report) {
    if (errc_of(report.error()) == Errc::kBadRequest) {
      return error_response(Errc::kBadRequest, "from must not be after to, and the range at most " +
                                                   std::to_string(admin::UsageCounters::kMaxDays) + " days");
    }
    return internal_error(request, "usage_report", report.error());
  }
  const bool by_day = query.group_by == admin::UsageGrouping::kDay;
  boost::json::array rows, users;
  for (const auto& r : report->rows) rows.push_back(row_json(r, by_day));
  for (const auto& u : report->current) {
    users.push_back(boost::json::object{{"user_id", u.user_id}, {"stored_bytes", u.stored_bytes}, {"files", u.files}});
  }
  const boost::json::object out{{"from", query.from_day},
                                {"to", query.to_day},
                                {"group_by", by_day ? "day" : "user"},
                                {"rows", std::move(rows)},
                                {"users", std::move(users)}};
  return json_response(http::status::ok, boost::json::serialize(out));
}

}  // namespace

void add_usage_routes(Router& router, UsageRouteServices& services) {
  router.add({http::verb::get, "/api/v1/admin/usage", AuthPolicy::kOrgAdmin, 0,
              [&services](const Request& request) { return get_usage(services, request); }, true});
}

}  // namespace furoshiki::server
