// Tenant keys in the database: creation, lookup scoped to the organization, crypto-shredding,
// and master key rotation (complete, idempotent, atomic when interrupted).
#include "admin/tenant_keys.hpp"

#include "db/migrations.hpp"
#include "db/sqlite_database.hpp"
#include "test_support/admin_database.hpp"
#include "test_support/crypto_context.hpp"

#include <gtest/gtest.h>

namespace furoshiki::admin {
namespace {

using crypto::CryptoErrc;

crypto::MasterKey master_key(const crypto::CryptoContext& ctx, char digit) {
  return crypto::master_key_from_text(ctx, std::string(64, digit), "test");
}

class TenantKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_ = test_support::test_crypto_context();
    db_ = test_support::migrated_memory_database();
  }

  // Seals a small object for `org` with its current key; returns the sealed bytes.
  std::vector<std::uint8_t> seal_for(TenantKeyring& ring, const std::string& org, const std::string& object_id,
                                     std::string_view text) {
    crypto::TenantKeyRef ref;
    crypto::SecretKey key;
    EXPECT_FALSE(ring.current(org, ref, key));
    crypto::VectorSink sink;
    crypto::ObjectSealer sealer(ctx_, key, ref, object_id, sink);
    EXPECT_FALSE(sealer.append({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}));
    EXPECT_FALSE(sealer.finish());
    return sink.bytes;
  }

  boost::system::error_code read_as(TenantKeyring& ring, const std::string& org, const std::string& object_id,
                                    const std::vector<std::uint8_t>& sealed, std::string& text) {
    crypto::SpanSource source(sealed);
    std::unique_ptr<crypto::ObjectOpener> opener;
    if (auto ec = crypto::ObjectOpener::open(ctx_, source, org, object_id, ring.lookup_for(org), opener)) return ec;
    text.assign(opener->size(), '\0');
    return opener->read(0, {reinterpret_cast<std::uint8_t*>(text.data()), text.size()});
  }

  std::shared_ptr<const crypto::CryptoContext> ctx_;
  std::unique_ptr<db::Database> db_;
  const std::string object_ = "00112233445566778899aabbccddeeff";
};

TEST_F(TenantKeysTest, CreatedKeyIsStoredOnlyWrapped) {
  TenantKeyring ring(ctx_, *db_, master_key(*ctx_, '1'));
  crypto::TenantKeyRef ref;
  crypto::SecretKey key;
  ASSERT_FALSE(ring.create("acme", ref, key));
  EXPECT_EQ(ref.version, 1u);
  EXPECT_EQ(ref.key_id.size(), 32u);
  db::Blob stored;
  ASSERT_FALSE(db_->execute("SELECT wrapped_key FROM tenant_keys WHERE key_id = ?1", {ref.key_id},
                            [&](const db::Row& r) { stored = std::get<db::Blob>(r[0]); }));
  ASSERT_EQ(stored.bytes.size(), crypto::kWrappedKeyBytes);
  const auto raw = key.bytes();
  EXPECT_EQ(std::search(stored.bytes.begin(), stored.bytes.end(), raw.begin(), raw.end()), stored.bytes.end());
  crypto::TenantKeyRef again_ref;
  crypto::SecretKey again;
  ASSERT_FALSE(ring.current("acme", again_ref, again));
  EXPECT_TRUE(again == key);
}

TEST_F(TenantKeysTest, NewVersionBecomesCurrentAndOldObjectsStayReadable) {
  TenantKeyring ring(ctx_, *db_, master_key(*ctx_, '1'));
  crypto::TenantKeyRef ref;
  crypto::SecretKey key;
  ASSERT_FALSE(ring.create("acme", ref, key));
  const auto old_object = seal_for(ring, "acme", object_, "sealed under version 1");
  ASSERT_FALSE(ring.create("acme", ref, key));
  EXPECT_EQ(ref.version, 2u);
  std::string text;
  ASSERT_FALSE(read_as(ring, "acme", object_, old_object, text));
  EXPECT_EQ(text, "sealed under version 1");
}

TEST_F(TenantKeysTest, AnotherOrganizationCannotReadTheObjects) {
  TenantKeyring ring(ctx_, *db_, master_key(*ctx_, '1'));
  crypto::TenantKeyRef ref;
  crypto::SecretKey key;
  ASSERT_FALSE(ring.create("acme", ref, key));
  ASSERT_FALSE(ring.create("globex", ref, key));
  const auto sealed = seal_for(ring, "acme", object_, "acme's secret");
  std::string text;
  EXPECT_EQ(read_as(ring, "globex", object_, sealed, text), make_error_code(CryptoErrc::kIntegrity));
}

TEST_F(TenantKeysTest, DestroyingTheKeysMakesEveryObjectUnreadable) {
  TenantKeyring ring(ctx_, *db_, master_key(*ctx_, '1'));
  crypto::TenantKeyRef ref;
  crypto::SecretKey key;
  ASSERT_FALSE(ring.create("acme", ref, key));
  const auto one = seal_for(ring, "acme", object_, "one");
  ASSERT_FALSE(ring.create("acme", ref, key));
  const auto two = seal_for(ring, "acme", "ffeeddccbbaa99887766554433221100", "two");
  ASSERT_FALSE(ring.create("globex", ref, key));
  const auto other = seal_for(ring, "globex", object_, "globex keeps its data");

  ASSERT_FALSE(ring.destroy("acme"));
  std::string text;
  EXPECT_EQ(read_as(ring, "acme", object_, one, text), make_error_code(CryptoErrc::kKeyDestroyed));
  EXPECT_EQ(read_as(ring, "acme", "ffeeddccbbaa99887766554433221100", two, text),
            make_error_code(CryptoErrc::kKeyDestroyed));
  EXPECT_EQ(ring.current("acme", ref, key), make_error_code(CryptoErrc::kUnknownKey));
  ASSERT_FALSE(read_as(ring, "globex", object_, other, text));
  EXPECT_EQ(text, "globex keeps its data");
  std::int64_t wrapped = -1;
  ASSERT_FALSE(db_->execute("SELECT count(wrapped_key) FROM tenant_keys WHERE org_id = 'acme'", {},
                            [&](const db::Row& r) { wrapped = r.integer(0); }));
  EXPECT_EQ(wrapped, 0);
}

TEST_F(TenantKeysTest, MasterRotationRewrapsEveryKeyAndKeepsDataReadable) {
  const auto old_master = master_key(*ctx_, '1');
  const auto new_master = master_key(*ctx_, '2');
  std::vector<std::uint8_t> sealed;
  {
    TenantKeyring ring(ctx_, *db_, old_master);
    crypto::TenantKeyRef ref;
    crypto::SecretKey key;
    ASSERT_FALSE(ring.create("acme", ref, key));
    ASSERT_FALSE(ring.create("globex", ref, key));
    sealed = seal_for(ring, "acme", object_, "survives rotation");
  }
  std::size_t rewrapped = 0;
  ASSERT_FALSE(rotate_master_key(*ctx_, *db_, old_master, new_master, rewrapped));
  EXPECT_EQ(rewrapped, 2u);

  TenantKeyring rotated(ctx_, *db_, new_master);
  std::size_t live = 0;
  std::string other;
  EXPECT_FALSE(rotated.verify_master(live, other));
  EXPECT_EQ(live, 2u);
  std::string text;
  ASSERT_FALSE(read_as(rotated, "acme", object_, sealed, text));
  EXPECT_EQ(text, "survives rotation");

  TenantKeyring stale(ctx_, *db_, old_master);
  EXPECT_EQ(stale.verify_master(live, other), make_error_code(CryptoErrc::kBadKey));
  EXPECT_EQ(other, new_master.id);
  EXPECT_EQ(read_as(stale, "acme", object_, sealed, text), make_error_code(CryptoErrc::kIntegrity));

  // Running the same rotation again changes nothing.
  ASSERT_FALSE(rotate_master_key(*ctx_, *db_, old_master, new_master, rewrapped));
  EXPECT_EQ(rewrapped, 0u);
}

TEST_F(TenantKeysTest, InterruptedRotationLeavesTheOldMasterInForce) {
  const auto old_master = master_key(*ctx_, '1');
  const auto new_master = master_key(*ctx_, '2');
  TenantKeyring ring(ctx_, *db_, old_master);
  crypto::TenantKeyRef ref;
  crypto::SecretKey key;
  ASSERT_FALSE(ring.create("acme", ref, key));
  ASSERT_FALSE(ring.create("globex", ref, key));
  const auto sealed = seal_for(ring, "acme", object_, "still here");
  // The second re-wrap fails (as a crash or a full disk would), after the first succeeded.
  ASSERT_FALSE(
      db_->execute_script("CREATE TEMP TRIGGER fail_second BEFORE UPDATE ON tenant_keys "
                          "WHEN (SELECT count(*) FROM tenant_keys WHERE master_key_id = '" +
                          new_master.id + "') >= 1 BEGIN SELECT RAISE(ABORT, 'disk full'); END"));
  std::size_t rewrapped = 0;
  EXPECT_TRUE(rotate_master_key(*ctx_, *db_, old_master, new_master, rewrapped));
  EXPECT_EQ(rewrapped, 0u);
  std::size_t live = 0;
  std::string other;
  EXPECT_FALSE(ring.verify_master(live, other));
  EXPECT_EQ(live, 2u);
  std::string text;
  ASSERT_FALSE(read_as(ring, "acme", object_, sealed, text));
  EXPECT_EQ(text, "still here");
}

TEST_F(TenantKeysTest, RotationWithTheWrongCurrentKeyChangesNothing) {
  TenantKeyring ring(ctx_, *db_, master_key(*ctx_, '1'));
  crypto::TenantKeyRef ref;
  crypto::SecretKey key;
  ASSERT_FALSE(ring.create("acme", ref, key));
  std::size_t rewrapped = 0;
  EXPECT_EQ(rotate_master_key(*ctx_, *db_, master_key(*ctx_, '3'), master_key(*ctx_, '2'), rewrapped),
            make_error_code(CryptoErrc::kBadKey));
  std::size_t live = 0;
  std::string other;
  EXPECT_FALSE(ring.verify_master(live, other));
}

}  // namespace
}  // namespace furoshiki::admin
