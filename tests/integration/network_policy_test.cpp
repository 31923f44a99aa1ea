// Organizations' IP allowlists (403 ip_not_allowed at sign-in and on every signed-in request),
// the admin's self-lockout guard on PUT /admin/policy (422 would_lock_out unless confirmed), and
// server.trusted_proxies: X-Forwarded-For counts only when the socket peer is a trusted proxy.
#include "api_client.hpp"
#include "harness.hpp"
#include "https_client.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <fstream>

namespace furoshiki::integration {
namespace {

constexpr const char* kAdminLogin = "admin@acme.test";

class NetworkPolicy : public ::testing::Test {
 protected:
  // Creates the organization "acme" with the configuration as it stands; its admin's one-time
  // password goes to password_.
  void create_acme() {
    instance_.write_config();
    password_ = create_org(instance_, "acme", "ACME", kAdminLogin).admin_one_time_password;
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

  ApiClient api() const { return ApiClient(*server_); }

  std::optional<HttpResponse> login(Headers headers = {}) {
    return api().login({.org = "acme", .login = kAdminLogin, .password = password_}, std::move(headers));
  }

  // The admin signed in with the one-time password replaced.
  SignedIn admin_session() {
    return api().change_password(api().sign_in({.org = "acme", .login = kAdminLogin, .password = password_}), password_,
                                 "violet tractor umbrella harbour 8");
  }

  std::optional<HttpResponse> put_policy(const SignedIn& admin, const boost::json::object& body) {
    return api().call("PUT", "/api/v1/admin/policy", boost::json::serialize(body), admin.headers());
  }

  Instance instance_;
  std::unique_ptr<ServerProcess> server_;
  std::string password_;
};

TEST_F(NetworkPolicy, AllowlistRefusesSignInAndSessionsFromOutside) {
  create_acme();
  server_ = ServerProcess::start(instance_);
  const auto before = login();
  ASSERT_EQ(status_of(before), 200u);
  const std::string cookie = cookie_of(*before);

  set_allowlist("[\"192.0.2.0/24\", \"2001:db8::/32\"]");
  const auto refused = login();
  EXPECT_EQ(status_of(refused), 403u);
  EXPECT_EQ(error_code(refused), "ip_not_allowed");
  const auto me = api().call("GET", "/api/v1/me", "", {{"Cookie", cookie}});
  EXPECT_EQ(status_of(me), 403u);
  EXPECT_EQ(error_code(me), "ip_not_allowed");
  // A forged X-Forwarded-For from an untrusted peer changes nothing.
  EXPECT_EQ(error_code(login({{"X-Forwarded-For", "192.0.2.10"}})), "ip_not_allowed");

  set_allowlist("[\"127.0.0.0/8\", \"::1\"]");
  EXPECT_EQ(status_of(login()), 200u);
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/me", "", {{"Cookie", cookie}})), 200u);
}

TEST_F(NetworkPolicy, AllowlistWithoutTheAdminsOwnAddressIsRefused) {
  create_acme();
  server_ = ServerProcess::start(instance_);
  const auto admin = admin_session();
  for (const auto& body :
       {boost::json::object{{"ip_allowlist", boost::json::array{"192.0.2.0/24"}}},
        boost::json::object{{"ip_allowlist", boost::json::array{"192.0.2.0/24"}}, {"confirm_lockout", false}}}) {
    const auto refused = put_policy(admin, body);
    EXPECT_EQ(status_of(refused), 422u) << (refused ? refused->body : "");
    EXPECT_EQ(error_code(refused), "would_lock_out");
    EXPECT_NE(refused->body.find("127.0.0.1"), std::string::npos) << "the message names the address: " << refused->body;
  }
  const auto policy = api().call("GET", "/api/v1/admin/policy", admin);
  ASSERT_EQ(status_of(policy), 200u);
  EXPECT_TRUE(policy->json().at("ip_allowlist").as_array().empty()) << "nothing was saved";
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/me", admin)), 200u);

  // A list that holds the admin's address needs no confirmation.
  const auto saved = put_policy(admin, {{"ip_allowlist", boost::json::array{"192.0.2.0/24", "127.0.0.0/8"}}});
  EXPECT_EQ(status_of(saved), 200u) << (saved ? saved->body : "");
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/me", admin)), 200u);
}

TEST_F(NetworkPolicy, ConfirmedLockoutIsSavedAndAppliesAtOnce) {
  create_acme();
  server_ = ServerProcess::start(instance_);
  const auto admin = admin_session();
  const auto saved =
      put_policy(admin, {{"ip_allowlist", boost::json::array{"192.0.2.0/24"}}, {"confirm_lockout", true}});
  ASSERT_EQ(status_of(saved), 200u) << (saved ? saved->body : "");
  EXPECT_EQ(saved->json().at("ip_allowlist"), (boost::json::array{"192.0.2.0/24"}));
  EXPECT_FALSE(saved->json().as_object().contains("confirm_lockout")) << "not part of the stored policy";
  const auto me = api().call("GET", "/api/v1/me", admin);
  EXPECT_EQ(status_of(me), 403u);
  EXPECT_EQ(error_code(me), "ip_not_allowed");
  EXPECT_EQ(error_code(login()), "ip_not_allowed");
}

TEST_F(NetworkPolicy, TrustedProxysForwardedAddressIsTheClient) {
  instance_.set("server", "trusted_proxies", R"(["127.0.0.1", "::1"])");
  create_acme();
  set_allowlist("[\"192.0.2.0/24\"]");
  server_ = ServerProcess::start(instance_);
  EXPECT_EQ(error_code(login()), "ip_not_allowed") << "the proxy itself is not the client";
  EXPECT_EQ(status_of(login({{"X-Forwarded-For", "192.0.2.10"}})), 200u);
  EXPECT_EQ(error_code(login({{"X-Forwarded-For", "192.0.2.10, 198.51.100.1"}})), "ip_not_allowed")
      << "the nearest untrusted address counts, not a forged first entry";
}

}  // namespace
}  // namespace furoshiki::integration
