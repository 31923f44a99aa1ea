// The org admin API over real HTTPS (api.md "Org admin"): a tenant matrix of every admin route
// against two organizations' admins and members and against the other organization's ids, user
// creation with one-time passwords, disabling, policy validation, and the audit log (filters,
// paging, CSV, hash-chain verification after tampering in SQLite).
//
// One server and two organizations are shared by the whole suite (sign-ins hash passwords, which
// is slow by design); tests that change an organization's policy or audit chain create an
// organization of their own.
#include "api_client.hpp"
#include "harness.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>

namespace furoshiki::integration {
namespace {

constexpr const char* kNewPassword = "violet tractor umbrella harbour 8";

// A signed-in browser session and its user's id. Empty: no credentials.
struct Who : SignedIn {
  std::string user_id;
};

struct Org {
  std::string code;
  std::string id;
  Who admin;
  Who member;
};

class Admin : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    instance_ = new Instance();
    instance_->write_config();
    server_ = ServerProcess::start(*instance_).release();
    org_a_ = new Org(make_org("alpha"));
    org_b_ = new Org(make_org("beta"));
  }

  static void TearDownTestSuite() {
    delete org_a_;
    delete org_b_;
    delete server_;
    delete instance_;
  }

  static ApiClient api() { return ApiClient(*server_); }

  // Signs in; the session still needs the password change when `password` is one-time.
  static Who sign_in(const std::string& org, const std::string& login, const std::string& password) {
    const auto r = api().login({.org = org, .login = login, .password = password});
    require_status(r, 200u, "sign-in");
    return {session_from_sign_in(*r), std::string(r->json().at("user").at("id").as_string())};
  }

  // Replaces the one-time password; the new session comes back in the headers.
  static Who change_password(const Who& who, const std::string& current, const std::string& replacement) {
    return {api().change_password(who, current, replacement), who.user_id};
  }

  static Who create_and_sign_in(const Who& admin, const std::string& org, const std::string& email) {
    const auto r = api().call("POST", "/api/v1/admin/users", admin, {{"email", email}});
    require_status(r, 201u, "user creation");
    const std::string one_time(r->json().at("one_time_password").as_string());
    return change_password(sign_in(org, email, one_time), one_time, kNewPassword);
  }

  // An organization with its admin signed in (password changed); `with_member` adds a member.
  static Org make_org(const std::string& code, bool with_member = true) {
    const std::string admin_login = "admin@" + code + ".test";
    const CreatedOrganization created = create_org(*instance_, code, code, admin_login);
    const std::string& password = created.admin_one_time_password;
    Org org;
    org.code = code;
    org.id = created.id;
    org.admin = change_password(sign_in(code, admin_login, password), password, kNewPassword);
    if (with_member) org.member = create_and_sign_in(org.admin, code, "member@" + code + ".test");
    return org;
  }

  static std::string unique_email(const std::string& org) {
    static std::atomic<int> n{0};
    return "user" + std::to_string(++n) + "@" + org + ".test";
  }

  static std::string user_id_of(const std::optional<HttpResponse>& r) {
    return std::string(r->json().at("user").at("id").as_string());
  }

  static std::filesystem::path database_file() { return instance_->dir() / "data/furoshiki.db"; }

  static Instance* instance_;
  static ServerProcess* server_;
  static Org* org_a_;
  static Org* org_b_;
};

Instance* Admin::instance_ = nullptr;
ServerProcess* Admin::server_ = nullptr;
Org* Admin::org_a_ = nullptr;
Org* Admin::org_b_ = nullptr;

TEST_F(Admin, TenantMatrixLetsOnlyTheOrganizationsOwnAdminsIn) {
  const std::string missing_id = "u_0123456789abcdefghijklmnopqrstuv";
  struct Caller {
    const char* name;
    Who who;
    const Org* admin_of;  // null: not an admin
  };
  const Caller callers[] = {{"admin A", org_a_->admin, org_a_},
                            {"member A", org_a_->member, nullptr},
                            {"admin B", org_b_->admin, org_b_},
                            {"member B", org_b_->member, nullptr},
                            {"no credentials", Who{}, nullptr}};
  for (const auto& caller : callers) {
    const bool anonymous = caller.who.cookie.empty();
    const auto expect_denied = [&](const std::optional<HttpResponse>& r, const std::string& what) {
      EXPECT_EQ(status_of(r), anonymous ? 401u : 403u) << caller.name << " " << what << ": " << (r ? r->body : "");
    };
    for (const Org* org : {org_a_, org_b_}) {
      // Each org's own user ids, and the other org's, on every route that takes an id.
      const bool own = caller.admin_of == org;
      const Org* other = org == org_a_ ? org_b_ : org_a_;
      const bool cross = caller.admin_of == other;
      std::string target = org->member.user_id;
      if (own) {
        // A fresh user to delete, so that the member stays for the other rows.
        const auto made = api().call("POST", "/api/v1/admin/users", caller.who, {{"email", unique_email(org->code)}});
        ASSERT_EQ(status_of(made), 201u) << made->body;
        target = user_id_of(made);
      }
      const std::string path = "/api/v1/admin/users/" + target;
      const auto get = api().call("GET", path, caller.who);
      const auto patch = api().call("PATCH", path, caller.who, {{"display_name", "Renamed"}});
      const auto del = api().call("DELETE", path, caller.who);
      if (own) {
        EXPECT_EQ(status_of(get), 200u) << caller.name << (get ? get->body : "");
        EXPECT_EQ(status_of(patch), 200u) << caller.name << (patch ? patch->body : "");
        EXPECT_EQ(patch->json().at("user").at("display_name"), "Renamed");
        EXPECT_EQ(status_of(del), 204u) << caller.name;
        EXPECT_EQ(status_of(api().call("GET", path, caller.who)), 404u) << "deleted";
      } else if (cross) {
        // Indistinguishable from an id that does not exist.
        const std::string random_path = "/api/v1/admin/users/" + missing_id;
        const auto get_missing = api().call("GET", random_path, caller.who);
        const auto patch_missing = api().call("PATCH", random_path, caller.who, {{"display_name", "Renamed"}});
        const auto del_missing = api().call("DELETE", random_path, caller.who);
        for (const auto* pair : {&get, &patch, &del}) {
          EXPECT_EQ(status_of(*pair), 404u) << caller.name << " on " << org->code;
        }
        EXPECT_EQ(get->body, get_missing->body);
        EXPECT_EQ(patch->body, patch_missing->body);
        EXPECT_EQ(del->body, del_missing->body);
        EXPECT_EQ(error_code(get), "not_found");
      } else {
        expect_denied(get, "GET " + org->code);
        expect_denied(patch, "PATCH " + org->code);
        expect_denied(del, "DELETE " + org->code);
      }
    }
    // The routes without an id act on the caller's own organization.
    const auto list = api().call("GET", "/api/v1/admin/users", caller.who);
    const auto create = api().call("POST", "/api/v1/admin/users", caller.who, {{"email", unique_email("matrix")}});
    const auto policy = api().call("GET", "/api/v1/admin/policy", caller.who);
    const auto put_policy = api().call("PUT", "/api/v1/admin/policy", caller.who, {{"require_2fa", "none"}});
    const auto logs = api().call("GET", "/api/v1/admin/logs", caller.who);
    const auto verify = api().call("GET", "/api/v1/admin/logs/verify", caller.who);
    if (caller.admin_of) {
      ASSERT_EQ(status_of(list), 200u) << list->body;
      for (const auto& u : boost::json::array(list->json().at("users").as_array())) {
        EXPECT_EQ(u.at("org").as_string(), caller.admin_of->code) << "only its own organization's users";
      }
      EXPECT_EQ(status_of(create), 201u) << create->body;
      EXPECT_EQ(create->json().at("user").at("org").as_string(), caller.admin_of->code);
      EXPECT_EQ(status_of(policy), 200u);
      EXPECT_EQ(status_of(put_policy), 200u) << put_policy->body;
      EXPECT_EQ(status_of(logs), 200u);
      ASSERT_EQ(status_of(verify), 200u);
      EXPECT_EQ(verify->json().at("ok"), true) << verify->body;
    } else {
      for (const auto* r : {&list, &create, &policy, &put_policy, &logs, &verify}) expect_denied(*r, "no-id route");
    }
  }
}

TEST_F(Admin, OneTimePasswordWorksOnceAndForcesAChange) {
  const std::string email = unique_email(org_a_->code);
  const auto made = api().call("POST", "/api/v1/admin/users", org_a_->admin,
                               {{"email", email}, {"display_name", "Temporary Admin"}, {"role", "org_admin"}});
  ASSERT_EQ(status_of(made), 201u) << made->body;
  const std::string one_time(made->json().at("one_time_password").as_string());
  EXPECT_EQ(made->json().at("user").at("password_change_required"), true);
  EXPECT_EQ(made->json().at("user").at("role"), "org_admin");

  const Who first = sign_in(org_a_->code, email, one_time);
  const auto gated = api().call("GET", "/api/v1/admin/users", first);
  EXPECT_EQ(status_of(gated), 403u);
  EXPECT_EQ(error_code(gated), "password_change_required");
  const Who changed = change_password(first, one_time, kNewPassword);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/admin/users", changed)), 200u);
  const auto again = api().login({.org = org_a_->code, .login = email, .password = one_time});
  EXPECT_EQ(status_of(again), 401u) << "the one-time password works once";
}

TEST_F(Admin, CreationErrorsAreBadRequestsOrConflicts) {
  const auto bad = api().call("POST", "/api/v1/admin/users", org_a_->admin, {{"email", "not an address"}});
  EXPECT_EQ(status_of(bad), 400u);
  EXPECT_EQ(error_code(bad), "bad_request");
  const auto unknown =
      api().call("POST", "/api/v1/admin/users", org_a_->admin, {{"email", "x@y.test"}, {"colour", "red"}});
  EXPECT_EQ(status_of(unknown), 400u);
  EXPECT_NE(unknown->body.find("colour"), std::string::npos) << unknown->body;
  const auto duplicate =
      api().call("POST", "/api/v1/admin/users", org_a_->admin, {{"email", "member@" + org_a_->code + ".test"}});
  EXPECT_EQ(status_of(duplicate), 409u) << duplicate->body;
  EXPECT_EQ(error_code(duplicate), "conflict");
}

TEST_F(Admin, PatchChangesRightsPartiallyAndResetsThePassword) {
  const auto made = api().call("POST", "/api/v1/admin/users", org_a_->admin, {{"email", unique_email(org_a_->code)}});
  ASSERT_EQ(status_of(made), 201u);
  const std::string path = "/api/v1/admin/users/" + user_id_of(made);
  const auto patched =
      api().call("PATCH", path, org_a_->admin, {{"rights", {{"can_send_external", true}}}, {"reset_password", true}});
  ASSERT_EQ(status_of(patched), 200u) << patched->body;
  const auto rights = patched->json().at("user").at("rights");
  EXPECT_EQ(rights.at("can_send_external"), true);
  EXPECT_EQ(rights.at("can_upload"), true) << "keys not given keep their values";
  EXPECT_EQ(patched->json().at("one_time_password").as_string().size(), 24u);
  const auto strict = api().call("PATCH", path, org_a_->admin, {{"rights", {{"can_fly", true}}}});
  EXPECT_EQ(status_of(strict), 400u);
  EXPECT_NE(strict->body.find("can_fly"), std::string::npos) << strict->body;
}

TEST_F(Admin, DisablingAUserEndsItsSessionsAtOnce) {
  const std::string email = unique_email(org_a_->code);
  const Who user = create_and_sign_in(org_a_->admin, org_a_->code, email);
  ASSERT_EQ(status_of(api().call("GET", "/api/v1/me", user)), 200u);
  const auto disabled = api().call("PATCH", "/api/v1/admin/users/" + user.user_id, org_a_->admin, {{"disabled", true}});
  ASSERT_EQ(status_of(disabled), 200u) << disabled->body;
  EXPECT_EQ(disabled->json().at("user").at("disabled"), true);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/me", user)), 401u);
}

TEST_F(Admin, EndSessionsSignsTheUserOut) {
  const Who user = create_and_sign_in(org_a_->admin, org_a_->code, unique_email(org_a_->code));
  const auto ended =
      api().call("PATCH", "/api/v1/admin/users/" + user.user_id, org_a_->admin, {{"end_sessions", true}});
  ASSERT_EQ(status_of(ended), 200u) << ended->body;
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/me", user)), 401u);
}

TEST_F(Admin, UserListPagesWithAnOpaqueCursor) {
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    const auto r =
        api().call("GET", "/api/v1/admin/users?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor), org_b_->admin);
    ASSERT_EQ(status_of(r), 200u) << r->body;
    const boost::json::array users = r->json().at("users").as_array();
    ASSERT_LE(users.size(), 1u);
    for (const auto& u : users) seen.emplace_back(u.at("login").as_string());
    if (r->json().at("next_cursor").is_null()) break;
    cursor = std::string(r->json().at("next_cursor").as_string());
  }
  const auto all = api().call("GET", "/api/v1/admin/users?limit=500", org_b_->admin);
  ASSERT_EQ(status_of(all), 200u);
  EXPECT_EQ(seen.size(), all->json().at("users").as_array().size());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/admin/users?limit=501", org_b_->admin)), 400u);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/admin/users?cursor=*", org_b_->admin)), 400u);
}

TEST_F(Admin, LogsShowSignInsAndAdminActionsWithFiltersAndPaging) {
  const auto logins = api().call("GET", "/api/v1/admin/logs?action=auth.login&limit=500", org_b_->admin);
  ASSERT_EQ(status_of(logins), 200u) << logins->body;
  const boost::json::array events = logins->json().at("events").as_array();
  ASSERT_FALSE(events.empty());
  for (const auto& e : events) EXPECT_EQ(e.at("action"), "auth.login");
  const auto creations =
      api().call("GET", "/api/v1/admin/logs?action=user.create&user=admin%40beta.test", org_b_->admin);
  ASSERT_EQ(status_of(creations), 200u) << creations->body;
  ASSERT_FALSE(creations->json().at("events").as_array().empty());
  for (const auto& e : boost::json::array(creations->json().at("events").as_array())) {
    EXPECT_EQ(e.at("actor_login"), "admin@beta.test");
  }
  const auto failures = api().call("GET", "/api/v1/admin/logs?outcome=failure", org_b_->admin);
  ASSERT_EQ(status_of(failures), 200u);
  for (const auto& e : boost::json::array(failures->json().at("events").as_array()))
    EXPECT_EQ(e.at("outcome"), "failure");

  // Paging: two events a page until the end; the pages together are the whole log.
  const auto everything = api().call("GET", "/api/v1/admin/logs?limit=500", org_b_->admin);
  ASSERT_EQ(status_of(everything), 200u);
  std::vector<std::int64_t> paged;
  std::string cursor;
  for (int page = 0; page < 500; ++page) {
    const auto r =
        api().call("GET", "/api/v1/admin/logs?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), org_b_->admin);
    ASSERT_EQ(status_of(r), 200u) << r->body;
    for (const auto& e : boost::json::array(r->json().at("events").as_array())) paged.push_back(e.at("id").as_int64());
    if (r->json().at("next_cursor").is_null()) break;
    cursor = std::string(r->json().at("next_cursor").as_string());
  }
  std::vector<std::int64_t> all;
  for (const auto& e : boost::json::array(everything->json().at("events").as_array()))
    all.push_back(e.at("id").as_int64());
  // Requests made while paging add events at the head; the older ones page identically.
  ASSERT_GE(paged.size(), all.size());
  EXPECT_TRUE(std::equal(all.rbegin(), all.rend(), paged.rbegin()));

  EXPECT_EQ(status_of(api().call("GET", "/api/v1/admin/logs?from=yesterday", org_b_->admin)), 400u);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/admin/logs?from=2026-02-30T00:00:00Z", org_b_->admin)), 400u);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/admin/logs?outcome=maybe", org_b_->admin)), 400u);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/admin/logs?cursor=forged", org_b_->admin)), 400u);
  const auto future = api().call("GET", "/api/v1/admin/logs?from=2199-01-01T00:00:00%2B09:00", org_b_->admin);
  ASSERT_EQ(status_of(future), 200u) << future->body;
  EXPECT_TRUE(future->json().at("events").as_array().empty());
  const auto past = api().call("GET", "/api/v1/admin/logs?to=2000-01-01T00:00:00Z", org_b_->admin);
  ASSERT_EQ(status_of(past), 200u);
  EXPECT_TRUE(past->json().at("events").as_array().empty());
}

TEST_F(Admin, CsvExportQuotesCells) {
  const auto made = api().call("POST", "/api/v1/admin/users", org_b_->admin,
                               {{"email", unique_email(org_b_->code)}, {"display_name", "Doe, \"Jo\""}});
  ASSERT_EQ(status_of(made), 201u) << made->body;
  const auto csv = api().call("GET", "/api/v1/admin/logs?format=csv&action=user.create", org_b_->admin);
  ASSERT_EQ(status_of(csv), 200u);
  EXPECT_EQ(csv->header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv->header("Content-Disposition"), "attachment; filename=\"audit-log.csv\"");
  EXPECT_TRUE(csv->body.starts_with("id,seq,at,")) << csv->body.substr(0, 100);
  EXPECT_NE(csv->body.find("\r\n"), std::string::npos);
  EXPECT_NE(csv->body.find("\"\""), std::string::npos) << "quotes inside a quoted cell are doubled";
  EXPECT_EQ(csv->body.find("auth.login"), std::string::npos) << "the filter applies";
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/admin/logs?format=xml", org_b_->admin)), 400u);
}

TEST_F(Admin, VerifyReportsTheFirstBrokenLinkAfterTampering) {
  const Org org = make_org("gamma", false);
  const auto before = api().call("GET", "/api/v1/admin/logs/verify", org.admin);
  ASSERT_EQ(status_of(before), 200u);
  EXPECT_EQ(before->json().at("ok"), true) << before->body;
  EXPECT_GE(before->json().at("events").as_int64(), 3);

  const std::string sql =
      "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET target='x' WHERE seq=2 AND "
      "org_id='" +
      org.id + "';";
  const auto tampered = run_command({"/usr/bin/sqlite3", database_file().string(), sql});
  ASSERT_EQ(tampered.exit_code, 0) << tampered.err;

  const auto after = api().call("GET", "/api/v1/admin/logs/verify", org.admin);
  ASSERT_EQ(status_of(after), 200u) << after->body;
  const auto body = after->json();
  EXPECT_EQ(body.at("ok"), false);
  EXPECT_EQ(body.at("events"), 1);
  EXPECT_EQ(body.at("broken").at("kind"), "altered_row");
  EXPECT_EQ(body.at("broken").at("seq"), 2);
}

TEST_F(Admin, PolicyValidationNamesTheKeyAndStricterRulesApplyAtTheNextChange) {
  const Org org = make_org("delta", false);
  const auto unknown = api().call("PUT", "/api/v1/admin/policy", org.admin, {{"colour", "red"}});
  EXPECT_EQ(status_of(unknown), 400u);
  EXPECT_NE(unknown->body.find("colour"), std::string::npos) << unknown->body;
  const auto bad_rule = api().call("PUT", "/api/v1/admin/policy", org.admin, {{"password", {{"min_length", 3}}}});
  EXPECT_EQ(status_of(bad_rule), 400u);
  EXPECT_NE(bad_rule->body.find("min_length"), std::string::npos) << bad_rule->body;
  const auto bad_2fa = api().call("PUT", "/api/v1/admin/policy", org.admin, {{"require_2fa", "some"}});
  EXPECT_EQ(status_of(bad_2fa), 400u);
  EXPECT_NE(bad_2fa->body.find("require_2fa"), std::string::npos);
  const auto bad_range =
      api().call("PUT", "/api/v1/admin/policy", org.admin, {{"ip_allowlist", boost::json::array{"10.0.0.1/8"}}});
  EXPECT_EQ(status_of(bad_range), 400u);
  EXPECT_NE(bad_range->body.find("ip_allowlist"), std::string::npos);

  const auto put = api().call("PUT", "/api/v1/admin/policy", org.admin,
                              {{"password", {{"min_length", 40}}},
                               {"require_2fa", "none"},
                               {"ip_allowlist", boost::json::array{"127.0.0.0/8", "::1/128"}}});
  ASSERT_EQ(status_of(put), 200u) << put->body;
  const auto got = api().call("GET", "/api/v1/admin/policy", org.admin);
  ASSERT_EQ(status_of(got), 200u);
  EXPECT_EQ(got->json().at("password").at("min_length"), 40);
  EXPECT_EQ(got->json().at("password").at("history_count"), 5) << "absent keys take their defaults";
  EXPECT_EQ(got->json().at("ip_allowlist").as_array().size(), 2u);
  const auto logged = api().call("GET", "/api/v1/admin/logs?action=policy.update", org.admin);
  ASSERT_EQ(status_of(logged), 200u);
  ASSERT_EQ(logged->json().at("events").as_array().size(), 1u) << logged->body;
  EXPECT_EQ(logged->json().at("events").at(0).at("details").at("changed").as_array().size(), 3u);

  const std::string email = unique_email(org.code);
  const auto made = api().call("POST", "/api/v1/admin/users", org.admin, {{"email", email}});
  ASSERT_EQ(status_of(made), 201u);
  const std::string one_time(made->json().at("one_time_password").as_string());
  const Who user = sign_in(org.code, email, one_time);
  const auto short_one =
      api().call("POST", "/api/v1/me/password", user, {{"current", one_time}, {"new", kNewPassword}});
  EXPECT_EQ(status_of(short_one), 422u) << short_one->body;
  EXPECT_NE(short_one->body.find("too_short"), std::string::npos) << short_one->body;
  const auto long_one =
      api().call("POST", "/api/v1/me/password", user,
                 {{"current", one_time}, {"new", "violet tractor umbrella harbour lantern meadow 8"}});
  EXPECT_EQ(status_of(long_one), 204u) << long_one->body;
}

TEST_F(Admin, SessionTimeoutsAreValidatedAndGovernNewSessions) {
  const Org org = make_org("epsilon", false);
  const auto defaults = api().call("GET", "/api/v1/admin/policy", org.admin);
  ASSERT_EQ(status_of(defaults), 200u);
  EXPECT_EQ(defaults->json().at("sessions").at("idle_timeout_minutes"), 30);
  EXPECT_EQ(defaults->json().at("sessions").at("absolute_timeout_hours"), 12);

  const auto too_short =
      api().call("PUT", "/api/v1/admin/policy", org.admin, {{"sessions", {{"idle_timeout_minutes", 2}}}});
  EXPECT_EQ(status_of(too_short), 422u);
  EXPECT_EQ(error_code(too_short), "invalid_policy");
  EXPECT_NE(too_short->body.find("sessions.idle_timeout_minutes must be from 5 to 1440"), std::string::npos)
      << too_short->body;
  const auto inconsistent = api().call("PUT", "/api/v1/admin/policy", org.admin,
                                       {{"sessions", {{"idle_timeout_minutes", 120}, {"absolute_timeout_hours", 1}}}});
  EXPECT_EQ(status_of(inconsistent), 422u);
  EXPECT_EQ(error_code(inconsistent), "invalid_policy");
  const auto wrong_type =
      api().call("PUT", "/api/v1/admin/policy", org.admin, {{"sessions", {{"absolute_timeout_hours", "8"}}}});
  EXPECT_EQ(status_of(wrong_type), 400u) << "malformed, not merely out of range";

  const auto put = api().call("PUT", "/api/v1/admin/policy", org.admin,
                              {{"sessions", {{"idle_timeout_minutes", 20}, {"absolute_timeout_hours", 2}}}});
  ASSERT_EQ(status_of(put), 200u) << put->body;
  EXPECT_EQ(put->json().at("sessions").at("absolute_timeout_hours"), 2);
  EXPECT_EQ(put->json().at("require_2fa"), "none") << "keys not named keep their values";

  // A new session lives as long as the policy says: the cookie's Max-Age is its absolute end.
  const auto r = api().login({.org = org.code, .login = "admin@" + org.code + ".test", .password = kNewPassword});
  ASSERT_EQ(status_of(r), 200u) << r->body;
  const std::string cookie = r->header("Set-Cookie");
  const auto at = cookie.find("Max-Age=");
  ASSERT_NE(at, std::string::npos) << cookie;
  const int max_age = std::stoi(cookie.substr(at + 8));
  EXPECT_LE(max_age, 2 * 3600);
  EXPECT_GE(max_age, 2 * 3600 - 60);
}

}  // namespace
}  // namespace furoshiki::integration
