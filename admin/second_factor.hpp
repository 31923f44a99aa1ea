// TOTP secrets at rest: sealed with AES-256-GCM under the organization's tenant key, bound to the
// organization and the user (associated data), so a secret copied to another user or another
// organization does not open; destroying the tenant key (organization deletion) destroys them.
//
// Stored bytes: tenant key version (4, big-endian) || tenant key id (16) || nonce (12) ||
// ciphertext || tag (16).
#pragma once

#include "admin/tenant_keys.hpp"

#include <cstdint>
#include <string>
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

}  // namespace furoshiki::admin
