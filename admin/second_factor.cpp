// Sealed TOTP secrets; see second_factor.hpp.
#include "admin/second_factor.hpp"

#include "crypto/aead.hpp"
#include "crypto/errors.hpp"
#include "crypto/hex.hpp"

namespace furoshiki::admin {

namespace {

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

}  // namespace furoshiki::admin
