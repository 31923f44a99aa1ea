// UserDirectory: an organization's users as its administrators manage them (api.md "Org admin"):
// create with a one-time password, list, read, change display name, role, rights and the disabled
// flag, reset the password (a new one-time password) or the second factor, delete.
//
// Every function takes the TenantScope of the acting administrator and filters every statement
// by its org_id: a user of another organization is "not found", exactly like one that does not
// exist. Every change is an audit event in the organization's chain, in the same transaction;
// an administrator's PATCH is one transaction for all of its parts (apply()).
// An organization always keeps at least one active org_admin: the last one cannot be demoted,
// disabled or deleted. Disabling a user, changing its role and resetting its password end its
// sessions in the same transaction (sign-in refuses disabled users anyway).
#pragma once

#include "admin/audit_log.hpp"
#include "admin/organizations.hpp"
#include "admin/sessions.hpp"
#include "admin/tenant_scope.hpp"
#include "crypto/password.hpp"
#include "db/database.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

namespace furoshiki::admin {

// A member's rights (api.md). Numbers of 0 mean "the organization's policy applies".
struct Rights {
  bool can_upload = true;
  bool can_send_external = false;
  bool can_request_files = false;
  bool requires_approval = false;
  std::uint64_t max_file_bytes = 0;
  std::uint32_t max_retention_days = 0;
  std::uint64_t quota_bytes = 0;

  boost::json::object to_json() const;
  // Strict: unknown keys and wrong types are errors naming the key. Keys not given keep the
  // values already in `out`, so the same function serves creation and PATCH.
  static bool update_from_json(const boost::json::object& in, Rights& out, std::string& error);
  friend bool operator==(const Rights&, const Rights&) = default;
};

struct User {
  std::string id;
  std::string login;
  std::string display_name;
  std::string role;  // org_admin | member
  Rights rights;
  bool disabled = false;
  bool password_change_required = false;
  bool totp_enabled = false;
  std::string created_at;
};

struct NewUser {
  std::string email;
  std::string display_name;  // defaults to the e-mail's local part
  std::string role = "member";
  Rights rights;
};

// A partial change (PATCH): only the fields that are set change.
struct UserChanges {
  std::optional<std::string> display_name;
  std::optional<std::string> role;
  std::optional<Rights> rights;
  std::optional<bool> disabled;
};

// Everything one PATCH /admin/users/{id} asks for, applied by UserDirectory::apply() as one change.
struct UserPatch {
  std::optional<std::string> display_name;
  std::optional<std::string> role;
  // Partial rights (Rights::update_from_json): keys not given keep their values. Merged with the
  // user's stored rights inside the transaction, so a concurrent change is not overwritten with
  // values read before it.
  std::optional<boost::json::object> rights;
  std::optional<bool> disabled;
  bool reset_password = false;
  bool reset_totp = false;
  bool end_sessions = false;
};

class UserDirectory {
 public:
  UserDirectory(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db, crypto::PasswordHasher& hasher,
                AuditLog& audit);

  DirectoryError create(const TenantScope& scope, const NewUser& request, const Actor& actor, User& user,
                        std::string& one_time_password);
  // Sorted by login; `after_login` is the last login of the previous page ("" for the first).
  DirectoryError list(const TenantScope& scope, std::size_t limit, const std::string& after_login,
                      std::vector<User>& out);
  DirectoryError get(const TenantScope& scope, const std::string& user_id, User& out);
  DirectoryError update(const TenantScope& scope, const std::string& user_id, const UserChanges& changes,
                        const Actor& actor, User& updated);
  // A new one-time password (the user must change it at the next sign-in). The user's sessions
  // end in the same transaction; API tokens stay (revoked separately).
  DirectoryError reset_password(const TenantScope& scope, const std::string& user_id, const Actor& actor,
                                std::string& one_time_password);
  // Removes the second factor (the user enrols again).
  DirectoryError reset_totp(const TenantScope& scope, const std::string& user_id, const Actor& actor);
  // Ends every session of the user (recorded as user.end_sessions with their number).
  DirectoryError end_sessions(const TenantScope& scope, const std::string& user_id, const Actor& actor);

  // All of `patch` or nothing: one transaction applies, in this order, the profile change
  // (display name, role, rights, disabled), the password reset, the 2FA reset and the end of
  // sessions, each with its audit event as the single-purpose functions above record it. When
  // any part is refused (bad input, the last-administrator guard, the user not found) or fails,
  // the transaction rolls back and no part of the patch, nor any audit event of it, remains.
  // `updated` is the user afterwards; `one_time_password` is set when the password was reset.
  // Blocking when reset_password is set (the new password is hashed before the transaction).
  DirectoryError apply(const TenantScope& scope, const std::string& user_id, const UserPatch& patch, const Actor& actor,
                       User& updated, std::string& one_time_password);
  DirectoryError remove(const TenantScope& scope, const std::string& user_id, const Actor& actor);

 private:
  // Errc::kConflict when the change would leave the organization without an active org_admin.
  DirectoryError keep_an_admin(db::Database& tx, const TenantScope& scope, const std::string& user_id);

  // The parts of a change, each inside the caller's transaction `tx`; none commits on its own.
  // REQUIRES (update_in): the display name normalized and the role checked, as update() does.
  DirectoryError update_in(db::Database& tx, const TenantScope& scope, const std::string& user_id,
                           const UserChanges& changes, const Actor& actor, User& updated);
  DirectoryError reset_password_in(db::Database& tx, const TenantScope& scope, const std::string& user_id,
                                   const std::string& new_hash, const Actor& actor);
  DirectoryError reset_totp_in(db::Database& tx, const TenantScope& scope, const std::string& user_id,
                               const Actor& actor);
  DirectoryError end_sessions_in(db::Database& tx, const TenantScope& scope, const std::string& user_id,
                                 const Actor& actor);
  DirectoryError get_in(db::Database& tx, const TenantScope& scope, const std::string& user_id, User& out);

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  db::Database& db_;
  crypto::PasswordHasher& hasher_;
  AuditLog& audit_;
  SessionStore sessions_;  // to end a user's sessions with a reset, disable or demotion
};

}  // namespace furoshiki::admin
