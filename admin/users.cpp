// An organization's users; see users.hpp.
#include "admin/users.hpp"

#include "admin/identity_rules.hpp"
#include "admin/organization_policy.hpp"
#include "admin/password_rules.hpp"
#include "common/error.hpp"
#include "crypto/hex.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <functional>

namespace furoshiki::admin {

namespace {

DirectoryError bad_request(std::string message) { return {make_error_code(Errc::kBadRequest), std::move(message)}; }
DirectoryError user_not_found() { return {make_error_code(Errc::kNotFound), "no such user"}; }
DirectoryError failed(boost::system::error_code ec, const std::string& what) {
  return {ec, what + ": " + ec.message()};
}

AuditEvent org_event(const TenantScope& scope, const Actor& actor, std::string action, std::string target) {
  AuditEvent e{.chain = AuditChain::organization(scope.org_id())};
  e.actor_type = actor.type == "user"       ? ActorType::kUser
                 : actor.type == "operator" ? ActorType::kOperator
                                            : ActorType::kSystem;
  e.actor_id = actor.id;
  e.actor_login = actor.login;
  e.client = actor.client;
  e.action = std::move(action);
  e.target = std::move(target);
  return e;
}

constexpr std::string_view kUserColumns =
    "id, login, display_name, role, rights, disabled, password_change_required, totp_enabled, created_at";

User to_user(const db::Row& r) {
  User u;
  u.id = r.text(0);
  u.login = r.text(1);
  u.display_name = r.text(2);
  u.role = r.text(3);
  boost::system::error_code ec;
  const auto rights = boost::json::parse(r.text(4), ec);
  std::string ignored;
  if (!ec && rights.is_object()) Rights::update_from_json(rights.as_object(), u.rights, ignored);
  u.disabled = r.integer(5) != 0;
  u.password_change_required = r.integer(6) != 0;
  u.totp_enabled = r.integer(7) != 0;
  u.created_at = r.text(8);
  return u;
}

bool valid_role(const std::string& role) { return role == "org_admin" || role == "member"; }

std::string new_id(const crypto::CryptoContext& ctx) {
  std::array<std::uint8_t, 16> raw{};
  ctx.random_bytes(raw);
  return crypto::hex16_encode(raw);
}

// The display name normalized and the role checked, before any transaction.
DirectoryError checked(UserChanges& changes) {
  if (changes.display_name) {
    auto name = normalize_name(*changes.display_name);
    if (!name) return bad_request("display name must be 1-200 characters without control characters");
    changes.display_name = std::move(*name);
  }
  if (changes.role && !valid_role(*changes.role)) return bad_request("role must be \"org_admin\" or \"member\"");
  return {};
}

// Runs `body` in one transaction of `db`: committed when it returns no error, rolled back (and
// its error returned) otherwise.
DirectoryError in_transaction(db::Database& db, const std::function<DirectoryError(db::Database&)>& body,
                              const std::string& what) {
  DirectoryError refusal;
  auto ec = db.transaction([&](db::Database& tx) -> boost::system::error_code {
    refusal = body(tx);
    return refusal.code;
  });
  if (refusal) return refusal;
  if (ec) return failed(ec, what);
  return {};
}

}  // namespace

boost::json::object Rights::to_json() const {
  return {{"can_upload", can_upload},
          {"can_send_external", can_send_external},
          {"can_request_files", can_request_files},
          {"requires_approval", requires_approval},
          {"max_file_bytes", max_file_bytes},
          {"max_retention_days", max_retention_days},
          {"quota_bytes", quota_bytes}};
}

bool Rights::update_from_json(const boost::json::object& in, Rights& out, std::string& error) {
  Rights next = out;
  for (const auto& [key, value] : in) {
    auto flag = [&](bool& field) {
      if (!value.is_bool()) {
        error = "rights." + std::string(key) + " must be true or false";
        return false;
      }
      field = value.as_bool();
      return true;
    };
    auto number = [&](auto& field, std::uint64_t max) {
      std::uint64_t v = 0;
      if (value.is_uint64()) {
        v = value.as_uint64();
      } else if (value.is_int64() && value.as_int64() >= 0) {
        v = static_cast<std::uint64_t>(value.as_int64());
      } else {
        error = "rights." + std::string(key) + " must be a whole number of at least 0";
        return false;
      }
      if (v > max) {
        error = "rights." + std::string(key) + " must be at most " + std::to_string(max);
        return false;
      }
      field = static_cast<std::remove_reference_t<decltype(field)>>(v);
      return true;
    };
    bool ok = false;
    if (key == "can_upload")
      ok = flag(next.can_upload);
    else if (key == "can_send_external")
      ok = flag(next.can_send_external);
    else if (key == "can_request_files")
      ok = flag(next.can_request_files);
    else if (key == "requires_approval")
      ok = flag(next.requires_approval);
    else if (key == "max_file_bytes")
      ok = number(next.max_file_bytes, std::uint64_t{1} << 50);
    else if (key == "max_retention_days")
      ok = number(next.max_retention_days, 36500);
    else if (key == "quota_bytes")
      ok = number(next.quota_bytes, std::uint64_t{1} << 60);
    else
      error = "rights." + std::string(key) + " is not a known right";
    if (!ok) return false;
  }
  out = next;
  return true;
}

UserDirectory::UserDirectory(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db,
                             crypto::PasswordHasher& hasher, AuditLog& audit)
    : ctx_(ctx), db_(db), hasher_(hasher), audit_(audit), sessions_(std::move(ctx), db) {}

DirectoryError UserDirectory::create(const TenantScope& scope, const NewUser& request, const Actor& actor, User& user,
                                     std::string& one_time_password) {
  const auto login = normalize_login(request.email);
  if (!login) return bad_request("\"" + request.email + "\" is not a valid e-mail address");
  const auto name =
      normalize_name(request.display_name.empty() ? login->substr(0, login->find('@')) : request.display_name);
  if (!name) return bad_request("display name must be 1-200 characters without control characters");
  if (!valid_role(request.role)) return bad_request("role must be \"org_admin\" or \"member\"");

  User made{new_id(*ctx_), *login, *name, request.role, request.rights, false, true, false, ""};
  const std::string password = generate_one_time_password(*ctx_);
  const std::string hash = hasher_.hash(password);  // outside the transaction: deliberately slow
  bool duplicate = false;
  auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    if (auto e = tx.execute("SELECT 1 FROM users WHERE org_id = ?1 AND login = ?2", {scope.org_id(), made.login},
                            [&](const db::Row&) { duplicate = true; })) {
      return e;
    }
    if (duplicate) return make_error_code(Errc::kConflict);
    if (auto e = tx.execute("INSERT INTO users (id, org_id, login, display_name, role, rights, password_hash, "
                            "password_change_required) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)",
                            {made.id, scope.org_id(), made.login, made.display_name, made.role,
                             boost::json::serialize(made.rights.to_json()), hash})) {
      return e;
    }
    if (auto e = tx.execute("SELECT created_at FROM users WHERE org_id = ?1 AND id = ?2", {scope.org_id(), made.id},
                            [&](const db::Row& r) { made.created_at = r.text(0); })) {
      return e;
    }
    AuditEvent e = org_event(scope, actor, "user.create", made.id);
    e.details = {{"login", made.login}, {"role", made.role}, {"rights", made.rights.to_json()}};
    return audit_.append(tx, e);
  });
  if (duplicate) return {make_error_code(Errc::kConflict), "a user with login \"" + made.login + "\" already exists"};
  if (ec) return failed(ec, "cannot create the user");
  user = made;
  one_time_password = password;
  return {};
}

DirectoryError UserDirectory::list(const TenantScope& scope, std::size_t limit, const std::string& after_login,
                                   std::vector<User>& out) {
  out.clear();
  limit = std::clamp<std::size_t>(limit == 0 ? 50 : limit, 1, 500);
  if (auto ec = db_.execute("SELECT " + std::string(kUserColumns) +
                                " FROM users WHERE org_id = ?1 AND login > ?2 ORDER BY login LIMIT ?3",
                            {scope.org_id(), after_login, static_cast<std::int64_t>(limit)},
                            [&](const db::Row& r) { out.push_back(to_user(r)); })) {
    return failed(ec, "cannot list users");
  }
  return {};
}

DirectoryError UserDirectory::get(const TenantScope& scope, const std::string& user_id, User& out) {
  return get_in(db_, scope, user_id, out);
}

DirectoryError UserDirectory::get_in(db::Database& tx, const TenantScope& scope, const std::string& user_id,
                                     User& out) {
  bool found = false;
  if (auto ec = tx.execute("SELECT " + std::string(kUserColumns) + " FROM users WHERE org_id = ?1 AND id = ?2",
                           {scope.org_id(), user_id}, [&](const db::Row& r) {
                             out = to_user(r);
                             found = true;
                           })) {
    return failed(ec, "cannot read the user");
  }
  return found ? DirectoryError{} : user_not_found();
}

DirectoryError UserDirectory::keep_an_admin(db::Database& tx, const TenantScope& scope, const std::string& user_id) {
  std::int64_t others = 0;
  if (auto ec = tx.execute("SELECT count(*) FROM users WHERE org_id = ?1 AND id != ?2 AND role = 'org_admin' "
                           "AND disabled = 0",
                           {scope.org_id(), user_id}, [&](const db::Row& r) { others = r.integer(0); })) {
    return failed(ec, "cannot count administrators");
  }
  if (others == 0) {
    return {make_error_code(Errc::kConflict),
            "the organization must keep at least one active administrator: make another user org_admin first"};
  }
  return {};
}

DirectoryError UserDirectory::update(const TenantScope& scope, const std::string& user_id, const UserChanges& changes,
                                     const Actor& actor, User& updated) {
  UserChanges valid = changes;
  if (auto e = checked(valid)) return e;
  return in_transaction(
      db_, [&](db::Database& tx) { return update_in(tx, scope, user_id, valid, actor, updated); },
      "cannot change the user");
}

DirectoryError UserDirectory::update_in(db::Database& tx, const TenantScope& scope, const std::string& user_id,
                                        const UserChanges& changes, const Actor& actor, User& updated) {
  User before;
  if (auto e = get_in(tx, scope, user_id, before)) return e;
  User after = before;
  if (changes.display_name) after.display_name = *changes.display_name;
  if (changes.role) after.role = *changes.role;
  if (changes.rights) after.rights = *changes.rights;
  if (changes.disabled) after.disabled = *changes.disabled;
  const bool loses_admin =
      before.role == "org_admin" && !before.disabled && (after.role != "org_admin" || after.disabled);
  if (loses_admin) {
    if (auto e = keep_an_admin(tx, scope, user_id)) return e;
  }
  if (auto ec = tx.execute("UPDATE users SET display_name = ?1, role = ?2, rights = ?3, disabled = ?4 "
                           "WHERE org_id = ?5 AND id = ?6",
                           {after.display_name, after.role, boost::json::serialize(after.rights.to_json()),
                            std::int64_t{after.disabled ? 1 : 0}, scope.org_id(), user_id})) {
    return failed(ec, "cannot change the user");
  }
  boost::json::object details;
  if ((after.disabled && !before.disabled) || after.role != before.role) {
    std::int64_t ended = 0;
    if (auto ec = sessions_.end_all_for_user(tx, scope, user_id, ended)) return failed(ec, "cannot end sessions");
    if (ended > 0) details["sessions_ended"] = ended;
  }
  if (after.display_name != before.display_name) details["display_name"] = after.display_name;
  if (after.role != before.role) details["role"] = {{"from", before.role}, {"to", after.role}};
  if (!(after.rights == before.rights)) details["rights"] = after.rights.to_json();
  if (after.disabled != before.disabled) details["disabled"] = after.disabled;
  const char* action =
      after.disabled != before.disabled ? (after.disabled ? "user.disable" : "user.enable") : "user.update";
  AuditEvent e = org_event(scope, actor, action, user_id);
  e.details = std::move(details);
  if (auto ec = audit_.append(tx, e)) return failed(ec, "cannot record the change");
  updated = after;
  return {};
}

DirectoryError UserDirectory::reset_password(const TenantScope& scope, const std::string& user_id, const Actor& actor,
                                             std::string& one_time_password) {
  const std::string password = generate_one_time_password(*ctx_);
  const std::string hash = hasher_.hash(password);
  if (auto e = in_transaction(
          db_, [&](db::Database& tx) { return reset_password_in(tx, scope, user_id, hash, actor); },
          "cannot reset the password")) {
    return e;
  }
  one_time_password = password;
  return {};
}

DirectoryError UserDirectory::reset_password_in(db::Database& tx, const TenantScope& scope, const std::string& user_id,
                                                const std::string& new_hash, const Actor& actor) {
  bool found = false;
  std::string old_hash;
  if (auto ec = tx.execute("SELECT password_hash FROM users WHERE org_id = ?1 AND id = ?2", {scope.org_id(), user_id},
                           [&](const db::Row& r) {
                             old_hash = r.text(0);
                             found = true;
                           })) {
    return failed(ec, "cannot reset the password");
  }
  if (!found) return user_not_found();
  // The replaced password joins the history, trimmed to the organization's history_count like a
  // change by the user (a reset must not grow the history without bound).
  auto policy = load_organization_policy(tx, scope.org_id());
  if (!policy) return failed(policy.error(), "cannot read the organization's policy");
  if (auto ec = record_change(tx, scope.org_id(), user_id, old_hash, policy->password.history_count)) {
    return failed(ec, "cannot reset the password");
  }
  if (auto ec = tx.execute("UPDATE users SET password_hash = ?1, password_change_required = 1, "
                           "password_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE org_id = ?2 AND id = ?3",
                           {new_hash, scope.org_id(), user_id})) {
    return failed(ec, "cannot reset the password");
  }
  std::int64_t ended = 0;
  if (auto ec = sessions_.end_all_for_user(tx, scope, user_id, ended)) return failed(ec, "cannot end sessions");
  AuditEvent event = org_event(scope, actor, "user.reset_password", user_id);
  event.details = {{"sessions_ended", ended}};
  if (auto ec = audit_.append(tx, event)) return failed(ec, "cannot record the change");
  return {};
}

DirectoryError UserDirectory::reset_totp(const TenantScope& scope, const std::string& user_id, const Actor& actor) {
  return in_transaction(
      db_, [&](db::Database& tx) { return reset_totp_in(tx, scope, user_id, actor); },
      "cannot reset the second factor");
}

DirectoryError UserDirectory::reset_totp_in(db::Database& tx, const TenantScope& scope, const std::string& user_id,
                                            const Actor& actor) {
  bool found = false;
  if (auto ec = tx.execute("UPDATE users SET totp_secret = NULL, totp_enabled = 0 WHERE org_id = ?1 AND id = ?2 "
                           "RETURNING id",
                           {scope.org_id(), user_id}, [&](const db::Row&) { found = true; })) {
    return failed(ec, "cannot reset the second factor");
  }
  if (!found) return user_not_found();
  if (auto ec = audit_.append(tx, org_event(scope, actor, "user.reset_totp", user_id))) {
    return failed(ec, "cannot record the change");
  }
  return {};
}

DirectoryError UserDirectory::end_sessions(const TenantScope& scope, const std::string& user_id, const Actor& actor) {
  return in_transaction(
      db_, [&](db::Database& tx) { return end_sessions_in(tx, scope, user_id, actor); }, "cannot end sessions");
}

DirectoryError UserDirectory::end_sessions_in(db::Database& tx, const TenantScope& scope, const std::string& user_id,
                                              const Actor& actor) {
  // Not found is checked first: ending the sessions of another organization's user must answer
  // like a user that does not exist, not "0 sessions ended".
  User user;
  if (auto e = get_in(tx, scope, user_id, user)) return e;
  std::int64_t ended = 0;
  if (auto ec = sessions_.end_all_for_user(tx, scope, user_id, ended)) return failed(ec, "cannot end sessions");
  AuditEvent event = org_event(scope, actor, "user.end_sessions", user_id);
  event.details = {{"sessions", ended}};
  if (auto ec = audit_.append(tx, event)) return failed(ec, "cannot record the change");
  return {};
}

DirectoryError UserDirectory::apply(const TenantScope& scope, const std::string& user_id, const UserPatch& patch,
                                    const Actor& actor, User& updated, std::string& one_time_password) {
  // Everything that can be checked without the database is checked before the transaction.
  UserChanges changes{patch.display_name, patch.role, std::nullopt, patch.disabled};
  if (auto e = checked(changes)) return e;
  if (patch.rights) {
    Rights probe;
    std::string problem;
    if (!Rights::update_from_json(*patch.rights, probe, problem)) return bad_request(problem);
  }
  // Hashing is deliberately slow: done before the transaction, which holds the write lock.
  std::string password, hash;
  if (patch.reset_password) {
    password = generate_one_time_password(*ctx_);
    hash = hasher_.hash(password);
  }
  User after;
  const auto all_parts = [&](db::Database& tx) -> DirectoryError {
    if (patch.rights) {
      User current;
      if (auto e = get_in(tx, scope, user_id, current)) return e;
      Rights merged = current.rights;
      std::string problem;
      if (!Rights::update_from_json(*patch.rights, merged, problem)) return bad_request(problem);
      changes.rights = merged;
    }
    if (changes.display_name || changes.role || changes.rights || changes.disabled) {
      if (auto e = update_in(tx, scope, user_id, changes, actor, after)) return e;
    }
    if (patch.reset_password) {
      if (auto e = reset_password_in(tx, scope, user_id, hash, actor)) return e;
    }
    if (patch.reset_totp) {
      if (auto e = reset_totp_in(tx, scope, user_id, actor)) return e;
    }
    if (patch.end_sessions) {
      if (auto e = end_sessions_in(tx, scope, user_id, actor)) return e;
    }
    // The user as the patch left it (and "not found" for an empty patch of no user).
    return get_in(tx, scope, user_id, after);
  };
  if (auto refused = in_transaction(db_, all_parts, "cannot change the user")) return refused;
  updated = std::move(after);
  if (patch.reset_password) one_time_password = std::move(password);
  return {};
}

DirectoryError UserDirectory::remove(const TenantScope& scope, const std::string& user_id, const Actor& actor) {
  DirectoryError refusal;
  auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    User before;
    bool found = false;
    if (auto e = tx.execute("SELECT " + std::string(kUserColumns) + " FROM users WHERE org_id = ?1 AND id = ?2",
                            {scope.org_id(), user_id}, [&](const db::Row& r) {
                              before = to_user(r);
                              found = true;
                            })) {
      return e;
    }
    if (!found) {
      refusal = user_not_found();
      return refusal.code;
    }
    if (before.role == "org_admin" && !before.disabled) {
      if ((refusal = keep_an_admin(tx, scope, user_id))) return refusal.code;
    }
    if (auto e =
            tx.execute("DELETE FROM password_history WHERE org_id = ?1 AND user_id = ?2", {scope.org_id(), user_id})) {
      return e;
    }
    if (auto e = tx.execute("DELETE FROM users WHERE org_id = ?1 AND id = ?2", {scope.org_id(), user_id})) return e;
    AuditEvent e = org_event(scope, actor, "user.delete", user_id);
    e.details = {{"login", before.login}};
    return audit_.append(tx, e);
  });
  if (refusal) return refusal;
  if (ec) return failed(ec, "cannot delete the user");
  return {};
}

}  // namespace furoshiki::admin
