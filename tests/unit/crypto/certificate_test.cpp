// Self-signed certificate generation: ECDSA P-256 key, matching key pair, SANs, validity.
#include "crypto/certificate.hpp"

#include "crypto/random.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <set>

namespace furoshiki::crypto {
namespace {

X509* read_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

EVP_PKEY* read_key(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

TEST(CertificateTest, ProducesMatchingEcdsaKeyAndCertificate) {
  const auto material = make_self_signed_certificate({"files.example.test", "localhost"}, std::chrono::days(30));
  X509* cert = read_cert(material.certificate_pem);
  EVP_PKEY* key = read_key(material.private_key_pem);
  ASSERT_NE(cert, nullptr);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  EXPECT_EQ(X509_check_private_key(cert, key), 1);
  EXPECT_EQ(X509_verify(cert, key), 1);  // self-signed
  EXPECT_EQ(X509_check_host(cert, "files.example.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "::1", 0), 1);
  EXPECT_NE(X509_check_host(cert, "evil.test", 0, 0, nullptr), 1);
  int day = 0, sec = 0;
  ASSERT_EQ(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(cert), X509_get0_notAfter(cert)), 1);
  EXPECT_EQ(day, 30);
  EVP_PKEY_free(key);
  X509_free(cert);
}

TEST(CertificateTest, SerialNumbersDiffer) {
  std::set<std::string> serials;
  for (int i = 0; i < 3; ++i) {
    const auto material = make_self_signed_certificate({"localhost"}, std::chrono::days(1));
    X509* cert = read_cert(material.certificate_pem);
    ASSERT_NE(cert, nullptr);
    BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
    char* hex = BN_bn2hex(bn);
    serials.insert(hex);
    OPENSSL_free(hex);
    BN_free(bn);
    X509_free(cert);
  }
  EXPECT_EQ(serials.size(), 3u);
}

TEST(CertificateTest, RequiresAHostName) {
  EXPECT_THROW(make_self_signed_certificate({}, std::chrono::days(1)), std::runtime_error);
}

TEST(RandomTest, HexHasRequestedLengthAndVaries) {
  const auto a = random_hex(16);
  const auto b = random_hex(16);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(RandomTest, ConstantTimeEquality) {
  EXPECT_TRUE(equal_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_constant_time("abc", "abcd"));
  EXPECT_TRUE(equal_constant_time("", ""));
}

}  // namespace
}  // namespace furoshiki::crypto
