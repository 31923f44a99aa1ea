// Master key loading and key wrapping; see keys.hpp.
#include "crypto/keys.hpp"

#include "crypto/hex.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace furoshiki::crypto {
namespace {

// Length-prefixed fields so that ("ab","c") and ("a","bc") never produce the same associated data.
void append_field(std::vector<std::uint8_t>& out, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(n >> shift));
  out.insert(out.end(), field.begin(), field.end());
}

std::vector<std::uint8_t> tenant_aad(const TenantKeyRef& ref) {
  std::vector<std::uint8_t> aad;
  append_field(aad, "furoshiki tenant key v1");
  append_field(aad, ref.org_id);
  append_field(aad, ref.key_id);
  append_field(aad, std::to_string(ref.version));
  return aad;
}

std::vector<std::uint8_t> data_aad(std::string_view org_id, std::string_view object_id) {
  std::vector<std::uint8_t> aad;
  append_field(aad, "furoshiki data key v1");
  append_field(aad, org_id);
  append_field(aad, object_id);
  return aad;
}

std::vector<std::uint8_t> wrap(const CryptoContext& ctx, const SecretKey& kek, std::span<const std::uint8_t> aad,
                               const SecretKey& key) {
  std::array<std::uint8_t, kNonceBytes> nonce{};
  ctx.random_bytes(nonce);  // a fresh random nonce per wrap; a KEK wraps few keys (≪ 2^32)
  std::vector<std::uint8_t> sealed;
  if (aead_seal(ctx, kek, nonce, aad, key.bytes(), sealed)) throw CryptoError("key wrapping failed");
  std::vector<std::uint8_t> out(kNonceBytes + sealed.size());
  std::memcpy(out.data(), nonce.data(), kNonceBytes);
  std::memcpy(out.data() + kNonceBytes, sealed.data(), sealed.size());
  return out;
}

boost::system::error_code unwrap(const CryptoContext& ctx, const SecretKey& kek, std::span<const std::uint8_t> aad,
                                 std::span<const std::uint8_t> wrapped, SecretKey& out) {
  if (wrapped.size() != kWrappedKeyBytes) return CryptoErrc::kIntegrity;
  std::vector<std::uint8_t> plain;
  if (auto ec = aead_open(ctx, kek, wrapped.first<kNonceBytes>(), aad, wrapped.subspan(kNonceBytes), plain)) return ec;
  out = SecretKey(std::span<const std::uint8_t, kKeyBytes>(plain.data(), kKeyBytes));
  OPENSSL_cleanse(plain.data(), plain.size());
  return {};
}

std::string master_key_id(const CryptoContext& ctx, const SecretKey& key) {
  static constexpr std::string_view kLabel = "furoshiki master key id";
  std::array<std::uint8_t, 32> mac{};
  std::size_t mac_len = 0;
  EVP_MAC_CTX* c = EVP_MAC_CTX_new(const_cast<EVP_MAC*>(ctx.hmac()));
  char digest[] = "SHA2-256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
  const bool ok = c && EVP_MAC_init(c, key.bytes().data(), key.bytes().size(), params) == 1 &&
                  EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size()) == 1 &&
                  EVP_MAC_final(c, mac.data(), &mac_len, mac.size()) == 1;
  EVP_MAC_CTX_free(c);
  if (!ok) throw CryptoError("cannot derive the master key id");
  return hex_encode(std::span(mac).first(8));
}

}  // namespace

MasterKey master_key_from_text(const CryptoContext& ctx, std::string_view text, const std::string& source) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  std::array<std::uint8_t, kKeyBytes> raw{};
  if (!hex_decode(text, raw, HexCase::kAny)) {
    OPENSSL_cleanse(raw.data(), raw.size());
    throw CryptoError("master key " + source + " must hold 64 hexadecimal digits (256 bits)");
  }
  MasterKey master{SecretKey(raw), ""};
  OPENSSL_cleanse(raw.data(), raw.size());
  master.id = master_key_id(ctx, master.key);
  return master;
}

MasterKey load_master_key(const CryptoContext& ctx, const std::filesystem::path& file, const std::string& credential) {
  std::filesystem::path path = file;
  if (!credential.empty()) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");  // set by systemd for this service only
    if (!dir || !*dir) {
      throw CryptoError("crypto.master_key_credential is set but $CREDENTIALS_DIRECTORY is not (LoadCredential=)");
    }
    path = std::filesystem::path(dir) / credential;
  } else {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw CryptoError("cannot read the master key file " + path.string());
    if ((st.st_mode & 077) != 0) {
      throw CryptoError("the master key file " + path.string() + " is accessible by group or others; chmod 600 it");
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CryptoError("cannot read the master key file " + path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  MasterKey key = master_key_from_text(ctx, text, path.string());
  OPENSSL_cleanse(text.data(), text.size());
  return key;
}

std::vector<std::uint8_t> wrap_tenant_key(const CryptoContext& ctx, const MasterKey& master, const TenantKeyRef& ref,
                                          const SecretKey& tenant_key) {
  return wrap(ctx, master.key, tenant_aad(ref), tenant_key);
}

boost::system::error_code unwrap_tenant_key(const CryptoContext& ctx, const MasterKey& master, const TenantKeyRef& ref,
                                            std::span<const std::uint8_t> wrapped, SecretKey& out) {
  return unwrap(ctx, master.key, tenant_aad(ref), wrapped, out);
}

std::vector<std::uint8_t> wrap_data_key(const CryptoContext& ctx, const SecretKey& tenant_key, std::string_view org_id,
                                        std::string_view object_id, const SecretKey& data_key) {
  return wrap(ctx, tenant_key, data_aad(org_id, object_id), data_key);
}

boost::system::error_code unwrap_data_key(const CryptoContext& ctx, const SecretKey& tenant_key,
                                          std::string_view org_id, std::string_view object_id,
                                          std::span<const std::uint8_t> wrapped, SecretKey& out) {
  return unwrap(ctx, tenant_key, data_aad(org_id, object_id), wrapped, out);
}

}  // namespace furoshiki::crypto
