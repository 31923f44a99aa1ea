// An organization's users as its administrators manage them: creation with one-time passwords,
// changes, resets, deletion, the last-administrator guard, the audit trail — and tenant isolation:
// another organization's users are "not found" through every function.
#include "admin/users.hpp"

#include "common/error.hpp"
#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"
#include "test_support/admin_database.hpp"
#include "test_support/crypto_context.hpp"

#include <gtest/gtest.h>

namespace furoshiki::admin {
namespace {

class UsersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_ = test_support::test_crypto_context();
    db_ = test_support::migrated_memory_database();
    keys_ = std::make_unique<TenantKeyring>(ctx_, *db_, crypto::master_key_from_text(*ctx_, std::string(64, '3'), "t"));
    hasher_ = test_support::low_cost_password_hasher(ctx_);
    audit_ = std::make_unique<AuditLog>(ctx_, *db_);
    orgs_ = std::make_unique<OrganizationDirectory>(ctx_, *db_, *keys_, *hasher_, *audit_);
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

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<TenantKeyring> keys_;
  std::unique_ptr<crypto::PasswordHasher> hasher_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<OrganizationDirectory> orgs_;
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

}  // namespace
}  // namespace furoshiki::admin
