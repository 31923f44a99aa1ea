// Network ranges and organization allowlists; see ip_allowlist.hpp.
#include "admin/ip_allowlist.hpp"

#include "common/error.hpp"
#include "common/log.hpp"

#include <boost/json/parse.hpp>

namespace furoshiki::admin {

namespace {

boost::system::error_code parse_policy(std::string_view policy_text, Allowlist& out) {
  out.ranges.clear();
  boost::system::error_code ec;
  auto policy = boost::json::parse(policy_text, ec);
  if (ec || !policy.is_object()) return make_error_code(Errc::kInternal);
  const auto* list = policy.as_object().if_contains("ip_allowlist");
  if (!list || list->is_null()) return {};
  if (!list->is_array()) return make_error_code(Errc::kInternal);
  for (const auto& entry : list->as_array()) {
    if (!entry.is_string()) return make_error_code(Errc::kInternal);
    auto range = parse_network_range(entry.as_string());
    if (!range) return make_error_code(Errc::kInternal);
    out.ranges.push_back(*range);
  }
  return {};
}

}  // namespace

bool Allowlist::allows(const boost::asio::ip::address& address) const {
  if (ranges.empty()) return true;
  for (const auto& r : ranges) {
    if (r.contains(address)) return true;
  }
  return false;
}

boost::system::error_code load_allowlist(db::Database& db, std::string_view org_id, Allowlist& out) {
  std::string policy = "{}";
  if (auto ec = db.execute("SELECT policy FROM organizations WHERE id = ?1", {std::string(org_id)},
                           [&](const db::Row& r) { policy = r.text(0); })) {
    return ec;
  }
  if (auto ec = parse_policy(policy, out)) {
    log::error("ip_allowlist_unreadable", {{"org_id", std::string(org_id)}});
    return ec;
  }
  return {};
}

boost::system::error_code load_allowlist_by_code(db::Database& db, std::string_view code, Allowlist& out) {
  std::string policy = "{}";
  if (auto ec = db.execute("SELECT policy FROM organizations WHERE code = ?1", {std::string(code)},
                           [&](const db::Row& r) { policy = r.text(0); })) {
    return ec;
  }
  if (auto ec = parse_policy(policy, out)) {
    log::error("ip_allowlist_unreadable", {{"org_code", std::string(code)}});
    return ec;
  }
  return {};
}

}  // namespace furoshiki::admin
