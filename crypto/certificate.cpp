// Self-signed certificate generation with OpenSSL 3 EVP and X509 APIs; see certificate.hpp.
#include "crypto/certificate.hpp"

#include "crypto/random.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace furoshiki::crypto {
namespace {

template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("certificate generation failed: ") + what);
}

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "extension");
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(ok == 1, "add extension");
}

}  // namespace

CertificateAndKey make_self_signed_certificate(const std::vector<std::string>& hostnames, std::chrono::days validity) {
  check(!hostnames.empty(), "no host name");
  PKey key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EC key");

  Cert cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), 2) == 1, "version");

  std::array<std::uint8_t, 16> serial_bytes{};
  random_bytes(serial_bytes);
  serial_bytes[0] &= 0x7f;  // positive
  Bignum serial(BN_bin2bn(serial_bytes.data(), serial_bytes.size(), nullptr));
  check(serial && BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())), "serial");

  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) != nullptr, "notBefore");
  const long seconds = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(validity).count());
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), seconds) != nullptr, "notAfter");
  check(X509_set_pubkey(cert.get(), key.get()) == 1, "pubkey");

  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("furoshiki development"), -1, -1, 0) == 1,
        "O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(hostnames.front().c_str()), -1, -1, 0) == 1,
        "CN");
  check(X509_set_issuer_name(cert.get(), name) == 1, "issuer");

  std::string san;
  bool has_localhost = false;
  for (const auto& host : hostnames) {
    if (!san.empty()) san += ",";
    san += "DNS:" + host;
    has_localhost = has_localhost || host == "localhost";
  }
  if (has_localhost) san += ",IP:127.0.0.1,IP:::1";
  add_extension(cert.get(), NID_subject_alt_name, san);
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), NID_subject_key_identifier, "hash");

  check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "sign");

  CertificateAndKey out;
  Bio cert_bio(BIO_new(BIO_s_mem()));
  check(cert_bio && PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1, "PEM certificate");
  out.certificate_pem = bio_to_string(cert_bio.get());
  Bio key_bio(BIO_new(BIO_s_mem()));
  check(key_bio && PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM key");
  out.private_key_pem = bio_to_string(key_bio.get());
  return out;
}

}  // namespace furoshiki::crypto
