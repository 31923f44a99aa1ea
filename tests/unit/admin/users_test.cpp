// An organization's users as its administrators manage them: creation with one-time passwords,
// changes, resets, deletion, the last-administrator guard, the audit trail — and tenant isolation:
// another organization's users are "not found" through every function.
#include "admin/users.hpp"

#include "common/error.hpp"
#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"
#include "test_support/admin_fixture.hpp"

#include <gtest/gtest.h>

namespace furoshiki::admin {
namespace {

class UsersTest : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    users_ = std::make_unique<UserDirectory>(ctx_, *db_, *hasher_, *audit_);
    CreatedAccount admin;
    ASSERT_FALSE(orgs_->create({"acme", "ACME", "admin@acme.test", ""}, cli_, acme_, admin));
    acme_admin_ = admin.id;
    ASSERT_FALSE(orgs_->create({"other", "Other", "admin@other.test", ""}, cli_, other_, admin));
    other_admin_ = admin.id;
  }

  TenantScope acme() const { return orgs_->scope_for(acme_); }
  TenantScope other() const { return orgs_->scope_for(other_); }

  User make(const TenantScope& scope, const std::string& email, const std::string& role = "member") {
    User user;
    std::string password;
    const auto e = users_->create(scope, {email, "", role, {}}, admin_actor_, user, password);
    EXPECT_FALSE(e) << e.message;
    return user;
  }

  std::vector<std::string> acme_actions() {
    std::vector<AuditRow> rows;
    std::string next;
    EXPECT_FALSE(audit_->query(AuditChain::organization(acme_.id), {}, rows, next));
    std::vector<std::string> out;
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) out.push_back(it->action);
    return out;
  }

  std::unique_ptr<UserDirectory> users_;
  Organization acme_, other_;
  std::string acme_admin_, other_admin_;
  Actor cli_{.type = "system", .id = "", .login = "cli", .client = "cli"};
  Actor admin_actor_{.type = "user", .id = "admin", .login = "admin@acme.test", .client = "127.0.0.1"};
};

TEST_F(UsersTest, CreatesMemberWithOneTimePasswordAndRights) {
  User user;
  std::string password;
  Rights rights;
  rights.can_send_external = true;
  rights.quota_bytes = 1 << 30;
  ASSERT_FALSE(users_->create(acme(), {"Alice@ACME.test", "Alice", "member", rights}, admin_actor_, user, password));
  EXPECT_EQ(user.login, "alice@acme.test");
  EXPECT_TRUE(user.password_change_required);
  EXPECT_EQ(password.size(), 24u);
  User read;
  ASSERT_FALSE(users_->get(acme(), user.id, read));
  EXPECT_EQ(read.rights, rights);
  EXPECT_EQ(read.display_name, "Alice");
  std::string hash;
  ASSERT_FALSE(db_->execute("SELECT password_hash FROM users WHERE id = ?1", {user.id},
                            [&](const db::Row& r) { hash = r.text(0); }));
  EXPECT_TRUE(hasher_->verify(password, hash).ok);
  EXPECT_EQ(acme_actions().back(), "user.create");
}

TEST_F(UsersTest, RefusesDuplicateLoginAndBadInput) {
  make(acme(), "bob@acme.test");
  User user;
  std::string password;
  EXPECT_EQ(users_->create(acme(), {"BOB@acme.test", "", "member", {}}, admin_actor_, user, password).code,
            make_error_code(Errc::kConflict));
  EXPECT_EQ(users_->create(acme(), {"bob", "", "member", {}}, admin_actor_, user, password).code,
            make_error_code(Errc::kBadRequest));
  EXPECT_EQ(users_->create(acme(), {"c@acme.test", "", "operator", {}}, admin_actor_, user, password).code,
            make_error_code(Errc::kBadRequest));
  // The same login in another organization is another user.
  EXPECT_FALSE(users_->create(other(), {"bob@acme.test", "", "member", {}}, admin_actor_, user, password));
}

TEST_F(UsersTest, RightsJsonIsStrict) {
  Rights r;
  std::string error;
  EXPECT_FALSE(Rights::update_from_json({{"can_fly", true}}, r, error));
  EXPECT_NE(error.find("rights.can_fly"), std::string::npos);
  EXPECT_FALSE(Rights::update_from_json({{"can_upload", 1}}, r, error));
  EXPECT_FALSE(Rights::update_from_json({{"quota_bytes", -1}}, r, error));
  EXPECT_TRUE(Rights::update_from_json({{"requires_approval", true}, {"max_retention_days", 30}}, r, error));
  EXPECT_TRUE(r.requires_approval);
  EXPECT_EQ(r.max_retention_days, 30u);
  EXPECT_TRUE(r.can_upload) << "keys not given keep their values";
}

TEST_F(UsersTest, UpdatesRoleRightsAndDisabledWithAuditEvents) {
  User bob = make(acme(), "bob@acme.test");
  UserChanges changes;
  changes.role = "org_admin";
  changes.display_name = "Robert";
  User updated;
  ASSERT_FALSE(users_->update(acme(), bob.id, changes, admin_actor_, updated));
  EXPECT_EQ(updated.role, "org_admin");
  EXPECT_EQ(updated.display_name, "Robert");
  UserChanges disable;
  disable.disabled = true;
  ASSERT_FALSE(users_->update(acme(), bob.id, disable, admin_actor_, updated));
  EXPECT_TRUE(updated.disabled);
  const auto actions = acme_actions();
  EXPECT_EQ(actions[actions.size() - 2], "user.update");
  EXPECT_EQ(actions.back(), "user.disable");
}

TEST_F(UsersTest, TheLastActiveAdministratorStays) {
  UserChanges demote;
  demote.role = "member";
  User updated;
  EXPECT_EQ(users_->update(acme(), acme_admin_, demote, admin_actor_, updated).code, make_error_code(Errc::kConflict));
  UserChanges disable;
  disable.disabled = true;
  EXPECT_EQ(users_->update(acme(), acme_admin_, disable, admin_actor_, updated).code, make_error_code(Errc::kConflict));
  EXPECT_EQ(users_->remove(acme(), acme_admin_, admin_actor_).code, make_error_code(Errc::kConflict));
  // With a second administrator, the first may go.
  make(acme(), "second@acme.test", "org_admin");
  EXPECT_FALSE(users_->update(acme(), acme_admin_, demote, admin_actor_, updated));
}

TEST_F(UsersTest, ResetPasswordIssuesANewOneTimePasswordAndKeepsHistory) {
  User bob = make(acme(), "bob@acme.test");
  ASSERT_FALSE(db_->execute("UPDATE users SET password_change_required = 0 WHERE id = ?1", {bob.id}));
  std::string password;
  ASSERT_FALSE(users_->reset_password(acme(), bob.id, admin_actor_, password));
  User read;
  ASSERT_FALSE(users_->get(acme(), bob.id, read));
  EXPECT_TRUE(read.password_change_required);
  std::int64_t history = 0;
  ASSERT_FALSE(db_->execute("SELECT count(*) FROM password_history WHERE org_id = ?1 AND user_id = ?2",
                            {acme_.id, bob.id}, [&](const db::Row& r) { history = r.integer(0); }));
  EXPECT_EQ(history, 1);
  EXPECT_EQ(acme_actions().back(), "user.reset_password");
}

TEST_F(UsersTest, RepeatedResetsKeepTheHistoryToTheOrganizationsCount) {
  ASSERT_FALSE(db_->execute(R"(UPDATE organizations SET policy = '{"password":{"history_count":3}}' WHERE id = ?1)",
                            {acme_.id}));
  User bob = make(acme(), "bob@acme.test");
  for (int i = 0; i < 6; ++i) {
    std::string password;
    ASSERT_FALSE(users_->reset_password(acme(), bob.id, admin_actor_, password));
  }
  std::int64_t history = 0;
  ASSERT_FALSE(db_->execute("SELECT count(*) FROM password_history WHERE org_id = ?1 AND user_id = ?2",
                            {acme_.id, bob.id}, [&](const db::Row& r) { history = r.integer(0); }));
  EXPECT_EQ(history, 3);
}

TEST_F(UsersTest, ResetAndDisableEndTheUsersSessions) {
  User bob = make(acme(), "bob@acme.test");
  ASSERT_FALSE(db_->execute("UPDATE users SET password_change_required = 0 WHERE id = ?1", {bob.id}));
  SessionStore sessions(ctx_, *db_);
  auto first = sessions.create(acme(), bob.id, {}, {});
  ASSERT_TRUE(first);
  ASSERT_TRUE(sessions.authenticate(first->token));
  std::string password;
  ASSERT_FALSE(users_->reset_password(acme(), bob.id, admin_actor_, password));
  EXPECT_FALSE(sessions.authenticate(first->token)) << "a password reset ends every session";

  auto second = sessions.create(acme(), bob.id, {}, {});
  ASSERT_TRUE(second);
  UserChanges disable;
  disable.disabled = true;
  User updated;
  ASSERT_FALSE(users_->update(acme(), bob.id, disable, admin_actor_, updated));
  UserChanges enable;
  enable.disabled = false;
  ASSERT_FALSE(users_->update(acme(), bob.id, enable, admin_actor_, updated));
  EXPECT_FALSE(sessions.authenticate(second->token)) << "re-enabling does not bring sessions back";
}

TEST_F(UsersTest, ResetTotpClearsTheSecret) {
  User bob = make(acme(), "bob@acme.test");
  ASSERT_FALSE(db_->execute("UPDATE users SET totp_secret = x'01', totp_enabled = 1 WHERE id = ?1", {bob.id}));
  ASSERT_FALSE(users_->reset_totp(acme(), bob.id, admin_actor_));
  User read;
  ASSERT_FALSE(users_->get(acme(), bob.id, read));
  EXPECT_FALSE(read.totp_enabled);
}

TEST_F(UsersTest, ListsPageByPage) {
  for (int i = 0; i < 7; ++i) make(acme(), "user" + std::to_string(i) + "@acme.test");
  std::vector<User> page;
  std::vector<std::string> logins;
  std::string after;
  do {
    ASSERT_FALSE(users_->list(acme(), 3, after, page));
    for (const auto& u : page) logins.push_back(u.login);
    if (!page.empty()) after = page.back().login;
  } while (page.size() == 3);
  EXPECT_EQ(logins.size(), 8u);  // seven plus the first administrator
  EXPECT_TRUE(std::is_sorted(logins.begin(), logins.end()));
}

// Every function, through organization acme's scope, against a user of organization other: not
// found, and nothing changes.
TEST_F(UsersTest, AnotherOrganizationsUsersAreNotFound) {
  User theirs = make(other(), "carol@other.test");
  User read;
  EXPECT_EQ(users_->get(acme(), theirs.id, read).code, make_error_code(Errc::kNotFound));
  UserChanges disable;
  disable.disabled = true;
  User updated;
  EXPECT_EQ(users_->update(acme(), theirs.id, disable, admin_actor_, updated).code, make_error_code(Errc::kNotFound));
  std::string password;
  EXPECT_EQ(users_->reset_password(acme(), theirs.id, admin_actor_, password).code, make_error_code(Errc::kNotFound));
  EXPECT_TRUE(password.empty());
  EXPECT_EQ(users_->reset_totp(acme(), theirs.id, admin_actor_).code, make_error_code(Errc::kNotFound));
  EXPECT_EQ(users_->remove(acme(), theirs.id, admin_actor_).code, make_error_code(Errc::kNotFound));
  // The same answer as for an id that exists nowhere.
  EXPECT_EQ(users_->get(acme(), "ffffffffffffffffffffffffffffffff", read).message,
            users_->get(acme(), theirs.id, read).message);
  std::vector<User> page;
  ASSERT_FALSE(users_->list(acme(), 100, "", page));
  for (const auto& u : page) EXPECT_NE(u.id, theirs.id);
  ASSERT_FALSE(users_->get(other(), theirs.id, read));
  EXPECT_FALSE(read.disabled);
}

TEST_F(UsersTest, RemovesAUser) {
  User bob = make(acme(), "bob@acme.test");
  ASSERT_FALSE(users_->remove(acme(), bob.id, admin_actor_));
  User read;
  EXPECT_EQ(users_->get(acme(), bob.id, read).code, make_error_code(Errc::kNotFound));
  EXPECT_EQ(acme_actions().back(), "user.delete");
  VerifyResult verified;
  ASSERT_FALSE(audit_->verify(AuditChain::organization(acme_.id), verified));
  EXPECT_TRUE(verified.ok);
}

// Forwards to a real database but fails every statement that contains `fail_on` (inside
// transactions too) with an I/O error: a fault at one chosen step of a multi-step change.
class FailingDatabase : public db::Database {
 public:
  FailingDatabase(db::Database& target, std::string fail_on) : target_(target), fail_on_(std::move(fail_on)) {}

  using db::Database::execute;
  boost::system::error_code execute(std::string_view sql, std::span<const db::Value> params,
                                    const db::RowCallback& on_row) override {
    if (sql.find(fail_on_) != std::string_view::npos) return make_error_code(db::DbErrc::kIo);
    return target_.execute(sql, params, on_row);
  }
  boost::system::error_code execute_script(std::string_view sql) override { return target_.execute_script(sql); }
  boost::system::error_code transaction(const std::function<boost::system::error_code(db::Database&)>& body) override {
    return target_.transaction([&](db::Database& tx) {
      FailingDatabase inner(tx, fail_on_);
      return body(inner);
    });
  }
  bool ping() override { return target_.ping(); }
  std::string backend() const override { return target_.backend(); }

 private:
  db::Database& target_;
  std::string fail_on_;
};

class UserPatchTest : public UsersTest {
 protected:
  void SetUp() override {
    UsersTest::SetUp();
    bob_ = make(acme(), "bob@acme.test").id;
    ASSERT_FALSE(
        db_->execute("UPDATE users SET password_change_required = 0, totp_secret = x'01', totp_enabled = 1, "
                     "rights = '{\"can_upload\":true,\"max_file_bytes\":5}' WHERE id = ?1",
                     {bob_}));
    SessionStore sessions(ctx_, *db_);
    ASSERT_TRUE(sessions.create(acme(), bob_, {}, {}));
  }

  // Everything a PATCH can touch: the user's row, its sessions and password history, the audit log.
  std::string state_of(const std::string& user_id) {
    std::string out;
    EXPECT_FALSE(
        db_->execute("SELECT display_name, role, rights, disabled, password_hash, password_change_required,"
                     " totp_enabled, hex(totp_secret),"
                     " (SELECT count(*) FROM sessions WHERE user_id = ?1),"
                     " (SELECT count(*) FROM password_history WHERE user_id = ?1),"
                     " (SELECT count(*) FROM audit_events)"
                     " FROM users WHERE id = ?1",
                     {user_id}, [&](const db::Row& r) {
                       for (std::size_t i = 0; i < r.size(); ++i) {
                         out += r.text(i) + "/" + std::to_string(r.integer(i)) + "|";
                       }
                     }));
    EXPECT_FALSE(out.empty());
    return out;
  }

  static UserPatch everything() {
    UserPatch patch;
    patch.display_name = "Robert";
    patch.role = "org_admin";
    patch.rights = boost::json::object{{"can_send_external", true}};
    patch.reset_password = true;
    patch.reset_totp = true;
    patch.end_sessions = true;
    return patch;
  }

  std::string bob_;
};

TEST_F(UserPatchTest, AppliesEveryPartWithItsAuditEvent) {
  User updated;
  std::string password;
  const auto e = users_->apply(acme(), bob_, everything(), admin_actor_, updated, password);
  ASSERT_FALSE(e) << e.message;
  EXPECT_EQ(updated.display_name, "Robert");
  EXPECT_EQ(updated.role, "org_admin");
  EXPECT_TRUE(updated.rights.can_send_external);
  EXPECT_EQ(updated.rights.max_file_bytes, 5u) << "rights not named keep their stored values";
  EXPECT_TRUE(updated.password_change_required);
  EXPECT_FALSE(updated.totp_enabled);
  EXPECT_FALSE(password.empty());
  const auto actions = acme_actions();
  ASSERT_GE(actions.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(actions.end() - 4, actions.end()),
            (std::vector<std::string>{"user.update", "user.reset_password", "user.reset_totp", "user.end_sessions"}));
  std::int64_t sessions = -1;
  ASSERT_FALSE(db_->execute("SELECT count(*) FROM sessions WHERE user_id = ?1", {bob_},
                            [&](const db::Row& r) { sessions = r.integer(0); }));
  EXPECT_EQ(sessions, 0);
}

// The proof that a half-applied PATCH cannot happen: a fault at each later step leaves the user,
// its sessions, its password history and the audit log exactly as they were.
TEST_F(UserPatchTest, AFailureAtAnyStepLeavesNothingOfThePatch) {
  for (const std::string fail_on : {
           "INSERT INTO password_history",         // the password reset, after the profile change
           "UPDATE users SET totp_secret = NULL",  // the 2FA reset, after the password reset
       }) {
    SCOPED_TRACE(fail_on);
    const std::string before = state_of(bob_);
    FailingDatabase failing(*db_, fail_on);
    UserDirectory users(ctx_, failing, *hasher_, *audit_);
    User updated;
    std::string password;
    const auto e = users.apply(acme(), bob_, everything(), admin_actor_, updated, password);
    ASSERT_TRUE(e);
    EXPECT_EQ(e.code, make_error_code(db::DbErrc::kIo));
    EXPECT_TRUE(password.empty()) << "no one-time password for a reset that did not happen";
    EXPECT_EQ(state_of(bob_), before);
  }
}

TEST_F(UserPatchTest, AFailureWhileEndingSessionsLeavesNothingOfThePatch) {
  const std::string before = state_of(bob_);
  // In this patch only the end of sessions, its last step, runs this statement.
  FailingDatabase failing(*db_, "DELETE FROM sessions WHERE org_id = ?1 AND user_id = ?2 RETURNING id");
  UserDirectory users(ctx_, failing, *hasher_, *audit_);
  UserPatch patch;
  patch.display_name = "Robert";
  patch.reset_totp = true;
  patch.end_sessions = true;
  User updated;
  std::string password;
  EXPECT_TRUE(users.apply(acme(), bob_, patch, admin_actor_, updated, password));
  EXPECT_EQ(state_of(bob_), before);
}

TEST_F(UserPatchTest, LastAdministratorGuardRefusesTheWholePatch) {
  const std::string before = state_of(acme_admin_);
  UserPatch patch;
  patch.display_name = "Renamed";
  patch.reset_password = true;
  patch.reset_totp = true;
  patch.end_sessions = true;
  patch.disabled = true;
  User updated;
  std::string password;
  EXPECT_EQ(users_->apply(acme(), acme_admin_, patch, admin_actor_, updated, password).code,
            make_error_code(Errc::kConflict));
  EXPECT_TRUE(password.empty());
  EXPECT_EQ(state_of(acme_admin_), before);
}

TEST_F(UserPatchTest, BadRightsRefuseTheWholePatch) {
  const std::string before = state_of(bob_);
  UserPatch patch = everything();
  patch.rights = boost::json::object{{"can_fly", true}};
  User updated;
  std::string password;
  const auto e = users_->apply(acme(), bob_, patch, admin_actor_, updated, password);
  EXPECT_EQ(e.code, make_error_code(Errc::kBadRequest));
  EXPECT_NE(e.message.find("can_fly"), std::string::npos) << e.message;
  EXPECT_EQ(state_of(bob_), before);
}

TEST_F(UserPatchTest, AnotherOrganizationsUserIsNotFound) {
  User updated;
  std::string password;
  EXPECT_EQ(users_->apply(other(), bob_, everything(), admin_actor_, updated, password).code,
            make_error_code(Errc::kNotFound));
  EXPECT_EQ(users_->apply(other(), bob_, {}, admin_actor_, updated, password).code, make_error_code(Errc::kNotFound));
  EXPECT_TRUE(password.empty());
}

}  // namespace
}  // namespace furoshiki::admin
