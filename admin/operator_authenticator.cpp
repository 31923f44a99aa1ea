// Operator sign-in, identities, sign-out and password changes; see operator_authenticator.hpp.
#include "admin/operator_authenticator.hpp"

#include "admin/identity_rules.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "crypto/token.hpp"

#include <algorithm>
#include <cctype>

namespace furoshiki::admin {

namespace {

constexpr std::size_t kMaxLoginKeyBytes = 254;

struct StoredOperator {
  OperatorAccount account;
  std::string password_hash;
  bool disabled = false;
};

// The rules an operator's new password must pass: the defaults (NIST SP 800-63B), with no
// history kept beyond the current password, which change_password() refuses on its own.
PasswordRules operator_password_rules() {
  PasswordRules rules;
  rules.history_count = 0;
  return rules;
}

AuditEvent operator_event(const std::string& operator_id, const std::string& login, std::string_view client,
                          std::string_view user_agent, std::string action) {
  AuditEvent e{.chain = AuditChain::service()};
  e.actor_type = operator_id.empty() ? ActorType::kAnonymous : ActorType::kOperator;
  e.actor_id = operator_id;
  e.actor_login = login;
  e.client = std::string(client);
  e.user_agent = std::string(user_agent);
  e.action = std::move(action);
  e.target = operator_id;
  return e;
}

void append_or_log(AuditLog& audit, const AuditEvent& e) {
  if (auto ec = audit.append(e)) log::error("audit_append_failed", {{"action", e.action}, {"reason", ec.message()}});
}

}  // namespace

std::string operator_throttle_key(std::string_view login) {
  while (!login.empty() && std::isspace(static_cast<unsigned char>(login.front()))) login.remove_prefix(1);
  while (!login.empty() && std::isspace(static_cast<unsigned char>(login.back()))) login.remove_suffix(1);
  std::string key = "operator:";
  for (char c : login.substr(0, kMaxLoginKeyBytes)) {
    key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return key;
}

OperatorAuthenticator::OperatorAuthenticator(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db,
                                             crypto::PasswordHasher& hasher, AuditLog& audit,
                                             OperatorSessionStore& sessions, LoginThrottle& throttle)
    : ctx_(std::move(ctx)), db_(db), hasher_(hasher), audit_(audit), sessions_(sessions), throttle_(throttle) {}

const std::string& OperatorAuthenticator::dummy_hash() {
  std::call_once(dummy_once_, [this] { dummy_hash_ = hasher_.hash(crypto::generate_token(*ctx_)); });
  return dummy_hash_;
}

void OperatorAuthenticator::audit_attempt(const OperatorSignInRequest& request, const std::string& operator_id,
                                          AuditOutcome outcome, const std::string& reason) {
  AuditEvent e = operator_event(operator_id, request.login, request.client, request.user_agent, "operator.login");
  e.outcome = outcome;
  if (!reason.empty()) e.details = {{"reason", reason}};
  append_or_log(audit_, e);
}

boost::system::result<OperatorSignInResult> OperatorAuthenticator::sign_in(const OperatorSignInRequest& request) {
  OperatorSignInResult result;
  const std::string login = normalize_login(request.login).value_or(request.login);
  const ThrottleKeys keys{operator_throttle_key(login), address_throttle_key(request.client)};
  auto throttled = refuse_if_throttled(throttle_, keys, result.outcome, result.retry_after);
  if (!throttled) return throttled.error();
  if (*throttled) return result;

  std::optional<StoredOperator> found;
  if (auto ec = db_.execute(
          "SELECT id, login, display_name, password_change_required, password_hash, disabled "
          "FROM operators WHERE login = ?1",
          {login}, [&](const db::Row& r) {
            found = StoredOperator{{r.text(0), r.text(1), r.text(2), r.integer(3) != 0}, r.text(4), r.integer(5) != 0};
          })) {
    return ec;
  }
  // The expensive check runs in every case, so the answer takes as long whatever was wrong.
  const bool password_ok = request.password.size() <= crypto::PasswordHasher::kMaxPasswordBytes &&
                           hasher_.verify(request.password, found ? found->password_hash : dummy_hash()).ok &&
                           found.has_value();

  const std::string operator_id = found ? found->account.id : "";
  auto refuse = [&](SignInOutcome outcome, const std::string& reason) -> boost::system::result<OperatorSignInResult> {
    auto failure = throttle_.record_failure(keys);
    if (!failure) return failure.error();
    audit_attempt(request, operator_id, AuditOutcome::kFailure, reason);
    if (failure->lock_started) audit_attempt(request, operator_id, AuditOutcome::kDenied, "locked");
    result.outcome = outcome;
    return result;
  };
  if (!password_ok) return refuse(SignInOutcome::kInvalidCredentials, found ? "wrong_password" : "unknown_account");
  if (found->disabled) return refuse(SignInOutcome::kAccountDisabled, "account_disabled");

  if (auto ec = throttle_.record_success(keys.account)) return ec;
  std::optional<NewOperatorSession> session;
  auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    auto made = sessions_.create(tx, request.previous_session_token, operator_id, request.client, request.user_agent);
    if (!made) return made.error();
    session = *made;
    AuditEvent e =
        operator_event(operator_id, found->account.login, request.client, request.user_agent, "operator.login");
    e.details = {{"session", session->session_id.substr(0, 16)}};
    return audit_.append(tx, e);
  });
  if (ec) return ec;
  auto identity = from_session(session->token);
  if (!identity) return identity.error();
  result.outcome = SignInOutcome::kSignedIn;
  result.session = std::move(session);
  result.identity = std::move(*identity);
  return result;
}

boost::system::result<OperatorAccount> OperatorAuthenticator::account(const std::string& operator_id) {
  std::optional<OperatorAccount> found;
  if (auto ec = db_.execute("SELECT id, login, display_name, password_change_required FROM operators "
                            "WHERE id = ?1 AND disabled = 0",
                            {operator_id}, [&](const db::Row& r) {
                              found = OperatorAccount{r.text(0), r.text(1), r.text(2), r.integer(3) != 0};
                            })) {
    return ec;
  }
  if (!found) return make_error_code(Errc::kUnauthenticated);
  return std::move(*found);
}

boost::system::result<OperatorIdentity> OperatorAuthenticator::from_session(std::string_view token) {
  auto session = sessions_.authenticate(token);
  if (!session) return session.error();
  auto found = account(session->operator_id);
  if (!found) return found.error();
  return OperatorIdentity{std::move(*found), std::move(*session)};
}

bool OperatorAuthenticator::csrf_ok(const OperatorIdentity& identity, std::string_view presented) const {
  return sessions_.check_csrf(identity.session, presented);
}

boost::system::error_code OperatorAuthenticator::sign_out(const OperatorIdentity& identity,
                                                          std::string_view session_token, const std::string& client) {
  return db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    if (auto ec = sessions_.end(tx, session_token)) return ec;
    return audit_.append(tx,
                         operator_event(identity.account.id, identity.account.login, client, "", "operator.logout"));
  });
}

boost::system::error_code OperatorAuthenticator::change_password(const OperatorIdentity& identity,
                                                                 std::string_view current, std::string_view replacement,
                                                                 std::string_view client, std::string_view user_agent,
                                                                 std::vector<RuleFailure>& failed,
                                                                 std::optional<NewOperatorSession>& new_session) {
  failed.clear();
  new_session.reset();
  const std::string& operator_id = identity.account.id;
  std::string stored_hash;
  if (auto ec = db_.execute("SELECT password_hash FROM operators WHERE id = ?1", {operator_id},
                            [&](const db::Row& r) { stored_hash = r.text(0); })) {
    return ec;
  }
  if (stored_hash.empty()) return make_error_code(Errc::kUnauthenticated);
  if (current.size() > crypto::PasswordHasher::kMaxPasswordBytes || !hasher_.verify(current, stored_hash).ok) {
    AuditEvent e = operator_event(operator_id, identity.account.login, client, user_agent, "operator.change_password");
    e.outcome = AuditOutcome::kFailure;
    e.details = {{"reason", "wrong_current_password"}};
    append_or_log(audit_, e);
    return make_error_code(Errc::kForbidden);
  }
  const PasswordRules rules = operator_password_rules();
  if (!check(rules, replacement, {identity.account.login, identity.account.display_name}, failed)) {
    return make_error_code(Errc::kBadRequest);
  }
  if (hasher_.verify(replacement, stored_hash).ok) {
    failed.push_back(reused_failure(rules));
    return make_error_code(Errc::kBadRequest);
  }
  const std::string hash = hasher_.hash(replacement);
  return db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    bool updated = false;
    if (auto ec = tx.execute("UPDATE operators SET password_hash = ?1, password_change_required = 0 "
                             "WHERE id = ?2 AND disabled = 0 RETURNING id",
                             {hash, operator_id}, [&](const db::Row&) { updated = true; })) {
      return ec;
    }
    if (!updated) return make_error_code(Errc::kUnauthenticated);
    // Every session ends — whoever might have known the old password is signed out — and the
    // caller continues in a new one.
    std::int64_t ended = 0;
    if (auto ec = sessions_.end_all(tx, operator_id, ended)) return ec;
    auto made = sessions_.create(tx, "", operator_id, client, user_agent);
    if (!made) return made.error();
    new_session = *made;
    AuditEvent e = operator_event(operator_id, identity.account.login, client, user_agent, "operator.change_password");
    e.details = {{"sessions_ended", ended}};
    return audit_.append(tx, e);
  });
}

}  // namespace furoshiki::admin
