// The key hierarchy (docs/format.md, design.md "Keys"):
//   master key (key file 0600 or systemd credential)
//     └─wraps─▶ tenant key (one per organization; associated data: org id, key id, version)
//                 └─wraps─▶ data key (one per stored object; associated data: org id, object id)
// Wrapping is AES-256-GCM with a random nonce; a wrapped key is nonce || ciphertext || tag.
#pragma once

#include "crypto/aead.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace furoshiki::crypto {

inline constexpr std::size_t kWrappedKeyBytes = kNonceBytes + kKeyBytes + kTagBytes;  // 60

struct MasterKey {
  SecretKey key;
  // Names the key without revealing it: hex of the first 8 bytes of
  // HMAC-SHA-256(key, "furoshiki master key id"). Stored beside every key it wraps.
  std::string id;
};

// Reads a master key: 64 hex digits (optionally followed by a newline). `source` names where it
// came from, for messages. Throws CryptoError with a clear message (never the key) on bad input.
MasterKey master_key_from_text(const CryptoContext& ctx, std::string_view text, const std::string& source);

// Reads the master key from `file`, which must be a regular file readable by its owner only; or,
// when `credential` is not empty, from $CREDENTIALS_DIRECTORY/<credential> (systemd LoadCredential).
// Throws CryptoError naming the file and the problem.
MasterKey load_master_key(const CryptoContext& ctx, const std::filesystem::path& file, const std::string& credential);

struct TenantKeyRef {
  std::string org_id;
  std::string key_id;  // random, 32 hex digits
  std::uint32_t version = 1;
};

std::vector<std::uint8_t> wrap_tenant_key(const CryptoContext& ctx, const MasterKey& master, const TenantKeyRef& ref,
                                          const SecretKey& tenant_key);
// CryptoErrc::kIntegrity when the wrapped bytes, the master key or any field of `ref` differ from
// what was wrapped.
[[nodiscard]] boost::system::error_code unwrap_tenant_key(const CryptoContext& ctx, const MasterKey& master,
                                                          const TenantKeyRef& ref,
                                                          std::span<const std::uint8_t> wrapped, SecretKey& out);

std::vector<std::uint8_t> wrap_data_key(const CryptoContext& ctx, const SecretKey& tenant_key, std::string_view org_id,
                                        std::string_view object_id, const SecretKey& data_key);
[[nodiscard]] boost::system::error_code unwrap_data_key(const CryptoContext& ctx, const SecretKey& tenant_key,
                                                        std::string_view org_id, std::string_view object_id,
                                                        std::span<const std::uint8_t> wrapped, SecretKey& out);

}  // namespace furoshiki::crypto
