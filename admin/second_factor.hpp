// TOTP secrets at rest: sealed with AES-256-GCM under the organization's tenant key, bound to the
// organization and the user (associated data), so a secret copied to another user or another
// organization does not open; destroying the tenant key (organization deletion) destroys them.
//
// Stored bytes: tenant key version (4, big-endian) || tenant key id (16) || nonce (12) ||
// ciphertext || tag (16).
//
// Also here: enrolment (a new secret waits in users.totp_pending until the first code from the
// app confirms it, so an enabled factor keeps working until then), the ten one-time recovery
// codes made at confirmation (stored as SHA-256 only, in recovery_codes), and the QR code an
// authenticator app scans, as SVG.
#pragma once

#include "admin/audit_log.hpp"
#include "admin/tenant_keys.hpp"
#include "admin/tenant_scope.hpp"
#include "db/database.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace furoshiki::admin {

// Seals `secret` with the organization's current tenant key.
[[nodiscard]] boost::system::error_code seal_totp_secret(const crypto::CryptoContext& ctx, TenantKeyring& keys,
                                                         const std::string& org_id, const std::string& user_id,
                                                         std::span<const std::uint8_t> secret,
                                                         std::vector<std::uint8_t>& out);

// Opens what seal_totp_secret() made for the same organization and user. CryptoErrc::kIntegrity
// for anything else; kKeyDestroyed / kUnknownKey when the tenant key is gone.
[[nodiscard]] boost::system::error_code open_totp_secret(const crypto::CryptoContext& ctx, TenantKeyring& keys,
                                                         const std::string& org_id, const std::string& user_id,
                                                         std::span<const std::uint8_t> sealed,
                                                         std::vector<std::uint8_t>& secret);

inline constexpr std::string_view kTotpIssuer = "furoshiki";
inline constexpr std::size_t kRecoveryCodeCount = 10;

// A recovery code as shown: 10 characters of an alphabet without look-alikes (no 0/O, 1/I/L),
// grouped "XXXXX-XXXXX" (about 49 bits). Whether `code` has that shape, in either case: checked
// before any database work, and how sign-in tells a recovery code from a 6-digit TOTP code.
[[nodiscard]] bool is_recovery_code(std::string_view code);

// Marks `code` used for the user if it is one of their unused recovery codes: true once per code,
// false for anything else (a wrong, used or malformed code). One conditional UPDATE, so two
// concurrent uses of the same code succeed once. Errors are database or crypto failures.
[[nodiscard]] boost::system::result<bool> use_recovery_code(const crypto::CryptoContext& ctx, db::Database& db,
                                                            const std::string& org_id, const std::string& user_id,
                                                            std::string_view code);

// What an authenticator app needs to enrol; all of it contains the secret.
struct TotpEnrolment {
  std::string otpauth_uri;    // otpauth://totp/furoshiki:<login> (<org code>)?secret=…
  std::string secret_base32;  // for typing it in by hand
};

// Who asked, for the audit events.
struct SecondFactorActor {
  std::string client{};
  std::string user_agent{};
};

// Enrolment of a user's own TOTP factor. Thread-safe (no state besides what it was built with).
class SecondFactorEnrolment {
 public:
  SecondFactorEnrolment(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db, TenantKeyring& keys,
                        AuditLog& audit);

  // Generates a new secret and seals it into users.totp_pending (replacing an earlier pending
  // one); an enabled factor stays as it is until confirm_enrolment(). Audited as
  // "user.totp_enrol". Errc::kNotFound when the user is not an active user of the scope's
  // organization.
  [[nodiscard]] boost::system::result<TotpEnrolment> begin_enrolment(const TenantScope& scope,
                                                                     const std::string& user_id,
                                                                     const SecondFactorActor& actor = {});

  // Checks `code` against the pending secret (one step of clock drift either way). On success the
  // pending secret becomes the factor (totp_enabled = 1, the code's step recorded so it cannot
  // sign in again), the user's recovery codes are replaced by kRecoveryCodeCount new ones, and
  // those are returned — the only time they are readable. Audited as "user.totp_confirm" (also
  // when refused). Errc::kInvalidCode for a wrong code; Errc::kConflict when no enrolment was
  // begun; Errc::kNotFound as for begin_enrolment().
  [[nodiscard]] boost::system::result<std::vector<std::string>> confirm_enrolment(const TenantScope& scope,
                                                                                  const std::string& user_id,
                                                                                  std::string_view code,
                                                                                  const SecondFactorActor& actor = {});

 private:
  std::shared_ptr<const crypto::CryptoContext> ctx_;
  db::Database& db_;
  TenantKeyring& keys_;
  AuditLog& audit_;
};

// `text` as a QR code (error correction level M, byte mode) in SVG: one <path> of the dark
// modules on a white background, a quiet zone of 4 modules, a viewBox in module units and
// shape-rendering="crispEdges" — presentation attributes only, no style attributes (the
// Content-Security-Policy forbids them). Throws std::runtime_error when libqrencode cannot encode
// `text` (longer than a version 40 code holds, or out of memory).
[[nodiscard]] std::string qr_svg(std::string_view text);

}  // namespace furoshiki::admin
