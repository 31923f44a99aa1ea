// Sealed TOTP secrets; see second_factor.hpp.
#include "admin/second_factor.hpp"

#include "common/error.hpp"
#include "common/log.hpp"
#include "crypto/aead.hpp"
#include "crypto/errors.hpp"
#include "crypto/hex.hpp"
#include "crypto/token.hpp"
#include "crypto/totp.hpp"

#include <openssl/crypto.h>
#include <qrencode.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>
#include <stdexcept>

namespace furoshiki::admin {

namespace {

// Without 0/O, 1/I/L: read from paper or a screen and typed in without doubt.
constexpr std::string_view kRecoveryAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
constexpr std::size_t kRecoveryGroup = 5;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// "XXXXX-XXXXX" in upper case, or "" when `code` is not a recovery code.
std::string normalize_recovery_code(std::string_view code) {
  std::string out;
  if (code.size() != 2 * kRecoveryGroup + 1 || code[kRecoveryGroup] != '-') return out;
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (i == kRecoveryGroup) continue;
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(code[i])));
    if (kRecoveryAlphabet.find(c) == std::string_view::npos) return {};
  }
  out.reserve(code.size());
  for (char c : code) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

std::string generate_recovery_code(const crypto::CryptoContext& ctx) {
  // Rejection sampling: a byte below the largest multiple of the alphabet size maps uniformly.
  constexpr unsigned kLimit = 256 - 256 % kRecoveryAlphabet.size();
  std::string code;
  std::array<std::uint8_t, 32> pool{};
  while (code.size() < 2 * kRecoveryGroup + 1) {
    ctx.random_bytes(pool);
    for (std::uint8_t b : pool) {
      if (code.size() == 2 * kRecoveryGroup + 1) break;
      if (code.size() == kRecoveryGroup) code.push_back('-');
      if (b >= kLimit) continue;
      code.push_back(kRecoveryAlphabet[b % kRecoveryAlphabet.size()]);
    }
  }
  OPENSSL_cleanse(pool.data(), pool.size());
  return code;
}

std::string recovery_code_hash(const crypto::CryptoContext& ctx, std::string_view normalized) {
  return crypto::hex_encode(crypto::token_hash(ctx, normalized));
}

AuditEvent user_event(const std::string& org_id, const std::string& user_id, const std::string& login,
                      const SecondFactorActor& actor, std::string action) {
  AuditEvent e{.chain = AuditChain::organization(org_id)};
  e.actor_type = ActorType::kUser;
  e.actor_id = user_id;
  e.actor_login = login;
  e.client = actor.client;
  e.user_agent = actor.user_agent;
  e.action = std::move(action);
  e.target = user_id;
  return e;
}

constexpr std::size_t kPrefixBytes = 4 + 16 + crypto::kNonceBytes;

std::vector<std::uint8_t> associated_data(const std::string& org_id, const std::string& user_id) {
  // Length-prefixed, so that no (org, user) pair can be read as another.
  std::vector<std::uint8_t> aad;
  for (std::string_view part :
       {std::string_view("furoshiki.totp.v1"), std::string_view(org_id), std::string_view(user_id)}) {
    aad.push_back(static_cast<std::uint8_t>(part.size()));
    aad.insert(aad.end(), part.begin(), part.end());
  }
  return aad;
}

}  // namespace

boost::system::error_code seal_totp_secret(const crypto::CryptoContext& ctx, TenantKeyring& keys,
                                           const std::string& org_id, const std::string& user_id,
                                           std::span<const std::uint8_t> secret, std::vector<std::uint8_t>& out) {
  crypto::TenantKeyRef ref;
  crypto::SecretKey key;
  if (auto ec = keys.current(org_id, ref, key)) return ec;
  std::array<std::uint8_t, 16> key_id{};
  if (!crypto::hex16_decode(ref.key_id, key_id)) return crypto::CryptoErrc::kUnknownKey;
  std::array<std::uint8_t, crypto::kNonceBytes> nonce{};
  ctx.random_bytes(nonce);  // one fresh key use per enrolment: random nonces never meet in practice
  std::vector<std::uint8_t> sealed;
  if (auto ec = crypto::aead_seal(ctx, key, nonce, associated_data(org_id, user_id), secret, sealed)) return ec;
  out.clear();
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(ref.version >> shift));
  out.insert(out.end(), key_id.begin(), key_id.end());
  out.insert(out.end(), nonce.begin(), nonce.end());
  out.insert(out.end(), sealed.begin(), sealed.end());
  return {};
}

boost::system::error_code open_totp_secret(const crypto::CryptoContext& ctx, TenantKeyring& keys,
                                           const std::string& org_id, const std::string& user_id,
                                           std::span<const std::uint8_t> sealed, std::vector<std::uint8_t>& secret) {
  if (sealed.size() < kPrefixBytes + crypto::kTagBytes) return crypto::CryptoErrc::kIntegrity;
  const std::uint32_t version = (std::uint32_t{sealed[0]} << 24) | (std::uint32_t{sealed[1]} << 16) |
                                (std::uint32_t{sealed[2]} << 8) | std::uint32_t{sealed[3]};
  std::array<std::uint8_t, 16> key_id{};
  std::copy_n(sealed.begin() + 4, 16, key_id.begin());
  crypto::SecretKey key;
  if (auto ec = keys.lookup_for(org_id)(crypto::hex16_encode(key_id), version, key)) return ec;
  const auto nonce = sealed.subspan<20, crypto::kNonceBytes>();
  return crypto::aead_open(ctx, key, nonce, associated_data(org_id, user_id), sealed.subspan(kPrefixBytes), secret);
}

bool is_recovery_code(std::string_view code) { return !normalize_recovery_code(code).empty(); }

boost::system::result<bool> use_recovery_code(const crypto::CryptoContext& ctx, db::Database& db,
                                              const std::string& org_id, const std::string& user_id,
                                              std::string_view code) {
  const std::string normalized = normalize_recovery_code(code);
  if (normalized.empty()) return false;
  bool used = false;
  // The condition on used_at makes the check and the marking one statement: of two concurrent
  // uses of one code, only one sees a row to update.
  if (auto ec =
          db.execute("UPDATE recovery_codes SET used_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                     "WHERE org_id = ?1 AND user_id = ?2 AND code_hash = ?3 AND used_at IS NULL RETURNING 1",
                     {org_id, user_id, recovery_code_hash(ctx, normalized)}, [&](const db::Row&) { used = true; })) {
    return boost::system::result<bool>(boost::system::in_place_error, ec);
  }
  return used;
}

SecondFactorEnrolment::SecondFactorEnrolment(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db,
                                             TenantKeyring& keys, AuditLog& audit)
    : ctx_(std::move(ctx)), db_(db), keys_(keys), audit_(audit) {}

boost::system::result<TotpEnrolment> SecondFactorEnrolment::begin_enrolment(const TenantScope& scope,
                                                                            const std::string& user_id,
                                                                            const SecondFactorActor& actor) {
  const std::string& org_id = scope.org_id();
  std::optional<std::pair<std::string, std::string>> account;  // login, organization code
  if (auto ec = db_.execute("SELECT u.login, o.code FROM users u JOIN organizations o ON o.id = u.org_id "
                            "WHERE u.org_id = ?1 AND u.id = ?2 AND u.disabled = 0 AND o.status = 'active'",
                            {org_id, user_id}, [&](const db::Row& r) { account.emplace(r.text(0), r.text(1)); })) {
    return ec;
  }
  if (!account) return make_error_code(Errc::kNotFound);
  std::vector<std::uint8_t> secret = crypto::generate_totp_secret(*ctx_);
  std::vector<std::uint8_t> sealed;
  auto ec = seal_totp_secret(*ctx_, keys_, org_id, user_id, secret, sealed);
  TotpEnrolment enrolment;
  if (!ec) {
    enrolment.otpauth_uri = crypto::otpauth_uri(kTotpIssuer, account->first + " (" + account->second + ")", secret);
    enrolment.secret_base32 = crypto::base32_encode(secret);
  }
  OPENSSL_cleanse(secret.data(), secret.size());
  if (ec) return ec;
  ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    if (auto e = tx.execute("UPDATE users SET totp_pending = ?1 WHERE org_id = ?2 AND id = ?3",
                            {db::Blob{sealed}, org_id, user_id})) {
      return e;
    }
    return audit_.append(tx, user_event(org_id, user_id, account->first, actor, "user.totp_enrol"));
  });
  if (ec) return ec;
  return enrolment;
}

boost::system::result<std::vector<std::string>> SecondFactorEnrolment::confirm_enrolment(
    const TenantScope& scope, const std::string& user_id, std::string_view code, const SecondFactorActor& actor) {
  const std::string& org_id = scope.org_id();
  std::string login;
  std::vector<std::string> codes;
  auto ec = db_.transaction([&](db::Database& tx) -> boost::system::error_code {
    bool found = false;
    std::optional<std::vector<std::uint8_t>> pending;
    if (auto e = tx.execute("SELECT u.login, u.totp_pending FROM users u JOIN organizations o ON o.id = u.org_id "
                            "WHERE u.org_id = ?1 AND u.id = ?2 AND u.disabled = 0 AND o.status = 'active'",
                            {org_id, user_id}, [&](const db::Row& r) {
                              found = true;
                              login = r.text(0);
                              if (const auto* blob = std::get_if<db::Blob>(&r[1])) pending = blob->bytes;
                            })) {
      return e;
    }
    if (!found) return Errc::kNotFound;
    if (!pending) return Errc::kConflict;
    std::vector<std::uint8_t> secret;
    if (auto e = open_totp_secret(*ctx_, keys_, org_id, user_id, *pending, secret)) return e;
    const auto step = crypto::verify_totp(*ctx_, secret, code, unix_now(), std::nullopt);
    OPENSSL_cleanse(secret.data(), secret.size());
    if (!step) return Errc::kInvalidCode;
    // The confirming code is spent: it cannot sign in as well.
    if (auto e = tx.execute("UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_enabled = 1, "
                            "totp_last_step = MAX(COALESCE(totp_last_step, ?1), ?1) WHERE org_id = ?2 AND id = ?3",
                            {*step, org_id, user_id})) {
      return e;
    }
    if (auto e = tx.execute("DELETE FROM recovery_codes WHERE org_id = ?1 AND user_id = ?2", {org_id, user_id})) {
      return e;
    }
    std::set<std::string> seen;
    while (codes.size() < kRecoveryCodeCount) {
      std::string c = generate_recovery_code(*ctx_);
      if (!seen.insert(c).second) continue;
      if (auto e = tx.execute("INSERT INTO recovery_codes (org_id, user_id, code_hash) VALUES (?1, ?2, ?3)",
                              {org_id, user_id, recovery_code_hash(*ctx_, c)})) {
        return e;
      }
      codes.push_back(std::move(c));
    }
    return audit_.append(tx, user_event(org_id, user_id, login, actor, "user.totp_confirm"));
  });
  if (ec == Errc::kInvalidCode) {
    // Recorded outside the rolled-back transaction, so that guessing shows in the log.
    auto e = user_event(org_id, user_id, login, actor, "user.totp_confirm");
    e.outcome = AuditOutcome::kFailure;
    e.details = {{"reason", "invalid_code"}};
    if (auto ae = audit_.append(e)) log::error("audit_append_failed", {{"action", e.action}, {"reason", ae.message()}});
  }
  if (ec) return ec;
  return codes;
}

std::string qr_svg(std::string_view text) {
  const std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(
      QRcode_encodeData(static_cast<int>(text.size()), reinterpret_cast<const unsigned char*>(text.data()), 0,
                        QR_ECLEVEL_M),
      &QRcode_free);
  if (!qr) throw std::runtime_error("QR code: cannot encode " + std::to_string(text.size()) + " bytes");
  constexpr int kQuietZone = 4;  // ISO/IEC 18004 section 6.3.8
  const int width = qr->width;
  const std::string size = std::to_string(width + 2 * kQuietZone);
  // One horizontal run of dark modules per subpath: a unit-high rectangle.
  std::string d;
  for (int y = 0; y < width; ++y) {
    const unsigned char* row = qr->data + static_cast<std::ptrdiff_t>(y) * width;
    for (int x = 0; x < width;) {
      if (!(row[x] & 1)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < width && (row[x + run] & 1)) ++run;
      d += "M" + std::to_string(x + kQuietZone) + " " + std::to_string(y + kQuietZone) + "h" + std::to_string(run) +
           "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  return R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 )" + size + " " + size +
         R"(" shape-rendering="crispEdges"><rect width=")" + size + R"(" height=")" + size +
         R"(" fill="#fff"/><path fill="#000" d=")" + d + R"("/></svg>)";
}

}  // namespace furoshiki::admin
