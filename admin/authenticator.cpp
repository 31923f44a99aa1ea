// Sign-in, identities, sign-out and password changes; see authenticator.hpp.
#include "admin/authenticator.hpp"

#include "admin/identity_rules.hpp"
#include "admin/second_factor.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "crypto/hex.hpp"
#include "crypto/token.hpp"
#include "crypto/totp.hpp"

#include <openssl/crypto.h>

#include <chrono>

namespace furoshiki::admin {

namespace {

struct Account {
  std::string org_id;
  std::string org_status;
  std::string user_id;
  std::string password_hash;
  bool disabled = false;
  bool totp_enabled = false;
};

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

boost::system::result<bool> refuse_if_throttled(LoginThrottle& throttle, const ThrottleKeys& keys,
                                                SignInOutcome& outcome, std::chrono::seconds& retry_after) {
  auto decision = throttle.check(keys);
  if (!decision) return {boost::system::in_place_error, decision.error()};
  if (decision->allowed) return false;
  outcome = SignInOutcome::kTooManyAttempts;
  retry_after = std::chrono::seconds(decision->retry_after_seconds());
  return true;
}

Authenticator::Authenticator(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db,
                             crypto::PasswordHasher& hasher, TenantKeyring& keys, AuditLog& audit,
                             SessionStore& sessions, ApiTokenStore& tokens, LoginThrottle& throttle)
    : ctx_(std::move(ctx)),
      db_(db),
      hasher_(hasher),
      keys_(keys),
      audit_(audit),
      sessions_(sessions),
      tokens_(tokens),
      throttle_(throttle) {}

const std::string& Authenticator::dummy_hash() {
  std::call_once(dummy_once_, [this] { dummy_hash_ = hasher_.hash(crypto::generate_token(*ctx_)); });
  return dummy_hash_;
}

void Authenticator::audit_attempt(const std::string& org_id, const SignInRequest& request, const std::string& user_id,
                                  AuditOutcome outcome, const std::string& reason) {
  AuditEvent e{.chain = org_id.empty() ? AuditChain::service() : AuditChain::organization(org_id)};
  e.actor_type = user_id.empty() ? ActorType::kAnonymous : ActorType::kUser;
  e.actor_id = user_id;
  e.actor_login = request.login;
  e.client = request.client;
  e.user_agent = request.user_agent;
  e.action = "auth.login";
  e.target = request.org_code;
  e.outcome = outcome;
  if (!reason.empty()) e.details = {{"reason", reason}};
  if (auto ec = audit_.append(e)) log::error("audit_append_failed", {{"action", e.action}, {"reason", ec.message()}});
}

boost::system::result<SignInResult> Authenticator::sign_in(const SignInRequest& request) {
  SignInResult result;
  // The policy of the organization named, read once for the whole sign-in. An unknown code has
  // none and goes on to the usual invalid_credentials, so that the answer does not tell it apart.
  std::optional<OrganizationPolicy> policy;
  if (auto loaded = load_organization_policy_by_code(db_, request.org_code)) {
    policy = std::move(*loaded);
  } else if (loaded.error() != Errc::kNotFound) {
    return loaded.error();
  }
  // Before throttling and any password work: an address outside the allowlist learns nothing
  // about the account and costs no hashing.
  if (policy && !policy->ip_allowlist.allows(request.client_address)) {
    result.outcome = SignInOutcome::kIpNotAllowed;
    return result;
  }
  const std::string login = normalize_login(request.login).value_or(request.login);
  const ThrottleKeys keys = throttle_keys(request.org_code, login, request.client);
  auto throttled = refuse_if_throttled(throttle_, keys, result.outcome, result.retry_after);
  if (!throttled) return throttled.error();
  if (*throttled) return result;

  std::optional<Account> account;
  std::string org_id;
  if (auto ec = db_.execute("SELECT o.id, o.status, u.id, u.password_hash, u.disabled, u.totp_enabled "
                            "FROM organizations o LEFT JOIN users u ON u.org_id = o.id AND u.login = ?2 "
                            "WHERE o.code = ?1",
                            {request.org_code, login}, [&](const db::Row& r) {
                              org_id = r.text(0);
                              if (r.is_null(2)) return;
                              account = Account{r.text(0), r.text(1),         r.text(2),
                                                r.text(3), r.integer(4) != 0, r.integer(5) != 0};
                            })) {
    return ec;
  }
  // An organization that appeared between the two reads has no policy read: it is treated as
  // unknown (this sign-in fails; the next one reads its policy).
  if (!policy) account.reset();
  // The expensive check runs in every case, so the answer takes as long whatever was wrong.
  const bool password_ok = request.password.size() <= crypto::PasswordHasher::kMaxPasswordBytes &&
                           hasher_.verify(request.password, account ? account->password_hash : dummy_hash()).ok &&
                           account.has_value();

  auto refuse = [&](SignInOutcome outcome, const std::string& reason) -> boost::system::result<SignInResult> {
    auto failure = throttle_.record_failure(keys);
    if (!failure) return failure.error();
    audit_attempt(org_id, request, account ? account->user_id : "", AuditOutcome::kFailure, reason);
    if (failure->lock_started) {
      audit_attempt(org_id, request, account ? account->user_id : "", AuditOutcome::kDenied, "locked");
    }
    result.outcome = outcome;
    return result;
  };
  if (!password_ok) return refuse(SignInOutcome::kInvalidCredentials, account ? "wrong_password" : "unknown_account");
  if (account->org_status != "active") return refuse(SignInOutcome::kInvalidCredentials, "organization_not_active");
  if (account->totp_enabled && !second_factor_ok(account->org_id, account->user_id, request)) {
    if (request.totp.empty()) {
      // Not a failure of its own: the password was right and the client now asks for the code.
      result.outcome = SignInOutcome::kTotpRequired;
      return result;
    }
    return refuse(SignInOutcome::kTotpRequired, "wrong_totp");
  }
  if (account->disabled) return refuse(SignInOutcome::kAccountDisabled, "account_disabled");

  if (auto ec = throttle_.record_success(keys.account)) return ec;
  const TenantScope scope(account->org_id);
  std::optional<NewSession> session;
  const SessionLimits limits = policy->sessions.limits();
  auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    auto made = request.previous_session_token.empty()
                    ? sessions_.create(tx, scope, account->user_id, limits, {request.client, request.user_agent})
                    : sessions_.rotate(tx, request.previous_session_token, scope, account->user_id, limits,
                                       {request.client, request.user_agent});
    if (!made) return made.error();
    session = *made;
    AuditEvent e{.chain = AuditChain::organization(account->org_id)};
    e.actor_type = ActorType::kUser;
    e.actor_id = account->user_id;
    e.actor_login = login;
    e.client = request.client;
    e.user_agent = request.user_agent;
    e.action = "auth.login";
    e.target = request.org_code;
    e.details = {{"session", session->session_id.substr(0, 16)}};
    return audit_.append(tx, e);
  });
  if (ec) return ec;
  // The session was made just now, in this organization and under this policy: the identity is
  // built from them rather than by presenting the new token (which would read the policy again).
  const Principal principal{CredentialKind::kSession, account->org_id, account->user_id, session->session_id};
  auto identity = identity_for(principal, crypto::token_hash(*ctx_, session->csrf_token), std::move(policy));
  if (!identity) return identity.error();
  result.outcome = SignInOutcome::kSignedIn;
  result.session = std::move(session);
  result.identity = std::move(*identity);
  return result;
}

bool Authenticator::second_factor_ok(const std::string& org_id, const std::string& user_id,
                                     const SignInRequest& request) {
  const std::string& code = request.totp;
  if (code.empty()) return false;
  if (is_recovery_code(code)) {
    // Checked by shape first: a recovery code is never tried as a TOTP code, nor the reverse.
    auto used = use_recovery_code(*ctx_, db_, org_id, user_id, code);
    if (!used) {
      log::error("recovery_code_check_failed", {{"reason", used.error().message()}});
      return false;
    }
    if (!*used) return false;
    std::int64_t left = 0;
    if (db_.execute("SELECT count(*) FROM recovery_codes WHERE org_id = ?1 AND user_id = ?2 AND used_at IS NULL",
                    {org_id, user_id}, [&](const db::Row& r) { left = r.integer(0); })) {
      left = -1;
    }
    AuditEvent e{.chain = AuditChain::organization(org_id)};
    e.actor_type = ActorType::kUser;
    e.actor_id = user_id;
    e.actor_login = request.login;
    e.client = request.client;
    e.user_agent = request.user_agent;
    e.action = "auth.recovery_code_used";
    e.target = user_id;
    e.details = {{"recovery_codes_left", left}};
    if (auto ec = audit_.append(e)) log::error("audit_append_failed", {{"action", e.action}, {"reason", ec.message()}});
    return true;
  }
  std::vector<std::uint8_t> sealed;
  std::optional<std::int64_t> last_step;
  if (db_.execute("SELECT totp_secret, totp_last_step FROM users WHERE org_id = ?1 AND id = ?2", {org_id, user_id},
                  [&](const db::Row& r) {
                    if (const auto* blob = std::get_if<db::Blob>(&r[0])) sealed = blob->bytes;
                    if (!r.is_null(1)) last_step = r.integer(1);
                  })) {
    return false;
  }
  std::vector<std::uint8_t> secret;
  if (open_totp_secret(*ctx_, keys_, org_id, user_id, sealed, secret)) return false;
  const auto step = crypto::verify_totp(*ctx_, secret, code, unix_now(), last_step);
  OPENSSL_cleanse(secret.data(), secret.size());
  if (!step) return false;
  // Recorded at once: the same code is refused from now on, even if the rest of the sign-in fails.
  // The condition makes two concurrent sign-ins with one code accept it only once.
  bool stored = false;
  if (db_.execute("UPDATE users SET totp_last_step = ?1 WHERE org_id = ?2 AND id = ?3 "
                  "AND (totp_last_step IS NULL OR totp_last_step < ?1) RETURNING id",
                  {*step, org_id, user_id}, [&](const db::Row&) { stored = true; })) {
    return false;
  }
  return stored;
}

boost::system::result<Identity> Authenticator::identity_for(const Principal& principal,
                                                            std::optional<crypto::TokenHash> csrf_token_hash,
                                                            std::optional<OrganizationPolicy> policy) {
  Identity identity{TenantScope(principal.org_id), principal, csrf_token_hash, "", {}};
  UserDirectory users(ctx_, db_, hasher_, audit_);
  if (auto e = users.get(identity.scope, principal.user_id, identity.user)) {
    return e.code == Errc::kNotFound ? make_error_code(Errc::kUnauthenticated) : e.code;
  }
  if (identity.user.disabled) return make_error_code(Errc::kUnauthenticated);
  // The organization's policy, read on every request (unless this request has read it already)
  // so that a change applies at once.
  const bool read_policy = !policy;
  std::string policy_text, changed_at;
  if (auto ec = db_.execute(std::string("SELECT o.code, u.password_changed_at") + (read_policy ? ", o.policy" : "") +
                                " FROM organizations o JOIN users u ON u.org_id = o.id AND u.id = ?2"
                                " WHERE o.id = ?1 AND o.status = 'active'",
                            {principal.org_id, principal.user_id}, [&](const db::Row& r) {
                              identity.org_code = r.text(0);
                              changed_at = r.text(1);
                              if (read_policy) policy_text = r.text(2);
                            })) {
    return ec;
  }
  if (identity.org_code.empty()) return make_error_code(Errc::kUnauthenticated);
  if (read_policy) {
    // An unreadable policy refuses (fail closed).
    OrganizationPolicy parsed;
    if (const PolicyError e = parse_organization_policy(policy_text, parsed)) {
      log::error("organization_policy_unreadable",
                 {{"org_id", principal.org_id}, {"key", e.key}, {"reason", e.message}});
      return make_error_code(Errc::kInternal);
    }
    policy = std::move(parsed);
  }
  identity.policy = std::move(*policy);
  const PasswordRules& rules = identity.policy.password;
  if (rules.expiry_days > 0 && expired(rules, changed_at, std::chrono::system_clock::now())) {
    identity.user.password_change_required = true;
  }
  identity.totp_enrolment_required =
      identity.policy.requires_second_factor(identity.user.role) && !identity.user.totp_enabled;
  return identity;
}

boost::system::result<Identity> Authenticator::from_session(std::string_view token) {
  std::optional<OrganizationPolicy> policy;
  auto session = sessions_.authenticate(token, [&](const std::string& org_id) -> boost::system::result<SessionLimits> {
    auto loaded = load_organization_policy(db_, org_id);
    if (!loaded) {
      return loaded.error() == Errc::kNotFound ? make_error_code(Errc::kUnauthenticated) : loaded.error();
    }
    policy = std::move(*loaded);
    return policy->sessions.limits();
  });
  if (!session) return session.error();
  return identity_for(*session, session->csrf_token_hash, std::move(policy));
}

boost::system::result<Identity> Authenticator::from_api_token(std::string_view token) {
  auto principal = tokens_.authenticate(token);
  if (!principal) return principal.error();
  return identity_for(*principal, std::nullopt, std::nullopt);
}

bool Authenticator::csrf_ok(const Identity& identity, std::string_view presented) const {
  if (!identity.csrf_token_hash) return true;  // API tokens are not sent by browsers on their own
  return !presented.empty() && crypto::token_matches(*ctx_, presented, *identity.csrf_token_hash);
}

boost::system::error_code Authenticator::sign_out(const Identity& identity, std::string_view session_token,
                                                  const std::string& client) {
  return db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    if (auto ec = sessions_.end(tx, session_token)) return ec;
    AuditEvent e{.chain = AuditChain::organization(identity.scope.org_id())};
    e.actor_type = ActorType::kUser;
    e.actor_id = identity.user.id;
    e.actor_login = identity.user.login;
    e.client = client;
    e.action = "auth.logout";
    return audit_.append(tx, e);
  });
}

boost::system::error_code Authenticator::change_password(const Identity& identity, std::string_view current,
                                                         std::string_view replacement, const SessionOrigin& origin,
                                                         std::vector<RuleFailure>& failed,
                                                         std::optional<NewSession>& new_session) {
  failed.clear();
  new_session.reset();
  const std::string& org_id = identity.scope.org_id();
  const std::string& user_id = identity.user.id;
  std::string stored_hash;
  if (auto ec = db_.execute("SELECT password_hash FROM users WHERE org_id = ?1 AND id = ?2", {org_id, user_id},
                            [&](const db::Row& r) { stored_hash = r.text(0); })) {
    return ec;
  }
  if (current.size() > crypto::PasswordHasher::kMaxPasswordBytes || !hasher_.verify(current, stored_hash).ok) {
    return make_error_code(Errc::kForbidden);
  }
  // The policy this request was authorized under.
  const PasswordRules& rules = identity.policy.password;
  const SessionLimits limits = identity.policy.sessions.limits();
  if (!check(rules, replacement, {identity.user.login, identity.user.display_name}, failed)) {
    return make_error_code(Errc::kBadRequest);
  }
  auto was_used = reused(db_, org_id, user_id, replacement, hasher_, rules.history_count);
  if (!was_used) return was_used.error();
  if (*was_used) {
    failed.push_back(reused_failure(rules));
    return make_error_code(Errc::kBadRequest);
  }
  const std::string hash = hasher_.hash(replacement);
  return db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    if (auto ec = record_change(tx, org_id, user_id, stored_hash, rules.history_count)) return ec;
    if (auto ec =
            tx.execute("UPDATE users SET password_hash = ?1, password_change_required = 0, "
                       "password_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE org_id = ?2 AND id = ?3",
                       {hash, org_id, user_id})) {
      return ec;
    }
    // Every session ends — whoever might have known the old password is signed out — and the
    // caller continues in a new one.
    std::int64_t ended = 0;
    if (auto ec = sessions_.end_all_for_user(tx, identity.scope, user_id, ended)) return ec;
    auto made = sessions_.create(tx, identity.scope, user_id, limits, origin);
    if (!made) return made.error();
    new_session = *made;
    AuditEvent e{.chain = AuditChain::organization(org_id)};
    e.actor_type = ActorType::kUser;
    e.actor_id = user_id;
    e.actor_login = identity.user.login;
    e.client = origin.client;
    e.user_agent = origin.user_agent;
    e.action = "user.change_password";
    e.target = user_id;
    e.details = {{"sessions_ended", ended}};
    return audit_.append(tx, e);
  });
}

}  // namespace furoshiki::admin
