// Organizations' IP allowlists (403 ip_not_allowed at sign-in and on every signed-in request),
// the admin's self-lockout guard on PUT /admin/policy (422 would_lock_out unless confirmed), and
// server.trusted_proxies: X-Forwarded-For counts only when the socket peer is a trusted proxy.
#include "harness.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace furoshiki::integration {
namespace {

class NetworkPolicy : public ::testing::Test {
 protected:
  void create_org() {
    instance_.write_config();
    const auto r = run_furoshiki({"org", "create", "--config", instance_.config_file().string(), "--code", "acme",
                                  "--name", "ACME", "--admin-email", "admin@acme.test"},
                                 60s);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto at = r.out.find("one-time password:");
    password_ = r.out.substr(r.out.find_first_not_of(' ', at + 18), 24);
  }

  // Sets the organization's ip_allowlist directly in the database (the SQL goes through a file,
  // so no shell quoting is involved).
  void set_allowlist(const std::string& json_array) {
    const auto sql_file = instance_.dir() / "allowlist.sql";
    {
      std::ofstream out(sql_file);
      out << "UPDATE organizations SET policy = json_set(policy, '$.ip_allowlist', json('" << json_array
          << "')) WHERE code = 'acme';\n";
    }
    const std::string command =
        "sqlite3 '" + (instance_.dir() / "data/furoshiki.db").string() + "' < '" + sql_file.string() + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }

  std::optional<HttpResponse> call(std::string_view method, std::string_view target, const std::string& body,
                                   std::vector<std::pair<std::string, std::string>> headers) {
    TlsClient client;
    auto connection = client.connect(server_->https());
    if (!connection) return std::nullopt;
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/json");
      headers.emplace_back("Content-Length", std::to_string(body.size()));
    }
    return connection->request(http_request(method, target, headers, false) + body);
  }

  std::optional<HttpResponse> login(std::vector<std::pair<std::string, std::string>> headers = {}) {
    const std::string body = boost::json::serialize(
        boost::json::object{{"org", "acme"}, {"login", "admin@acme.test"}, {"password", password_}});
    return call("POST", "/api/v1/auth/login", body, std::move(headers));
  }

  // The admin signed in with the one-time password replaced: {"Cookie", …} and {"X-CSRF-Token", …}.
  std::vector<std::pair<std::string, std::string>> admin_session() {
    const auto first = login();
    if (status_of(first) != 200u) throw std::runtime_error("sign-in failed: " + (first ? first->body : ""));
    const std::string set = first->header("Set-Cookie");
    const std::string body = boost::json::serialize(
        boost::json::object{{"current", password_}, {"new", "violet tractor umbrella harbour 8"}});
    const auto changed = call("POST", "/api/v1/me/password", body,
                              {{"Cookie", set.substr(0, set.find(';'))},
                               {"X-CSRF-Token", std::string(first->json().at("csrf_token").as_string())}});
    if (status_of(changed) != 204u) throw std::runtime_error("password change failed");
    const std::string renewed = changed->header("Set-Cookie");
    return {{"Cookie", renewed.substr(0, renewed.find(';'))}, {"X-CSRF-Token", changed->header("X-CSRF-Token")}};
  }

  std::optional<HttpResponse> put_policy(const std::vector<std::pair<std::string, std::string>>& admin,
                                         const boost::json::object& body) {
    return call("PUT", "/api/v1/admin/policy", boost::json::serialize(body), admin);
  }

  static std::string code_of(const std::optional<HttpResponse>& r) {
    if (!r || !r->json().is_object() || !r->json().as_object().contains("error")) return "";
    return std::string(r->json().at("error").at("code").as_string());
  }

  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
  std::string password_;
};

TEST_F(NetworkPolicy, AllowlistRefusesSignInAndSessionsFromOutside) {
  create_org();
  server_ = ServerProcess::start(instance_);
  const auto before = login();
  ASSERT_EQ(status_of(before), 200u);
  const std::string set = before->header("Set-Cookie");
  const std::string cookie = set.substr(0, set.find(';'));

  set_allowlist("[\"192.0.2.0/24\", \"2001:db8::/32\"]");
  const auto refused = login();
  EXPECT_EQ(status_of(refused), 403u);
  EXPECT_EQ(code_of(refused), "ip_not_allowed");
  const auto me = call("GET", "/api/v1/me", "", {{"Cookie", cookie}});
  EXPECT_EQ(status_of(me), 403u);
  EXPECT_EQ(code_of(me), "ip_not_allowed");
  // A forged X-Forwarded-For from an untrusted peer changes nothing.
  EXPECT_EQ(code_of(login({{"X-Forwarded-For", "192.0.2.10"}})), "ip_not_allowed");

  set_allowlist("[\"127.0.0.0/8\", \"::1\"]");
  EXPECT_EQ(status_of(login()), 200u);
  EXPECT_EQ(status_of(call("GET", "/api/v1/me", "", {{"Cookie", cookie}})), 200u);
}

TEST_F(NetworkPolicy, AllowlistWithoutTheAdminsOwnAddressIsRefused) {
  create_org();
  server_ = ServerProcess::start(instance_);
  const auto admin = admin_session();
  for (const auto& body :
       {boost::json::object{{"ip_allowlist", boost::json::array{"192.0.2.0/24"}}},
        boost::json::object{{"ip_allowlist", boost::json::array{"192.0.2.0/24"}}, {"confirm_lockout", false}}}) {
    const auto refused = put_policy(admin, body);
    EXPECT_EQ(status_of(refused), 422u) << (refused ? refused->body : "");
    EXPECT_EQ(code_of(refused), "would_lock_out");
    EXPECT_NE(refused->body.find("127.0.0.1"), std::string::npos) << "the message names the address: " << refused->body;
  }
  const auto policy = call("GET", "/api/v1/admin/policy", "", admin);
  ASSERT_EQ(status_of(policy), 200u);
  EXPECT_TRUE(policy->json().at("ip_allowlist").as_array().empty()) << "nothing was saved";
  EXPECT_EQ(status_of(call("GET", "/api/v1/me", "", admin)), 200u);

  // A list that holds the admin's address needs no confirmation.
  const auto saved = put_policy(admin, {{"ip_allowlist", boost::json::array{"192.0.2.0/24", "127.0.0.0/8"}}});
  EXPECT_EQ(status_of(saved), 200u) << (saved ? saved->body : "");
  EXPECT_EQ(status_of(call("GET", "/api/v1/me", "", admin)), 200u);
}

TEST_F(NetworkPolicy, ConfirmedLockoutIsSavedAndAppliesAtOnce) {
  create_org();
  server_ = ServerProcess::start(instance_);
  const auto admin = admin_session();
  const auto saved =
      put_policy(admin, {{"ip_allowlist", boost::json::array{"192.0.2.0/24"}}, {"confirm_lockout", true}});
  ASSERT_EQ(status_of(saved), 200u) << (saved ? saved->body : "");
  EXPECT_EQ(saved->json().at("ip_allowlist"), (boost::json::array{"192.0.2.0/24"}));
  EXPECT_FALSE(saved->json().as_object().contains("confirm_lockout")) << "not part of the stored policy";
  const auto me = call("GET", "/api/v1/me", "", admin);
  EXPECT_EQ(status_of(me), 403u);
  EXPECT_EQ(code_of(me), "ip_not_allowed");
  EXPECT_EQ(code_of(login()), "ip_not_allowed");
}

TEST_F(NetworkPolicy, TrustedProxysForwardedAddressIsTheClient) {
  instance_.set("server", "trusted_proxies", R"(["127.0.0.1", "::1"])");
  create_org();
  set_allowlist("[\"192.0.2.0/24\"]");
  server_ = ServerProcess::start(instance_);
  EXPECT_EQ(code_of(login()), "ip_not_allowed") << "the proxy itself is not the client";
  EXPECT_EQ(status_of(login({{"X-Forwarded-For", "192.0.2.10"}})), 200u);
  EXPECT_EQ(code_of(login({{"X-Forwarded-For", "192.0.2.10, 198.51.100.1"}})), "ip_not_allowed")
      << "the nearest untrusted address counts, not a forged first entry";
}

}  // namespace
}  // namespace furoshiki::integration
