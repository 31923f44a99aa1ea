// AES-256-GCM through EVP; see aead.hpp.
#include "crypto/aead.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <limits>
#include <memory>

namespace furoshiki::crypto {
namespace {

bool fits_int(std::size_t n) { return n <= static_cast<std::size_t>(std::numeric_limits<int>::max()); }

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "furoshiki.crypto"; }
  std::string message(int ev) const override {
    switch (static_cast<CryptoErrc>(ev)) {
      case CryptoErrc::kOk: return "ok";
      case CryptoErrc::kIntegrity: return "stored data failed authentication";
      case CryptoErrc::kUnknownKey: return "unknown key";
      case CryptoErrc::kKeyDestroyed: return "the key was destroyed";
      case CryptoErrc::kBadKey: return "malformed key";
      case CryptoErrc::kOutOfRange: return "range outside the object";
      case CryptoErrc::kIo: return "storage error";
      case CryptoErrc::kInternal: return "internal crypto error";
    }
    return "unknown crypto error";
  }
};

}  // namespace

const boost::system::error_category& crypto_category() noexcept {
  static const Category kCategory;
  return kCategory;
}

SecretKey::SecretKey(std::span<const std::uint8_t, kKeyBytes> bytes) {
  std::copy(bytes.begin(), bytes.end(), bytes_.begin());
}

SecretKey::~SecretKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

SecretKey SecretKey::random(const CryptoContext& ctx) {
  SecretKey key;
  ctx.random_bytes(key.bytes_);
  return key;
}

bool SecretKey::operator==(const SecretKey& other) const {
  return CRYPTO_memcmp(bytes_.data(), other.bytes_.data(), bytes_.size()) == 0;
}

void detail::CipherCtxFree::operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }

AeadSealer::AeadSealer(const CryptoContext& ctx, const SecretKey& key) : ctx_(EVP_CIPHER_CTX_new()) {
  // No nonce yet: seal() sets one per message.
  if (ctx_ && EVP_EncryptInit_ex2(ctx_.get(), ctx.aes_256_gcm(), key.bytes().data(), nullptr, nullptr) != 1) {
    ctx_.reset();
  }
}

boost::system::error_code AeadSealer::seal(std::span<const std::uint8_t, kNonceBytes> nonce,
                                           std::span<const std::uint8_t> aad, std::span<const std::uint8_t> plaintext,
                                           std::span<std::uint8_t> out) {
  if (!ctx_ || out.size() != plaintext.size() + kTagBytes) return CryptoErrc::kInternal;
  if (!fits_int(plaintext.size()) || !fits_int(aad.size())) return CryptoErrc::kInternal;
  EVP_CIPHER_CTX* c = ctx_.get();
  int len = 0;
  int final_len = 0;
  // Cipher and key null: OpenSSL keeps both and only sets the new nonce, which also resets the
  // GCM state (counter, GHASH, lengths) left by the previous message.
  const bool ok =
      EVP_EncryptInit_ex2(c, nullptr, nullptr, nonce.data(), nullptr) == 1 &&
      (aad.empty() || EVP_EncryptUpdate(c, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1) &&
      EVP_EncryptUpdate(c, out.data(), &len, plaintext.data(), static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(c, out.data() + len, &final_len) == 1 &&
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), out.data() + plaintext.size()) == 1;
  return ok ? boost::system::error_code{} : make_error_code(CryptoErrc::kInternal);
}

AeadOpener::AeadOpener(const CryptoContext& ctx, const SecretKey& key) : ctx_(EVP_CIPHER_CTX_new()) {
  if (ctx_ && EVP_DecryptInit_ex2(ctx_.get(), ctx.aes_256_gcm(), key.bytes().data(), nullptr, nullptr) != 1) {
    ctx_.reset();
  }
}

boost::system::error_code AeadOpener::open(std::span<const std::uint8_t, kNonceBytes> nonce,
                                           std::span<const std::uint8_t> aad, std::span<const std::uint8_t> sealed,
                                           std::span<std::uint8_t> out) {
  if (sealed.size() < kTagBytes || out.size() != sealed.size() - kTagBytes) return CryptoErrc::kIntegrity;
  if (!ctx_ || !fits_int(sealed.size()) || !fits_int(aad.size())) return CryptoErrc::kInternal;
  EVP_CIPHER_CTX* c = ctx_.get();
  const std::size_t n = out.size();
  // A copy: the tag must not change between being set and being checked, whatever the caller's
  // memory does.
  std::array<std::uint8_t, kTagBytes> tag{};
  std::copy(sealed.begin() + static_cast<std::ptrdiff_t>(n), sealed.end(), tag.begin());
  int len = 0;
  int final_len = 0;
  auto fail = [&out](CryptoErrc e) {
    OPENSSL_cleanse(out.data(), out.size());
    return make_error_code(e);
  };
  if (EVP_DecryptInit_ex2(c, nullptr, nullptr, nonce.data(), nullptr) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(c, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) ||
      EVP_DecryptUpdate(c, out.data(), &len, sealed.data(), static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag.data()) != 1) {
    return fail(CryptoErrc::kInternal);
  }
  // Plaintext must never be used unless the tag verifies.
  if (EVP_DecryptFinal_ex(c, out.data() + len, &final_len) != 1) return fail(CryptoErrc::kIntegrity);
  return {};
}

boost::system::error_code aead_seal(const CryptoContext& ctx, const SecretKey& key,
                                    std::span<const std::uint8_t, kNonceBytes> nonce, std::span<const std::uint8_t> aad,
                                    std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out) {
  if (!fits_int(plaintext.size()) || !fits_int(aad.size())) return CryptoErrc::kInternal;
  out.resize(plaintext.size() + kTagBytes);
  AeadSealer sealer(ctx, key);
  auto ec = sealer.seal(nonce, aad, plaintext, out);
  if (ec) out.clear();
  return ec;
}

boost::system::error_code aead_open(const CryptoContext& ctx, const SecretKey& key,
                                    std::span<const std::uint8_t, kNonceBytes> nonce, std::span<const std::uint8_t> aad,
                                    std::span<const std::uint8_t> sealed, std::span<std::uint8_t> out) {
  if (sealed.size() < kTagBytes || out.size() != sealed.size() - kTagBytes) return CryptoErrc::kIntegrity;
  AeadOpener opener(ctx, key);
  if (!opener.valid()) {
    OPENSSL_cleanse(out.data(), out.size());
    return CryptoErrc::kInternal;
  }
  return opener.open(nonce, aad, sealed, out);
}

boost::system::error_code aead_open(const CryptoContext& ctx, const SecretKey& key,
                                    std::span<const std::uint8_t, kNonceBytes> nonce, std::span<const std::uint8_t> aad,
                                    std::span<const std::uint8_t> sealed, std::vector<std::uint8_t>& out) {
  if (sealed.size() < kTagBytes) {
    out.clear();
    return CryptoErrc::kIntegrity;
  }
  out.resize(sealed.size() - kTagBytes);  // no clear() first: reusing the buffer costs no zero-fill
  auto ec = aead_open(ctx, key, nonce, aad, sealed, std::span<std::uint8_t>(out));
  if (ec) out.clear();
  return ec;
}

std::array<std::uint8_t, 32> sha256(const CryptoContext& ctx, std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  const bool ok = c && EVP_DigestInit_ex2(c, ctx.sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(c, data.data(), data.size()) == 1 && EVP_DigestFinal_ex(c, out.data(), &len) == 1;
  EVP_MD_CTX_free(c);
  if (!ok) throw CryptoError("SHA-256 failed");
  return out;
}

}  // namespace furoshiki::crypto
