// The base of the admin tests that need organizations: a migrated in-memory database, a tenant
// keyring under a test master key, a low-cost password hasher, the audit log and the
// organization directory, made fresh for every test. A derived fixture's SetUp() calls
// AdminFixture::SetUp() first, then builds what it tests on these members.
#pragma once

#include "admin/audit_log.hpp"
#include "admin/organizations.hpp"
#include "admin/tenant_keys.hpp"
#include "crypto/keys.hpp"
#include "test_support/admin_database.hpp"
#include "test_support/crypto_context.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

namespace furoshiki::test_support {

class AdminFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_ = test_crypto_context();
    db_ = migrated_memory_database();
    keys_ = std::make_unique<admin::TenantKeyring>(ctx_, *db_,
                                                   crypto::master_key_from_text(*ctx_, std::string(64, '7'), "t"));
    hasher_ = low_cost_password_hasher(ctx_);
    audit_ = std::make_unique<admin::AuditLog>(ctx_, *db_);
    orgs_ = std::make_unique<admin::OrganizationDirectory>(ctx_, *db_, *keys_, *hasher_, *audit_);
  }

  // The first column of the first row of `sql`, such as a count(*); -1 (and a failed
  // expectation) when the statement fails.
  std::int64_t count(const std::string& sql, std::initializer_list<db::Value> params = {}) {
    std::int64_t n = -1;
    EXPECT_FALSE(db_->execute(sql, params, [&](const db::Row& r) { n = r.integer(0); }));
    return n;
  }

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<admin::TenantKeyring> keys_;
  std::unique_ptr<crypto::PasswordHasher> hasher_;
  std::unique_ptr<admin::AuditLog> audit_;
  std::unique_ptr<admin::OrganizationDirectory> orgs_;
};

}  // namespace furoshiki::test_support
