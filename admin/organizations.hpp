// OrganizationDirectory: the operator's view of the tenants — creating an organization (its
// tenant key and first administrator with a one-time password), listing, suspending and resuming,
// and deleting one (crypto-shredding first, then wiping its data). Every change is an audit event
// in the same transaction. OperatorDirectory: the operator accounts themselves.
#pragma once

#include "admin/audit_log.hpp"
#include "admin/tenant_keys.hpp"
#include "admin/tenant_scope.hpp"
#include "crypto/password.hpp"
#include "db/database.hpp"

#include <optional>
#include <string>
#include <vector>

namespace furoshiki::admin {

// Who performs an operator action: an operator account, or "system" for the CLI run by whoever
// can read the configuration and database (the machine's administrator).
struct Actor {
  std::string type = "system";  // "system" | "operator" | "user" (an org admin, in users.hpp)
  std::string id;
  std::string login;
  std::string client;  // address, or "cli"
};

struct Organization {
  std::string id;
  std::string code;
  std::string name;
  std::string status;  // active | suspended | deleting
  std::string created_at;
  std::int64_t users = 0;
};

struct NewOrganization {
  std::string code;
  std::string name;
  std::string admin_email;
  std::string admin_name;  // defaults to the e-mail's local part
};

struct CreatedAccount {
  std::string id;
  std::string login;
  std::string one_time_password;  // shown once; only its hash is stored
};

// Expected failures carry a message for the person at the CLI or the API caller.
struct DirectoryError {
  boost::system::error_code code;  // Errc::kBadRequest, kNotFound, kConflict…, or a db/crypto error
  std::string message;
  explicit operator bool() const { return static_cast<bool>(code); }
};

class OrganizationDirectory {
 public:
  OrganizationDirectory(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db, TenantKeyring& keys,
                        crypto::PasswordHasher& hasher, AuditLog& audit);

  // Validates the code, name and e-mail, then in one transaction creates the organization, its
  // tenant key and its first org_admin with a one-time password, and records org.create (service
  // chain) and user.create (the organization's chain).
  DirectoryError create(const NewOrganization& request, const Actor& actor, Organization& org, CreatedAccount& admin);

  DirectoryError list(std::vector<Organization>& out);
  DirectoryError find(const std::string& code, std::optional<Organization>& out);
  // The organization with this id (the API names organizations by id, the CLI by code).
  DirectoryError find_by_id(const std::string& id, std::optional<Organization>& out);

  // A new name (normalized like at creation); org.rename in the service chain. Errc::kBadRequest
  // for an invalid name, kNotFound, kConflict while the organization is being deleted.
  DirectoryError rename(const std::string& code, const std::string& name, const Actor& actor);

  // active <-> suspended. Users of a suspended organization cannot sign in (sign-in work).
  DirectoryError set_suspended(const std::string& code, bool suspended, const Actor& actor);

  // Deletes the organization: first its tenant keys are destroyed and its status set to
  // "deleting" (committed: from then on its stored objects are unreadable, even if the process
  // dies before the wipe), then its rows are removed and org.delete recorded in the service chain.
  // Calling it again on an organization left "deleting" by a crash finishes the wipe.
  DirectoryError remove(const std::string& code, const Actor& actor);

  // The scope for an operator action on an organization the operator named (never for reading
  // its files: operators act on the service, not inside an organization's data).
  TenantScope scope_for(const Organization& org) const { return TenantScope(org.id); }

 private:
  std::shared_ptr<const crypto::CryptoContext> ctx_;
  db::Database& db_;
  TenantKeyring& keys_;
  crypto::PasswordHasher& hasher_;
  AuditLog& audit_;
};

class OperatorDirectory {
 public:
  OperatorDirectory(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db, crypto::PasswordHasher& hasher,
                    AuditLog& audit);
  // A new operator account with a one-time password; operator.create in the service chain.
  DirectoryError create(const std::string& email, const std::string& display_name, const Actor& actor,
                        CreatedAccount& out);

 private:
  std::shared_ptr<const crypto::CryptoContext> ctx_;
  db::Database& db_;
  crypto::PasswordHasher& hasher_;
  AuditLog& audit_;
};

}  // namespace furoshiki::admin
