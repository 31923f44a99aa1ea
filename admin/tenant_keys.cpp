// Tenant keys in the database; see tenant_keys.hpp.
#include "admin/tenant_keys.hpp"

#include "common/log.hpp"

namespace furoshiki::admin {

using crypto::CryptoErrc;

namespace {

struct KeyRow {
  crypto::TenantKeyRef ref;
  std::vector<std::uint8_t> wrapped;
  std::string master_key_id;
  bool destroyed = false;
};

KeyRow to_row(const db::Row& row) {
  // Columns: key_id, org_id, version, wrapped_key, master_key_id
  KeyRow out;
  out.ref.key_id = row.text(0);
  out.ref.org_id = row.text(1);
  out.ref.version = static_cast<std::uint32_t>(row.integer(2));
  if (const auto* blob = std::get_if<db::Blob>(&row[3])) out.wrapped = blob->bytes;
  out.destroyed = row.is_null(3);
  out.master_key_id = row.text(4);
  return out;
}

constexpr std::string_view kColumns = "key_id, org_id, version, wrapped_key, master_key_id";

}  // namespace

TenantKeyring::TenantKeyring(std::shared_ptr<const crypto::CryptoContext> ctx, db::Database& db,
                             crypto::MasterKey master)
    : ctx_(std::move(ctx)), db_(db), master_(std::move(master)) {}

boost::system::error_code TenantKeyring::create(const std::string& org_id, crypto::TenantKeyRef& ref,
                                                crypto::SecretKey& key) {
  return db_.transaction([&](db::Database& tx) { return create_in(tx, org_id, ref, key); });
}

boost::system::error_code TenantKeyring::create_in(db::Database& tx, const std::string& org_id,
                                                   crypto::TenantKeyRef& ref, crypto::SecretKey& key) {
  std::array<std::uint8_t, 16> id{};
  ctx_->random_bytes(id);
  crypto::SecretKey fresh = crypto::SecretKey::random(*ctx_);
  crypto::TenantKeyRef made{org_id, crypto::hex16_encode(id), 1};
  std::int64_t next = 1;
  if (auto e = tx.execute("SELECT coalesce(max(version), 0) + 1 FROM tenant_keys WHERE org_id = ?1", {org_id},
                          [&](const db::Row& r) { next = r.integer(0); })) {
    return e;
  }
  made.version = static_cast<std::uint32_t>(next);
  const auto wrapped = crypto::wrap_tenant_key(*ctx_, master_, made, fresh);
  if (auto e = tx.execute(
          "INSERT INTO tenant_keys (key_id, org_id, version, wrapped_key, master_key_id) VALUES (?1, ?2, ?3, ?4, ?5)",
          {made.key_id, org_id, next, db::Blob{wrapped}, master_.id})) {
    return e;
  }
  ref = made;
  key = fresh;
  return {};
}

boost::system::error_code TenantKeyring::current(const std::string& org_id, crypto::TenantKeyRef& ref,
                                                 crypto::SecretKey& key) {
  std::optional<KeyRow> found;
  if (auto ec = db_.execute("SELECT " + std::string(kColumns) +
                                " FROM tenant_keys WHERE org_id = ?1 AND wrapped_key IS NOT NULL "
                                "ORDER BY version DESC LIMIT 1",
                            {org_id}, [&](const db::Row& r) { found = to_row(r); })) {
    return ec;
  }
  if (!found) return CryptoErrc::kUnknownKey;
  if (auto ec = crypto::unwrap_tenant_key(*ctx_, master_, found->ref, found->wrapped, key)) return ec;
  ref = found->ref;
  return {};
}

crypto::TenantKeyLookup TenantKeyring::lookup_for(const std::string& org_id) {
  return [this, org_id](const std::string& key_id, std::uint32_t version,
                        crypto::SecretKey& out) -> boost::system::error_code {
    std::optional<KeyRow> found;
    if (auto ec = db_.execute(
            "SELECT " + std::string(kColumns) + " FROM tenant_keys WHERE key_id = ?1 AND org_id = ?2 AND version = ?3",
            {key_id, org_id, std::int64_t{version}}, [&](const db::Row& r) { found = to_row(r); })) {
      return ec;
    }
    if (!found) return CryptoErrc::kUnknownKey;
    if (found->destroyed) return CryptoErrc::kKeyDestroyed;
    return crypto::unwrap_tenant_key(*ctx_, master_, found->ref, found->wrapped, out);
  };
}

boost::system::error_code TenantKeyring::destroy(const std::string& org_id) {
  // SQLite's secure_delete overwrites the freed content instead of leaving it in free pages.
  if (auto ec = db_.execute("PRAGMA secure_delete = ON")) return ec;
  auto ec = db_.execute(
      "UPDATE tenant_keys SET wrapped_key = NULL, destroyed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
      "WHERE org_id = ?1 AND wrapped_key IS NOT NULL",
      {org_id});
  if (ec) return ec;
  // The old pages may still sit in the write-ahead log: fold it into the database and truncate it.
  if (auto e = db_.execute("PRAGMA wal_checkpoint(TRUNCATE)")) return e;
  log::info("tenant_keys_destroyed", {{"org_id", org_id}});
  return {};
}

boost::system::error_code TenantKeyring::verify_master(std::size_t& live_keys, std::string& other_id) {
  live_keys = 0;
  other_id.clear();
  if (auto ec = db_.execute("SELECT master_key_id, count(*) FROM tenant_keys WHERE wrapped_key IS NOT NULL "
                            "GROUP BY master_key_id",
                            {}, [&](const db::Row& r) {
                              live_keys += static_cast<std::size_t>(r.integer(1));
                              if (r.text(0) != master_.id) other_id = r.text(0);
                            })) {
    return ec;
  }
  return other_id.empty() ? boost::system::error_code() : make_error_code(CryptoErrc::kBadKey);
}

boost::system::error_code rotate_master_key(const crypto::CryptoContext& ctx, db::Database& db,
                                            const crypto::MasterKey& current, const crypto::MasterKey& next,
                                            std::size_t& rewrapped) {
  rewrapped = 0;
  std::size_t count = 0;
  auto ec = db.transaction([&](db::Database& tx) -> boost::system::error_code {
    std::vector<KeyRow> rows;
    if (auto e = tx.execute("SELECT " + std::string(kColumns) + " FROM tenant_keys WHERE wrapped_key IS NOT NULL", {},
                            [&](const db::Row& r) { rows.push_back(to_row(r)); })) {
      return e;
    }
    for (const auto& row : rows) {
      if (row.master_key_id == next.id) continue;  // already under the new key
      if (row.master_key_id != current.id) return CryptoErrc::kBadKey;
      crypto::SecretKey key;
      if (auto e = crypto::unwrap_tenant_key(ctx, current, row.ref, row.wrapped, key)) return e;
      const auto wrapped = crypto::wrap_tenant_key(ctx, next, row.ref, key);
      if (auto e = tx.execute("UPDATE tenant_keys SET wrapped_key = ?1, master_key_id = ?2 WHERE key_id = ?3",
                              {db::Blob{wrapped}, next.id, row.ref.key_id})) {
        return e;
      }
      ++count;
    }
    return {};
  });
  if (ec) return ec;
  rewrapped = count;
  log::info("master_key_rotated", {{"from", current.id}, {"to", next.id}, {"tenant_keys", count}});
  return {};
}

}  // namespace furoshiki::admin
