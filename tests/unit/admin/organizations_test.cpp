// Organizations and operators: creation with a tenant key and a one-time administrator password,
// input rules, suspension, deletion by crypto-shredding, and the audit events each writes.
#include "admin/organizations.hpp"

#include "admin/identity_rules.hpp"
#include "common/error.hpp"
#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"
#include "test_support/admin_fixture.hpp"

#include <gtest/gtest.h>

#include <set>

namespace furoshiki::admin {
namespace {

class OrganizationsTest : public test_support::AdminFixture {
 protected:
  void SetUp() override {
    AdminFixture::SetUp();
    operators_ = std::make_unique<OperatorDirectory>(ctx_, *db_, *hasher_, *audit_);
  }

  Organization create(const std::string& code, CreatedAccount* admin_out = nullptr) {
    Organization org;
    CreatedAccount admin;
    const auto e = orgs_->create({code, "Org " + code, "Admin@" + code + ".test", ""}, actor_, org, admin);
    EXPECT_FALSE(e) << e.message;
    if (admin_out) *admin_out = admin;
    return org;
  }

  std::vector<std::string> actions(const AuditChain& chain) {
    std::vector<AuditRow> rows;
    std::string next;
    EXPECT_FALSE(audit_->query(chain, {}, rows, next));
    std::vector<std::string> out;
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) out.push_back(it->action);
    return out;
  }

  std::unique_ptr<OperatorDirectory> operators_;
  Actor actor_{.type = "system", .id = "", .login = "cli", .client = "cli"};
};

TEST_F(OrganizationsTest, CreatesOrganizationKeyAndFirstAdministrator) {
  CreatedAccount admin;
  const Organization org = create("acme", &admin);
  EXPECT_EQ(org.code, "acme");
  EXPECT_EQ(org.status, "active");
  EXPECT_EQ(org.id.size(), 32u);
  EXPECT_EQ(admin.login, "admin@acme.test") << "logins are lower-cased";
  EXPECT_EQ(admin.one_time_password.size(), 24u);

  // A live tenant key for the organization.
  crypto::TenantKeyRef ref;
  crypto::SecretKey key;
  EXPECT_FALSE(keys_->current(org.id, ref, key));

  // The administrator: org_admin, must change the password, and only its hash is stored.
  std::string role, hash;
  std::int64_t change_required = 0;
  ASSERT_FALSE(db_->execute("SELECT role, password_hash, password_change_required FROM users WHERE id = ?1", {admin.id},
                            [&](const db::Row& r) {
                              role = r.text(0);
                              hash = r.text(1);
                              change_required = r.integer(2);
                            }));
  EXPECT_EQ(role, "org_admin");
  EXPECT_EQ(change_required, 1);
  EXPECT_EQ(hash.find(admin.one_time_password), std::string::npos);
  EXPECT_TRUE(hasher_->verify(admin.one_time_password, hash).ok);

  EXPECT_EQ(actions(AuditChain::service()), std::vector<std::string>{"org.create"});
  EXPECT_EQ(actions(AuditChain::organization(org.id)), std::vector<std::string>{"user.create"});
}

TEST_F(OrganizationsTest, RefusesDuplicateCode) {
  create("acme");
  Organization org;
  CreatedAccount admin;
  const auto e = orgs_->create({"acme", "Other", "x@other.test", ""}, actor_, org, admin);
  EXPECT_EQ(e.code, make_error_code(Errc::kConflict));
  EXPECT_NE(e.message.find("already exists"), std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM organizations WHERE code = ?1", {"acme"}), 1);
}

TEST_F(OrganizationsTest, RefusesInvalidInputWithAClearMessage) {
  Organization org;
  CreatedAccount admin;
  for (const auto& [code, email, fragment] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"A", "a@b.test", "organization code"},
                                                                      {"Acme", "a@b.test", "organization code"},
                                                                      {"-acme", "a@b.test", "organization code"},
                                                                      {"acme corp", "a@b.test", "organization code"},
                                                                      {"acme", "not-an-email", "not a valid e-mail"},
                                                                      {"acme", "a@b", "not a valid e-mail"},
                                                                      {"acme", "a b@c.test", "not a valid e-mail"},
                                                                      {"acme", "a@@c.test", "not a valid e-mail"}}) {
    const auto e = orgs_->create({code, "Name", email, ""}, actor_, org, admin);
    EXPECT_EQ(e.code, make_error_code(Errc::kBadRequest)) << code << " " << email;
    EXPECT_NE(e.message.find(fragment), std::string::npos) << e.message;
  }
  EXPECT_EQ(count("SELECT count(*) FROM organizations WHERE id != ?1", {""}), 0);
}

TEST_F(OrganizationsTest, OneTimePasswordsAreDistinctAndUseNoLookAlikes) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string p = generate_one_time_password(*ctx_);
    ASSERT_EQ(p.size(), 24u);
    for (std::size_t j = 0; j < p.size(); ++j) {
      if (j % 5 == 4) {
        EXPECT_EQ(p[j], '-');
      } else {
        EXPECT_EQ(std::string("0O1lI").find(p[j]), std::string::npos) << p;
      }
    }
    seen.insert(p);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST_F(OrganizationsTest, SuspendsAndResumes) {
  create("acme");
  EXPECT_FALSE(orgs_->set_suspended("acme", true, actor_));
  std::optional<Organization> org;
  ASSERT_FALSE(orgs_->find("acme", org));
  ASSERT_TRUE(org);
  EXPECT_EQ(org->status, "suspended");
  EXPECT_FALSE(orgs_->set_suspended("acme", false, actor_));
  ASSERT_FALSE(orgs_->find("acme", org));
  EXPECT_EQ(org->status, "active");
  EXPECT_EQ(orgs_->set_suspended("nope", true, actor_).code, make_error_code(Errc::kNotFound));
  EXPECT_EQ(actions(AuditChain::service()), (std::vector<std::string>{"org.create", "org.suspend", "org.resume"}));
}

TEST_F(OrganizationsTest, DeletionShredsTheKeyAndWipesOnlyThatOrganization) {
  const Organization acme = create("acme");
  const Organization other = create("other");
  // An object of acme's, sealed with its tenant key.
  crypto::TenantKeyRef ref;
  crypto::SecretKey key;
  ASSERT_FALSE(keys_->current(acme.id, ref, key));
  crypto::VectorSink sink;
  const std::string object_id = "00112233445566778899aabbccddeeff";
  crypto::ObjectSealer sealer(ctx_, key, ref, object_id, sink);
  const std::string text = "quarterly figures";
  ASSERT_FALSE(sealer.append({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}));
  ASSERT_FALSE(sealer.finish());

  EXPECT_FALSE(orgs_->remove("acme", actor_));

  crypto::SpanSource source(sink.bytes);
  std::unique_ptr<crypto::ObjectOpener> opener;
  EXPECT_EQ(crypto::ObjectOpener::open(ctx_, source, acme.id, object_id, keys_->lookup_for(acme.id), opener),
            make_error_code(crypto::CryptoErrc::kKeyDestroyed));
  EXPECT_EQ(count("SELECT count(*) FROM organizations WHERE id = ?1", {acme.id}), 0);
  EXPECT_EQ(count("SELECT count(*) FROM users WHERE org_id = ?1", {acme.id}), 0);
  EXPECT_EQ(count("SELECT count(*) FROM audit_events WHERE org_id = ?1", {acme.id}), 0);
  EXPECT_EQ(count("SELECT count(*) FROM tenant_keys WHERE org_id = ?1 AND wrapped_key IS NOT NULL", {acme.id}), 0);
  // The other organization is untouched.
  EXPECT_EQ(count("SELECT count(*) FROM users WHERE org_id = ?1", {other.id}), 1);
  EXPECT_FALSE(keys_->current(other.id, ref, key));
  VerifyResult verified;
  ASSERT_FALSE(audit_->verify(AuditChain::organization(other.id), verified));
  EXPECT_TRUE(verified.ok);
  ASSERT_FALSE(audit_->verify(AuditChain::service(), verified));
  EXPECT_TRUE(verified.ok);
  EXPECT_EQ(actions(AuditChain::service()),
            (std::vector<std::string>{"org.create", "org.create", "org.crypto_shred", "org.delete"}));
  EXPECT_EQ(orgs_->remove("acme", actor_).code, make_error_code(Errc::kNotFound));
}

TEST_F(OrganizationsTest, DeletionLeftHalfwayIsFinishedByRunningItAgain) {
  const Organization acme = create("acme");
  // As if the process died after step 1's status change, before the keys were destroyed.
  ASSERT_FALSE(db_->execute("UPDATE organizations SET status = 'deleting' WHERE id = ?1", {acme.id}));
  EXPECT_EQ(orgs_->set_suspended("acme", false, actor_).code, make_error_code(Errc::kConflict));
  EXPECT_FALSE(orgs_->remove("acme", actor_));
  EXPECT_EQ(count("SELECT count(*) FROM tenant_keys WHERE org_id = ?1 AND wrapped_key IS NOT NULL", {acme.id}), 0);
  EXPECT_EQ(count("SELECT count(*) FROM organizations WHERE id = ?1", {acme.id}), 0);
}

TEST_F(OrganizationsTest, ListsOrganizationsWithUserCounts) {
  create("beta");
  create("alpha");
  std::vector<Organization> orgs;
  ASSERT_FALSE(orgs_->list(orgs));
  ASSERT_EQ(orgs.size(), 2u);
  EXPECT_EQ(orgs[0].code, "alpha");
  EXPECT_EQ(orgs[1].code, "beta");
  EXPECT_EQ(orgs[0].users, 1);
}

TEST_F(OrganizationsTest, CreatesOperatorsWithOneTimePasswords) {
  CreatedAccount op;
  ASSERT_FALSE(operators_->create("Ops@Example.com", "Ops", actor_, op));
  EXPECT_EQ(op.login, "ops@example.com");
  std::string hash;
  ASSERT_FALSE(db_->execute("SELECT password_hash FROM operators WHERE id = ?1", {op.id},
                            [&](const db::Row& r) { hash = r.text(0); }));
  EXPECT_TRUE(hasher_->verify(op.one_time_password, hash).ok);
  CreatedAccount again;
  EXPECT_EQ(operators_->create("ops@example.com", "", actor_, again).code, make_error_code(Errc::kConflict));
  EXPECT_EQ(operators_->create("nope", "", actor_, again).code, make_error_code(Errc::kBadRequest));
  EXPECT_EQ(actions(AuditChain::service()), std::vector<std::string>{"operator.create"});
}

TEST_F(OrganizationsTest, FindsAnOrganizationById) {
  const Organization acme = create("acme");
  std::optional<Organization> found;
  ASSERT_FALSE(orgs_->find_by_id(acme.id, found));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->code, "acme");
  ASSERT_FALSE(orgs_->find_by_id("acme", found));
  EXPECT_FALSE(found) << "a code is not an id";
}

TEST_F(OrganizationsTest, RenamesAnOrganizationWithAnAuditEvent) {
  create("acme");
  ASSERT_FALSE(orgs_->rename("acme", "  ACME Corporation ", actor_));
  std::optional<Organization> found;
  ASSERT_FALSE(orgs_->find("acme", found));
  EXPECT_EQ(found->name, "ACME Corporation");
  EXPECT_EQ(actions(AuditChain::service()).back(), "org.rename");
  EXPECT_EQ(orgs_->rename("acme", "", actor_).code, make_error_code(Errc::kBadRequest));
  EXPECT_EQ(orgs_->rename("nope", "Name", actor_).code, make_error_code(Errc::kNotFound));
}

}  // namespace
}  // namespace furoshiki::admin
