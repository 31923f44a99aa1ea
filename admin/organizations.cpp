// Organizations and operator accounts; see organizations.hpp.
#include "admin/organizations.hpp"

#include "admin/identity_rules.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "crypto/hex.hpp"

namespace furoshiki::admin {

namespace {

std::string new_id(const crypto::CryptoContext& ctx) {
  std::array<std::uint8_t, 16> raw{};
  ctx.random_bytes(raw);
  return crypto::hex16_encode(raw);
}

DirectoryError bad_request(std::string message) { return {make_error_code(Errc::kBadRequest), std::move(message)}; }
DirectoryError not_found(const std::string& code) {
  return {make_error_code(Errc::kNotFound), "no organization with code \"" + code + "\""};
}
DirectoryError failed(boost::system::error_code ec, std::string what) { return {ec, what + ": " + ec.message()}; }

// An operator-side event: in the service chain unless `org_id` names the organization whose own
// chain records it (its first administrator's creation).
AuditEvent event_by(const Actor& actor, const std::string& org_id, std::string action, std::string target) {
  AuditEvent e{.chain = org_id.empty() ? AuditChain::service() : AuditChain::organization(org_id)};
  e.actor_type = actor.type == "operator" ? ActorType::kOperator : ActorType::kSystem;
  e.actor_id = actor.id;
  e.actor_login = actor.login;
  e.client = actor.client;
  e.action = std::move(action);
  e.target = std::move(target);
  e.outcome = AuditOutcome::kSuccess;
  return e;
}

constexpr std::string_view kOrgColumns =
    "o.id, o.code, o.name, o.status, o.created_at, (SELECT count(*) FROM users u WHERE u.org_id = o.id)";

Organization to_org(const db::Row& r) { return {r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.integer(5)}; }

}  // namespace

OrganizationDirectory::OrganizationDirectory(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db,
                                             TenantKeyring& keys, crypto::PasswordHasher& hasher, AuditLog& audit)
    : ctx_(std::move(ctx)), db_(db), keys_(keys), hasher_(hasher), audit_(audit) {}

DirectoryError OrganizationDirectory::create(const NewOrganization& request, const Actor& actor, Organization& org,
                                             CreatedAccount& admin) {
  if (!valid_org_code(request.code)) {
    return bad_request("organization code \"" + request.code +
                       "\" is invalid: use 2-32 lower-case letters, digits and '-', starting with a letter or digit");
  }
  const auto name = normalize_name(request.name);
  if (!name) return bad_request("organization name must be 1-200 characters without control characters");
  const auto login = normalize_login(request.admin_email);
  if (!login) return bad_request("\"" + request.admin_email + "\" is not a valid e-mail address");
  const auto admin_name =
      normalize_name(request.admin_name.empty() ? login->substr(0, login->find('@')) : request.admin_name);
  if (!admin_name) return bad_request("administrator name must be 1-200 characters without control characters");

  Organization made{new_id(*ctx_), request.code, *name, "active", "", 1};
  CreatedAccount account{new_id(*ctx_), *login, generate_one_time_password(*ctx_)};
  const std::string password_hash = hasher_.hash(account.one_time_password);  // before the transaction: slow

  bool duplicate = false;
  auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    if (auto e = tx.execute("SELECT 1 FROM organizations WHERE code = ?1", {made.code},
                            [&](const db::Row&) { duplicate = true; })) {
      return e;
    }
    if (duplicate) return make_error_code(Errc::kConflict);
    if (auto e = tx.execute("INSERT INTO organizations (id, code, name, status) VALUES (?1, ?2, ?3, 'active')",
                            {made.id, made.code, made.name})) {
      return e;
    }
    crypto::TenantKeyRef ref;
    crypto::SecretKey key;
    if (auto e = keys_.create_in(tx, made.id, ref, key)) return e;
    if (auto e = tx.execute(
            "INSERT INTO users (id, org_id, login, display_name, role, password_hash, password_change_required) "
            "VALUES (?1, ?2, ?3, ?4, 'org_admin', ?5, 1)",
            {account.id, made.id, account.login, *admin_name, password_hash})) {
      return e;
    }
    if (auto e = tx.execute("SELECT created_at FROM organizations WHERE id = ?1", {made.id},
                            [&](const db::Row& r) { made.created_at = r.text(0); })) {
      return e;
    }
    AuditEvent created = event_by(actor, "", "org.create", made.code);
    created.details = {{"org_id", made.id}, {"name", made.name}, {"admin", account.login}};
    if (auto e = audit_.append(tx, created)) return e;
    AuditEvent first_admin = event_by(actor, made.id, "user.create", account.login);
    first_admin.details = {{"user_id", account.id}, {"role", "org_admin"}, {"one_time_password", true}};
    return audit_.append(tx, first_admin);
  });
  if (ec == Errc::kConflict || (ec == db::DbErrc::kConstraint && duplicate)) {
    return {make_error_code(Errc::kConflict), "an organization with code \"" + made.code + "\" already exists"};
  }
  if (ec) return failed(ec, "cannot create the organization");
  log::info("organization_created", {{"org_id", made.id}, {"code", made.code}, {"actor", actor.login}});
  org = made;
  admin = account;
  return {};
}

DirectoryError OrganizationDirectory::list(std::vector<Organization>& out) {
  out.clear();
  if (auto ec = db_.execute("SELECT " + std::string(kOrgColumns) + " FROM organizations o ORDER BY o.code", {},
                            [&](const db::Row& r) { out.push_back(to_org(r)); })) {
    return failed(ec, "cannot list organizations");
  }
  return {};
}

DirectoryError OrganizationDirectory::find(const std::string& code, std::optional<Organization>& out) {
  out.reset();
  if (auto ec = db_.execute("SELECT " + std::string(kOrgColumns) + " FROM organizations o WHERE o.code = ?1", {code},
                            [&](const db::Row& r) { out = to_org(r); })) {
    return failed(ec, "cannot read organizations");
  }
  return {};
}

DirectoryError OrganizationDirectory::find_by_id(const std::string& id, std::optional<Organization>& out) {
  out.reset();
  if (auto ec = db_.execute("SELECT " + std::string(kOrgColumns) + " FROM organizations o WHERE o.id = ?1", {id},
                            [&](const db::Row& r) { out = to_org(r); })) {
    return failed(ec, "cannot read organizations");
  }
  return {};
}

DirectoryError OrganizationDirectory::rename(const std::string& code, const std::string& name, const Actor& actor) {
  const auto clean = normalize_name(name);
  if (!clean) return bad_request("organization name must be 1-200 characters without control characters");
  std::optional<Organization> org;
  if (auto e = find(code, org)) return e;
  if (!org) return not_found(code);
  if (org->status == "deleting") {
    return {make_error_code(Errc::kConflict), "organization \"" + code + "\" is being deleted"};
  }
  if (*clean == org->name) return {};
  auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    if (auto e = tx.execute("UPDATE organizations SET name = ?1 WHERE id = ?2", {*clean, org->id})) return e;
    AuditEvent e = event_by(actor, "", "org.rename", org->code);
    e.details = {{"org_id", org->id}, {"previous_name", org->name}, {"name", *clean}};
    return audit_.append(tx, e);
  });
  if (ec) return failed(ec, "cannot rename the organization");
  log::info("organization_renamed", {{"org_id", org->id}, {"code", code}});
  return {};
}

DirectoryError OrganizationDirectory::set_suspended(const std::string& code, bool suspended, const Actor& actor) {
  std::optional<Organization> org;
  if (auto e = find(code, org)) return e;
  if (!org) return not_found(code);
  if (org->status == "deleting") {
    return {make_error_code(Errc::kConflict), "organization \"" + code + "\" is being deleted"};
  }
  const std::string status = suspended ? "suspended" : "active";
  auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    if (auto e = tx.execute("UPDATE organizations SET status = ?1 WHERE id = ?2", {status, org->id})) return e;
    AuditEvent e = event_by(actor, "", suspended ? "org.suspend" : "org.resume", org->code);
    e.details = {{"org_id", org->id}, {"previous_status", org->status}};
    return audit_.append(tx, e);
  });
  if (ec) return failed(ec, "cannot change the organization's status");
  log::info(suspended ? "organization_suspended" : "organization_resumed", {{"org_id", org->id}, {"code", code}});
  return {};
}

DirectoryError OrganizationDirectory::remove(const std::string& code, const Actor& actor) {
  std::optional<Organization> org;
  if (auto e = find(code, org)) return e;
  if (!org) return not_found(code);

  // Step 1: the organization stops (status "deleting", recorded), then its tenant keys are
  // destroyed, each committed on its own. From then on nothing it stored can be decrypted,
  // whatever happens to the rest of the wipe; running remove() again finishes it.
  if (org->status != "deleting") {
    auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
      if (auto e = tx.execute("UPDATE organizations SET status = 'deleting' WHERE id = ?1", {org->id})) return e;
      AuditEvent e = event_by(actor, "", "org.crypto_shred", org->code);
      e.details = {{"org_id", org->id}};
      return audit_.append(tx, e);
    });
    if (ec) return failed(ec, "cannot start deleting the organization");
  }
  if (auto ec = keys_.destroy(org->id)) return failed(ec, "cannot destroy the organization's keys");

  // Step 2: its rows. The destroyed key rows stay as tombstones (no key material left), so a
  // leftover object reports "key destroyed" rather than "unknown key". Stored objects join this
  // wipe with the files work; they are already unreadable after step 1.
  auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    for (const char* sql : {"DELETE FROM files WHERE org_id = ?1", "DELETE FROM password_history WHERE org_id = ?1",
                            "DELETE FROM users WHERE org_id = ?1"}) {
      if (auto e = tx.execute(sql, {org->id})) return e;
    }
    // Its audit chain is its data too; the service chain keeps org.create/.crypto_shred/.delete.
    for (const char* sql :
         {"DELETE FROM audit_events WHERE chain = ?1", "DELETE FROM audit_chain_heads WHERE chain = ?1"}) {
      if (auto e = tx.execute(sql, {org->id})) return e;
    }
    if (auto e = tx.execute("DELETE FROM organizations WHERE id = ?1", {org->id})) return e;
    AuditEvent e = event_by(actor, "", "org.delete", org->code);
    e.details = {{"org_id", org->id}, {"users", org->users}};
    return audit_.append(tx, e);
  });
  if (ec) return failed(ec, "the keys are destroyed, but wiping the organization's data failed (run delete again)");
  log::info("organization_deleted", {{"org_id", org->id}, {"code", code}});
  return {};
}

OperatorDirectory::OperatorDirectory(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db,
                                     crypto::PasswordHasher& hasher, AuditLog& audit)
    : ctx_(std::move(ctx)), db_(db), hasher_(hasher), audit_(audit) {}

DirectoryError OperatorDirectory::create(const std::string& email, const std::string& display_name, const Actor& actor,
                                         CreatedAccount& out) {
  const auto login = normalize_login(email);
  if (!login) return bad_request("\"" + email + "\" is not a valid e-mail address");
  const auto name = normalize_name(display_name.empty() ? login->substr(0, login->find('@')) : display_name);
  if (!name) return bad_request("operator name must be 1-200 characters without control characters");
  CreatedAccount account{new_id(*ctx_), *login, generate_one_time_password(*ctx_)};
  const std::string password_hash = hasher_.hash(account.one_time_password);
  bool duplicate = false;
  auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    if (auto e = tx.execute("SELECT 1 FROM operators WHERE login = ?1", {account.login},
                            [&](const db::Row&) { duplicate = true; })) {
      return e;
    }
    if (duplicate) return make_error_code(Errc::kConflict);
    if (auto e = tx.execute("INSERT INTO operators (id, login, display_name, password_hash, password_change_required) "
                            "VALUES (?1, ?2, ?3, ?4, 1)",
                            {account.id, account.login, *name, password_hash})) {
      return e;
    }
    AuditEvent e = event_by(actor, "", "operator.create", account.login);
    e.details = {{"operator_id", account.id}, {"one_time_password", true}};
    return audit_.append(tx, e);
  });
  if (duplicate) return {make_error_code(Errc::kConflict), "an operator \"" + account.login + "\" already exists"};
  if (ec) return failed(ec, "cannot create the operator");
  out = account;
  return {};
}

}  // namespace furoshiki::admin
