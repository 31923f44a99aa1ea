// The library context and its providers; see context.hpp.
#include "crypto/context.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <limits>
#include <vector>

namespace furoshiki::crypto {

struct CryptoContext::Providers {
  std::vector<OSSL_PROVIDER*> loaded;
  OSSL_PROVIDER* main = nullptr;  // fips or default
};

namespace {

std::string openssl_errors() {
  std::string out;
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

// Loads an OpenSSL configuration from memory into `ctx`, through a memfd so that nothing is
// written to disk and the system's openssl.cnf is never involved.
bool load_config_text(OSSL_LIB_CTX* ctx, const std::string& text) {
  const int fd = ::memfd_create("furoshiki-openssl-cnf", MFD_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (ok) {
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    ok = OSSL_LIB_CTX_load_config(ctx, path.c_str()) == 1;
  }
  ::close(fd);
  return ok;
}

void read_provider_info(OSSL_PROVIDER* provider, std::string& name, std::string& version) {
  const char* n = nullptr;
  const char* v = nullptr;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_ptr(OSSL_PROV_PARAM_NAME, const_cast<char**>(&n), 0),
                         OSSL_PARAM_construct_utf8_ptr(OSSL_PROV_PARAM_VERSION, const_cast<char**>(&v), 0),
                         OSSL_PARAM_construct_end()};
  if (OSSL_PROVIDER_get_params(provider, params) == 1) {
    name = n ? n : OSSL_PROVIDER_get0_name(provider);
    version = v ? v : "";
  } else {
    name = OSSL_PROVIDER_get0_name(provider);
  }
}

}  // namespace

std::shared_ptr<CryptoContext> CryptoContext::create(const CryptoSettings& settings) {
  std::shared_ptr<CryptoContext> self(new CryptoContext());
  self->providers_ = std::make_unique<Providers>();
  self->mode_ = settings.fips;
  self->libctx_ = OSSL_LIB_CTX_new();
  if (!self->libctx_) throw CryptoError("cannot create the OpenSSL library context: " + openssl_errors());

  if (settings.fips == FipsMode::kRequired) {
    std::error_code ec;
    const auto module = settings.fips_module_dir / "fips.so";
    if (settings.fips_module_dir.empty() || !std::filesystem::exists(module, ec)) {
      throw CryptoError("crypto.fips = \"required\" but the FIPS provider module " + module.string() +
                        " does not exist (set crypto.fips_module_dir)");
    }
    if (settings.fips_module_config.empty() || !std::filesystem::exists(settings.fips_module_config, ec)) {
      throw CryptoError("crypto.fips = \"required\" but the FIPS module configuration " +
                        settings.fips_module_config.string() +
                        " does not exist (set crypto.fips_module_config; it is written by `openssl fipsinstall`)");
    }
    if (OSSL_PROVIDER_set_default_search_path(self->libctx_, settings.fips_module_dir.c_str()) != 1) {
      throw CryptoError("cannot set the provider search path: " + openssl_errors());
    }
    // The module configuration (from fipsinstall) defines [fips_sect] with the module's MAC;
    // this wrapper activates it and the base provider, and makes fips=yes the default query.
    const std::string text =
        "openssl_conf = furoshiki_init\n"
        "[furoshiki_init]\n"
        "providers = furoshiki_providers\n"
        "alg_section = furoshiki_algorithms\n"
        "[furoshiki_providers]\n"
        "fips = fips_sect\n"
        "base = furoshiki_base\n"
        "[furoshiki_base]\n"
        "activate = 1\n"
        "[furoshiki_algorithms]\n"
        "default_properties = fips=yes\n"
        ".include " +
        settings.fips_module_config.string() + "\n";
    if (!load_config_text(self->libctx_, text) || OSSL_PROVIDER_available(self->libctx_, "fips") != 1) {
      throw CryptoError("crypto.fips = \"required\" but the FIPS provider could not be loaded from " +
                        settings.fips_module_dir.string() + " with " + settings.fips_module_config.string() + ": " +
                        openssl_errors());
    }
    OSSL_PROVIDER* fips = OSSL_PROVIDER_load(self->libctx_, "fips");  // takes a reference
    if (!fips) throw CryptoError("cannot reference the FIPS provider: " + openssl_errors());
    self->providers_->loaded.push_back(fips);
    self->providers_->main = fips;
    if (OSSL_PROVIDER_self_test(fips) != 1) {
      throw CryptoError("the FIPS provider's self-test failed: " + openssl_errors());
    }
    if (EVP_default_properties_enable_fips(self->libctx_, 1) != 1) {
      throw CryptoError("cannot make fips=yes the default property query: " + openssl_errors());
    }
  } else {
    OSSL_PROVIDER* def = OSSL_PROVIDER_load(self->libctx_, "default");
    if (!def) throw CryptoError("cannot load OpenSSL's default provider: " + openssl_errors());
    self->providers_->loaded.push_back(def);
    self->providers_->main = def;
  }
  read_provider_info(self->providers_->main, self->provider_name_, self->provider_version_);

  self->aes_256_gcm_ = EVP_CIPHER_fetch(self->libctx_, "AES-256-GCM", self->properties());
  self->sha256_ = EVP_MD_fetch(self->libctx_, "SHA2-256", self->properties());
  self->hmac_ = EVP_MAC_fetch(self->libctx_, "HMAC", self->properties());
  if (!self->aes_256_gcm_ || !self->sha256_ || !self->hmac_) {
    throw CryptoError("cannot fetch AES-256-GCM, SHA-256 and HMAC from the " + self->provider_name_ +
                      " provider: " + openssl_errors());
  }
  if (!self->self_test()) throw CryptoError("the crypto self-test failed: " + openssl_errors());
  return self;
}

CryptoContext::~CryptoContext() {
  EVP_CIPHER_free(aes_256_gcm_);
  EVP_MD_free(sha256_);
  EVP_MAC_free(hmac_);
  if (providers_) {
    for (auto* p : providers_->loaded) OSSL_PROVIDER_unload(p);
  }
  OSSL_LIB_CTX_free(libctx_);
}

const char* CryptoContext::properties() const { return mode_ == FipsMode::kRequired ? "fips=yes" : ""; }

void CryptoContext::random_bytes(std::span<std::uint8_t> out) const {
  while (!out.empty()) {
    const std::size_t n = std::min<std::size_t>(out.size(), std::numeric_limits<int>::max());
    if (RAND_bytes_ex(libctx_, out.data(), n, 256) != 1) {
      throw CryptoError("the random number generator failed: " + openssl_errors());
    }
    out = out.subspan(n);
  }
}

bool CryptoContext::self_test() const {
  if (mode_ == FipsMode::kRequired && OSSL_PROVIDER_self_test(providers_->main) != 1) return false;
  // A known-answer AES-256-GCM test (NIST CAVP gcmEncryptExtIV256, Count 0: empty plaintext).
  static constexpr std::array<std::uint8_t, 32> kKey = {
      0xb5, 0x2c, 0x50, 0x5a, 0x37, 0xd7, 0x8e, 0xda, 0x5d, 0xd3, 0x4f, 0x20, 0xc2, 0x25, 0x40, 0xea,
      0x1b, 0x58, 0x96, 0x3c, 0xf8, 0xe5, 0xbf, 0x8f, 0xfa, 0x85, 0xf9, 0xf2, 0x49, 0x25, 0x05, 0xb4};
  static constexpr std::array<std::uint8_t, 12> kIv = {0x51, 0x6c, 0x33, 0x92, 0x9d, 0xf5,
                                                       0xa3, 0x28, 0x4f, 0xf4, 0x63, 0xd7};
  static constexpr std::array<std::uint8_t, 16> kTag = {0xbd, 0xc1, 0xac, 0x88, 0x4d, 0x33, 0x24, 0x57,
                                                        0xa1, 0xd2, 0x66, 0x4f, 0x16, 0x8c, 0x76, 0xf0};
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  std::array<std::uint8_t, 16> tag{};
  int len = 0;
  const bool ok = c && EVP_EncryptInit_ex2(c, aes_256_gcm_, kKey.data(), kIv.data(), nullptr) == 1 &&
                  EVP_EncryptFinal_ex(c, tag.data(), &len) == 1 &&
                  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag.data()) == 1 && tag == kTag;
  EVP_CIPHER_CTX_free(c);
  return ok;
}

}  // namespace furoshiki::crypto
