// Tenant keys in the database: creating an organization's key, finding it for sealing and
// opening objects, destroying it (crypto-shredding), and re-wrapping every key under a new
// master key. The keys themselves never leave this layer unwrapped except as SecretKey values.
#pragma once

#include "crypto/keys.hpp"
#include "crypto/object_format.hpp"
#include "db/database.hpp"

#include <memory>
#include <string>

namespace furoshiki::admin {

class TenantKeyring {
 public:
  TenantKeyring(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db, crypto::MasterKey master);

  // Creates a new key version for the organization (1 for a new one) and returns it.
  [[nodiscard]] boost::system::error_code create(const std::string& org_id, crypto::TenantKeyRef& ref,
                                                 crypto::SecretKey& key);

  // The same inside the caller's transaction (an organization and its key are created together).
  [[nodiscard]] boost::system::error_code create_in(db::Database& tx, const std::string& org_id,
                                                    crypto::TenantKeyRef& ref, crypto::SecretKey& key);
  // The organization's newest live key, for sealing new objects. kUnknownKey if none.
  [[nodiscard]] boost::system::error_code current(const std::string& org_id, crypto::TenantKeyRef& ref,
                                                  crypto::SecretKey& key);

  // A lookup for ObjectOpener that only finds keys of `org_id`.
  crypto::TenantKeyLookup lookup_for(const std::string& org_id);

  // Wipes every wrapped key of the organization: its objects become unreadable at once.
  [[nodiscard]] boost::system::error_code destroy(const std::string& org_id);

  // Start-up check: every live tenant key is wrapped by this keyring's master key.
  // CryptoErrc::kBadKey when some are wrapped by another master key (`other_id` names it).
  [[nodiscard]] boost::system::error_code verify_master(std::size_t& live_keys, std::string& other_id);

 private:
  std::shared_ptr<const crypto::CryptoContext> ctx_;
  db::Database& db_;
  crypto::MasterKey master_;
};

// Re-wraps every live tenant key from `current` to `next` in one transaction: either all keys
// are re-wrapped or none is (an interrupted rotation leaves the old master key in force).
// Objects are not touched: their data keys are wrapped by tenant keys, which do not change.
[[nodiscard]] boost::system::error_code rotate_master_key(const crypto::CryptoContext& ctx, db::Database& db,
                                                          const crypto::MasterKey& current,
                                                          const crypto::MasterKey& next, std::size_t& rewrapped);

}  // namespace furoshiki::admin
