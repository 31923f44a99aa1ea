// TenantScope: the only way code reaches an organization's data (docs/security.md).
//
// Every repository function over tenant data takes a TenantScope and filters by its org_id, so a
// query cannot forget the organization or take it from a request parameter. A scope cannot be
// made from a string by arbitrary code: only the components that have established who is acting
// may create one — sign-in (for an authenticated principal's own organization) and the
// organization directory (for the first administrator of an organization it is creating, and for
// operator actions that the operator CLI/API performs on a named organization).
#pragma once

#include <string>

namespace furoshiki::admin {

class OrganizationDirectory;
class Authenticator;

class TenantScope {
 public:
  const std::string& org_id() const { return org_id_; }

 private:
  explicit TenantScope(std::string org_id) : org_id_(std::move(org_id)) {}
  friend class OrganizationDirectory;
  friend class Authenticator;

  std::string org_id_;
};

}  // namespace furoshiki::admin
