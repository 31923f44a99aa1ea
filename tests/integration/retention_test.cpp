// Retention and start-up reconciliation over the real server (docs/upload.md, "Retention" and
// "The crash rule"): a file whose expires_at has passed is 404 at once and the sweeper removes
// its object and records file.expired in the audit log; an object no files row names, found in
// objects/ at start-up, is removed before the server listens, while a real file's object stays.
#include "api_client.hpp"
#include "expectations.hpp"
#include "harness.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace furoshiki::integration {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kPassword = "violet tractor umbrella 8";

class Retention : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_.set("files", "sweep_interval_seconds", "1");
    instance_.write_config();
    one_time_ = create_org(instance_, "acme", "ACME", "admin@acme.test").admin_one_time_password;
    start();
    admin_ = api().change_password(api().sign_in({.org = "acme", .login = "admin@acme.test", .password = one_time_}),
                                   one_time_, kPassword);
  }

  void start() { server_ = ServerProcess::start(instance_); }
  void stop() {
    ASSERT_TRUE(server_->signal(SIGTERM));
    ASSERT_TRUE(server_->wait_exit(20s));
  }
  void sign_in_again() { admin_ = api().sign_in({.org = "acme", .login = "admin@acme.test", .password = kPassword}); }

  ApiClient api() const { return ApiClient(*server_); }
  fs::path data() const { return instance_.dir() / "data"; }

  // Uploads `body` as a.txt; returns the file id ("" and a failed expectation otherwise).
  std::string upload(std::string_view body) {
    const auto put = api().call("PUT", "/api/v1/files?name=a.txt", std::string(body), admin_.headers());
    EXPECT_EQ(status_of(put), 201u) << (put ? put->body : "");
    if (status_of(put) != 201u) return "";
    return std::string(put->json().at("id").as_string());
  }

  // Runs `sql` on the instance's database (the server may be running: SQLite in WAL mode);
  // returns the first column of the first row, "" when there is none.
  std::string sql(const std::string& statement) {
    sqlite3* db = nullptr;
    std::string first;
    const std::string path = (data() / "furoshiki.db").string();
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, statement.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    int rc = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (first.empty() && sqlite3_column_text(stmt, 0)) {
        first = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      }
    }
    EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return first;
  }

  fs::path object_path(const std::string& object_id) const {
    return data() / "objects" / object_id.substr(0, 2) / object_id;
  }

  Instance instance_;
  std::string one_time_;
  std::unique_ptr<ServerProcess> server_;
  SignedIn admin_;
};

TEST_F(Retention, ExpiredFileIsGoneAtOnceAndSweptWithAnAuditEvent) {
  const std::string id = upload("expires soon");
  ASSERT_FALSE(id.empty());
  const std::string kept = upload("stays");
  const std::string object_id = sql("SELECT object_id FROM files WHERE id = '" + id + "'");
  const std::string kept_object = sql("SELECT object_id FROM files WHERE id = '" + kept + "'");
  ASSERT_EQ(object_id.size(), 32u);
  ASSERT_TRUE(fs::exists(object_path(object_id)));
  sql("UPDATE files SET expires_at = created_at + 1 WHERE id = '" + id + "'");
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/files/" + id, admin_)), 404u);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (fs::exists(object_path(object_id)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_FALSE(fs::exists(object_path(object_id))) << server_->log_text();
  EXPECT_TRUE(fs::exists(object_path(kept_object)));
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/files/" + kept, admin_)), 200u);
  EXPECT_EQ(sql("SELECT count(*) FROM files WHERE id = '" + id + "'"), "0");
  const auto logs = api().call("GET", "/api/v1/admin/logs?action=file.expired", admin_);
  ASSERT_EQ(status_of(logs), 200u);
  const auto events = logs->json().at("events").as_array();
  ASSERT_EQ(events.size(), 1u) << logs->body;
  EXPECT_EQ(events[0].at("target").as_string(), id);
  EXPECT_EQ(events[0].at("actor_type").as_string(), "system");
}

TEST_F(Retention, AnUnreferencedObjectIsRemovedAtStartAndARealOneKept) {
  const std::string id = upload("a real file");
  ASSERT_FALSE(id.empty());
  const std::string real_object = sql("SELECT object_id FROM files WHERE id = '" + id + "'");
  ASSERT_EQ(real_object.size(), 32u);
  stop();
  // What a crash between an object's commit and its row leaves: a valid-looking object.
  const std::string orphan = "0123456789abcdef0123456789abcdef";
  fs::create_directories(data() / "objects" / "01");
  fs::copy_file(object_path(real_object), object_path(orphan));
  start();
  EXPECT_FALSE(fs::exists(object_path(orphan)));
  EXPECT_TRUE(fs::exists(object_path(real_object)));
  const auto reports = server_->events("unreferenced_object_removed");
  ASSERT_EQ(reports.size(), 1u) << server_->log_text();
  EXPECT_EQ(reports[0].at("count").to_number<std::int64_t>(), 1);
  sign_in_again();
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/files/" + id, admin_)), 200u);
}

TEST_F(Retention, UsageReportCountsTodaysUploadAndLogin) {
  ASSERT_FALSE(upload("twelve bytes").empty());
  const auto by_day = api().call("GET", "/api/v1/admin/usage", admin_);
  ASSERT_EQ(status_of(by_day), 200u) << (by_day ? by_day->body : "");
  const auto rows = by_day->json().at("rows").as_array();
  ASSERT_EQ(rows.size(), 30u);
  const auto& today = rows.back().as_object();
  EXPECT_EQ(today.at("uploaded_bytes").to_number<std::int64_t>(), 12);
  EXPECT_EQ(today.at("stored_bytes").to_number<std::int64_t>(), 12);
  EXPECT_GE(today.at("logins").to_number<std::int64_t>(), 1);
  EXPECT_EQ(today.at("transfers").to_number<std::int64_t>(), 0);
  const auto users = by_day->json().at("users").as_array();
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].at("stored_bytes").to_number<std::int64_t>(), 12);

  const auto by_user = api().call("GET", "/api/v1/admin/usage?group_by=user&from=2026-01-01T00:00:00Z", admin_);
  ASSERT_EQ(status_of(by_user), 200u) << (by_user ? by_user->body : "");
  EXPECT_EQ(by_user->json().at("rows").as_array().size(), 1u);

  for (const char* bad : {"?from=2026-02-30", "?from=2020-01-01&to=2026-01-01", "?from=2026-05-02&to=2026-05-01",
                          "?group_by=month", "?since=2026-01-01"}) {
    EXPECT_EQ(status_of(api().call("GET", std::string("/api/v1/admin/usage") + bad, admin_)), 400u) << bad;
  }
  // Without a session: deny by default.
  EXPECT_EQ(status_of(api().call("GET", "/api/v1/admin/usage")), 401u);
}

}  // namespace
}  // namespace furoshiki::integration
